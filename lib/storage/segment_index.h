// storage/segment_index.h: the sparse offset and time index of one segment.
//
// One entry is added at the first batch of the segment and then at the first
// batch after every `index_interval_bytes` of log. An entry holds the batch's
// offset (relative to the segment base), its byte position, and the largest
// record timestamp of the segment up to and including that batch. The
// offset column is the offset index, the running-max column the time index;
// both are sorted, so lookups are binary searches followed by a scan of at
// most `index_interval_bytes` of log.
//
// The index is derived data: it is rebuilt from the segment whenever its file
// is missing or in doubt (see storage/index_file.h).
//
// Thread safety: one writer (the partition's appender) and any number of
// concurrent lock-free readers. The entry array never reallocates; the writer
// fills an entry, then publishes the new count with a release store.

#ifndef EVLOG_STORAGE_SEGMENT_INDEX_H_
#define EVLOG_STORAGE_SEGMENT_INDEX_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace evlog {

struct IndexEntry {
  uint32_t relative_offset;
  uint32_t position;
  int64_t max_timestamp;  // running max through this batch
};

class SegmentIndex {
 public:
  // Room for a segment of `segment_bytes` indexed every `interval_bytes`.
  SegmentIndex(uint64_t segment_bytes, uint32_t interval_bytes);

  // Writer: called for every batch appended in order. Adds an entry when the
  // interval has passed since the last one (or for the first batch).
  void OnBatch(uint32_t relative_offset, uint32_t position,
               int64_t running_max_timestamp, uint32_t batch_bytes);

  // Writer: forget all entries (used before a rebuild).
  void Clear();

  // Writer: replaces the entries with `entries` loaded from an index file;
  // the next batch gets an entry of its own.
  void Restore(const IndexEntry* entries, uint32_t count);

  // Position of the last indexed batch whose offset is <= relative_offset,
  // or `fallback` when there is none.
  uint32_t FloorPosition(uint32_t relative_offset, uint32_t fallback) const;

  // Position from which a scan finds the first record with timestamp >=
  // `ts`: the last indexed batch whose running max is < ts (every record
  // before it is older than ts), or `fallback`.
  uint32_t TimeScanStart(int64_t ts, uint32_t fallback) const;

  uint32_t size() const { return count_.load(std::memory_order_acquire); }
  IndexEntry entry(uint32_t i) const { return entries_[i]; }

 private:
  const uint32_t interval_bytes_;
  const uint32_t capacity_;
  std::unique_ptr<IndexEntry[]> entries_;
  std::atomic<uint32_t> count_{0};
  uint64_t bytes_since_entry_ = 0;  // writer only
};

}  // namespace evlog

#endif  // EVLOG_STORAGE_SEGMENT_INDEX_H_
