// retention/retention.h: the delete cleanup policy -- which of a partition's
// oldest segments go, by age, size and (optionally) consumption.
//
// Only whole closed segments are deleted, oldest first; the active segment
// never is (PartitionLog::Tick rolls it after segment_ms, so that a quiet
// partition's data ages out too). Deleting advances the log start offset;
// readers holding a deleted segment keep its mapping until they let go.
//
// The rules, for a snapshot of the segments (docs/RETENTION.md):
//   time   a closed segment goes when its newest record timestamp is older
//          than now - retention_ms (and every older segment goes too);
//   size   the oldest closed segments go while the partition's log bytes
//          exceed retention_bytes;
//   groups with retention_wait_for_groups, a segment the two rules above
//          would delete stays until every listed group has committed an
//          offset at or past the start of the next segment (a group with
//          no commit on the partition holds everything);
//   hard   ... unless the log exceeds retention_hard_bytes: then the
//          oldest closed segments go by the size rule with that limit,
//          consumed or not.
// So the number of oldest segments deleted is
//   max(min(max(time, size), consumed), hard).
//
// Thread safety: PlanRetention is a pure function; ApplyRetention may run
// while the log is appended to and read.

#ifndef EVLOG_RETENTION_RETENTION_H_
#define EVLOG_RETENTION_RETENTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "evlog/options.h"
#include "evlog/types.h"
#include "partition/partition_log.h"
#include "storage/segment.h"

namespace evlog {

// The committed-offset source of consumer-aware retention: the smallest
// committed offset (next offset to read) of `groups` on partition
// `partition` of `topic`, or nullopt if any of them has committed nothing
// there. Called from the maintenance thread; must be thread-safe.
using MinCommittedFn = std::function<std::optional<Offset>(
    const std::string& topic, PartitionId partition,
    const std::vector<std::string>& groups)>;

// Which of the oldest segments retention deletes.
struct RetentionPlan {
  size_t segments = 0;  // the oldest `segments` of the snapshot go
  Offset new_start;     // start offset afterwards (unchanged if none go)
  // Why, for logs and tests: how many segments each rule alone would take.
  size_t by_time = 0;
  size_t by_size = 0;
  size_t held = 0;  // of max(by_time, by_size), kept for the groups
  size_t by_hard = 0;
};

// Plans retention over `segments` (PartitionLog::Segments(): oldest first,
// the last one active) for `config` at `now_ms`. `consumed` is the groups'
// MinCommittedFn result; it is used only when
// config.retention_wait_for_groups is non-empty. Callers check that the
// cleanup policy includes delete.
RetentionPlan PlanRetention(
    const std::vector<std::shared_ptr<Segment>>& segments,
    const TopicConfig& config, int64_t now_ms, std::optional<Offset> consumed);

// Plans retention for `log` (its config) and deletes what the plan says.
// Returns the plan carried out. Errors: those of
// PartitionLog::DeleteSegmentsBefore.
absl::StatusOr<RetentionPlan> ApplyRetention(PartitionLog* log, int64_t now_ms,
                                             std::optional<Offset> consumed);

}  // namespace evlog

#endif  // EVLOG_RETENTION_RETENTION_H_
