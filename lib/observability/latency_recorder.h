// observability/latency_recorder.h: a lock-free latency histogram with fixed
// power-of-two buckets, recorded from any thread.
//
// Recording is a handful of relaxed atomic increments (no lock, no
// allocation), so it can sit next to an msync on any partition. A
// snapshot read while others record may mix the state of a few concurrent
// recordings (count, sum and buckets are read one by one); each field is
// exact on its own.
//
// Thread safety: thread-safe.

#ifndef EVLOG_OBSERVABILITY_LATENCY_RECORDER_H_
#define EVLOG_OBSERVABILITY_LATENCY_RECORDER_H_

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "evlog/observability.h"

namespace evlog {

class LatencyRecorder {
 public:
  // Bucket i (0 <= i < kBounded) holds latencies <= 2^i us (and above the
  // previous bound); the last bucket holds everything longer.
  static constexpr int kBounded = 26;  // up to 2^25 us ~ 33.5 s
  static constexpr int kBuckets = kBounded + 1;

  void Record(std::chrono::nanoseconds latency);
  LatencyHistogram Snapshot() const;

  // The bucket a latency of `us` microseconds falls in.
  static int BucketFor(int64_t us);

 private:
  std::atomic<int64_t> count_{0};
  std::atomic<int64_t> sum_ns_{0};
  std::atomic<int64_t> max_ns_{0};
  std::array<std::atomic<int64_t>, kBuckets> buckets_{};
};

}  // namespace evlog

#endif  // EVLOG_OBSERVABILITY_LATENCY_RECORDER_H_
