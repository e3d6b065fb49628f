// Fuzz target: index files. DecodeIndexFile must refuse what is invalid
// with kDataLoss and round-trip what it accepts. Then the same bytes are
// planted as the index of a real sealed segment (Segment::LoadIndex path):
// the log must open with every record intact, or refuse with kDataLoss --
// an index is derived data and may never make a record vanish or change.

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "env/mem_env.h"
#include "format/format.h"
#include "format/segment_header.h"
#include "partition/log_reader.h"
#include "partition/partition_log.h"
#include "storage/index_file.h"

namespace {

using namespace evlog;

TopicConfig Config() {
  TopicConfig c;
  c.segment_bytes = 4096;
  c.max_record_bytes = 1024;
  c.index_interval_bytes = 128;
  return c;
}

constexpr int kRecords = 40;

std::string ValueOf(int i) {
  return "value-" + std::to_string(i) + std::string(i % 50, '#');
}

// A log with a few sealed segments, built once.
MemEnv* Base() {
  static MemEnv* env = [] {
    auto* e = new MemEnv();
    if (!e->CreateDir("/log").ok()) std::abort();
    auto log = PartitionLog::Open(e, "/log", Config());
    if (!log.ok()) std::abort();
    for (int i = 0; i < kRecords; ++i) {
      std::string v = ValueOf(i);
      Record r;
      r.value = v;
      if (!(*log)->Append({&r, 1}).ok()) std::abort();
    }
    if (!(*log)->Close().ok()) std::abort();
    return e;
  }();
  return env;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  auto decoded = DecodeIndexFile(bytes);
  if (!decoded.ok() && !absl::IsDataLoss(decoded.status())) std::abort();
  if (decoded.ok()) {
    auto again = DecodeIndexFile(EncodeIndexFile(*decoded));
    if (!again.ok() || EncodeIndexFile(*again) != EncodeIndexFile(*decoded))
      std::abort();
  }
  if (size < 1) return 0;
  auto env = Base()->CrashImage({.kind = CrashOptions::kProcessCrash});
  auto names = env->ListDir("/log");
  if (!names.ok()) std::abort();
  std::vector<std::string> indexes;
  for (const auto& n : *names) {
    if (n.size() > 6 && n.substr(n.size() - 6) == ".index")
      indexes.push_back(n);
  }
  if (indexes.empty()) std::abort();
  std::string target = "/log/" + indexes[data[0] % indexes.size()];
  auto f = env->NewWritableFile(target);
  if (!f.ok() || !(*f)->Append(bytes.substr(1)).ok() || !(*f)->Sync().ok())
    std::abort();
  f->reset();
  auto log = PartitionLog::Open(env.get(), "/log", Config());
  if (!log.ok()) {
    if (!absl::IsDataLoss(log.status())) std::abort();
    return 0;
  }
  LogReader reader(log->get(), Offset(0));
  RecordView v;
  int i = 0;
  while (true) {
    auto got = reader.Next(&v, (*log)->end_offset());
    if (!got.ok()) {
      if (!absl::IsDataLoss(got.status())) std::abort();
      return 0;
    }
    if (!*got) break;
    if (v.offset().value() != i || !v.value() || *v.value() != ValueOf(i))
      std::abort();
    ++i;
  }
  if (i != kRecords) std::abort();  // an index must not make records vanish
  // Lookups through the (possibly planted) index land on the right record.
  for (int o = 0; o < kRecords; o += 7) {
    LogReader at(log->get(), Offset(o));
    auto got = at.Next(&v, (*log)->end_offset());
    if (!got.ok() || !*got || v.offset().value() != o) std::abort();
  }
  return 0;
}
