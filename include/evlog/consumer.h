// evlog/consumer.h: reading records from topics, alone or in a group.
//
// A Consumer reads the partitions assigned to it, in offset order per
// partition, as zero-copy views into the memory-mapped log. Partitions are
// either assigned by hand (`Assign`) or shared among the members of a
// consumer group (`Subscribe`), with Kafka's semantics: a group spreads the
// partitions of the topics its members subscribe to over the members, and
// remembers per partition a *committed offset* -- the next offset to read --
// from which a member resumes after a rebalance or a restart.
//
//   evlog::ConsumerOptions opts;
//   opts.group_id = "billing";
//   opts.auto_offset_reset = evlog::AutoOffsetReset::kEarliest;
//   auto consumer = store->NewConsumer(opts);
//   if (!consumer.ok()) return consumer.status();
//   (*consumer)->Subscribe({"orders"});
//   evlog::PollResult batch;
//   while (running) {
//     absl::Status s = (*consumer)->Poll(std::chrono::milliseconds(100),
//     &batch); if (absl::IsCancelled(s)) break;      // Wakeup() from another
//     thread if (!s.ok()) return s; for (const evlog::ConsumerRecord& r :
//     batch) Handle(r.topic, r.record);
//     // With enable_auto_commit (the default) the next Poll commits what this
//     // one returned; or call (*consumer)->CommitSync() here.
//   }
//   (*consumer)->Close();
//
// Delivery is at-least-once: a record is delivered again (to this or another
// member) when the consumer that polled it did not commit past it before a
// rebalance, a crash or a restart. Committing before processing turns that
// into at-most-once.
//
// Thread safety: a Consumer is thread-compatible: one thread at a time uses
// it (Kafka's rule). The only exception is `Wakeup()`, which any thread may
// call at any time. Different consumers, also of one group, may be used
// from different threads concurrently; rebalances are safe while the other
// members poll. Rebalance listener callbacks run on the consumer's own
// thread, inside Poll (or Close/Unsubscribe).
//
// Lifetime: a consumer must be destroyed before the store that made it. The
// destructor closes it (see Close).
//
// Errors (the store's table, evlog/store.h, plus):
//   kInvalidArgument    bad options, Subscribe without group_id, an empty or
//                       invalid group id
//   kNotFound           unknown topic
//   kOutOfRange         partition out of range; a position outside the log
//                       with auto_offset_reset = kError
//   kFailedPrecondition consumer or store closed; Seek/Position/Pause on a
//                       partition not assigned; Assign while subscribed or
//                       the reverse; a manual-assignment commit while the
//                       group has active members
//   kAborted            a commit fenced off because this member no longer
//                       owns the partition (rebalanced away or removed from
//                       the group): Poll again (which rejoins and takes the
//                       new assignment), then retry
//   kCancelled          Poll interrupted by Wakeup()
//   kDataLoss           a corrupt frame in the log

#ifndef EVLOG_CONSUMER_H_
#define EVLOG_CONSUMER_H_

#include <chrono>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "evlog/record.h"
#include "evlog/types.h"

