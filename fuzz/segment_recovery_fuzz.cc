// Fuzz target: segment recovery. The input becomes the segment file(s) of a
// partition directory in a MemEnv; PartitionLog::Open must either refuse it
// (an error status, never a crash) or recover a log whose every record
// reads back, that takes a new append, and that reopens to the same records
// plus the new one.
//
// Input: byte 0 selects the layout --
//   bit 0 clear: the rest is the whole file 00000000000000000000.log;
//   bit 0 set:   a valid 64-byte header (base 0, 4096-byte file) is
//                written first and the rest follows it (zero padded), so
//                the fuzzer works on frames rather than on the header;
//   bit 1 set:   an empty next segment follows, based at byte 1's value.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "env/mem_env.h"
#include "format/format.h"
#include "format/segment_header.h"
#include "partition/log_reader.h"
#include "partition/partition_log.h"

namespace {

using namespace evlog;

TopicConfig Config() {
  TopicConfig c;
  c.segment_bytes = 4096;
  c.max_record_bytes = 1024;
  c.index_interval_bytes = 256;
  return c;
}

void WriteFile(MemEnv& env, const std::string& path, const std::string& bytes) {
  auto f = env.NewWritableFile(path);
  if (!f.ok()) std::abort();
  if (!(*f)->Append(bytes).ok() || !(*f)->Sync().ok()) std::abort();
}

std::string HeaderedSegment(Offset base, const std::string& body) {
  std::string file(4096, '\0');
  format::EncodeSegmentHeader({base, 1'700'000'000'000, file.size()},
                              file.data());
  size_t n = std::min(body.size(), file.size() - format::kSegmentHeaderSize);
  std::memcpy(file.data() + format::kSegmentHeaderSize, body.data(), n);
  return file;
}

// Reads the whole log; returns the number of records, or -1 on an error.
int64_t ReadAll(const PartitionLog& log, std::string* last_value) {
  LogReader reader(&log, log.start_offset());
  RecordView v;
  int64_t n = 0, prev = -1;
  while (true) {
    auto got = reader.Next(&v, log.end_offset());
    if (!got.ok()) return -1;
    if (!*got) break;
    if (v.offset().value() <= prev) std::abort();  // offsets only increase
    prev = v.offset().value();
    if (last_value) *last_value = v.value() ? std::string(*v.value()) : "";
    ++n;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2 || size > 64 * 1024) return 0;
  FakeClock clock;
  MemEnv env(&clock);
  if (!env.CreateDir("/log").ok()) std::abort();
  const uint8_t mode = data[0];
  std::string body(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::string first = (mode & 1) ? HeaderedSegment(Offset(0), body) : body;
  WriteFile(env, "/log/00000000000000000000.log", first);
  if (mode & 2) {
    Offset next(data[1]);
    WriteFile(env,
              "/log/" + format::SegmentFileName(next, format::kSegmentSuffix),
              HeaderedSegment(next, ""));
  }
  int64_t n = 0;
  {
    auto log = PartitionLog::Open(&env, "/log", Config());
    if (!log.ok()) return 0;  // refused: fine, as long as it did not crash
    n = ReadAll(**log, nullptr);
    if (n < 0) return 0;  // a sealed segment's corruption is reported on read
    Record r;
    r.key = "fuzz";
    r.value = "appended-after-recovery";
    auto appended = (*log)->Append({&r, 1});
    if (!appended.ok()) return 0;
    if (!(*log)->Flush().ok()) return 0;
  }
  auto again = PartitionLog::Open(&env, "/log", Config());
  if (!again.ok()) std::abort();  // a recovered log must reopen
  std::string last;
  int64_t m = ReadAll(**again, &last);
  if (m != n + 1 || last != "appended-after-recovery") std::abort();
  return 0;
}
