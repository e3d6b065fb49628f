#include "observability/latency_recorder.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace evlog {

int LatencyRecorder::BucketFor(int64_t us) {
  if (us <= 1) return 0;
  // Smallest i with us <= 2^i.
  int i = std::bit_width(static_cast<uint64_t>(us - 1));
  return std::min(i, kBounded);
}

void LatencyRecorder::Record(std::chrono::nanoseconds latency) {
  const int64_t ns = std::max<int64_t>(latency.count(), 0);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(ns, std::memory_order_relaxed);
  buckets_[BucketFor((ns + 999) / 1000)].fetch_add(1,
                                                   std::memory_order_relaxed);
  int64_t max = max_ns_.load(std::memory_order_relaxed);
  while (ns > max &&
         !max_ns_.compare_exchange_weak(max, ns, std::memory_order_relaxed)) {
  }
}

LatencyHistogram LatencyRecorder::Snapshot() const {
  LatencyHistogram h;
  h.count = count_.load(std::memory_order_relaxed);
  h.sum_us = sum_ns_.load(std::memory_order_relaxed) / 1000;
  h.max_us = (max_ns_.load(std::memory_order_relaxed) + 999) / 1000;
  h.buckets.resize(kBuckets);
  for (int i = 0; i < kBuckets; ++i) {
    h.buckets[i].upper_bound_us =
        i < kBounded ? int64_t{1} << i : std::numeric_limits<int64_t>::max();
    h.buckets[i].count = buckets_[i].load(std::memory_order_relaxed);
  }
  return h;
}

int64_t LatencyHistogram::Percentile(double q) const {
  int64_t total = 0;
  for (const Bucket& b : buckets) total += b.count;
  if (total == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const int64_t rank =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(q * total)));
  int64_t seen = 0;
  for (const Bucket& b : buckets) {
    seen += b.count;
    if (seen >= rank) return std::min(b.upper_bound_us, max_us);
  }
  return max_us;
}

}  // namespace evlog
