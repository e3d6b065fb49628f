// evlog/group.h: consumer-group administration -- what Kafka's
// kafka-consumer-groups tool does: list groups, describe one (per partition:
// committed offset, end offset, lag, owning member), reset its offsets, and
// delete it. The methods live on the Store (evlog/store.h):
//
//   auto groups = store->ListGroups();
//   auto d = store->DescribeGroup("billing");
//   for (const auto& p : d->partitions) printf("%s lag %lld\n", ..., p.lag);
//   // With every member stopped:
//   store->ResetGroupOffsets("billing", "orders",
//   evlog::OffsetReset::ToTime(t));
//
// A group exists while it has members or committed offsets. Its committed
// offsets are stored under <store>/groups/<group>/OFFSETS (format in
// docs/CONSUMERS.md), replaced atomically and durably at every commit.
//
// Thread safety: the Store methods are thread-safe and may run while members
// poll and commit.

#ifndef EVLOG_GROUP_H_
#define EVLOG_GROUP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "evlog/consumer.h"
#include "evlog/types.h"

namespace evlog {

// One member of a group, as DescribeGroup shows it.
struct GroupMemberDescription {
  std::string member_id{};  // "<client_id>-<n>"
  std::string client_id{};
  std::vector<std::string> subscription{};   // sorted topic names
  std::vector<TopicPartition> assignment{};  // partitions it owns now, sorted
};

// One partition of a group: those with a committed offset and those owned
// by a member.
struct GroupPartitionDescription {
  TopicPartition tp{};
  std::optional<Offset> committed{};  // nullopt: nothing committed
  Offset end_offset{};                // the log end offset now
  // end_offset - committed (>= 0); nullopt when nothing is committed.
  std::optional<int64_t> lag{};
  std::string owner{};  // member id, empty if none
};

struct GroupDescription {
  std::string group_id{};
  // "Empty" (no members), "Stable" (every member has taken its assignment)
  // or "Rebalancing" (some partitions are still moving).
  std::string state{};
  int64_t generation = 0;  // bumped at every rebalance; 0 before any
  std::optional<AssignmentStrategy> strategy{};   // of the current members
  std::vector<GroupMemberDescription> members{};  // in join order
  std::vector<GroupPartitionDescription> partitions{};  // sorted
};

// What ResetGroupOffsets sets each partition's committed offset to. Like
// Kafka's --reset-offsets, results are clamped to [log start, log end].
struct OffsetReset {
  enum class Kind {
    kEarliest,  // the log start offset
    kLatest,    // the log end offset
    kOffset,    // `value`
    kTime,      // first offset with timestamp >= `value` (ms), else the end
    kShiftBy,   // committed offset + `value` (may be negative); partitions
                // without a committed offset shift from the log start
  };
  Kind kind = Kind::kEarliest;
  int64_t value = 0;

  static OffsetReset Earliest() { return {Kind::kEarliest, 0}; }
  static OffsetReset Latest() { return {Kind::kLatest, 0}; }
  static OffsetReset ToOffset(int64_t offset) {
    return {Kind::kOffset, offset};
  }
  static OffsetReset ToTime(int64_t timestamp_ms) {
    return {Kind::kTime, timestamp_ms};
  }
  static OffsetReset ShiftBy(int64_t n) { return {Kind::kShiftBy, n}; }
};

}  // namespace evlog

#endif  // EVLOG_GROUP_H_
