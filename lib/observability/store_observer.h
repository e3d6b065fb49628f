// observability/store_observer.h: a store's metrics, logger and event
// listener in one place.
//
// StoreImpl owns one StoreObserver, built from StoreOptions::logger and
// ::event_listener. It makes a PartitionObserver for every partition it
// opens, keeps the store-wide counters that belong to no partition
// (recovery, rebalances, maintenance rounds) and the sync-latency
// histogram, and sums everything into the StoreCounters of a
// MetricsSnapshot. Counters of a deleted topic's partitions are folded into
// a "retired" total (RetireTopic), so store-wide counters never go down.
//
// Log lines are only formatted when a logger is set, events only built when
// a listener is set; both flags are fixed at construction.
//
// Thread safety: thread-safe. Callbacks run on the calling thread, without
// this object's lock.

#ifndef EVLOG_OBSERVABILITY_STORE_OBSERVER_H_
#define EVLOG_OBSERVABILITY_STORE_OBSERVER_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "evlog/observability.h"
#include "observability/latency_recorder.h"
#include "observability/partition_observer.h"
#include "util/mutex.h"

namespace evlog {

// What recovery found when a partition was opened (the fields of
// PartitionLog's RecoveryReport that are reported; this layer sits below
// partition/).
struct RecoveryResult {
  int64_t segments_scanned = 0;
  int64_t bytes_scanned = 0;
  int64_t bytes_truncated = 0;
  int64_t segments_removed = 0;
  std::string_view detail;  // why the tail was cut, if it was
};

class StoreObserver {
 public:
  // `listener` (may be null) is not owned and must outlive this object.
  StoreObserver(Logger logger, EventListener* listener)
      : logger_(std::move(logger)), listener_(listener) {}
  StoreObserver(const StoreObserver&) = delete;
  StoreObserver& operator=(const StoreObserver&) = delete;

  bool logging() const { return static_cast<bool>(logger_); }
  EventListener* listener() const { return listener_; }
  // Hands one line to the logger, if there is one.
  void Log(LogLevel level, std::string_view component,
           std::string_view message) const {
    if (logger_) logger_(level, component, message);
  }

  // ---- Partitions ----
  // A new observer for partition `p` of the topic, counted in the totals
  // until its topic is retired.
  std::shared_ptr<PartitionObserver> AddPartition(const std::string& topic,
                                                  uint64_t topic_id,
                                                  PartitionId p);
  // Folds the counters of every partition of the topic into the retired
  // total and forgets them (DeleteTopic, a failed CreateTopic).
  void RetireTopic(uint64_t topic_id);

  // ---- Reports ----
  // A partition was opened; recovery found `r`. Counts it; logs it; a cut
  // tail is a warning and an OnCorruptionFound event.
  void OnRecovery(const TopicPartition& tp, const RecoveryResult& r);
  // Opening a partition failed: kDataLoss is an OnCorruptionFound event
  // (open_failed); every failure is logged as an error.
  void OnOpenFailed(const TopicPartition& tp, const absl::Status& status);
  // A group moved to `generation` with `members` members.
  void OnRebalance(const std::string& group_id, int64_t generation,
                   int64_t members);
  // The outcome of a round of the maintenance thread. A failure is counted
  // each time but logged and sent to the listener only when it differs from
  // the previous round's (a failed partition fails every round).
  void OnMaintenanceRound(const absl::Status& status);
  // From PartitionObserver::OnSync.
  void RecordSync(std::chrono::nanoseconds latency) {
    sync_latency_.Record(latency);
  }

  // ---- Snapshots ----
  StoreCounters Counters() const;
  LatencyHistogram SyncLatency() const { return sync_latency_.Snapshot(); }

 private:
  const Logger logger_;
  EventListener* const listener_;
  LatencyRecorder sync_latency_;

  std::atomic<int64_t> recoveries_{0};
  std::atomic<int64_t> recovery_bytes_scanned_{0};
  std::atomic<int64_t> recovery_truncations_{0};
  std::atomic<int64_t> recovery_bytes_truncated_{0};
  std::atomic<int64_t> recovery_segments_removed_{0};
  std::atomic<int64_t> rebalances_{0};
  std::atomic<int64_t> maintenance_errors_{0};

  mutable Mutex mu_;
  std::vector<std::shared_ptr<PartitionObserver>> partitions_
      ABSL_GUARDED_BY(mu_);
  PartitionCounts retired_ ABSL_GUARDED_BY(mu_);
  absl::Status last_maintenance_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evlog

#endif  // EVLOG_OBSERVABILITY_STORE_OBSERVER_H_
