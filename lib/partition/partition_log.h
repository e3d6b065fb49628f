// partition/partition_log.h: the log of one partition.
//
// A PartitionLog is a directory of segments named by base offset (see
// storage/segment.h and docs/FORMAT.md). It assigns contiguous offsets from
// 0, appends batches atomically, rolls segments by size and age, makes data
// durable per its Durability policy, recovers on open, and hands out the
// segments that readers (partition/log_reader.h) walk without locks.
//
// Durability protocol (docs/DURABILITY.md):
//   * new segment: allocate file + fsync, write header + msync, fsync dir;
//   * roll: create the next segment and switch to it; the old one joins the
//     "unsealed" list -- no I/O on it under the append lock;
//   * seal (at the next sync, Flush, Tick or Close, whichever comes first):
//     msync the whole old segment, write its index file, fsync the
//     directory. Unsealed segments are always sealed before the active
//     segment is synced, so durable data in a segment implies every earlier
//     segment is durable;
//   * sync: seal what is pending, then msync the active segment's unsynced
//     range;
//   * a failed msync/fsync makes the log fail-stop: every later append and
//     flush returns the same sticky error (no retry: the kernel may have
//     dropped the dirty pages; see PostgreSQL's fsync story).
//
// Recovery on open: sealed segments are trusted through their index file
// (only the bytes after the last index entry are rescanned). A segment with
// no valid index (rolled but not sealed before a crash) is scanned; if it is
// torn, or does not end exactly where the next segment begins, the log is cut
// there and the later segments are removed (they cannot hold durable data,
// by the sealing order above). The last segment is scanned from its index
// checkpoint (or its start) and cut at the first invalid frame; nothing
// beyond the cut is read or zeroed: frames carry the writer epoch, and a
// stale frame of an older epoch ends every later scan (FORMAT.md, "Writer
// epochs"). Cost: the unsealed segments (normally at most one or two) plus
// the active one from its last checkpoint, independent of the log's size and
// of the preallocated bytes.
//
// Disk space: segments are sparse files whose blocks are reserved a chunk
// (storage/segment.h) ahead of the writer; with a spare requester set, the
// maintenance thread reserves and prefaults the next chunk before the
// appender needs it. The active segment's index is checkpointed
// (`<base>.index`, after a sync of the data it describes) every
// kIndexCheckpointBytes of appended data.
//
// Thread safety: thread-safe. Appends are serialised by a per-partition
// mutex; readers never take it.

#ifndef EVLOG_PARTITION_PARTITION_LOG_H_
#define EVLOG_PARTITION_PARTITION_LOG_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "evlog/env.h"
#include "evlog/options.h"
#include "evlog/record.h"
#include "evlog/types.h"
#include "observability/partition_observer.h"
#include "storage/segment.h"
#include "util/mutex.h"
#include "util/waiter.h"

namespace evlog {

// Bytes appended to the active segment between two checkpoints of its index
// file: what recovery after a crash rescans at most. Not part of the format.
inline constexpr size_t kIndexCheckpointBytes = 4 << 20;

// What recovery found and did when a log was opened.
struct RecoveryReport {
  int64_t segments = 0;          // segments in the log after recovery
  int64_t segments_scanned = 0;  // segments whose frames were validated
  int64_t bytes_scanned = 0;
  // Bytes of the invalid frame the tail was cut at (its claimed size, up to
  // the end of the file); the bytes after it are left as they are.
  int64_t bytes_truncated = 0;
  int64_t segments_removed = 0;  // empty or headerless tail segments removed
  std::string detail;            // why the tail was cut, if it was
};

// Where a batch landed.
struct AppendResult {
  Offset base_offset;        // offset of the first record
  Offset last_offset;        // offset of the last record
  int64_t timestamp_ms = 0;  // max record timestamp of the batch
};

class PartitionLog {
 public:
  // Opens (creating if needed) the log in `dir`, which must exist. `config`
  // must be valid (TopicConfig::Validate). `read_only` maps segments
  // read-only, skips repair (nothing is written) and refuses appends.
  // Errors: kDataLoss for a corrupt sealed segment, a segment whose valid
  // data ends before what its index file recorded, overlapping segments, or
  // an unreadable segment header that is not the all-zero header of an
  // interrupted roll; I/O errors from the Env. Gaps between segments are
  // allowed (compaction leaves them).
  //
  // `defer_create_sync`: a log with no segment yet (a new partition)
  // creates its first one without any sync, and the caller makes the
  // directory durable (Env::SyncTree) before the log is used: creating a
  // topic of many partitions then costs one flush, not one per partition.
  //
  // `writer_epoch` is the epoch this incarnation writes into its frames
  // (storage/epoch_file.h); it must be above every epoch the log was ever
  // written with, and durable before the first append. A store passes its
  // own; 0 makes the log bump `<dir>/EPOCH` itself (unless read-only).
  static absl::StatusOr<std::unique_ptr<PartitionLog>> Open(
      Env* env, std::string dir, const TopicConfig& config,
      RecoveryReport* report = nullptr, bool read_only = false,
      uint32_t writer_epoch = 0, bool defer_create_sync = false);

