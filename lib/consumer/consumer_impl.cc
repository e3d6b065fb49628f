#include "consumer/consumer_impl.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "topic/topic_registry.h"
#include "util/string_view.h"

namespace evlog {

absl::Status ConsumerImpl::Validate(const ConsumerOptions& o) {
  auto bad = [](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("ConsumerOptions::", ToAbsl(why)));
  };
  if (o.max_poll_records < 1) return bad("max_poll_records must be >= 1");
  if (o.spin_us < 0) return bad("spin_us must be >= 0");
  if (o.auto_commit_interval_ms < 0)
    return bad("auto_commit_interval_ms must be >= 0");
  if (o.max_poll_interval_ms <= 0)
    return bad("max_poll_interval_ms must be > 0");
  if (o.client_id.empty() ||
      o.client_id.find_first_of(" \n") != std::string::npos) {
    return bad("client_id must be non-empty, without spaces");
  }
  if (!o.group_id.empty()) {
    if (absl::Status s = ValidateGroupId(o.group_id); !s.ok()) return s;
  }
  return absl::OkStatus();
}

ConsumerImpl::ConsumerImpl(const TopicRegistry* topics, Clock* clock,
                           const ConsumerOptions& options,
                           std::shared_ptr<Group> group)
    : topics_(topics),
      options_(options),
      clock_(clock),
      group_(std::move(group)) {
  next_auto_commit_ms_ = clock_->NowMs() + options_.auto_commit_interval_ms;
}

ConsumerImpl::~ConsumerImpl() { Close().IgnoreError(); }

absl::Status ConsumerImpl::CheckOpen() const {
  if (closed_) return absl::FailedPreconditionError("consumer is closed");
  if (topics_->closed())
    return absl::FailedPreconditionError("store is closed");
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Cursors
// ---------------------------------------------------------------------------

absl::StatusOr<std::shared_ptr<Topic>> ConsumerImpl::ResolvePartition(
    const TopicPartition& tp) const {
  auto topic = topics_->Find(tp.topic);
  if (!topic.ok()) return topic.status();
  if ((*topic)->partition(tp.partition) == nullptr) {
    return absl::OutOfRangeError(absl::StrCat(
        "topic ", tp.topic, " has no partition ", tp.partition.value()));
  }
  return topic;
}

ConsumerImpl::Cursor* ConsumerImpl::Find(const TopicPartition& tp) const {
  auto it = std::lower_bound(
      cursors_.begin(), cursors_.end(), tp,
      [](const auto& c, const TopicPartition& t) { return c->tp < t; });
  return it != cursors_.end() && (*it)->tp == tp ? it->get() : nullptr;
}

absl::StatusOr<ConsumerImpl::Cursor*> ConsumerImpl::FindAssigned(
    const TopicPartition& tp) const {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  Cursor* c = Find(tp);
  if (c == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "partition ", ToString(tp), " is not assigned to this consumer"));
  }
  return c;
}

Offset ConsumerImpl::Limit(const PartitionLog& log) const {
  return options_.read_durable_only ? log.durable_end_offset()
                                    : log.end_offset();
}

absl::StatusOr<Offset> ConsumerImpl::ResetOffset(const Cursor& c,
                                                 std::string_view why) const {
  switch (options_.auto_offset_reset) {
    case AutoOffsetReset::kEarliest:
      return c.log->start_offset();
    case AutoOffsetReset::kLatest:
      return Limit(*c.log);
    case AutoOffsetReset::kError:
      break;
  }
  return absl::OutOfRangeError(absl::StrCat(
      ToString(c.tp), ": ", ToAbsl(why), " and auto_offset_reset is kError"));
}

absl::Status ConsumerImpl::AddCursor(const TopicPartition& tp,
                                     std::optional<Offset> committed) {
  auto topic = ResolvePartition(tp);
  if (!topic.ok()) return topic.status();
  auto c = std::make_unique<Cursor>(tp, *topic,
                                    (*topic)->shared_partition(tp.partition));
  if (committed) {
    c->reader.Seek(*committed);
    c->committed = committed;
  } else {
    auto reset = ResetOffset(*c, "no committed offset");
    if (reset.ok()) {
      c->reader.Seek(*reset);
    } else {
      c->needs_reset = true;  // Poll and Position report it
    }
  }
  c->log->AddWaiter(&waiter_);
  auto it = std::lower_bound(
      cursors_.begin(), cursors_.end(), tp,
      [](const auto& x, const TopicPartition& t) { return x->tp < t; });
  cursors_.insert(it, std::move(c));
  return absl::OkStatus();
}

