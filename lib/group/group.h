// group/group.h: one consumer group -- its members, their assignment, and
// its committed offsets.
//
// Membership model (in-process, no network): a member joins with its
// subscription; every join, leave, eviction or change of a subscribed
// topic's partitions is a *rebalance*: the generation is bumped and a new
// target assignment is computed at once (group/assignor.h). Members learn
// of it through their MemberHandle's epoch (and a Waiter notification that
// wakes a blocked Poll) and *sync* on their own thread in two steps:
//
//   1. PlanSync: what to give up -- everything owned for the eager
//      strategies (range, round robin), only partitions no longer in the
//      target for cooperative-sticky. The member still owns them: it may
//      commit (rebalance listener OnPartitionsRevoked).
//   2. FinishSync: the revoked partitions are released, and the member
//      takes every partition of its target that nobody owns any more.
//
// So a partition is owned by at most one member at any time, and moves only
// after its previous owner let go (or was removed): no two members ever
// read the same partition at once. A commit is accepted only from the
// member that owns the partition now (the generation fence), or, for
// consumers with a manual assignment, only while the group has no members.
//
// Committed offsets are kept in <groups dir>/<group>/OFFSETS
// (group/offsets_file.h), rewritten at every commit before memory changes,
// and in memory. Membership and rebalances are in group.cc, committed
// offsets in group_offsets.cc.
//
// Thread safety: thread-safe. Lock order: persist_mu_ before mu_; mu_ is
// taken before the store's topic lock (through the TopicLookup); notifying
// a member's Waiter takes no lock (util/waiter.h).

#ifndef EVLOG_GROUP_GROUP_H_
#define EVLOG_GROUP_GROUP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "evlog/consumer.h"
#include "evlog/env.h"
#include "evlog/group.h"
#include "group/assignor.h"
#include "group/offsets_file.h"
#include "observability/store_observer.h"
#include "topic/topic.h"
#include "util/mutex.h"
#include "util/waiter.h"

namespace evlog {

// Finds a live topic by name (kNotFound if unknown).
using TopicLookup = std::function<absl::StatusOr<std::shared_ptr<Topic>>(
    std::string_view name)>;

// The part of a member that its consumer reads without the group's lock.
struct MemberHandle {
  MemberHandle(std::string id, Waiter* waiter)
      : id(std::move(id)), waiter(waiter) {}
  const std::string id;
  Waiter* const waiter;  // notified whenever `epoch` moves; not owned
  // Bumped when the member should sync (rebalance, a target partition freed,
  // removal).
  std::atomic<uint64_t> epoch{0};
  std::atomic<bool> removed{false};
  // For eviction: Env-clock time of the last Poll, and whether one runs now.
  std::atomic<int64_t> last_poll_ms{0};
  std::atomic<bool> in_poll{false};
};

// What a member must give up (PlanSync) or has received (FinishSync).
struct SyncStep {
  bool removed = false;  // the member is no longer in the group
  int64_t generation = 0;
  std::vector<TopicPartition> partitions;
  // FinishSync only: committed offsets of `partitions`.
  std::map<TopicPartition, Offset> committed;
};

class Group {
 public:
  // `groups_dir` is <store>/groups (must exist unless read_only).
  Group(std::string name, Env* env, std::string groups_dir, TopicLookup lookup,
        bool read_only);

  const std::string& name() const { return name_; }
  // Rebalances are reported to `observer` (may be null). Set before the
  // group is shared.
  void SetObserver(StoreObserver* observer) { observer_ = observer; }

  // Loads OFFSETS (once, before use), dropping offsets of topics that no
  // longer exist. kDataLoss for a corrupt file.
  absl::Status Load();

