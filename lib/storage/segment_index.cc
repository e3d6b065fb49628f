#include "storage/segment_index.h"

#include <algorithm>

namespace evlog {

SegmentIndex::SegmentIndex(uint64_t segment_bytes, uint32_t interval_bytes)
    : interval_bytes_(std::max<uint32_t>(interval_bytes, 1)),
      capacity_(static_cast<uint32_t>(segment_bytes / interval_bytes_ + 2)),
      entries_(new IndexEntry[capacity_]) {}

void SegmentIndex::OnBatch(uint32_t relative_offset, uint32_t position,
                           int64_t running_max_timestamp,
                           uint32_t batch_bytes) {
  uint32_t n = count_.load(std::memory_order_relaxed);
  if ((n == 0 || bytes_since_entry_ >= interval_bytes_) && n < capacity_) {
    entries_[n] = IndexEntry{relative_offset, position, running_max_timestamp};
    count_.store(n + 1, std::memory_order_release);
    bytes_since_entry_ = 0;
  }
  bytes_since_entry_ += batch_bytes;
}

void SegmentIndex::Clear() {
  count_.store(0, std::memory_order_release);
  bytes_since_entry_ = 0;
}

void SegmentIndex::Restore(const IndexEntry* entries, uint32_t count) {
  count = std::min(count, capacity_);
  std::copy(entries, entries + count, entries_.get());
  count_.store(count, std::memory_order_release);
  bytes_since_entry_ = interval_bytes_;
}

uint32_t SegmentIndex::FloorPosition(uint32_t relative_offset,
                                     uint32_t fallback) const {
  uint32_t n = size();
  const IndexEntry* begin = entries_.get();
  const IndexEntry* it = std::upper_bound(
      begin, begin + n, relative_offset,
      [](uint32_t v, const IndexEntry& e) { return v < e.relative_offset; });
  return it == begin ? fallback : (it - 1)->position;
}

uint32_t SegmentIndex::TimeScanStart(int64_t ts, uint32_t fallback) const {
  uint32_t n = size();
  const IndexEntry* begin = entries_.get();
  // First entry whose running max reaches ts; start from the one before.
  const IndexEntry* it = std::lower_bound(
      begin, begin + n, ts,
      [](const IndexEntry& e, int64_t v) { return e.max_timestamp < v; });
  return it == begin ? fallback : (it - 1)->position;
}

}  // namespace evlog