void ConsumerImpl::RemoveCursor(const TopicPartition& tp) {
  for (auto it = cursors_.begin(); it != cursors_.end(); ++it) {
    if ((*it)->tp != tp) continue;
    (*it)->log->RemoveWaiter(&waiter_);
    cursors_.erase(it);
    return;
  }
}

void ConsumerImpl::RemoveAllCursors() {
  for (auto& c : cursors_) c->log->RemoveWaiter(&waiter_);
  cursors_.clear();
}

// ---------------------------------------------------------------------------
// Assignment
// ---------------------------------------------------------------------------

absl::Status ConsumerImpl::Assign(
    const std::vector<TopicPartition>& partitions) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (member_ != nullptr) {
    return absl::FailedPreconditionError(
        "Assign on a subscribed consumer: Unsubscribe() first");
  }
  std::vector<TopicPartition> wanted = partitions;
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  for (const TopicPartition& tp : wanted) {
    if (auto t = ResolvePartition(tp); !t.ok()) return t.status();
  }
  std::vector<TopicPartition> drop;
  for (const auto& c : cursors_) {
    if (!std::binary_search(wanted.begin(), wanted.end(), c->tp))
      drop.push_back(c->tp);
  }
  for (const TopicPartition& tp : drop) RemoveCursor(tp);
  std::vector<TopicPartition> added;
  for (const TopicPartition& tp : wanted) {
    if (Find(tp) == nullptr) added.push_back(tp);
  }
  std::map<TopicPartition, std::optional<Offset>> committed;
  if (group_ != nullptr) committed = group_->Committed(added);
  for (const TopicPartition& tp : added) {
    if (absl::Status s = AddCursor(tp, committed[tp]); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ConsumerImpl::Subscribe(const std::vector<std::string>& topics) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (group_ == nullptr) {
    return absl::InvalidArgumentError(
        "Subscribe needs ConsumerOptions::group_id");
  }
  if (topics.empty()) return Unsubscribe();
  if (member_ == nullptr && !cursors_.empty()) {
    return absl::FailedPreconditionError(
        "Subscribe on a consumer with a manual assignment: Assign({}) first");
  }
  for (const std::string& t : topics) {
    if (auto found = topics_->Find(t); !found.ok()) return found.status();
  }
  pattern_.reset();
  return SetSubscription(topics);
}

absl::Status ConsumerImpl::SetSubscription(std::vector<std::string> topics) {
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  if (member_ != nullptr) {
    subscription_ = topics;
    return group_->Resubscribe(*member_, topics);
  }
  auto joined =
      group_->Join(options_.client_id, topics, options_.assignment_strategy,
                   options_.max_poll_interval_ms, &waiter_, clock_->NowMs());
  if (!joined.ok()) return joined.status();
  subscription_ = std::move(topics);
  member_ = *std::move(joined);
  seen_epoch_ = 0;  // sync at the next Poll
  return absl::OkStatus();
}

absl::Status ConsumerImpl::SubscribePattern(const std::string& regex) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (group_ == nullptr) {
    return absl::InvalidArgumentError(
        "SubscribePattern needs ConsumerOptions::group_id");
  }
  if (member_ == nullptr && !cursors_.empty()) {
    return absl::FailedPreconditionError(
        "SubscribePattern on a consumer with a manual assignment: Assign({}) "
        "first");
  }
  try {
    pattern_.emplace(regex, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    pattern_.reset();
    return absl::InvalidArgumentError(absl::StrCat(
        "subscription pattern \"", regex, "\" is not a regex: ", e.what()));
  }
  pattern_generation_ = ~uint64_t{0};  // match now
  return RefreshPattern();
}

absl::Status ConsumerImpl::RefreshPattern() {
  if (!pattern_ || topics_->generation() == pattern_generation_)
    return absl::OkStatus();
  pattern_generation_ = topics_->generation();
  std::vector<std::string> matched;
  for (const std::string& name : topics_->Names()) {
    if (std::regex_match(name, *pattern_)) matched.push_back(name);
  }
  if (member_ != nullptr && matched == subscription_) return absl::OkStatus();
  return SetSubscription(std::move(matched));
}

std::vector<std::string> ConsumerImpl::Subscription() const {
  return member_ != nullptr ? subscription_ : std::vector<std::string>();
}

absl::StatusOr<std::vector<TopicPartition>> ConsumerImpl::PartitionsFor(
    const std::string& topic) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  auto found = topics_->Find(topic);
  if (!found.ok()) return found.status();
  std::vector<TopicPartition> out;
  for (int32_t p = 0; p < (*found)->partition_count(); ++p) {
    out.push_back({topic, PartitionId(p)});
  }
  return out;
}

