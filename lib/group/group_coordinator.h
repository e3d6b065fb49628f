// group/group_coordinator.h: the store's consumer groups.
//
// One GroupCoordinator per store (owned by StoreImpl) keeps every group of
// the store by name: groups with members in this process, and groups with
// committed offsets under <store>/groups/<group>/OFFSETS, loaded at open.
// It hands groups to consumers, carries the group administration of the
// Store API, and forwards topic deletions and partition increases to the
// groups (which rebalance).
//
// On-disk layout:
//   <store>/groups/                   created at open
//   <store>/groups/<group>/OFFSETS    group/offsets_file.h
// A group directory without OFFSETS (a crash during a delete or before the
// first commit finished) is removed at open.
//
// Thread safety: thread-safe. Lock order: mu_ before any Group's locks.

#ifndef EVLOG_GROUP_GROUP_COORDINATOR_H_
#define EVLOG_GROUP_GROUP_COORDINATOR_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "evlog/group.h"
#include "group/group.h"
#include "util/mutex.h"

namespace evlog {

inline constexpr char kGroupsDir[] = "groups";  // part of the store layout

class GroupCoordinator {
 public:
  GroupCoordinator(Env* env, const std::string& store_dir, bool read_only,
                   TopicLookup lookup);

  // Rebalances of every group are reported to `observer` (may be null).
  // Set before Open.
  void SetObserver(StoreObserver* observer) { observer_ = observer; }

  // Creates <store>/groups if needed and loads every group's offsets.
  absl::Status Open();
  // Later calls fail with kFailedPrecondition.
  void Close();

  // The group named `group_id`, created (empty, in memory) if unknown.
  // kInvalidArgument for a bad id.
  absl::StatusOr<std::shared_ptr<Group>> GetOrCreate(
      const std::string& group_id);

  // The group's committed offset of `tp`; nullopt if the group does not
  // exist or has none for it. Never creates a group (consumer-aware
  // retention asks this of every group it waits for).
  std::optional<Offset> CommittedOffset(const std::string& group_id,
                                        const TopicPartition& tp) const;

  // Store administration (evlog/store.h).
  std::vector<std::string> ListGroups() const;
  absl::StatusOr<GroupDescription> DescribeGroup(
      const std::string& group_id) const;
  absl::StatusOr<std::vector<TopicPartitionOffset>> ResetGroupOffsets(
      const std::string& group_id, const std::string& topic,
      const OffsetReset& reset);
  absl::Status DeleteGroup(const std::string& group_id);

  // From the store, after the change is committed.
  void OnTopicDeleted(const std::string& topic);
  void OnPartitionsAdded(const std::string& topic);

 private:
  absl::StatusOr<std::shared_ptr<Group>> Find(
      const std::string& group_id) const;
  std::vector<std::shared_ptr<Group>> All() const;

  Env* const env_;
  const std::string store_dir_;
  const std::string groups_dir_;
  const bool read_only_;
  const TopicLookup lookup_;
  StoreObserver* observer_ = nullptr;

  mutable Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, std::shared_ptr<Group>> groups_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evlog

#endif  // EVLOG_GROUP_GROUP_COORDINATOR_H_
