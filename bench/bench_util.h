// bench/bench_util.h: what every evlog benchmark shares.
//
// * ScratchDir: a directory under $TMPDIR (default /tmp) made with mkdtemp
//   and removed, with everything in it, when the object goes away. Data is
//   put on a real file system on purpose: page faults, fallocate and msync
//   are part of what is measured.
// * EncodeKey: the 16-byte key of record `seq`, big-endian so that byte order
//   is sequence order (LMDB's MDB_APPEND needs ascending keys; evlog does not
//   care, and gets the same bytes so that both copy the same data).
// * MakeValue: a value of the requested size with non-trivial bytes.
// * SetThroughput: items/s and bytes/s (key + value bytes, no framing), so
//   that every scenario is compared on the same unit.
//
// Thread safety: none needed; benchmarks here are single-threaded.

#ifndef EVLOG_BENCH_BENCH_UTIL_H_
#define EVLOG_BENCH_BENCH_UTIL_H_

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace evlog::bench {

inline constexpr size_t kKeySize = 16;
// Records per Append / per LMDB transaction in the batched scenarios.
inline constexpr int kBatchRecords = 1000;

class ScratchDir {
 public:
  // `tag` becomes part of the name, e.g. /tmp/evlog_bench_log.Ab12Cd.
  explicit ScratchDir(std::string_view tag) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") +
                          "/evlog_bench_" + std::string(tag) + ".XXXXXX";
    if (::mkdtemp(pattern.data()) != nullptr) path_ = std::move(pattern);
  }
  ~ScratchDir() {
    if (path_.empty()) return;
    std::error_code ec;  // best effort: a leftover dir is not a failure
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void EncodeKey(uint64_t seq, char* dst) {
  uint64_t hi = 0;
  uint64_t lo = __builtin_bswap64(seq);
  std::memcpy(dst, &hi, 8);
  std::memcpy(dst + 8, &lo, 8);
}

inline std::string MakeValue(size_t size) {
  std::string v(size, '\0');
  uint32_t x = 2463534242u;  // xorshift32: cheap, deterministic, not constant
  for (char& c : v) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>('a' + x % 26);
  }
  return v;
}

inline void SetThroughput(benchmark::State& state, int64_t records,
                          size_t value_size) {
  state.SetItemsProcessed(records);
  state.SetBytesProcessed(records *
                          static_cast<int64_t>(kKeySize + value_size));
}

}  // namespace evlog::bench

#endif  // EVLOG_BENCH_BENCH_UTIL_H_