absl::Status ConsumerImpl::LeaveGroup() {
  absl::Status s;
  if (group_ != nullptr && options_.enable_auto_commit)
    s = CommitPositions(nullptr);
  if (member_ != nullptr) {
    if (options_.listener != nullptr && !cursors_.empty() &&
        !member_->removed.load(std::memory_order_acquire)) {
      options_.listener->OnPartitionsRevoked(*this, Assignment());
    }
    group_->Leave(*member_);
    member_.reset();
    subscription_.clear();
    pattern_.reset();
    generation_ = -1;
  }
  RemoveAllCursors();
  return s;
}

absl::Status ConsumerImpl::Unsubscribe() {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  return LeaveGroup();
}

std::vector<TopicPartition> ConsumerImpl::Assignment() const {
  std::vector<TopicPartition> out;
  for (const auto& c : cursors_) out.push_back(c->tp);
  return out;
}

int64_t ConsumerImpl::GroupGeneration() const {
  return member_ ? generation_ : -1;
}

std::string ConsumerImpl::MemberId() const {
  return member_ ? member_->id : "";
}

void ConsumerImpl::Wakeup() {
  wakeup_.store(true, std::memory_order_release);
  waiter_.Notify();
}

// ---------------------------------------------------------------------------
// Positions
// ---------------------------------------------------------------------------

absl::Status ConsumerImpl::Seek(const TopicPartition& tp, Offset offset) {
  auto c = FindAssigned(tp);
  if (!c.ok()) return c.status();
  if (offset.value() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("negative offset for ", ToString(tp)));
  }
  (*c)->reader.Seek(offset);
  (*c)->needs_reset = false;
  return absl::OkStatus();
}

