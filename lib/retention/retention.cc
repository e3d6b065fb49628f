#include "retention/retention.h"

#include <algorithm>

namespace evlog {

namespace {

// How many of the oldest closed segments go so that the log's bytes are at
// most `limit` (or only the active segment is left).
size_t BySize(const std::vector<std::shared_ptr<Segment>>& segments,
              int64_t limit) {
  if (limit < 0) return 0;
  uint64_t total = 0;
  for (const auto& seg : segments) total += seg->data_bytes();
  size_t n = 0;
  while (n + 1 < segments.size() && total > static_cast<uint64_t>(limit)) {
    total -= segments[n]->data_bytes();
    ++n;
  }
  return n;
}

}  // namespace

RetentionPlan PlanRetention(
    const std::vector<std::shared_ptr<Segment>>& segments,
    const TopicConfig& config, int64_t now_ms, std::optional<Offset> consumed) {
  RetentionPlan plan;
  if (segments.empty()) return plan;
  const size_t closed = segments.size() - 1;
  if (config.retention_ms >= 0) {
    // An empty closed segment (none has a newest record) goes too.
    while (plan.by_time < closed && segments[plan.by_time]->max_timestamp() <
                                        now_ms - config.retention_ms) {
      ++plan.by_time;
    }
  }
  plan.by_size = BySize(segments, config.retention_bytes);
  size_t n = std::max(plan.by_time, plan.by_size);
  if (!config.retention_wait_for_groups.empty()) {
    // Segment i is consumed when the groups committed past its last record,
    // i.e. at or beyond the next segment's base.
    size_t done = 0;
    while (consumed && done < closed &&
           segments[done + 1]->base_offset() <= *consumed) {
      ++done;
    }
    plan.held = n > done ? n - done : 0;
    n = std::min(n, done);
    plan.by_hard = BySize(segments, config.retention_hard_bytes);
    n = std::max(n, plan.by_hard);
  }
  plan.segments = n;
  plan.new_start = segments[n]->base_offset();
  return plan;
}

absl::StatusOr<RetentionPlan> ApplyRetention(PartitionLog* log, int64_t now_ms,
                                             std::optional<Offset> consumed) {
  std::vector<std::shared_ptr<Segment>> segments = log->Segments();
  RetentionPlan plan = PlanRetention(segments, log->config(), now_ms, consumed);
  if (plan.segments == 0) {
    plan.new_start = log->start_offset();
    return plan;
  }
  auto deleted = log->DeleteSegmentsBefore(plan.new_start);
  if (!deleted.ok()) return deleted.status();
  plan.new_start = log->start_offset();
  return plan;
}

}  // namespace evlog
