// group/assignor.h: how a group spreads partitions over its members.
//
// Pure functions of (members in join order, their subscriptions, the
// partition counts of the subscribed topics, and for the sticky strategy the
// previous assignment). Deterministic: the same inputs give the same result,
// which the tests pin. The strategies are described in evlog/consumer.h
// (AssignmentStrategy).
//
// Thread safety: stateless.

#ifndef EVLOG_GROUP_ASSIGNOR_H_
#define EVLOG_GROUP_ASSIGNOR_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "evlog/consumer.h"

namespace evlog {

struct MemberSubscription {
  std::string member_id;
  std::vector<std::string> topics;  // sorted, unique
};

// Partition count per subscribed topic (topics that no longer exist are
// simply absent).
using TopicPartitionCounts = std::map<std::string, int32_t>;

// Member id -> its partitions, sorted. Every member of the input has an
// entry (possibly empty).
using GroupAssignment = std::map<std::string, std::vector<TopicPartition>>;

// Every partition of every topic some member subscribes to goes to exactly
// one member subscribed to its topic. `members` is in join order, which
// breaks ties. `previous` is only used by kCooperativeSticky.
GroupAssignment AssignPartitions(AssignmentStrategy strategy,
                                 const std::vector<MemberSubscription>& members,
                                 const TopicPartitionCounts& topics,
                                 const GroupAssignment& previous);

}  // namespace evlog

#endif  // EVLOG_GROUP_ASSIGNOR_H_
