// evlog/observability.h: what a store tells its operator -- a metrics
// snapshot, log lines and events.
//
// Three independent hooks, all off by default and free when off:
//
//   * `Store::Metrics()` returns a `MetricsSnapshot`: per partition its
//     records, bytes, segments and offsets (the same numbers as
//     DescribeTopic) plus what this process did to it; per group its lag;
//     and store-wide counters of appends, syncs (with a latency histogram),
//     recoveries, truncations, retention and compaction work.
//   * `StoreOptions::logger` receives log lines (level, component, message).
//     Without one nothing is formatted and nothing is printed.
//   * `StoreOptions::event_listener` is told of segment rolls and deletions,
//     compactions, corruption found, rebalances and background errors.
//
//   struct Alerts : evlog::EventListener {
//     void OnCorruptionFound(const evlog::CorruptionInfo& info) override {
//       page_oncall(fmt::format("{}: {}", info.tp, info.detail));
//     }
//   } alerts;
//   evlog::StoreOptions options;
//   options.event_listener = &alerts;
//   options.logger = [](evlog::LogLevel level, std::string_view component,
//                       std::string_view message) {
//     if (level >= evlog::LogLevel::kInfo) std::clog << component << ": " <<
//     message << '\n';
//   };
//   auto store = evlog::Store::Open(dir, options);
//   ...
//   evlog::MetricsSnapshot m = (*store)->Metrics();
//   // m.counters.appends, m.sync_latency.Percentile(0.99), m.groups[0].lag
//
// Counters count since the store was opened (in this process); they are not
// persisted. `evlog/fmt.h` formats the value types for log messages.
//
// Callbacks (logger and listener): called on the thread that did the work --
// an appender (segment roll), a syncing thread, the maintenance thread
// (retention, compaction, background errors), a consumer (rebalance) or the
// opener (recovery) -- possibly while evlog holds internal locks of that
// partition or group. They must be thread-safe, return quickly and must NOT
// call back into the Store, its producers or consumers (that may deadlock);
// hand work to another thread instead. References passed to them are valid
// only during the call.
//
// Thread safety: the types here are plain values; EventListener
// implementations must be thread-safe (see above).

#ifndef EVLOG_OBSERVABILITY_H_
#define EVLOG_OBSERVABILITY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "evlog/types.h"

namespace evlog {

// ---------------------------------------------------------------------------
// Logging
// ---------------------------------------------------------------------------

// Severity of a log line, in increasing order.
enum class LogLevel {
  kDebug,    // routine per-segment work: rolls, seals
  kInfo,     // recovery results, retention, compaction, rebalances
  kWarning,  // data cut by recovery, failed background preparations
  kError,    // a partition failed (fail-stop) or a maintenance round failed
};

// "DEBUG", "INFO", "WARNING" or "ERROR".
std::string_view ToString(LogLevel level);

// Receives evlog's log lines. `component` names the layer ("recovery",
// "partition", "retention", "compaction", "group", "store"); `message` is
// one line without a trailing newline and usually starts with the
// topic-partition it concerns. See the callback rules in the file comment.
using Logger = std::function<void(LogLevel level, std::string_view component,
                                  std::string_view message)>;

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

// The active segment was closed and a new one started (full, or older than
// segment_ms).
struct SegmentRollInfo {
  TopicPartition tp{};
  Offset closed_base_offset{};  // base offset of the segment just closed
  uint64_t closed_bytes = 0;    // its data bytes
  Offset new_base_offset{};     // base offset of the new active segment
};

// Retention removed the oldest segments of a partition.
struct SegmentsDeletedInfo {
  TopicPartition tp{};
  int64_t segments = 0;
  uint64_t bytes = 0;         // data bytes of the removed segments
  Offset new_start_offset{};  // the log start offset afterwards
};

// A compaction pass over a partition's closed segments finished.
struct CompactionInfo {
  TopicPartition tp{};
  int64_t segments_rewritten = 0;
  int64_t records_read = 0;
  int64_t records_removed = 0;  // superseded records and expired tombstones
  int64_t tombstones_removed = 0;
  uint64_t bytes_before = 0;  // data bytes of the rewritten segments
  uint64_t bytes_after = 0;
};

// Opening a partition found invalid data: either recovery cut a torn or
// corrupt tail (expected after a crash or power loss with unsynced data;
// the store opens normally), or the open failed with kDataLoss (corruption
// of data that was durable; the store does not open).
struct CorruptionInfo {
  TopicPartition tp{};
  int64_t bytes_truncated =
      0;  // bytes cut from the tail (0 if the open failed)
  int64_t segments_removed = 0;  // tail segments removed with the cut
  bool open_failed = false;      // true: kDataLoss, nothing was repaired
  std::string detail{};          // file, position and reason
};

// A consumer group rebalanced: a member joined, left, was evicted or changed
// its subscription, or a subscribed topic changed.
struct RebalanceInfo {
  std::string group_id{};
  int64_t generation = 0;  // the new generation
  int64_t members = 0;     // members after the change (0: the group is empty)
};

// Work nobody was waiting for failed: a sync that makes a partition
// fail-stop (every later append fails with the same error), or a round of
// the store's maintenance thread (interval syncs, age rolls, retention,
// compaction). Reported once per distinct failure.
struct BackgroundErrorInfo {
  std::string component{};  // "partition" or "maintenance"
  TopicPartition tp{};      // the partition; empty topic for a whole round
  absl::Status status{};
};

// Told of what a store does in the background. Every method has a no-op
// default: override only what you need. Not owned by the store; must
// outlive it. See the callback rules in the file comment.
class EventListener {
 public:
  virtual ~EventListener() = default;
  virtual void OnSegmentRolled(const SegmentRollInfo& /*info*/) {}
  virtual void OnSegmentsDeleted(const SegmentsDeletedInfo& /*info*/) {}
  virtual void OnCompaction(const CompactionInfo& /*info*/) {}
  virtual void OnCorruptionFound(const CorruptionInfo& /*info*/) {}
  virtual void OnRebalance(const RebalanceInfo& /*info*/) {}
  virtual void OnBackgroundError(const BackgroundErrorInfo& /*info*/) {}
};

// ---------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------

// A latency distribution in fixed buckets with power-of-two upper bounds in
// microseconds (1, 2, 4, ... 2^25 us ~ 33.5 s, then one open-ended bucket).
// Percentiles are therefore accurate to a factor of two: enough to tell a
// page-cache msync (us) from a disk flush (ms) from a stalled disk (s).
struct LatencyHistogram {
  struct Bucket {
    int64_t upper_bound_us = 0;  // inclusive; INT64_MAX for the last bucket
    int64_t count = 0;
  };
  int64_t count = 0;
  int64_t sum_us = 0;
  int64_t max_us = 0;
  std::vector<Bucket> buckets{};  // every bucket, in increasing bounds

