#include "observability/store_observer.h"

#include <fmt/format.h>

#include <algorithm>

#include "evlog/fmt.h"

namespace evlog {

std::string_view ToString(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARNING";
    case LogLevel::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

std::shared_ptr<PartitionObserver> StoreObserver::AddPartition(
    const std::string& topic, uint64_t topic_id, PartitionId p) {
  auto observer = std::make_shared<PartitionObserver>(
      this, TopicPartition{topic, p}, topic_id);
  MutexLock l(&mu_);
  partitions_.push_back(observer);
  return observer;
}

void StoreObserver::RetireTopic(uint64_t topic_id) {
  MutexLock l(&mu_);
  for (const auto& p : partitions_) {
    if (p->topic_id() == topic_id) retired_ += p->Counts();
  }
  std::erase_if(partitions_,
                [&](const auto& p) { return p->topic_id() == topic_id; });
}

void StoreObserver::OnRecovery(const TopicPartition& tp,
                               const RecoveryResult& r) {
  constexpr auto rel = std::memory_order_relaxed;
  if (r.segments_scanned == 0) return;  // a new partition: nothing recovered
  recoveries_.fetch_add(1, rel);
  recovery_bytes_scanned_.fetch_add(r.bytes_scanned, rel);
  recovery_segments_removed_.fetch_add(r.segments_removed, rel);
  const bool cut = r.bytes_truncated > 0 || !r.detail.empty();
  if (cut) {
    recovery_truncations_.fetch_add(1, rel);
    recovery_bytes_truncated_.fetch_add(r.bytes_truncated, rel);
  }
  if (logging()) {
    if (cut) {
      Log(LogLevel::kWarning, "recovery",
          fmt::format("{}: cut {} bytes and removed {} segments: {}", tp,
                      r.bytes_truncated, r.segments_removed, r.detail));
    } else {
      Log(LogLevel::kInfo, "recovery",
          fmt::format("{}: recovered {} segments, scanned {} bytes, removed {} "
                      "segments",
                      tp, r.segments_scanned, r.bytes_scanned,
                      r.segments_removed));
    }
  }
  if (cut && listener_ != nullptr) {
    listener_->OnCorruptionFound({.tp = tp,
                                  .bytes_truncated = r.bytes_truncated,
                                  .segments_removed = r.segments_removed,
                                  .open_failed = false,
                                  .detail = std::string(r.detail)});
  }
}

void StoreObserver::OnOpenFailed(const TopicPartition& tp,
                                 const absl::Status& status) {
  if (logging()) {
    Log(LogLevel::kError, "recovery",
        fmt::format("{}: open failed: {}", tp, status.ToString()));
  }
  if (absl::IsDataLoss(status) && listener_ != nullptr) {
    listener_->OnCorruptionFound({.tp = tp,
                                  .open_failed = true,
                                  .detail = std::string(status.message())});
  }
}

void StoreObserver::OnRebalance(const std::string& group_id, int64_t generation,
                                int64_t members) {
  rebalances_.fetch_add(1, std::memory_order_relaxed);
  if (logging()) {
    Log(LogLevel::kInfo, "group",
        fmt::format("{}: rebalance to generation {} with {} members", group_id,
                    generation, members));
  }
  if (listener_ != nullptr) {
    listener_->OnRebalance(
        {.group_id = group_id, .generation = generation, .members = members});
  }
}

void StoreObserver::OnMaintenanceRound(const absl::Status& status) {
  bool report = false;
  {
    MutexLock l(&mu_);
    if (!status.ok()) report = status != last_maintenance_error_;
    last_maintenance_error_ = status;
  }
  if (status.ok()) return;
  maintenance_errors_.fetch_add(1, std::memory_order_relaxed);
  if (!report) return;
  if (logging()) {
    Log(LogLevel::kError, "store",
        fmt::format("maintenance round failed: {}", status.ToString()));
  }
  if (listener_ != nullptr) {
    listener_->OnBackgroundError(
        {.component = "maintenance", .tp = {}, .status = status});
  }
}

StoreCounters StoreObserver::Counters() const {
  PartitionCounts sum;
  {
    MutexLock l(&mu_);
    sum = retired_;
    for (const auto& p : partitions_) sum += p->Counts();
  }
  constexpr auto r = std::memory_order_relaxed;
  StoreCounters c;
  c.appends = sum.appends;
  c.records_appended = sum.records_appended;
  c.bytes_appended = sum.bytes_appended;
  c.syncs = sum.syncs;
  c.sync_errors = sum.sync_errors;
  c.segments_rolled = sum.segments_rolled;
  c.rolls_without_spare = sum.rolls_without_spare;
  c.segments_prepared = sum.segments_prepared;
  c.partitions_failed = sum.failures;
  c.recoveries = recoveries_.load(r);
  c.recovery_bytes_scanned = recovery_bytes_scanned_.load(r);
  c.recovery_truncations = recovery_truncations_.load(r);
  c.recovery_bytes_truncated = recovery_bytes_truncated_.load(r);
  c.recovery_segments_removed = recovery_segments_removed_.load(r);
  c.retention_segments_deleted = sum.segments_deleted;
  c.retention_bytes_deleted = sum.bytes_deleted;
  c.compaction_passes = sum.compaction_passes;
  c.compaction_segments_rewritten = sum.compaction_segments_rewritten;
  c.compaction_records_read = sum.compaction_records_read;
  c.compaction_records_removed = sum.compaction_records_removed;
  c.compaction_bytes_before = sum.compaction_bytes_before;
  c.compaction_bytes_after = sum.compaction_bytes_after;
  c.rebalances = rebalances_.load(r);
  c.maintenance_errors = maintenance_errors_.load(r);
  return c;
}

}  // namespace evlog
