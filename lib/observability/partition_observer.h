// observability/partition_observer.h: what one partition log reports --
// counters of its appends, syncs, rolls, deletions and compactions, and the
// events and log lines that go with them.
//
// The store makes one PartitionObserver per partition (StoreObserver::
// AddPartition) and hands it to the PartitionLog before first use
// (PartitionLog::SetObserver). A log without one (tests, tools) reports
// nothing and pays nothing.
//
// Cost on the append path: OnAppend is three relaxed load+store pairs --
// no locked instruction, as the log's appends are serialised and so are
// the only writer of these counters -- on a cache line that stays with the
// appending core; nothing else runs per append. Rolls, syncs and deletions
// additionally build an event and a log line, but only when the store has a
// listener or a logger.
//
// Thread safety: thread-safe.

#ifndef EVLOG_OBSERVABILITY_PARTITION_OBSERVER_H_
#define EVLOG_OBSERVABILITY_PARTITION_OBSERVER_H_

#include <atomic>
#include <chrono>
#include <cstdint>

#include "absl/status/status.h"
#include "evlog/types.h"

namespace evlog {

class StoreObserver;

// Plain totals of one partition's counters (or of several, summed).
struct PartitionCounts {
  int64_t appends = 0;
  int64_t records_appended = 0;
  int64_t bytes_appended = 0;
  int64_t syncs = 0;
  int64_t sync_errors = 0;
  int64_t segments_rolled = 0;
  int64_t rolls_without_spare = 0;
  int64_t segments_prepared = 0;
  int64_t failures = 0;  // 0 or 1: the log went fail-stop
  int64_t segments_deleted = 0;
  int64_t bytes_deleted = 0;
  int64_t compaction_passes = 0;
  int64_t compaction_segments_rewritten = 0;
  int64_t compaction_records_read = 0;
  int64_t compaction_records_removed = 0;
  int64_t compaction_bytes_before = 0;
  int64_t compaction_bytes_after = 0;

  PartitionCounts& operator+=(const PartitionCounts& o);
};

class PartitionObserver {
 public:
  // `store` must outlive this object's reporting calls (the store closes
  // its logs before it goes).
  PartitionObserver(StoreObserver* store, TopicPartition tp, uint64_t topic_id)
      : store_(store), tp_(std::move(tp)), topic_id_(topic_id) {}
  PartitionObserver(const PartitionObserver&) = delete;
  PartitionObserver& operator=(const PartitionObserver&) = delete;

  const TopicPartition& tp() const { return tp_; }
  uint64_t topic_id() const { return topic_id_; }

  // ---- From PartitionLog ----
  // A batch of `records` records, `bytes` encoded bytes, was appended.
  // Requires the log's append lock: appends are the counters' only writer.
  void OnAppend(int64_t records, int64_t bytes) {
    AddSingleWriter(c_.appends, 1);
    AddSingleWriter(c_.records_appended, records);
    AddSingleWriter(c_.bytes_appended, bytes);
  }
  // One msync of segment data took `latency` (failed if !ok).
  void OnSync(std::chrono::nanoseconds latency, bool ok);
  // The active segment based at `closed_base` (`closed_bytes` data bytes)
  // was closed; `new_base` is the new active segment.
  // `from_spare`: the new segment was a spare prepared ahead (else the roll
  // allocated it on the append path).
  void OnRoll(Offset closed_base, uint64_t closed_bytes, Offset new_base,
              bool from_spare);
  // A spare segment was prepared (allocated and prefaulted) ahead of a roll.
  void OnSparePrepared() {
    c_.segments_prepared.fetch_add(1, std::memory_order_relaxed);
  }
  // `segments` oldest segments (`bytes` data bytes) left the log; it now
  // starts at `new_start`.
  void OnSegmentsDeleted(int64_t segments, uint64_t bytes, Offset new_start);
  // The closed segment based at `base` was swapped for its compacted copy.
  void OnSegmentCompacted(Offset base, uint64_t bytes_before,
                          uint64_t bytes_after);
  // The log went fail-stop with `failure` (called once).
  void OnFailed(const absl::Status& failure);

  // ---- From retention and compaction (LogMaintainer) ----
  // One compaction pass finished (CompactionStats). Segment and byte totals
  // are counted by OnSegmentCompacted as each swap commits; this counts the
  // pass and its records and tells the listener.
  void OnCompactionPass(int64_t segments_rewritten, int64_t records_read,
                        int64_t records_removed, int64_t tombstones_removed,
                        uint64_t bytes_before, uint64_t bytes_after);
  // The last retention plan kept `segments` segments that time or size
  // retention would delete, for retention_wait_for_groups (a gauge).
  void SetRetentionHeld(int64_t segments) {
    retention_held_.store(segments, std::memory_order_relaxed);
  }

  // ---- For snapshots ----
  PartitionCounts Counts() const;
  int64_t retention_held() const {
    return retention_held_.load(std::memory_order_relaxed);
  }

 private:
  // An increment without a locked instruction, for counters with one
  // writer at a time; readers still see whole values.
  static void AddSingleWriter(std::atomic<int64_t>& counter, int64_t n) {
    counter.store(counter.load(std::memory_order_relaxed) + n,
                  std::memory_order_relaxed);
  }

  struct Counters {
    std::atomic<int64_t> appends{0};
    std::atomic<int64_t> records_appended{0};
    std::atomic<int64_t> bytes_appended{0};
    std::atomic<int64_t> syncs{0};
    std::atomic<int64_t> sync_errors{0};
    std::atomic<int64_t> segments_rolled{0};
    std::atomic<int64_t> rolls_without_spare{0};
    std::atomic<int64_t> segments_prepared{0};
    std::atomic<int64_t> failures{0};
    std::atomic<int64_t> segments_deleted{0};
    std::atomic<int64_t> bytes_deleted{0};
    std::atomic<int64_t> compaction_passes{0};
    std::atomic<int64_t> compaction_segments_rewritten{0};
    std::atomic<int64_t> compaction_records_read{0};
    std::atomic<int64_t> compaction_records_removed{0};
    std::atomic<int64_t> compaction_bytes_before{0};
    std::atomic<int64_t> compaction_bytes_after{0};
  };

  StoreObserver* const store_;
  const TopicPartition tp_;
  const uint64_t topic_id_;
  alignas(64) Counters c_;  // away from other partitions' counters
  std::atomic<int64_t> retention_held_{0};
};

// Times one msync for PartitionObserver::OnSync; reads no clock without an
// observer.
class SyncTimer {
 public:
  explicit SyncTimer(PartitionObserver* observer)
      : observer_(observer),
        start_(observer ? std::chrono::steady_clock::now()
                        : std::chrono::steady_clock::time_point()) {}
  void Done(bool ok) {
    if (observer_ != nullptr)
      observer_->OnSync(std::chrono::steady_clock::now() - start_, ok);
  }

 private:
  PartitionObserver* const observer_;
  const std::chrono::steady_clock::time_point start_;
};

}  // namespace evlog

#endif  // EVLOG_OBSERVABILITY_PARTITION_OBSERVER_H_
