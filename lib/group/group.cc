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
// Topic changes
// ---------------------------------------------------------------------------

void Group::OnTopicDeleted(const std::string& topic) {
  // After any commit in flight (persist_mu_), so that it cannot put offsets
  // of the deleted topic back into memory.
  MutexLock p(&persist_mu_);
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

}  // namespace evlog