  ~PartitionLog();  // Close()s; errors are dropped (call Close to see them).

  // Appends `records` (non-empty) as one atomic batch. With `expected_end`,
  // appends only if end_offset() equals it, else kAborted whose
  // message carries the actual end offset ("expected offset N, log end M").
  // Errors: kInvalidArgument (empty batch), kResourceExhausted (a record
  // larger than max_record_bytes, a batch larger than a segment, or no disk
  // space for a new segment; the log stays usable), kFailedPrecondition
  // (closed, read-only, or failed earlier: the sticky error).
  absl::StatusOr<AppendResult> Append(
      std::span<const Record> records,
      std::optional<Offset> expected_end = std::nullopt);

  // Makes every record appended so far durable.
  absl::Status Flush();

  // Durability work due by time: syncs for Durability::kInterval when
  // flush_ms has passed, and rolls the active segment when it is older than
  // segment_ms. Called by the store's maintenance thread (or tests).
  absl::Status Tick();

  // Flushes, writes index files and unmaps what no reader holds. Later
  // appends fail with kFailedPrecondition. Idempotent.
  absl::Status Close();

  Offset start_offset() const {
    return Offset(start_.load(std::memory_order_acquire));
  }
  // Offset the next record will get; every record below it is readable.
  Offset end_offset() const {
    return Offset(end_.load(std::memory_order_acquire));
  }
  // Every record below this offset has been synced to disk.
  Offset durable_end_offset() const {
    return Offset(durable_end_.load(std::memory_order_acquire));
  }
  // The sticky error after a failed sync, else OK.
  absl::Status health() const;
  const std::string& dir() const { return dir_; }
  // A copy: UpdateConfig may replace it at any time.
  TopicConfig config() const {
    MutexLock l(&append_mu_);
    return config_;
  }
  // Replaces the config (Store::AlterTopicConfig): appends, rolls, syncs and
  // maintenance use the new values from their next decision on; a new
  // segment_bytes or index_interval_bytes applies from the next segment
  // (a spare already prepared keeps the old size). kInvalidArgument if it
  // does not validate.
  absl::Status UpdateConfig(const TopicConfig& config);

  // ---- For readers (any thread) ----
  // The segment holding `offset` (the last one whose base <= offset), or the
  // first segment if offset is below it. Never null.
  std::shared_ptr<Segment> SegmentFor(Offset offset) const;
  // The segment after the one based at `base`, or null if it is the last.
  std::shared_ptr<Segment> SegmentAfter(Offset base) const;
  // A snapshot of all segments in order.
  std::vector<std::shared_ptr<Segment>> Segments() const;
  // Earliest offset whose timestamp >= ts, or end_offset() if none.
  absl::StatusOr<Offset> OffsetForTimestamp(int64_t ts) const;

  // Readers that want to sleep until data arrives register a Waiter (it
  // must stay alive until removed). To sleep, a reader reads its waiter's
  // epoch, calls StartWaiting(), looks for data once more, sleeps on the
  // waiter if there is none, and calls StopWaiting() when it wakes. Appends
  // and advances of durable_end_offset() notify the registered waiters only
  // while some reader is between StartWaiting and StopWaiting, so an append
  // nobody sleeps for costs one uncontended atomic read-modify-write.
  void AddWaiter(Waiter* w);
  void RemoveWaiter(Waiter* w);
  void StartWaiting();
  void StopWaiting() { sleepers_.fetch_sub(1, std::memory_order_relaxed); }

