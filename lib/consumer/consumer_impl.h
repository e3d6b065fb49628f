// consumer/consumer_impl.h: the implementation of evlog::Consumer.
//
// One Cursor per assigned partition: a LogReader (lock-free, zero-copy)
// plus the pause flag and the last committed position. Poll walks the
// cursors round robin from a rotating start so that no partition starves,
// and waits on one Waiter registered with every assigned PartitionLog (each
// append notifies it), with the group's rebalances and Wakeup() notifying
// the same Waiter. Group membership is a MemberHandle (group/group.h): the
// consumer compares its epoch on each Poll (one atomic load) and syncs with
// the group on its own thread when it moved.
//
// Files: consumer_impl.cc (assignment, positions, commits, close) and
// consumer_poll.cc (Poll, waiting, rebalance handling).
//
// Thread safety: thread-compatible; Wakeup() is thread-safe.

#ifndef EVLOG_CONSUMER_CONSUMER_IMPL_H_
#define EVLOG_CONSUMER_CONSUMER_IMPL_H_

#include <atomic>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "evlog/consumer.h"
#include "group/group.h"
#include "partition/log_reader.h"
#include "topic/topic.h"
#include "util/waiter.h"

namespace evlog {

class TopicRegistry;

class ConsumerImpl final : public Consumer {
 public:
  // `group` is null without a group id. `topics` (the store's registry)
  // and `clock` must outlive the consumer.
  ConsumerImpl(const TopicRegistry* topics, Clock* clock,
               const ConsumerOptions& options, std::shared_ptr<Group> group);
  ~ConsumerImpl() override;

  // Checks options; kInvalidArgument naming the field.
  static absl::Status Validate(const ConsumerOptions& options);

  absl::Status Assign(const std::vector<TopicPartition>& partitions) override;
  absl::Status Subscribe(const std::vector<std::string>& topics) override;
  absl::Status SubscribePattern(const std::string& regex) override;
  std::vector<std::string> Subscription() const override;
  absl::StatusOr<std::vector<TopicPartition>> PartitionsFor(
      const std::string& topic) override;
  absl::Status Unsubscribe() override;
  std::vector<TopicPartition> Assignment() const override;
  int64_t GroupGeneration() const override;
  std::string MemberId() const override;

  absl::Status Poll(std::chrono::nanoseconds timeout, PollResult* out) override;
  void Wakeup() override;

  absl::Status Seek(const TopicPartition& tp, Offset offset) override;
  absl::Status SeekToBeginning(
      const std::vector<TopicPartition>& partitions) override;
  absl::Status SeekToEnd(
      const std::vector<TopicPartition>& partitions) override;
  absl::StatusOr<Offset> Position(const TopicPartition& tp) override;
  absl::StatusOr<std::map<TopicPartition, std::optional<Offset>>>
  OffsetsForTimes(
      const std::map<TopicPartition, int64_t>& timestamps_ms) override;
  absl::StatusOr<std::map<TopicPartition, Offset>> BeginningOffsets(
      const std::vector<TopicPartition>& partitions) override;
  absl::StatusOr<std::map<TopicPartition, Offset>> EndOffsets(
      const std::vector<TopicPartition>& partitions) override;
  absl::Status Pause(const std::vector<TopicPartition>& partitions) override;
  absl::Status Resume(const std::vector<TopicPartition>& partitions) override;
  std::vector<TopicPartition> Paused() const override;

  absl::Status CommitSync() override;
  absl::Status CommitSync(
      const std::vector<TopicPartitionOffset>& offsets) override;
  void CommitAsync(CommitCallback callback) override;
  void CommitAsync(const std::vector<TopicPartitionOffset>& offsets,
                   CommitCallback callback) override;
  absl::StatusOr<std::map<TopicPartition, std::optional<Offset>>> Committed(
      const std::vector<TopicPartition>& partitions) override;

  absl::Status Close() override;

 private:
  struct Cursor {
    Cursor(TopicPartition tp, std::shared_ptr<Topic> topic,
           std::shared_ptr<PartitionLog> log)
        : tp(std::move(tp)),
          topic(std::move(topic)),
          log(std::move(log)),
          reader(this->log.get(), Offset(0)) {}
    TopicPartition tp;
    std::shared_ptr<Topic> topic;  // keeps the topic name alive
    std::shared_ptr<PartitionLog> log;
    LogReader reader;          // its position() is the consumer's
    bool needs_reset = false;  // no position yet: apply auto_offset_reset
    bool paused = false;
    std::optional<Offset> committed;  // last position committed by us
  };

  // ---- consumer_impl.cc ----
  absl::Status CheckOpen() const;
  absl::StatusOr<std::shared_ptr<Topic>> ResolvePartition(
      const TopicPartition& tp) const;
  Cursor* Find(const TopicPartition& tp) const;
  absl::StatusOr<Cursor*> FindAssigned(const TopicPartition& tp) const;
  // Creates the cursor (registering the waiter), positioned at `committed`
  // or per auto_offset_reset.
  absl::Status AddCursor(const TopicPartition& tp,
                         std::optional<Offset> committed);
  void RemoveCursor(const TopicPartition& tp);
  void RemoveAllCursors();
  // The offset auto_offset_reset gives for the cursor, or kOutOfRange.
  absl::StatusOr<Offset> ResetOffset(const Cursor& c,
                                     std::string_view why) const;
  Offset Limit(const PartitionLog& log) const;
  // Commits the positions of the given cursors (all if null) that moved
  // since our last commit.
  absl::Status CommitPositions(const std::vector<TopicPartition>* only);
  absl::Status DoCommit(const std::vector<TopicPartitionOffset>& offsets);
  // Leaves the group (auto-commit, OnPartitionsRevoked) and drops cursors.
  absl::Status LeaveGroup();
  // Joins the group with `topics`, or changes this member's subscription.
  absl::Status SetSubscription(std::vector<std::string> topics);
  // With a pattern subscription: if the topic list changed since the last
  // look, subscribes to the topics the pattern matches now.
  absl::Status RefreshPattern();

  // ---- consumer_poll.cc ----
  // Moves records into `out`; returns how many, or an error.
  absl::StatusOr<size_t> Fetch(PollResult* out);
  // Applies auto_offset_reset to a cursor whose position is unset or
  // outside its log.
  absl::Status CheckPosition(Cursor& c);
  // Runs pending group changes (listener callbacks included).
  absl::Status SyncGroup();
  void Rejoin();

  const TopicRegistry* const topics_;
  const ConsumerOptions options_;
  Clock* const clock_;
  const std::shared_ptr<Group> group_;

  Waiter waiter_;
  std::atomic<bool> wakeup_{false};
  bool closed_ = false;

  std::vector<std::unique_ptr<Cursor>> cursors_;  // sorted by tp
  size_t next_cursor_ = 0;                        // round-robin start

  // Group membership (Subscribe).
  std::vector<std::string> subscription_;
  // SubscribePattern: the regex, and the registry generation it was last
  // matched at.
  std::optional<std::regex> pattern_;
  uint64_t pattern_generation_ = 0;
  std::shared_ptr<MemberHandle> member_;
  uint64_t seen_epoch_ = 0;
  int64_t generation_ = -1;
  int64_t next_auto_commit_ms_ = 0;
  int64_t next_evict_check_ms_ = 0;
};

}  // namespace evlog

#endif  // EVLOG_CONSUMER_CONSUMER_IMPL_H_
