#include "group/group_coordinator.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/durable_file.h"

namespace evlog {

GroupCoordinator::GroupCoordinator(Env* env, const std::string& store_dir,
                                   bool read_only, TopicLookup lookup)
    : env_(env),
      store_dir_(store_dir),
      groups_dir_(absl::StrCat(store_dir, "/", kGroupsDir)),
      read_only_(read_only),
      lookup_(std::move(lookup)) {}

absl::Status GroupCoordinator::Open() {
  if (!env_->FileExists(groups_dir_)) {
    if (read_only_) return absl::OkStatus();
    if (absl::Status s = CreateDirDurably(env_, store_dir_, kGroupsDir);
        !s.ok())
      return s;
  }
  auto names = env_->ListDir(groups_dir_);
  if (!names.ok()) return names.status();
  bool removed = false;
  for (const std::string& name : *names) {
    std::string dir = absl::StrCat(groups_dir_, "/", name);
    if (!ValidateGroupId(name).ok() ||
        !env_->FileExists(absl::StrCat(dir, "/", kOffsetsFile))) {
      // Left by an interrupted delete or first commit: nothing committed.
      if (!read_only_) {
        if (absl::Status s = RemoveTree(env_, dir); !s.ok()) return s;
        removed = true;
      }
      continue;
    }
    auto group =
        std::make_shared<Group>(name, env_, groups_dir_, lookup_, read_only_);
    group->SetObserver(observer_);
    if (absl::Status s = group->Load(); !s.ok()) return s;
    MutexLock l(&mu_);
    groups_[name] = std::move(group);
  }
  return removed ? env_->SyncDir(groups_dir_) : absl::OkStatus();
}

void GroupCoordinator::Close() {
  MutexLock l(&mu_);
  closed_ = true;
}

absl::StatusOr<std::shared_ptr<Group>> GroupCoordinator::GetOrCreate(
    const std::string& group_id) {
  if (absl::Status s = ValidateGroupId(group_id); !s.ok()) return s;
  MutexLock l(&mu_);
  if (closed_) return absl::FailedPreconditionError("the store is closed");
  auto& g = groups_[group_id];
  if (g == nullptr) {
    g = std::make_shared<Group>(group_id, env_, groups_dir_, lookup_,
                                read_only_);
    g->SetObserver(observer_);
  }
  return g;
}

absl::StatusOr<std::shared_ptr<Group>> GroupCoordinator::Find(
    const std::string& group_id) const {
  MutexLock l(&mu_);
  if (closed_) return absl::FailedPreconditionError("the store is closed");
  auto it = groups_.find(group_id);
  if (it == groups_.end() || !it->second->Exists()) {
    return absl::NotFoundError(absl::StrCat("unknown group ", group_id));
  }
  return it->second;
}

std::vector<std::shared_ptr<Group>> GroupCoordinator::All() const {
  std::vector<std::shared_ptr<Group>> all;
  MutexLock l(&mu_);
  for (const auto& [name, g] : groups_) all.push_back(g);
  return all;
}

std::vector<std::string> GroupCoordinator::ListGroups() const {
  std::vector<std::string> names;
  for (const auto& g : All()) {
    if (g->Exists()) names.push_back(g->name());
  }
  return names;  // sorted: the map is
}

absl::StatusOr<GroupDescription> GroupCoordinator::DescribeGroup(
    const std::string& group_id) const {
  auto g = Find(group_id);
  if (!g.ok()) return g.status();
  return (*g)->Describe();
}

absl::StatusOr<std::vector<TopicPartitionOffset>>
GroupCoordinator::ResetGroupOffsets(const std::string& group_id,
                                    const std::string& topic,
                                    const OffsetReset& reset) {
  // Resetting may create the group (Kafka allows it for a new group id).
  auto g = GetOrCreate(group_id);
  if (!g.ok()) return g.status();
  return (*g)->ResetOffsets(topic, reset);
}

absl::Status GroupCoordinator::DeleteGroup(const std::string& group_id) {
  if (read_only_)
    return absl::FailedPreconditionError("the store is open read-only");
  MutexLock l(&mu_);
  if (closed_) return absl::FailedPreconditionError("the store is closed");
  auto it = groups_.find(group_id);
  if (it == groups_.end() || !it->second->Exists()) {
    return absl::NotFoundError(absl::StrCat("unknown group ", group_id));
  }
  if (absl::Status s = it->second->Delete(); !s.ok()) return s;
  groups_.erase(it);
  return absl::OkStatus();
}

void GroupCoordinator::OnTopicDeleted(const std::string& topic) {
  for (const auto& g : All()) g->OnTopicDeleted(topic);
}

void GroupCoordinator::OnPartitionsAdded(const std::string& topic) {
  for (const auto& g : All()) g->OnPartitionsAdded(topic);
}

std::optional<Offset> GroupCoordinator::CommittedOffset(
    const std::string& group_id, const TopicPartition& tp) const {
  auto group = Find(group_id);
  if (!group.ok()) return std::nullopt;
  auto committed = (*group)->Committed({tp});
  auto it = committed.find(tp);
  return it == committed.end() ? std::nullopt : it->second;
}

}  // namespace evlog