absl::Status ConsumerImpl::SeekToBeginning(
    const std::vector<TopicPartition>& partitions) {
  std::vector<TopicPartition> tps =
      partitions.empty() ? Assignment() : partitions;
  for (const TopicPartition& tp : tps) {
    auto c = FindAssigned(tp);
    if (!c.ok()) return c.status();
    if (absl::Status s = Seek(tp, (*c)->log->start_offset()); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ConsumerImpl::SeekToEnd(
    const std::vector<TopicPartition>& partitions) {
  std::vector<TopicPartition> tps =
      partitions.empty() ? Assignment() : partitions;
  for (const TopicPartition& tp : tps) {
    auto c = FindAssigned(tp);
    if (!c.ok()) return c.status();
    if (absl::Status s = Seek(tp, Limit(*(*c)->log)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<Offset> ConsumerImpl::Position(const TopicPartition& tp) {
  auto c = FindAssigned(tp);
  if (!c.ok()) return c.status();
  if ((*c)->needs_reset) {
    auto reset = ResetOffset(**c, "no committed offset");
    if (!reset.ok()) return reset.status();
    (*c)->reader.Seek(*reset);
    (*c)->needs_reset = false;
  }
  return (*c)->reader.position();
}

absl::StatusOr<std::map<TopicPartition, std::optional<Offset>>>
ConsumerImpl::OffsetsForTimes(
    const std::map<TopicPartition, int64_t>& timestamps_ms) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  std::map<TopicPartition, std::optional<Offset>> out;
  for (const auto& [tp, ts] : timestamps_ms) {
    auto topic = ResolvePartition(tp);
    if (!topic.ok()) return topic.status();
    const PartitionLog* log = (*topic)->partition(tp.partition);
    auto o = log->OffsetForTimestamp(ts);
    if (!o.ok()) return o.status();
    out[tp] = *o < log->end_offset() ? std::optional(*o) : std::nullopt;
  }
  return out;
}

absl::StatusOr<std::map<TopicPartition, Offset>> ConsumerImpl::BeginningOffsets(
    const std::vector<TopicPartition>& partitions) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  std::map<TopicPartition, Offset> out;
  for (const TopicPartition& tp : partitions) {
    auto topic = ResolvePartition(tp);
    if (!topic.ok()) return topic.status();
    out[tp] = (*topic)->partition(tp.partition)->start_offset();
  }
  return out;
}

absl::StatusOr<std::map<TopicPartition, Offset>> ConsumerImpl::EndOffsets(
    const std::vector<TopicPartition>& partitions) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  std::map<TopicPartition, Offset> out;
  for (const TopicPartition& tp : partitions) {
    auto topic = ResolvePartition(tp);
    if (!topic.ok()) return topic.status();
    out[tp] = Limit(*(*topic)->partition(tp.partition));
  }
  return out;
}

absl::Status ConsumerImpl::Pause(
    const std::vector<TopicPartition>& partitions) {
  for (const TopicPartition& tp : partitions) {
    if (auto c = FindAssigned(tp); !c.ok()) return c.status();
  }
  for (const TopicPartition& tp : partitions) Find(tp)->paused = true;
  return absl::OkStatus();
}

absl::Status ConsumerImpl::Resume(
    const std::vector<TopicPartition>& partitions) {
  for (const TopicPartition& tp : partitions) {
    if (auto c = FindAssigned(tp); !c.ok()) return c.status();
  }
  for (const TopicPartition& tp : partitions) Find(tp)->paused = false;
  // A Poll blocked on another thread cannot exist (thread-compatible), so
  // no wake-up is needed.
  return absl::OkStatus();
}

std::vector<TopicPartition> ConsumerImpl::Paused() const {
  std::vector<TopicPartition> out;
  for (const auto& c : cursors_) {
    if (c->paused) out.push_back(c->tp);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Commits
// ---------------------------------------------------------------------------

absl::Status ConsumerImpl::DoCommit(
    const std::vector<TopicPartitionOffset>& offsets) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (group_ == nullptr) {
    return absl::InvalidArgumentError(
        "committing needs ConsumerOptions::group_id");
  }
  if (member_ != nullptr) {
    for (const TopicPartitionOffset& o : offsets) {
      if (Find(o.tp) == nullptr) {
        return absl::AbortedError(absl::StrCat("cannot commit ", ToString(o.tp),
                                               ": not owned by member ",
                                               member_->id));
      }
    }
  }
  absl::Status s = group_->Commit(member_.get(), offsets);
  if (!s.ok()) return s;
  for (const TopicPartitionOffset& o : offsets) {
    if (Cursor* c = Find(o.tp)) c->committed = o.offset;
  }
  return absl::OkStatus();
}

absl::Status ConsumerImpl::CommitPositions(
    const std::vector<TopicPartition>* only) {
  std::vector<TopicPartitionOffset> offsets;
  for (const auto& c : cursors_) {
    if (c->needs_reset) continue;
    if (only != nullptr &&
        std::find(only->begin(), only->end(), c->tp) == only->end()) {
      continue;
    }
    Offset pos = c->reader.position();
    if (c->committed != pos) offsets.push_back({c->tp, pos});
  }
  if (offsets.empty()) return absl::OkStatus();
  return DoCommit(offsets);
}

absl::Status ConsumerImpl::CommitSync() {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (group_ == nullptr) {
    return absl::InvalidArgumentError(
        "committing needs ConsumerOptions::group_id");
  }
  return CommitPositions(nullptr);
}

absl::Status ConsumerImpl::CommitSync(
    const std::vector<TopicPartitionOffset>& offsets) {
  return DoCommit(offsets);
}

void ConsumerImpl::CommitAsync(CommitCallback callback) {
  absl::Status s = CommitSync();
  if (callback) callback(s);
}

void ConsumerImpl::CommitAsync(const std::vector<TopicPartitionOffset>& offsets,
                               CommitCallback callback) {
  absl::Status s = CommitSync(offsets);
  if (callback) callback(s);
}

absl::StatusOr<std::map<TopicPartition, std::optional<Offset>>>
ConsumerImpl::Committed(const std::vector<TopicPartition>& partitions) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (group_ == nullptr) {
    return absl::InvalidArgumentError(
        "committed offsets need ConsumerOptions::group_id");
  }
  return group_->Committed(partitions);
}

absl::Status ConsumerImpl::Close() {
  if (closed_) return absl::OkStatus();
  absl::Status s;
  if (!topics_->closed()) {
    s = LeaveGroup();
  } else if (member_ != nullptr) {
    group_->Leave(*member_);
    member_.reset();
  }
  RemoveAllCursors();
  closed_ = true;
  return s;
}

}  // namespace evlog