  // ---- Following a live writer (read-only logs) ----
  // Picks up what the process owning this directory appended since open or
  // the last Refresh: complete frames after the known end, new segment files
  // (a roll), and segments its retention removed. A frame the writer is still
  // copying is left for the next call. Notifies waiters when the end moved.
  // A no-op for a writable log (it is always current). Serialised
  // internally; readers may run concurrently.
  absl::Status Refresh();

  // ---- Spare segments ----
  // A roll normally allocates, syncs and maps the next segment on the append
  // path, and the appender then takes a page fault (and the kernel zeroes a
  // page) every 4 KiB. With a requester set, the log calls `request`
  // (outside its locks, at most once until PrepareSpare runs) and expects
  // PrepareSpare() to run soon on another thread (the store's maintenance
  // thread): on the first append to a segment that was not prefaulted
  // (the first one of a log, or one created by a roll that found no spare),
  // right after a roll for size (a log that fills segments needs the next
  // one soon), and when the active segment is half full. The roll then only
  // renames the spare and writes its header. Set once, before the first
  // append.
  void SetSpareRequester(std::function<void()> request) {
    spare_requester_ = std::move(request);
  }
  // Prefaults the active segment if it was not prefaulted, then allocates
  // `spare.log.tmp` (segment_bytes), maps it and prefaults its pages, unless
  // a spare exists. Thread-safe. A spare left by a crash is a .tmp file,
  // removed at the next open.
  absl::Status PrepareSpare();

  // ---- Observability ----
  // Counters, events and log lines of this log go to `observer`
  // (observability/partition_observer.h), which the log keeps alive. Set
  // once, before the first append; without one the log reports nothing.
  void SetObserver(std::shared_ptr<PartitionObserver> observer) {
    observer_ = std::move(observer);
  }
  // Null if none was set. For retention and compaction, which report their
  // passes through it.
  PartitionObserver* observer() const { return observer_.get(); }

  // ---- For retention and compaction ----
  // Removes segments entirely below `offset` (never the active one) and
  // advances start_offset(); readers holding them keep their mappings.
  // Returns the number of segments removed.
  absl::StatusOr<int> DeleteSegmentsBefore(Offset offset);

  // Where a compacted copy of the closed segment based at `base` is built:
  // "<dir>/<base>.log.cleaned". Such files are never read; the next open
  // removes leftovers.
  std::string CleanedSegmentPath(Offset base) const;

  // Swaps the closed segment based at `base` for the file the caller wrote
  // and synced at CleanedSegmentPath(base): a complete segment with the same
  // base whose records are a subset of the old one's, at the same offsets,
  // ending with the old segment's last record (so that it reaches the next
  // segment, which recovery checks). Crash-safe protocol (docs/RETENTION.md):
  //   1. seal rolled segments (so no later seal rewrites this index);
  //   2. remove <base>.index, fsync dir (no stale index for the new file);
  //   3. rename .cleaned over <base>.log, fsync dir -- the commit point:
  //      a crash before it leaves the old segment, after it the new one;
  //   4. map and scan the new file, write its index, fsync dir;
  //   5. swap the Segment in the list (a short segments_mu_ section).
  // Appends and readers are not blocked beyond step 5; readers holding the
  // old Segment keep reading its mapping. Serialised with
  // DeleteSegmentsBefore. Errors: kNotFound (no closed segment has that
  // base: deleted meanwhile), kFailedPrecondition (closed, read-only or
  // failed); an I/O error after step 2 makes the log fail-stop. Before the
  // commit point the .cleaned file is removed on error.
  absl::Status ReplaceSegment(Offset base);