namespace evlog {

class Consumer;

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

// Where to start when there is no committed offset, or when the position is
// outside the log (below its start after retention, or past its end after a
// Seek). Kafka's auto.offset.reset.
enum class AutoOffsetReset {
  kEarliest,  // the log start offset
  kLatest,    // the log end offset: only records appended from now on
  kError,     // Poll and Position fail with kOutOfRange
};

// How Poll waits when no assigned partition has records.
enum class WaitStrategy {
  // Sleep on a condition variable until an append to an assigned partition
  // (or Wakeup, or a rebalance) wakes it. No CPU while idle; a wake-up costs
  // a few microseconds of scheduler latency.
  kBlock,
  // Check the partitions' end offsets in a loop for `spin_us`, then block.
  // Lowest latency for a steady stream without burning a core when idle.
  kSpinThenBlock,
  // Never sleep: check until records arrive or the timeout passes. Burns a
  // core; for dedicated pinned consumer threads only.
  kBusySpin,
};

// How a group spreads partitions over its members (Kafka's
// partition.assignment.strategy). Every member of a group must use the same.
enum class AssignmentStrategy {
  // Per topic, the members subscribed to it (in join order) get contiguous
  // ranges; the first (partitions % members) get one more. Eager: every
  // rebalance revokes all of a member's partitions, then assigns anew.
  kRange,
  // All partitions (sorted by topic, partition) dealt to the members in join
  // order, skipping members not subscribed to a topic. Eager.
  kRoundRobin,
  // Balanced like round robin, but keeps every partition where it was when
  // the balance allows; only partitions that move are revoked, and their
  // new owner gets them once the old one has let go. Incremental
  // (Kafka's cooperative-sticky).
  kCooperativeSticky,
};

// Told of partition movements, on the consumer's own thread, inside Poll,
// Unsubscribe or Close. Not owned; must outlive the consumer.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // The consumer is about to give up `partitions`. It still owns them: this
  // is the place to commit what was processed (consumer.CommitSync()).
  virtual void OnPartitionsRevoked(
      Consumer& /*consumer*/,
      const std::vector<TopicPartition>& /*partitions*/) {}
  // The consumer now owns `partitions` (for eager strategies, its whole new
  // assignment; for cooperative-sticky, only the added ones). Called only
  // with a non-empty list. Positions are already set from the committed
  // offsets (else auto_offset_reset); Seek here to start elsewhere.
  virtual void OnPartitionsAssigned(
      Consumer& /*consumer*/,
      const std::vector<TopicPartition>& /*partitions*/) {}
  // The consumer was removed from the group (it did not poll within
  // max_poll_interval_ms) and the partitions already belong to others:
  // commits would fail. Default: OnPartitionsRevoked.
  virtual void OnPartitionsLost(Consumer& consumer,
                                const std::vector<TopicPartition>& partitions) {
    OnPartitionsRevoked(consumer, partitions);
  }
};

struct ConsumerOptions {
  // The consumer group. Empty (default): no group, manual assignment only,
  // no commits. Group ids follow the topic-name rule (1-249 characters of
  // [A-Za-z0-9._-], not "." or "..").
  std::string group_id{};
  // A name for this consumer, shown by DescribeGroup. Default "consumer".
  std::string client_id = "consumer";
  // See AutoOffsetReset. Default kLatest (Kafka's default).
  AutoOffsetReset auto_offset_reset = AutoOffsetReset::kLatest;
  // Commit automatically (groups only). Every `auto_commit_interval_ms`
  // (Env clock), at the start of a Poll -- before it fetches anything -- the
  // consumer commits its current positions, i.e. everything returned by
  // EARLIER polls, which the application has had the chance to process
  // because it called Poll again. Also done in Close/Unsubscribe and just
  // before partitions are revoked by a rebalance. Records returned by the
  // latest Poll are therefore never committed before the next Poll (or
  // Close). Failures of auto-commits are ignored (at-least-once: the
  // records are delivered again). Default true, 5000 ms.
  bool enable_auto_commit = true;
  int64_t auto_commit_interval_ms = 5000;
  // Most records one Poll returns. Default 500. Must be >= 1.
  int32_t max_poll_records = 500;
  WaitStrategy wait_strategy = WaitStrategy::kSpinThenBlock;
  // kSpinThenBlock: how long to spin before blocking, in microseconds.
  // Default 50. Must be >= 0.
  int64_t spin_us = 50;
  // Read only records below each partition's durable end offset (synced to
  // disk), so that nothing a power loss could still take back is acted on.
  // EndOffsets then reports durable end offsets. Adds the sync latency of
  // the topic's durability policy. Default false.
  bool read_durable_only = false;
  // Groups only. Default kRange (Kafka's default).
  AssignmentStrategy assignment_strategy = AssignmentStrategy::kRange;
  // Groups only; not owned, may be null.
  RebalanceListener* listener = nullptr;
  // Groups only: a member that has not called Poll for this long (Env
  // clock) is removed from the group when another member notices (at its
  // polls); its partitions are reassigned and its later commits fail with
  // kAborted. It rejoins at its next Poll. Default 300000 (5 min,
  // Kafka's max.poll.interval.ms). Must be > 0.
  int64_t max_poll_interval_ms = 300000;
};

// ---------------------------------------------------------------------------
// PollResult
// ---------------------------------------------------------------------------

// One record returned by Poll.
struct ConsumerRecord {
  std::string_view topic{};  // valid as long as the PollResult
  PartitionId partition{};
  RecordView record{};  // zero-copy; valid as long as the PollResult
};

