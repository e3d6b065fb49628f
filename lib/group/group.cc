#include "group/group.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "storage/durable_file.h"
#include "topic/topic_name.h"
#include "util/string_view.h"

namespace evlog {

absl::Status ValidateGroupId(std::string_view group) {
  if (absl::Status s = ValidateTopicName(group); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("group id \"", ToAbsl(group),
                     "\" is invalid (the topic-name rule): ", s.message()));
  }
  return absl::OkStatus();
}

Group::Group(std::string name, Env* env, std::string groups_dir,
             TopicLookup lookup, bool read_only)
    : name_(std::move(name)),
      env_(env),
      groups_dir_(std::move(groups_dir)),
      lookup_(std::move(lookup)),
      read_only_(read_only) {}

std::string Group::dir() const { return absl::StrCat(groups_dir_, "/", name_); }

absl::Status Group::Load() {
  std::string path = absl::StrCat(dir(), "/", kOffsetsFile);
  if (!read_only_) env_->RemoveFile(path + kTmpSuffix).IgnoreError();
  if (!env_->FileExists(path)) return absl::OkStatus();
  auto text = env_->ReadFile(path);
  if (!text.ok()) return text.status();
  auto decoded = DecodeGroupOffsets(*text);
  if (!decoded.ok()) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", decoded.status().message()));
  }
  if (decoded->group != name_) {
    return absl::DataLossError(
        absl::StrCat(path, ": names group ", decoded->group));
  }
  MutexLock p(&persist_mu_);
  file_exists_ = true;
  MutexLock l(&mu_);
  for (const CommittedOffsetEntry& e : decoded->offsets) {
    auto topic = lookup_(e.topic);
    // Offsets of a deleted (or deleted and re-created) topic are dropped.
    if (!topic.ok() || (*topic)->id() != e.topic_id ||
        e.partition >= (*topic)->partition_count()) {
      continue;
    }
    committed_[{e.topic, PartitionId(e.partition)}] = {e.topic_id,
                                                       Offset(e.offset)};
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Membership
// ---------------------------------------------------------------------------

void Group::Wake(MemberHandle& h) {
  h.epoch.fetch_add(1, std::memory_order_acq_rel);
  h.waiter->Notify();
}

bool Group::EagerLocked() const {
  return strategy_ != AssignmentStrategy::kCooperativeSticky;
}

absl::StatusOr<std::shared_ptr<MemberHandle>> Group::Join(
    const std::string& client_id, std::vector<std::string> topics,
    AssignmentStrategy strategy, int64_t max_poll_interval_ms, Waiter* waiter,
    int64_t now_ms) {
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  MutexLock l(&mu_);
  if (deleted_) {
    return absl::FailedPreconditionError(
        absl::StrCat("group ", name_, " was deleted"));
  }
  if (!members_.empty() && strategy != strategy_) {
    return absl::InvalidArgumentError(
        absl::StrCat("group ", name_,
                     " uses another assignment strategy than this consumer's"));
  }
  strategy_ = strategy;
  auto handle = std::make_shared<MemberHandle>(
      absl::StrCat(client_id, "-", next_member_++), waiter);
  handle->last_poll_ms.store(now_ms);
  members_.push_back(Member{
      handle, client_id, std::move(topics), max_poll_interval_ms, {}, {}, 0});
  RebalanceLocked();
  return handle;
}

absl::Status Group::Resubscribe(const MemberHandle& member,
                                std::vector<std::string> topics) {
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  MutexLock l(&mu_);
  for (Member& m : members_) {
    if (m.handle->id != member.id) continue;
    m.topics = std::move(topics);
    RebalanceLocked();
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("member ", member.id, " is no longer in group ", name_));
}

void Group::RemoveLocked(const std::string& member_id, bool evicted) {
  auto it =
      std::find_if(members_.begin(), members_.end(),
                   [&](const Member& m) { return m.handle->id == member_id; });
  if (it == members_.end()) return;
  for (const TopicPartition& tp : it->owned) owner_.erase(tp);
  std::shared_ptr<MemberHandle> h = it->handle;
  members_.erase(it);
  h->removed.store(true, std::memory_order_release);
  if (evicted) Wake(*h);
  RebalanceLocked();
}

void Group::Leave(const MemberHandle& member) {
  MutexLock l(&mu_);
  RemoveLocked(member.id, /*evicted=*/false);
}

void Group::EvictExpired(int64_t now_ms) {
  MutexLock l(&mu_);
  std::vector<std::string> expired;
  for (const Member& m : members_) {
    if (!m.handle->in_poll.load(std::memory_order_acquire) &&
        now_ms - m.handle->last_poll_ms.load(std::memory_order_acquire) >
            m.max_poll_interval_ms) {
      expired.push_back(m.handle->id);
    }
  }
  for (const std::string& id : expired) RemoveLocked(id, /*evicted=*/true);
}

void Group::RebalanceLocked() {
  ++generation_;
  if (observer_ != nullptr) {
    observer_->OnRebalance(name_, generation_,
                           static_cast<int64_t>(members_.size()));
  }
  if (members_.empty()) return;
  std::vector<MemberSubscription> subs;
  TopicPartitionCounts counts;
  GroupAssignment previous;
  for (const Member& m : members_) {
    subs.push_back({m.handle->id, m.topics});
    previous[m.handle->id].assign(m.target.begin(), m.target.end());
    for (const std::string& t : m.topics) {
      if (counts.contains(t)) continue;
      auto topic = lookup_(t);
      if (topic.ok()) counts[t] = (*topic)->partition_count();
    }
  }
  GroupAssignment next = AssignPartitions(strategy_, subs, counts, previous);
  for (Member& m : members_) {
    const auto& tps = next[m.handle->id];
    m.target = std::set<TopicPartition>(tps.begin(), tps.end());
    Wake(*m.handle);
  }
}

SyncStep Group::PlanSync(const MemberHandle& member) {
  MutexLock l(&mu_);
  SyncStep step;
  step.generation = generation_;
  auto it =
      std::find_if(members_.begin(), members_.end(),
                   [&](const Member& m) { return m.handle->id == member.id; });
  if (it == members_.end()) {
    step.removed = true;
    return step;
  }
  for (const TopicPartition& tp : it->owned) {
    bool eager_revoke = EagerLocked() && it->revoked_generation < generation_;
    if (eager_revoke || !it->target.contains(tp)) step.partitions.push_back(tp);
  }
  return step;
}

SyncStep Group::FinishSync(const MemberHandle& member,
                           const std::vector<TopicPartition>& revoked,
                           int64_t planned_generation) {
  MutexLock l(&mu_);
  SyncStep step;
  step.generation = generation_;
  auto it =
      std::find_if(members_.begin(), members_.end(),
                   [&](const Member& m) { return m.handle->id == member.id; });
  if (it == members_.end()) {
    step.removed = true;
    return step;
  }
  for (const TopicPartition& tp : revoked) {
    if (it->owned.erase(tp) == 0) continue;
    owner_.erase(tp);
    // Its new owner may be waiting for it.
    for (Member& other : members_) {
      if (&other != &*it && other.target.contains(tp)) Wake(*other.handle);
    }
  }
  if (EagerLocked()) {
    // An eager member takes partitions only once it has given up all it
    // held in this generation.
    if (planned_generation != generation_) return step;
    it->revoked_generation = generation_;
  }
  for (const TopicPartition& tp : it->target) {
    if (it->owned.contains(tp) || owner_.contains(tp)) continue;
    owner_[tp] = member.id;
    it->owned.insert(tp);
    step.partitions.push_back(tp);
    auto c = committed_.find(tp);
    if (c != committed_.end()) step.committed[tp] = c->second.offset;
  }
  return step;
}

bool Group::HasMembers() const {
  MutexLock l(&mu_);
  return !members_.empty();
}

bool Group::Exists() const {
  MutexLock l(&mu_);
  return !deleted_ && (!members_.empty() || !committed_.empty());
}

// ---------------------------------------------------------------------------
// Offsets
// ---------------------------------------------------------------------------

absl::Status Group::Commit(const MemberHandle* member,
                           const std::vector<TopicPartitionOffset>& offsets) {
  if (read_only_) {
    return absl::FailedPreconditionError(
        "the store is open read-only: cannot commit");
  }
  if (offsets.empty()) return absl::OkStatus();
  // Resolve topic ids first (the store's lock is taken after ours, never
  // while a caller waits on it).
  std::vector<uint64_t> ids;
  for (const TopicPartitionOffset& o : offsets) {
    auto topic = lookup_(o.tp.topic);
    if (!topic.ok()) return topic.status();
    if (o.tp.partition.value() < 0 ||
        o.tp.partition.value() >= (*topic)->partition_count()) {
      return absl::OutOfRangeError(
          absl::StrCat("no partition ", ToString(o.tp)));
    }
    if (o.offset.value() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("negative offset to commit for ", ToString(o.tp)));
    }
    ids.push_back((*topic)->id());
  }
  uint64_t version;
  {
    MutexLock l(&mu_);
    if (deleted_) {
      return absl::FailedPreconditionError(
          absl::StrCat("group ", name_, " was deleted"));
    }
    if (member == nullptr) {
      if (!members_.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "group ", name_, " has active members (generation ", generation_,
            "); a consumer with a manual assignment cannot commit to it"));
      }
    } else {
      auto it = std::find_if(
          members_.begin(), members_.end(),
          [&](const Member& m) { return m.handle->id == member->id; });
      if (it == members_.end()) {
        return absl::AbortedError(absl::StrCat(
            "member ", member->id, " was removed from group ", name_,
            " (now generation ", generation_, "); its commit is fenced off"));
      }
      for (const TopicPartitionOffset& o : offsets) {
        if (!it->owned.contains(o.tp)) {
          return absl::AbortedError(absl::StrCat(
              "member ", member->id, " does not own ", ToString(o.tp),
              " in group ", name_, " generation ", generation_,
              " (rebalanced away); commit fenced off"));
        }
      }
    }
    for (size_t i = 0; i < offsets.size(); ++i) {
      committed_[offsets[i].tp] = {ids[i], offsets[i].offset};
    }
    version = ++version_;
  }
  return Persist(version);
}