  double MeanUs() const {
    return count == 0 ? 0.0 : static_cast<double>(sum_us) / count;
  }
  // Upper bound of the bucket holding the q-quantile (q in [0, 1]), capped
  // at max_us; 0 when empty.
  int64_t Percentile(double q) const;
};

// Counters since the store was opened, store-wide (deleted topics
// included). "Syncs" are msyncs of segment data: the sync of the active
// segment's unsynced range (Flush, kEveryAppend, kInterval) and the seal of
// each rolled segment.
struct StoreCounters {
  int64_t appends = 0;  // batches appended
  int64_t records_appended = 0;
  int64_t bytes_appended = 0;  // encoded frame bytes written to the log
  int64_t syncs = 0;
  int64_t sync_errors = 0;  // failed msyncs (each makes its partition fail)
  int64_t segments_rolled = 0;
  // Rolls that had to allocate the next segment on the append path (no
  // spare was ready: the maintenance thread is off or fell behind), and
  // spare segments the maintenance thread prepared ahead of a roll.
  int64_t rolls_without_spare = 0;
  int64_t segments_prepared = 0;
  int64_t partitions_failed = 0;  // partitions that went fail-stop

  // Recovery, at open (and when partitions are created).
  int64_t recoveries = 0;  // partitions opened with existing data
  int64_t recovery_bytes_scanned = 0;
  int64_t recovery_truncations = 0;  // recoveries that cut a tail
  int64_t recovery_bytes_truncated = 0;
  int64_t recovery_segments_removed = 0;  // tail or interrupted-roll segments

  // Retention (delete policy).
  int64_t retention_segments_deleted = 0;
  int64_t retention_bytes_deleted = 0;

  // Compaction.
  int64_t compaction_passes = 0;
  int64_t compaction_segments_rewritten = 0;
  int64_t compaction_records_read = 0;
  int64_t compaction_records_removed = 0;
  int64_t compaction_bytes_before = 0;  // of the rewritten segments
  int64_t compaction_bytes_after = 0;

  // Groups and the maintenance thread.
  int64_t rebalances = 0;
  int64_t maintenance_errors = 0;  // failed maintenance rounds
};

// One partition: its state now (the numbers DescribeTopic gives) and what
// this process did to it since it was opened.
struct PartitionMetrics {
  TopicPartition tp{};
  Offset start_offset{};
  Offset end_offset{};
  Offset durable_end_offset{};
  int64_t records = 0;  // end_offset - start_offset (compaction gaps included)
  uint64_t bytes = 0;   // log bytes (segment data, not preallocation)
  int64_t segments = 0;
  // Timestamp of the first record in the log and largest timestamp; -1 if
  // the partition is empty.
  int64_t oldest_timestamp_ms = -1;
  int64_t newest_timestamp_ms = -1;
  // Since open:
  int64_t appends = 0;
  int64_t records_appended = 0;
  int64_t bytes_appended = 0;
  int64_t syncs = 0;
  int64_t segments_rolled = 0;
  int64_t rolls_without_spare = 0;  // as in StoreCounters
  int64_t segments_prepared = 0;
  int64_t segments_deleted = 0;  // by retention
  // Segments that time or size retention would delete but that are kept
  // for retention_wait_for_groups, as of the last maintenance round.
  int64_t retention_held_segments = 0;
  bool failed = false;  // fail-stop after an I/O error
};

// One consumer group (Store::DescribeGroup, summed).
struct GroupMetrics {
  std::string group_id{};
  std::string state{};  // "Empty", "Stable" or "Rebalancing"
  int64_t generation = 0;
  int64_t members = 0;
  int64_t partitions = 0;  // with a committed offset or an owner
  // Sum of end_offset - committed over the partitions with a commit.
  int64_t lag = 0;
  // Partitions owned by a member but with nothing committed (their lag is
  // unknown and not in `lag`).
  int64_t partitions_without_commit = 0;
};

// What Store::Metrics() returns. Partitions sorted by topic then partition;
// groups sorted by id.
struct MetricsSnapshot {
  int64_t time_ms = 0;  // the store Env's clock when taken
  StoreCounters counters{};
  LatencyHistogram sync_latency{};  // of the syncs counted in `counters.syncs`
  std::vector<PartitionMetrics> partitions{};
  std::vector<GroupMetrics> groups{};
};

}  // namespace evlog

#endif  // EVLOG_OBSERVABILITY_H_