// The records of one Poll, in offset order per partition.
//
// Lifetime rule: every view in it (topic names, keys, values, headers)
// points into the store's memory-mapped segments, which the PollResult keeps
// mapped (it holds a reference to each segment its records come from). The
// views stay valid as long as the PollResult lives and is not reused by the
// next Poll into it -- even if retention deletes the segment, the topic is
// deleted, or the consumer is closed meanwhile. Copy the bytes to keep them
// longer. Moving a PollResult keeps the views valid.
//
// Compressed topics (TopicConfig::compression): the records of a compressed
// batch are decompressed once, when the poll reaches the batch, into a
// buffer of their own that the PollResult holds like a segment; the rule
// above is unchanged. What differs is the cost: a poll that starts inside a
// compressed batch decompresses all of it, and its views point into that
// buffer, not into the mapping.
//
// Reusing one PollResult for every Poll (the `Poll(timeout, &result)` form)
// avoids allocations on the hot path.
//
// Thread safety: plain value; may be handed to another thread.
class PollResult {
 public:
  PollResult() = default;
  PollResult(PollResult&&) = default;
  PollResult& operator=(PollResult&&) = default;
  PollResult(const PollResult&) = default;
  PollResult& operator=(const PollResult&) = default;

  std::span<const ConsumerRecord> records() const { return records_; }
  size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }
  const ConsumerRecord& operator[](size_t i) const { return records_[i]; }
  auto begin() const { return records_.cbegin(); }
  auto end() const { return records_.cend(); }

  // Drops the records and the references (keeps the capacity).
  void Clear() {
    records_.clear();
    keep_alive_.clear();
  }

 private:
  friend class ConsumerImpl;
  friend class PollResultFiller;  // for other backends (lib/consumer)
  std::vector<ConsumerRecord> records_;
  // Segments and logs the views point into (type-erased shared_ptrs).
  std::vector<std::shared_ptr<const void>> keep_alive_;
};

// An offset to commit (committed offset = next offset to read) or one
// found by a lookup.
struct TopicPartitionOffset {
  TopicPartition tp{};
  Offset offset{};
};

// ---------------------------------------------------------------------------
// Consumer
// ---------------------------------------------------------------------------
class Consumer {
 public:
  virtual ~Consumer() = default;

  // ---- Assignment ----
  // Reads exactly `partitions` (replacing any earlier assignment; an empty
  // list unassigns all). Positions of newly assigned partitions start at the
  // group's committed offset if there is one, else per auto_offset_reset;
  // partitions that stay assigned keep their position. No rebalancing, no
  // listener calls. Errors: kNotFound, kOutOfRange (partition),
  // kFailedPrecondition (subscribed, closed).
  virtual absl::Status Assign(
      const std::vector<TopicPartition>& partitions) = 0;
  // Joins the group (group_id required: kInvalidArgument) subscribed to
  // `topics`, or changes the subscription; an empty list is Unsubscribe().
  // The group rebalances at once; this member's partitions arrive in a
  // later Poll (listener OnPartitionsAssigned). Every topic must exist
  // (kNotFound); partitions added later are picked up automatically.
  // kFailedPrecondition if partitions were assigned manually;
  // kInvalidArgument if the group uses another assignment strategy.
  virtual absl::Status Subscribe(const std::vector<std::string>& topics) = 0;
  // Joins the group subscribed to every topic whose whole name matches
  // `regex` (std::regex, ECMAScript syntax), as Kafka's subscribe(Pattern):
  // topics created or deleted later are picked up at the next Poll, which
  // changes the subscription and rebalances. The pattern may match nothing
  // yet. kInvalidArgument for a bad regex or without group_id; otherwise as
  // Subscribe. Replaces an earlier subscription of either kind.
  virtual absl::Status SubscribePattern(const std::string& regex) = 0;
  // The topics subscribed to, sorted (for a pattern, those it matched at the
  // last Poll or SubscribePattern); empty if not subscribed.
  virtual std::vector<std::string> Subscription() const = 0;
  // The partitions of `topic`, in order, whether assigned or not (Kafka's
  // partitionsFor). kNotFound for an unknown topic.
  virtual absl::StatusOr<std::vector<TopicPartition>> PartitionsFor(
      const std::string& topic) = 0;
  // Leaves the group (after an auto-commit and OnPartitionsRevoked) or drops
  // the manual assignment.
  virtual absl::Status Unsubscribe() = 0;
  // Partitions owned now, sorted.
  virtual std::vector<TopicPartition> Assignment() const = 0;
  // The group generation this member last synchronised with; -1 when not a
  // group member.
  virtual int64_t GroupGeneration() const = 0;
  // This member's id in the group ("<client_id>-<n>"), empty if none.
  virtual std::string MemberId() const = 0;

