#include "retention/log_maintainer.h"

#include "absl/container/flat_hash_set.h"

namespace evlog {

LogMaintainer::Counters LogMaintainer::counters() const {
  MutexLock l(&mu_);
  return counters_;
}

void LogMaintainer::set_compaction_buffer_bytes(uint64_t bytes) {
  MutexLock l(&mu_);
  compaction_buffer_bytes_ = bytes;
}

absl::Status LogMaintainer::Run(
    Env* env, const std::vector<MaintainedPartition>& partitions,
    int64_t now_ms, const MinCommittedFn& min_committed) {
  MutexLock l(&mu_);
  absl::Status first;
  absl::flat_hash_set<std::string> seen;
  for (const MaintainedPartition& p : partitions) {
    seen.insert(p.log->dir());
    first.Update(RunOne(env, p, now_ms, min_committed));
  }
  absl::erase_if(compaction_,
                 [&](const auto& kv) { return !seen.contains(kv.first); });
  return first;
}

absl::Status LogMaintainer::RunOne(Env* env, const MaintainedPartition& p,
                                   int64_t now_ms,
                                   const MinCommittedFn& min_committed) {
  PartitionLog* log = p.log.get();
  if (!log->health().ok()) return log->health();
  const TopicConfig& config = log->config();
  const bool del = config.cleanup_policy != CleanupPolicy::kCompact;
  const bool compact = config.cleanup_policy != CleanupPolicy::kDelete;
  if (del) {
    std::optional<Offset> consumed;
    if (!config.retention_wait_for_groups.empty() && min_committed) {
      consumed =
          min_committed(p.topic, p.partition, config.retention_wait_for_groups);
    }
    auto plan = ApplyRetention(log, now_ms, consumed);
    if (!plan.ok()) return plan.status();
    counters_.segments_deleted += static_cast<int64_t>(plan->segments);
    if (PartitionObserver* o = log->observer()) {
      o->SetRetentionHeld(static_cast<int64_t>(plan->held));
    }
  }
  if (compact) {
    auto [it, inserted] = compaction_.try_emplace(log->dir());
    PartitionState& state = it->second;
    if (inserted) state.compaction.clean_end = log->start_offset();
    if (!state.too_large.ok()) {
      if (log->start_offset() == state.too_large_start) return state.too_large;
      state.too_large = absl::OkStatus();
    }
    if (!CompactionDue(*log, state.compaction, now_ms)) return absl::OkStatus();
    auto stats = CompactLog(env, log, now_ms,
                            {.clean_end = state.compaction.clean_end,
                             .buffer_bytes = compaction_buffer_bytes_});
    if (IsCompactionBufferTooSmall(stats.status())) {
      state.too_large = stats.status();
      state.too_large_start = log->start_offset();
    }
    if (!stats.ok()) return stats.status();
    state.compaction.clean_end = stats->clean_end;
    state.compaction.next_tombstone_expiry_ms = stats->next_tombstone_expiry_ms;
    state.compaction.buffer_full = stats->buffer_full;
    ++counters_.compaction_passes;
    counters_.records_compacted_away += stats->records_removed;
    if (PartitionObserver* o = log->observer()) {
      o->OnCompactionPass(stats->segments_rewritten, stats->records_read,
                          stats->records_removed, stats->tombstones_removed,
                          stats->bytes_before, stats->bytes_after);
    }
  }
  return absl::OkStatus();
}

}  // namespace evlog
