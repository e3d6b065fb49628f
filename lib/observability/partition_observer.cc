#include "observability/partition_observer.h"

#include <fmt/format.h>

#include "evlog/fmt.h"
#include "observability/store_observer.h"

namespace evlog {

PartitionCounts& PartitionCounts::operator+=(const PartitionCounts& o) {
  appends += o.appends;
  records_appended += o.records_appended;
  bytes_appended += o.bytes_appended;
  syncs += o.syncs;
  sync_errors += o.sync_errors;
  segments_rolled += o.segments_rolled;
  rolls_without_spare += o.rolls_without_spare;
  segments_prepared += o.segments_prepared;
  failures += o.failures;
  segments_deleted += o.segments_deleted;
  bytes_deleted += o.bytes_deleted;
  compaction_passes += o.compaction_passes;
  compaction_segments_rewritten += o.compaction_segments_rewritten;
  compaction_records_read += o.compaction_records_read;
  compaction_records_removed += o.compaction_records_removed;
  compaction_bytes_before += o.compaction_bytes_before;
  compaction_bytes_after += o.compaction_bytes_after;
  return *this;
}

PartitionCounts PartitionObserver::Counts() const {
  constexpr auto r = std::memory_order_relaxed;
  PartitionCounts n;
  n.appends = c_.appends.load(r);
  n.records_appended = c_.records_appended.load(r);
  n.bytes_appended = c_.bytes_appended.load(r);
  n.syncs = c_.syncs.load(r);
  n.sync_errors = c_.sync_errors.load(r);
  n.segments_rolled = c_.segments_rolled.load(r);
  n.rolls_without_spare = c_.rolls_without_spare.load(r);
  n.segments_prepared = c_.segments_prepared.load(r);
  n.failures = c_.failures.load(r);
  n.segments_deleted = c_.segments_deleted.load(r);
  n.bytes_deleted = c_.bytes_deleted.load(r);
  n.compaction_passes = c_.compaction_passes.load(r);
  n.compaction_segments_rewritten = c_.compaction_segments_rewritten.load(r);
  n.compaction_records_read = c_.compaction_records_read.load(r);
  n.compaction_records_removed = c_.compaction_records_removed.load(r);
  n.compaction_bytes_before = c_.compaction_bytes_before.load(r);
  n.compaction_bytes_after = c_.compaction_bytes_after.load(r);
  return n;
}

void PartitionObserver::OnSync(std::chrono::nanoseconds latency, bool ok) {
  c_.syncs.fetch_add(1, std::memory_order_relaxed);
  if (!ok) c_.sync_errors.fetch_add(1, std::memory_order_relaxed);
  store_->RecordSync(latency);
}

void PartitionObserver::OnRoll(Offset closed_base, uint64_t closed_bytes,
                               Offset new_base, bool from_spare) {
  c_.segments_rolled.fetch_add(1, std::memory_order_relaxed);
  if (!from_spare)
    c_.rolls_without_spare.fetch_add(1, std::memory_order_relaxed);
  if (store_->logging()) {
    store_->Log(LogLevel::kDebug, "partition",
                fmt::format("{}: rolled segment {} ({} bytes), new segment {}",
                            tp_, closed_base, closed_bytes, new_base));
  }
  if (EventListener* l = store_->listener()) {
    l->OnSegmentRolled({.tp = tp_,
                        .closed_base_offset = closed_base,
                        .closed_bytes = closed_bytes,
                        .new_base_offset = new_base});
  }
}

void PartitionObserver::OnSegmentsDeleted(int64_t segments, uint64_t bytes,
                                          Offset new_start) {
  c_.segments_deleted.fetch_add(segments, std::memory_order_relaxed);
  c_.bytes_deleted.fetch_add(static_cast<int64_t>(bytes),
                             std::memory_order_relaxed);
  if (store_->logging()) {
    store_->Log(
        LogLevel::kInfo, "retention",
        fmt::format("{}: deleted {} segments ({} bytes), log starts at {}", tp_,
                    segments, bytes, new_start));
  }
  if (EventListener* l = store_->listener()) {
    l->OnSegmentsDeleted({.tp = tp_,
                          .segments = segments,
                          .bytes = bytes,
                          .new_start_offset = new_start});
  }
}

void PartitionObserver::OnSegmentCompacted(Offset base, uint64_t bytes_before,
                                           uint64_t bytes_after) {
  constexpr auto r = std::memory_order_relaxed;
  c_.compaction_segments_rewritten.fetch_add(1, r);
  c_.compaction_bytes_before.fetch_add(static_cast<int64_t>(bytes_before), r);
  c_.compaction_bytes_after.fetch_add(static_cast<int64_t>(bytes_after), r);
  if (store_->logging()) {
    store_->Log(LogLevel::kDebug, "compaction",
                fmt::format("{}: segment {} compacted, {} -> {} bytes", tp_,
                            base, bytes_before, bytes_after));
  }
}

void PartitionObserver::OnCompactionPass(
    int64_t segments_rewritten, int64_t records_read, int64_t records_removed,
    int64_t tombstones_removed, uint64_t bytes_before, uint64_t bytes_after) {
  constexpr auto r = std::memory_order_relaxed;
  c_.compaction_passes.fetch_add(1, r);
  c_.compaction_records_read.fetch_add(records_read, r);
  c_.compaction_records_removed.fetch_add(records_removed, r);
  if (store_->logging()) {
    store_->Log(
        LogLevel::kInfo, "compaction",
        fmt::format("{}: compacted {} segments: {} of {} records removed ({} "
                    "tombstones), {} -> {} bytes",
                    tp_, segments_rewritten, records_removed, records_read,
                    tombstones_removed, bytes_before, bytes_after));
  }
  if (EventListener* l = store_->listener()) {
    l->OnCompaction({.tp = tp_,
                     .segments_rewritten = segments_rewritten,
                     .records_read = records_read,
                     .records_removed = records_removed,
                     .tombstones_removed = tombstones_removed,
                     .bytes_before = bytes_before,
                     .bytes_after = bytes_after});
  }
}

void PartitionObserver::OnFailed(const absl::Status& failure) {
  c_.failures.fetch_add(1, std::memory_order_relaxed);
  if (store_->logging()) {
    store_->Log(LogLevel::kError, "partition",
                fmt::format("{}: {}", tp_, failure.ToString()));
  }
  if (EventListener* l = store_->listener()) {
    l->OnBackgroundError(
        {.component = "partition", .tp = tp_, .status = failure});
  }
}

}  // namespace evlog
