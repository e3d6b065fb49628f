// storage/segment.h: one segment file of a partition log, memory-mapped.
//
// A segment is a file preallocated to `segment_bytes` holding a 64-byte
// header and then frames (one per appended batch) up to `end_position()`;
// the rest is zeros. It is mapped whole; appends copy into the mapping and
// reads return views into it. The mapping lives as long as the Segment
// object, which is shared (std::shared_ptr) by the log and by every reader
// or poll result holding views into it: removing the file (retention,
// compaction, topic deletion) never unmaps memory a reader still uses.
//
// Thread safety: one writer (the partition's appender, serialised by the
// log) and any number of concurrent readers. The writer copies a frame into
// free space, then publishes it with a release store of the end position;
// readers load the end position with acquire and only read below it.

#ifndef EVLOG_STORAGE_SEGMENT_H_
#define EVLOG_STORAGE_SEGMENT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "evlog/env.h"
#include "evlog/types.h"
#include "format/batch_codec.h"
#include "storage/segment_index.h"

namespace evlog {

// How a scan of frames ended.
struct ScanResult {
  size_t end_position = 0;  // first byte not part of a valid frame
  Offset next_offset;       // offset after the last valid record
  int64_t frames = 0;
  int64_t records = 0;
  bool clean = true;  // stopped at zeros (true) or at a bad frame
  std::string why;    // for !clean: what was wrong
};

class Segment {
 public:
  // Creates the file `<dir>/<base>.log` of `file_bytes` bytes (preallocated,
  // zeros), writes and syncs its header and syncs `dir`. kResourceExhausted
  // when the space cannot be reserved (nothing is left behind);
  // kAlreadyExists if the file exists.
  static absl::StatusOr<std::shared_ptr<Segment>> Create(
      Env* env, const std::string& dir, Offset base, uint64_t file_bytes,
      int64_t now_ms, uint32_t index_interval_bytes);

  // Makes a segment of a file that is already allocated (zeros), renamed to
  // `path` and mapped writable (a spare prepared ahead of a roll): writes the
  // header into the mapping WITHOUT syncing it or the directory. The log's
  // next sync covers both (it seals pending segments, which syncs the
  // directory, then msyncs the active segment from byte 0); until then a
  // crash leaves an all-zero header, which recovery removes.
  static std::shared_ptr<Segment> Adopt(std::string path,
                                        std::unique_ptr<MappedRegion> region,
                                        Offset base, int64_t now_ms,
                                        uint32_t index_interval_bytes);

  // Maps an existing segment file and validates its header (kDataLoss if
  // bad). Does not scan: end_position() is the header end until Recover()
  // or LoadIndex() is called.
  static absl::StatusOr<std::shared_ptr<Segment>> Open(
      Env* env, const std::string& path, bool writable,
      uint32_t index_interval_bytes);

  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  const std::string& path() const { return path_; }
  std::string index_path() const;
  Offset base_offset() const { return base_; }
  int64_t created_ms() const { return created_ms_; }
  uint64_t capacity() const { return region_->size(); }
  const char* data() const { return region_->data(); }

  // Published state (acquire loads).
  size_t end_position() const { return end_.load(std::memory_order_acquire); }
  Offset next_offset() const {
    return Offset(next_.load(std::memory_order_acquire));
  }
  int64_t max_timestamp() const {
    return max_ts_.load(std::memory_order_acquire);
  }
  // Frames in [verified_begin, verified_end) are known valid: written by this
  // process or validated by recovery or by an earlier reader. Readers skip
  // the checksum and structure checks there. Both ends are frame boundaries.
  bool IsVerified(size_t pos) const {
    return pos >= verified_begin_.load(std::memory_order_acquire) &&
           pos < verified_end_.load(std::memory_order_acquire);
  }
  // Extends the verified range by the frame [from, to) if it is adjacent.
  void MarkVerified(size_t from, size_t to) {
    if (!verified_end_.compare_exchange_strong(from, to,
                                               std::memory_order_acq_rel)) {
      verified_begin_.compare_exchange_strong(to, from,
                                              std::memory_order_acq_rel);
    }
  }
  // Bytes of log data (frames), excluding the header.
  uint64_t data_bytes() const;
  bool empty() const;

  // ---- Writer side (externally serialised) ----
  size_t free_bytes() const { return capacity() - end_position(); }
  char* write_pointer() { return region_->data() + end_position(); }
  // Faults in the mapping's pages from the write position on, ahead of the
  // writer (MappedRegion::Prefault); safe while appends run.
  void PrefaultUnwritten() {
    size_t from = end_position();
    region_->Prefault(from, capacity() - from);
  }
  // Publishes the frame just written at write_pointer().
  void Publish(const format::FrameInfo& frame);
  // Makes [from, to) durable (msync).
  absl::Status Sync(size_t from, size_t to) {
    return region_->Sync(from, to - from);
  }

  // ---- Recovery (before the segment is shared) ----
  // Validates frames from `from` (a frame boundary, >= header size) whose
  // base offsets must be >= `expected`, publishing each one and indexing it.
  ScanResult Scan(size_t from, Offset expected);
  // True if every byte from `from` to the end of the file is zero.
  bool IsZeroFrom(size_t from) const;
  // Zeroes every non-zero byte from `from` to the end and syncs them, so that
  // stale frames beyond a truncation point can never be read as valid later.
  // Returns the size of the range that had to be zeroed.
  absl::StatusOr<size_t> ZeroFrom(size_t from);
  // Forgets the published state and index (before a rescan from the start).
  void ResetToHeader();

  // ---- Lookup (any thread) ----
  // A frame boundary at or before the batch holding `offset`.
  size_t PositionForOffset(Offset offset) const;
  // A frame boundary at or before the first record with timestamp >= ts.
  size_t PositionForTime(int64_t ts) const;

  // ---- Persisted index (see storage/index_file.h) ----
  // Writes `<base>.index` for the published state (tmp, sync, rename). Call
  // only after the data it describes is synced.
  absl::Status WriteIndex(Env* env) const;
  // Loads `<base>.index` if present and consistent with this segment, setting
  // the published state to its last indexed batch (the caller rescans from
  // there); false (and nothing changed) otherwise. `*recorded_end` and
  // `*recorded_next` get the end position and next offset the file records,
  // which the rescan must reach.
  bool LoadIndex(Env* env, size_t* recorded_end, Offset* recorded_next);

  const SegmentIndex& index() const { return index_; }

 private:
  Segment(std::string path, std::unique_ptr<MappedRegion> region, Offset base,
          int64_t created_ms, uint32_t index_interval_bytes);

  const std::string path_;
  const std::unique_ptr<MappedRegion> region_;
  const Offset base_;
  const int64_t created_ms_;
  SegmentIndex index_;
  std::atomic<size_t> end_;
  std::atomic<size_t> verified_begin_;
  std::atomic<size_t> verified_end_;
  std::atomic<int64_t> next_;
  std::atomic<int64_t> max_ts_;
};

}  // namespace evlog

#endif  // EVLOG_STORAGE_SEGMENT_H_
