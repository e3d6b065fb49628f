// Fuzz target: the writer epoch file (<dir>/EPOCH). DecodeEpochFile must
// refuse anything invalid with kDataLoss and never crash; what it accepts
// must re-encode to the same bytes. The same bytes planted as a partition's
// EPOCH: a writable open must refuse a bad file with kDataLoss (never
// silently restart the epoch), and otherwise open with the next epoch or
// report the epoch space exhausted.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "env/mem_env.h"
#include "partition/partition_log.h"
#include "storage/epoch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evlog;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto epoch = DecodeEpochFile(bytes);
  if (!epoch.ok()) {
    if (!absl::IsDataLoss(epoch.status())) std::abort();
  } else if (EncodeEpochFile(*epoch) != bytes) {
    std::abort();
  }
  MemEnv env;
  if (!env.CreateDir("/log").ok()) std::abort();
  auto f = env.NewWritableFile("/log/EPOCH");
  if (!f.ok() || !(*f)->Append(bytes).ok() || !(*f)->Sync().ok()) std::abort();
  f->reset();
  TopicConfig c;
  c.segment_bytes = 4096;
  c.max_record_bytes = 1024;
  auto bumped = BumpEpoch(&env, "/log", /*must_exist=*/false);
  if (!epoch.ok()) {
    if (!absl::IsDataLoss(bumped.status())) std::abort();
    auto log = PartitionLog::Open(&env, "/log", c);
    if (!absl::IsDataLoss(log.status())) std::abort();
    return 0;
  }
  if (*epoch == UINT32_MAX) {
    if (bumped.status().code() != absl::StatusCode::kResourceExhausted)
      std::abort();
    return 0;
  }
  if (!bumped.ok() || *bumped != *epoch + 1) std::abort();
  auto after = env.ReadFile("/log/EPOCH");
  if (!after.ok() || *after != EncodeEpochFile(*epoch + 1)) std::abort();
  return 0;
}