 private:
  PartitionLog(Env* env, std::string dir, const TopicConfig& config,
               bool read_only, uint32_t writer_epoch);
  // Writes the active segment's index for its state at `synced` (a frame
  // boundary up to which `seg` is durable, next offset `synced_next`) if
  // kIndexCheckpointBytes were appended since the last checkpoint. Requires
  // sync_mu_.
  void CheckpointLocked(const std::shared_ptr<Segment>& seg, size_t synced,
                        Offset synced_next)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_);
  absl::Status Recover(RecoveryReport* report);
  // Base offsets of the segment files in dir_, sorted; optionally removes
  // leftovers of interrupted operations (*.tmp, *.cleaned).
  absl::StatusOr<std::vector<Offset>> ListSegments(bool remove_leftovers);
  // Seals the active segment and starts a new one. Requires append_mu_.
  absl::Status RollLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_);
  // Makes everything below `target` durable (group commit).
  absl::Status SyncTo(Offset target);
  // Seals the segments rolled since the last seal. Requires sync_mu_.
  absl::Status SealPendingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_);
  absl::Status Fail(absl::Status s);
  // PrepareSpare's allocation of the next segment. Requires spare_mu_.
  absl::Status PrepareNextSegment() ABSL_EXCLUSIVE_LOCKS_REQUIRED(spare_mu_);
  void NotifyWaiters();

  Env* const env_;
  const std::string dir_;
  // Written by UpdateConfig under append_mu_; read under append_mu_ on the
  // append path and through config() elsewhere. TODO(storage rewrite): the
  // size checks at the top of Append, Tick and PrepareNextSegment read it
  // without append_mu_.
  TopicConfig config_;
  const bool read_only_;
  uint32_t epoch_;  // set before the log is shared; 0 when read-only
  bool defer_create_sync_ = false;      // set before Recover
  format::FrameOptions frame_options_;  // from config_ and epoch_

  std::atomic<int64_t> start_{0};
  std::atomic<int64_t> end_{0};
  std::atomic<int64_t> durable_end_{0};
  std::atomic<bool> failed_{false};
  std::atomic<bool> closed_{false};

  mutable Mutex append_mu_;  // serialises appends, rolls and closes
  std::shared_ptr<Segment> active_ ABSL_GUARDED_BY(append_mu_);
  int64_t unsynced_records_ ABSL_GUARDED_BY(append_mu_) = 0;
  int64_t oldest_unsynced_ms_ ABSL_GUARDED_BY(append_mu_) = -1;
  struct Spare {
    std::string path;
    std::unique_ptr<MappedRegion> region;
    uint64_t reserved = 0;  // bytes reserved (and prefaulted) from the start
  };
  std::unique_ptr<Spare> spare_ ABSL_GUARDED_BY(append_mu_);
  bool spare_requested_ ABSL_GUARDED_BY(append_mu_) = false;
  bool active_cold_ ABSL_GUARDED_BY(append_mu_) = true;  // not prefaulted
  std::function<void()> spare_requester_;
  std::shared_ptr<PartitionObserver> observer_;  // set before use; may be null
  Mutex spare_mu_;  // one PrepareSpare at a time; taken before append_mu_
  // Rolled segments not yet sealed (synced + indexed), oldest first.
  std::vector<std::shared_ptr<Segment>> unsealed_ ABSL_GUARDED_BY(append_mu_);

  Mutex sync_mu_;  // one sync at a time; taken before append_mu_
  Offset synced_base_
      ABSL_GUARDED_BY(sync_mu_);  // segment synced_position_ is in
  size_t synced_position_ ABSL_GUARDED_BY(sync_mu_) = 0;
  // End position of the last index checkpoint of segment checkpoint_base_.
  Offset checkpoint_base_ ABSL_GUARDED_BY(sync_mu_);
  size_t checkpoint_position_ ABSL_GUARDED_BY(sync_mu_) = 0;

  mutable Mutex segments_mu_;  // guards the list; leaf lock
  std::vector<std::shared_ptr<Segment>> segments_ ABSL_GUARDED_BY(segments_mu_);

  mutable Mutex status_mu_;
  absl::Status failure_ ABSL_GUARDED_BY(status_mu_);

  Mutex waiters_mu_;
  std::vector<Waiter*> waiters_ ABSL_GUARDED_BY(waiters_mu_);
  std::atomic<int> sleepers_{
      0};  // readers between StartWaiting and StopWaiting

  // Serialises segment removal and replacement (retention, compaction);
  // taken before every other lock.
  Mutex cleanup_mu_;
};

}  // namespace evlog

#endif  // EVLOG_PARTITION_PARTITION_LOG_H_
