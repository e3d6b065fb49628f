// storage/segment.h: one segment file of a partition log, memory-mapped.
//
// A segment is a file of `segment_bytes` holding a 64-byte header and then
// frames (one per appended batch) up to `end_position()`. The file has its
// full size from creation but is sparse: disk blocks are reserved one chunk
// (kSegmentChunkBytes) at a time ahead of the write position, so an empty
// segment takes one chunk of disk, and a write never lands in unreserved
// space (which could SIGBUS on a full disk). Past the end of data the bytes
// are zeros, holes, or stale frames of an earlier writer epoch that a power
// loss cut off (FORMAT.md, "Writer epochs"); none of them is ever returned.
// It is mapped whole; appends copy into the mapping and reads return views
// into it. The mapping lives as long as the Segment
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
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "evlog/env.h"
#include "evlog/types.h"
#include "format/batch_codec.h"
#include "storage/segment_index.h"
#include "util/mutex.h"

namespace evlog {

// How a scan of frames ended.
struct ScanResult {
  size_t end_position = 0;  // first byte not part of a valid frame
  Offset next_offset;       // offset after the last valid record
  int64_t frames = 0;
  int64_t records = 0;
  // Stopped at the end of data: zeros, or a stale frame of an older epoch
  // (true), or at a bad frame (false).
  bool clean = true;
  bool stale = false;  // stopped at a stale frame (clean too)
  std::string why;     // for !clean or stale: what was found
};

// Disk space of a segment is reserved in chunks of this size ahead of the
// write position (an empty segment takes one). Not part of the format.
inline constexpr uint64_t kSegmentChunkBytes = 1 << 20;
// What a new segment reserves up front: an empty partition (file plus its
// directory) stays within 1 MiB of disk.
inline constexpr uint64_t kSegmentFirstReserveBytes = 512 << 10;

class Segment {
 public:
  // Creates the file `<dir>/<base>.log` of `file_bytes` bytes (sparse, zeros,
  // its first kSegmentFirstReserveBytes reserved), writes and syncs its
  // header and syncs `dir`. With `durable` false nothing is synced (a new
  // partition's first segment): the caller makes the file and its
  // directory entry durable before any data in it (PartitionLog does at its
  // first sync); until then a crash leaves no file, an empty one or an
  // all-zero header, which recovery removes. kResourceExhausted when the
  // space cannot be reserved (nothing is left behind); kAlreadyExists if the
  // file exists.
  static absl::StatusOr<std::shared_ptr<Segment>> Create(
      Env* env, const std::string& dir, Offset base, uint64_t file_bytes,
      int64_t now_ms, uint32_t index_interval_bytes, bool durable = true);

  // Makes a segment of a file that is already allocated (zeros, its first
  // `reserved` bytes reserved), renamed to `path` and mapped writable (a
  // spare prepared ahead of a roll): writes the header into the mapping
  // WITHOUT syncing it or the directory. The log's
  // next sync covers both (it seals pending segments, which syncs the
  // directory, then msyncs the active segment from byte 0); until then a
  // crash leaves an all-zero header, which recovery removes.
  static std::shared_ptr<Segment> Adopt(std::string path,
                                        std::unique_ptr<MappedRegion> region,
                                        Offset base, int64_t now_ms,
                                        uint32_t index_interval_bytes,
                                        uint64_t reserved);

  // Maps an existing segment file and validates its header (kDataLoss if
  // bad, kFailedPrecondition for a segment of another format version). Does
  // not scan: end_position() is the header end until Scan() or LoadIndex()
  // is called. Nothing counts as reserved until Reserve() says so.
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
  // Bytes from the start of the file whose disk blocks are reserved.
  size_t reserved_end() const {
    return reserved_.load(std::memory_order_acquire);
  }
  // Reserves disk blocks so that [0, end) (clipped to the file) is covered,
  // rounding up to whole chunks. Thread-safe (the appender and the
  // maintenance thread's read-ahead may both call it). kResourceExhausted
  // when the disk is full: nothing is written, and a later call may succeed.
  absl::Status Reserve(Env* env, size_t end);
  // Faults in the reserved pages from the write position on, ahead of the
  // writer (MappedRegion::Prefault); safe while appends run.
  void PrefaultReserved() {
    size_t from = end_position();
    size_t to = reserved_end();
    if (to > from) region_->Prefault(from, to - from);
  }
  // Encodes `records` as one frame at the end of the data and publishes it.
  // The caller checked that `max_frame_size` (format::MaxFrameSize) fits in
  // free_bytes(); this reserves the space first, so kResourceExhausted (disk
  // full) leaves the segment unchanged.
  absl::StatusOr<format::EncodedFrame> Append(
      Env* env, std::span<const Record> records, Offset base, int64_t now_ms,
      const format::FrameOptions& options, size_t max_frame_size);
  // Makes [from, to) durable (msync).
  absl::Status Sync(size_t from, size_t to) {
    return region_->Sync(from, to - from);
  }

  // ---- Recovery (before the segment is shared) ----
  // Validates frames from `from` (a frame boundary, >= header size) whose
  // base offsets must be >= `expected`, publishing each one and indexing it.
  // A frame whose writer epoch is below the previous frame's is stale (left
  // by an earlier incarnation beyond a cut): the scan ends there, clean. A
  // frame whose epoch is above `max_epoch` (the current writer's) cannot
  // have been written by this log and is corrupt.
  // The scan stops (clean) at `limit` if it gets there: a sealed segment's
  // data ends where its index says, whatever stale bytes follow.
  ScanResult Scan(size_t from, Offset expected, uint32_t max_epoch = UINT32_MAX,
                  size_t limit = SIZE_MAX);
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
  // `sealed` says the segment is complete (a roll sealed it); otherwise the
  // file is a checkpoint of the active segment.
  absl::Status WriteIndex(Env* env, bool sealed) const;
  // A checkpoint for the state at a frame boundary `end_position` (<= the
  // published end) whose next offset is `next_offset`: entries at or after
  // it are left out, so appends may go on meanwhile.
  absl::Status WriteIndex(Env* env, size_t end_position,
                          Offset next_offset) const;
  // Loads `<base>.index` if present and consistent with this segment, setting
  // the published state to its last indexed batch (the caller rescans from
  // there); false (and nothing changed) otherwise. `*recorded_end` and
  // `*recorded_next` get the end position and next offset the file records,
  // which the rescan must reach.
  bool LoadIndex(Env* env, size_t* recorded_end, Offset* recorded_next,
                 bool* sealed);

  const SegmentIndex& index() const { return index_; }

 private:
  Segment(std::string path, std::unique_ptr<MappedRegion> region, Offset base,
          int64_t created_ms, uint32_t index_interval_bytes, uint64_t reserved);
  absl::Status WriteIndexFile(Env* env, size_t end_position, Offset next_offset,
                              bool sealed) const;
  // Publishes the frame at end_position() (written or validated).
  void Publish(const format::FrameInfo& frame);

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
  uint32_t last_epoch_ = 0;  // epoch of the last published frame (writer)
  std::atomic<size_t> reserved_;
  Mutex reserve_mu_;  // one ReserveFileRange at a time
};

}  // namespace evlog

#endif  // EVLOG_STORAGE_SEGMENT_H_