absl::Status Group::Persist(uint64_t version) {
  MutexLock p(&persist_mu_);
  // A write that started after our change carried it.
  if (written_version_ >= version) return absl::OkStatus();
  GroupOffsets snapshot;
  uint64_t snapshot_version;
  {
    MutexLock l(&mu_);
    if (deleted_) {
      return absl::FailedPreconditionError(
          absl::StrCat("group ", name_, " was deleted"));
    }
    snapshot.group = name_;
    for (const auto& [tp, c] : committed_) {
      snapshot.offsets.push_back(
          {c.topic_id, tp.topic, tp.partition.value(), c.offset.value()});
    }
    snapshot_version = version_;
  }
  if (!file_exists_) {
    if (absl::Status s = CreateDirDurably(env_, groups_dir_, name_); !s.ok())
      return s;
  }
  absl::Status s = ReplaceFileDurably(env_, dir(), kOffsetsFile,
                                      EncodeGroupOffsets(snapshot));
  if (!s.ok()) return s;  // the old file is intact; a later commit rewrites
  file_exists_ = true;
  written_version_ = snapshot_version;
  return absl::OkStatus();
}

std::map<TopicPartition, std::optional<Offset>> Group::Committed(
    const std::vector<TopicPartition>& partitions) const {
  std::map<TopicPartition, std::optional<Offset>> out;
  MutexLock l(&mu_);
  for (const TopicPartition& tp : partitions) {
    auto it = committed_.find(tp);
    out[tp] = it == committed_.end() ? std::nullopt
                                     : std::optional(it->second.offset);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Topic changes
// ---------------------------------------------------------------------------

void Group::OnTopicDeleted(const std::string& topic) {
  MutexLock l(&mu_);
  // Offsets of the old topic must not apply to a re-created one; the file
  // drops them at load by topic id, memory drops them now.
  for (auto it = committed_.begin(); it != committed_.end();) {
    it = it->first.topic == topic ? committed_.erase(it) : std::next(it);
  }
  for (const Member& m : members_) {
    if (std::binary_search(m.topics.begin(), m.topics.end(), topic)) {
      RebalanceLocked();
      return;
    }
  }
}

void Group::OnPartitionsAdded(const std::string& topic) {
  MutexLock l(&mu_);
  for (const Member& m : members_) {
    if (std::binary_search(m.topics.begin(), m.topics.end(), topic)) {
      RebalanceLocked();
      return;
    }
  }
}

// ---------------------------------------------------------------------------
// Administration
// ---------------------------------------------------------------------------

GroupDescription Group::Describe() const {
  GroupDescription d;
  d.group_id = name_;
  std::map<TopicPartition, GroupPartitionDescription> parts;
  {
    MutexLock l(&mu_);
    d.generation = generation_;
    d.state = members_.empty() ? "Empty" : "Stable";
    if (!members_.empty()) d.strategy = strategy_;
    for (const Member& m : members_) {
      if (m.owned != m.target) d.state = "Rebalancing";
      d.members.push_back(
          {m.handle->id, m.client_id, m.topics,
           std::vector<TopicPartition>(m.owned.begin(), m.owned.end())});
    }
    for (const auto& [tp, c] : committed_) parts[tp].committed = c.offset;
    for (const auto& [tp, owner] : owner_) parts[tp].owner = owner;
  }
  for (auto& [tp, p] : parts) {
    p.tp = tp;
    auto topic = lookup_(tp.topic);
    const PartitionLog* log =
        topic.ok() ? (*topic)->partition(tp.partition) : nullptr;
    if (log != nullptr) p.end_offset = log->end_offset();
    if (p.committed) p.lag = std::max<int64_t>(0, p.end_offset - *p.committed);
    d.partitions.push_back(std::move(p));
  }
  return d;
}

absl::StatusOr<std::vector<TopicPartitionOffset>> Group::ResetOffsets(
    const std::string& topic_name, const OffsetReset& reset) {
  if (read_only_) {
    return absl::FailedPreconditionError("the store is open read-only");
  }
  auto topic = lookup_(topic_name);
  if (!topic.ok()) return topic.status();
  std::vector<TopicPartitionOffset> out;
  uint64_t version;
  {
    MutexLock l(&mu_);
    if (deleted_)
      return absl::NotFoundError(absl::StrCat("unknown group ", name_));
    if (!members_.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "group ", name_, " has ", members_.size(),
          " active members; stop them before resetting its offsets"));
    }
    for (int32_t p = 0; p < (*topic)->partition_count(); ++p) {
      TopicPartition tp{topic_name, PartitionId(p)};
      const PartitionLog* log = (*topic)->partition(tp.partition);
      int64_t start = log->start_offset().value(),
              end = log->end_offset().value();
      int64_t target = start;
      switch (reset.kind) {
        case OffsetReset::Kind::kEarliest:
          target = start;
          break;
        case OffsetReset::Kind::kLatest:
          target = end;
          break;
        case OffsetReset::Kind::kOffset:
          target = reset.value;
          break;
        case OffsetReset::Kind::kTime: {
          auto o = log->OffsetForTimestamp(reset.value);
          if (!o.ok()) return o.status();
          target = o->value();
          break;
        }
        case OffsetReset::Kind::kShiftBy: {
          auto c = committed_.find(tp);
          target = (c == committed_.end() ? start : c->second.offset.value()) +
                   reset.value;
          break;
        }
      }
      target = std::clamp(target, start, end);
      committed_[tp] = {(*topic)->id(), Offset(target)};
      out.push_back({tp, Offset(target)});
    }
    version = ++version_;
  }
  if (absl::Status s = Persist(version); !s.ok()) return s;
  return out;
}

absl::Status Group::Delete() {
  MutexLock p(&persist_mu_);
  {
    MutexLock l(&mu_);
    if (deleted_)
      return absl::NotFoundError(absl::StrCat("unknown group ", name_));
    if (!members_.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("group ", name_, " has ", members_.size(),
                       " active members; cannot delete it"));
    }
    deleted_ = true;
    committed_.clear();
  }
  if (read_only_ || !file_exists_) return absl::OkStatus();
  // Removing OFFSETS first makes the deletion take effect; an empty
  // directory left by a crash is removed at the next open.
  if (absl::Status s = RemoveTree(env_, dir()); !s.ok()) return s;
  return env_->SyncDir(groups_dir_);
}

}  // namespace evlog