  // ---- Reading ----
  // Waits up to `timeout` (per wait_strategy) for records of assigned,
  // unpaused partitions, and fills `out` (cleared first) with up to
  // max_poll_records of them, taking partitions in turn so that none
  // starves. Returns OK with an empty result on timeout. First it may
  // auto-commit, and it runs any pending rebalance (listener callbacks).
  // kCancelled if Wakeup() was called (during the wait or since the last
  // Poll). See PollResult for how long the views live.
  virtual absl::Status Poll(std::chrono::nanoseconds timeout,
                            PollResult* out) = 0;
  absl::StatusOr<PollResult> Poll(std::chrono::nanoseconds timeout) {
    PollResult r;
    absl::Status s = Poll(timeout, &r);
    if (!s.ok()) return s;
    return r;
  }
  // Makes the current or next Poll return kCancelled. Thread-safe.
  virtual void Wakeup() = 0;

  // ---- Positions ----
  // The next Poll of `tp` starts at `offset` (not checked now: a position
  // outside the log follows auto_offset_reset at the next Poll).
  virtual absl::Status Seek(const TopicPartition& tp, Offset offset) = 0;
  // Empty list: every assigned partition.
  virtual absl::Status SeekToBeginning(
      const std::vector<TopicPartition>& partitions) = 0;
  virtual absl::Status SeekToEnd(
      const std::vector<TopicPartition>& partitions) = 0;
  // The offset of the next record Poll returns for `tp`.
  virtual absl::StatusOr<Offset> Position(const TopicPartition& tp) = 0;
  // Per partition, the earliest offset whose timestamp is >= the given time
  // (ms since the epoch), or nullopt if there is none. Any partition, not
  // only assigned ones.
  virtual absl::StatusOr<std::map<TopicPartition, std::optional<Offset>>>
  OffsetsForTimes(const std::map<TopicPartition, int64_t>& timestamps_ms) = 0;
  // Log start offsets.
  virtual absl::StatusOr<std::map<TopicPartition, Offset>> BeginningOffsets(
      const std::vector<TopicPartition>& partitions) = 0;
  // Log end offsets (durable end offsets with read_durable_only).
  virtual absl::StatusOr<std::map<TopicPartition, Offset>> EndOffsets(
      const std::vector<TopicPartition>& partitions) = 0;
  // Paused partitions stay assigned and keep their position; Poll skips
  // them. A rebalance forgets the pause of revoked partitions.
  virtual absl::Status Pause(const std::vector<TopicPartition>& partitions) = 0;
  virtual absl::Status Resume(
      const std::vector<TopicPartition>& partitions) = 0;
  virtual std::vector<TopicPartition> Paused() const = 0;

  // ---- Committed offsets (group_id required) ----
  // Commits the current positions of all owned partitions, durably and
  // atomically (all or nothing), and returns when they survive a crash.
  virtual absl::Status CommitSync() = 0;
  // Commits the given offsets (next offset to read) the same way. For a
  // group member (Subscribe) every partition must be owned by this member
  // (kAborted names the first one that is not: it was rebalanced away). A
  // consumer with a manual assignment (Assign) is Kafka's standalone
  // consumer: it may commit any partition of an existing topic, assigned or
  // not, while the group has no active members (kFailedPrecondition
  // otherwise).
  virtual absl::Status CommitSync(
      const std::vector<TopicPartitionOffset>& offsets) = 0;
  // Asynchronous forms. In this in-process implementation the commit is
  // carried out before the call returns (it is cheap: one small file
  // replace) and `callback`, if any, is invoked with the outcome on this
  // thread before returning. It never waits for other members' polls or for
  // a rebalance; it may wait for another member's commit of the same group
  // that is writing the offsets file (commits of a group are written one at
  // a time).
  using CommitCallback = std::function<void(const absl::Status&)>;
  virtual void CommitAsync(CommitCallback callback = nullptr) = 0;
  virtual void CommitAsync(const std::vector<TopicPartitionOffset>& offsets,
                           CommitCallback callback = nullptr) = 0;
  // The group's committed offsets for `partitions` (nullopt: none).
  virtual absl::StatusOr<std::map<TopicPartition, std::optional<Offset>>>
  Committed(const std::vector<TopicPartition>& partitions) = 0;

  // Auto-commits (if enabled), leaves the group (listener
  // OnPartitionsRevoked first) and releases everything. Later calls fail
  // with kFailedPrecondition; PollResults already returned stay valid.
  // Idempotent; returns the auto-commit's error, if any.
  virtual absl::Status Close() = 0;
};

}  // namespace evlog

#endif  // EVLOG_CONSUMER_H_