  // ---- Membership ----
  // Adds a member and rebalances. kInvalidArgument if the group's members
  // use another strategy; kFailedPrecondition if the group was deleted.
  absl::StatusOr<std::shared_ptr<MemberHandle>> Join(
      const std::string& client_id, std::vector<std::string> topics,
      AssignmentStrategy strategy, int64_t max_poll_interval_ms, Waiter* waiter,
      int64_t now_ms);
  // Changes a member's subscription and rebalances.
  absl::Status Resubscribe(const MemberHandle& member,
                           std::vector<std::string> topics);
  // Removes the member (releasing what it owns) and rebalances. No-op if it
  // was already removed.
  void Leave(const MemberHandle& member);
  SyncStep PlanSync(const MemberHandle& member);
  SyncStep FinishSync(const MemberHandle& member,
                      const std::vector<TopicPartition>& revoked,
                      int64_t planned_generation);
  // Removes every member whose last Poll is older than its
  // max_poll_interval_ms and that is not inside a Poll now.
  void EvictExpired(int64_t now_ms);
  bool HasMembers() const;
  // True if the group has members or committed offsets.
  bool Exists() const;

  // ---- Offsets ----
  // Commits `offsets` atomically and durably: the OFFSETS file is replaced
  // first, memory (Committed) changes only once it is; a failed commit
  // changes neither. `member` null: a consumer with a manual assignment
  // (refused while the group has members). Commits of one group are
  // serialised (one file write each).
  absl::Status Commit(const MemberHandle* member,
                      const std::vector<TopicPartitionOffset>& offsets);
  std::map<TopicPartition, std::optional<Offset>> Committed(
      const std::vector<TopicPartition>& partitions) const;

  // ---- Topic changes (from the store) ----
  void OnTopicDeleted(const std::string& topic);
  void OnPartitionsAdded(const std::string& topic);

  // ---- Administration ----
  GroupDescription Describe() const;
  absl::StatusOr<std::vector<TopicPartitionOffset>> ResetOffsets(
      const std::string& topic, const OffsetReset& reset);
  // Marks the group deleted and removes its directory. kFailedPrecondition
  // if it has members.
  absl::Status Delete();

 private:
  struct Member {
    std::shared_ptr<MemberHandle> handle;
    std::string client_id;
    std::vector<std::string> topics;  // sorted, unique
    int64_t max_poll_interval_ms = 0;
    std::set<TopicPartition> target;  // assignment of the current generation
    std::set<TopicPartition> owned;   // held now
    int64_t revoked_generation =
        0;  // eager: generation of its last full revoke
  };
  struct Committed_ {
    uint64_t topic_id = 0;
    Offset offset;
  };

  void RebalanceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveLocked(const std::string& member_id, bool evicted)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static void Wake(MemberHandle& h);
  bool EagerLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The OFFSETS file's contents for `committed`.
  GroupOffsets SnapshotOf(
      const std::map<TopicPartition, Committed_>& committed) const;
  // Replaces the OFFSETS file with `snapshot`.
  absl::Status WriteLocked(const GroupOffsets& snapshot)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(persist_mu_);
  std::string dir() const;

  const std::string name_;
  Env* const env_;
  const std::string groups_dir_;
  const TopicLookup lookup_;
  const bool read_only_;
  StoreObserver* observer_ = nullptr;

  Mutex persist_mu_;  // one writer of OFFSETS at a time; before mu_
  bool file_exists_ ABSL_GUARDED_BY(persist_mu_) = false;

  mutable Mutex mu_;
  bool deleted_ ABSL_GUARDED_BY(mu_) = false;
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_member_ ABSL_GUARDED_BY(mu_) = 1;
  AssignmentStrategy strategy_ ABSL_GUARDED_BY(mu_) =
      AssignmentStrategy::kRange;
  std::vector<Member> members_ ABSL_GUARDED_BY(mu_);  // join order
  std::map<TopicPartition, std::string> owner_ ABSL_GUARDED_BY(mu_);
  std::map<TopicPartition, Committed_> committed_ ABSL_GUARDED_BY(mu_);
};

// Group ids follow the topic-name rule; kInvalidArgument otherwise.
absl::Status ValidateGroupId(std::string_view group);

}  // namespace evlog

#endif  // EVLOG_GROUP_GROUP_H_
