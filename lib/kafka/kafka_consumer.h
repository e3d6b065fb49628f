// kafka/kafka_consumer.h: evlog::Consumer over a librdkafka high-level
// consumer.
//
// evlog keeps the consumer's positions itself (the next offset each owned
// partition's Poll returns), so that Position, auto-commit and commits mean
// what they mean on the embedded store:
//   - newly owned partitions (Assign, or a rebalance) start at the group's
//     committed offset, else at the log start/end per auto_offset_reset,
//     looked up when they are assigned and passed to librdkafka explicitly;
//   - auto-commit is evlog's (librdkafka's own auto-commit and offset store
//     are off): at the start of a Poll every auto_commit_interval_ms, in
//     Close/Unsubscribe and before a revocation.
// Rebalances run librdkafka's rebalance callback inside Poll (and Close /
// Unsubscribe), on the consumer's thread, which calls the
// RebalanceListener: eager strategies assign/revoke whole assignments,
// cooperative-sticky only the partitions that move.
//
// Thread safety: thread-compatible; Wakeup() is thread-safe
// (rd_kafka_queue_yield on the consumer queue).

#ifndef EVLOG_KAFKA_KAFKA_CONSUMER_H_
#define EVLOG_KAFKA_KAFKA_CONSUMER_H_

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "evlog/consumer.h"
#include "evlog/kafka.h"
#include "kafka/client.h"

namespace evlog::kafka {

class KafkaConsumer final : public Consumer {
 public:
  // kInvalidArgument for bad options (ConsumerOptions' rules) or config;
  // kUnimplemented for read_durable_only.
  static absl::StatusOr<std::unique_ptr<KafkaConsumer>> New(
      const KafkaStoreOptions& store_options, const ConsumerOptions& options);
  ~KafkaConsumer() override;

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

  using Consumer::Poll;
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
  enum class Mode { kNone, kManual, kSubscribed };
  // What Subscribe or SubscribePattern asked for (Subscription()).
  std::vector<std::string> subscribed_topics_;
  std::string subscribed_pattern_;  // empty unless SubscribePattern

  KafkaConsumer(const KafkaStoreOptions& store_options,
                const ConsumerOptions& options);
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions,
                          void* opaque);
  static void OnCommitted(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* offsets,
                          void* opaque);
  void Rebalance(rd_kafka_resp_err_t err,
                 rd_kafka_topic_partition_list_t* partitions);
  void Assigned(rd_kafka_topic_partition_list_t* partitions, bool cooperative);
  void Revoked(rd_kafka_topic_partition_list_t* partitions, bool cooperative);

  absl::Status CheckOpen() const;
  absl::Status CheckGroup(std::string_view what) const;
  absl::Status CheckOwned(const std::vector<TopicPartition>& partitions) const;
  // Where newly owned partitions start: the committed offset, else the log
  // start/end per auto_offset_reset; nullopt for kError without a commit.
  absl::StatusOr<std::map<TopicPartition, std::optional<Offset>>>
  StartPositions(const std::vector<TopicPartition>& partitions);
  // Log start (`high` false) or end offsets of `partitions`.
  absl::StatusOr<std::map<TopicPartition, Offset>> Watermark(
      const std::vector<TopicPartition>& partitions, bool high);
  // Current positions of the owned partitions whose position is known.
  std::vector<TopicPartitionOffset> CurrentPositions() const;
  absl::Status CommitNow(const std::vector<TopicPartitionOffset>& offsets);
  // Auto-commit if enabled and due (or `force`); async unless `sync`.
  absl::Status MaybeAutoCommit(bool force, bool sync);
  void ServeCommitCallbacks(int timeout_ms);
  // Serves the consumer queue (rebalance callbacks) until nothing is owned
  // or timeout_ms passed, dropping any message it meets.
  void ServeUntilUnassigned();

  const KafkaStoreOptions store_options_;
  const ConsumerOptions options_;
  std::shared_ptr<Client> client_;
  rd_kafka_queue_t* consumer_queue_ = nullptr;  // for Wakeup's yield
  rd_kafka_queue_t* commit_queue_ = nullptr;    // CommitAsync callbacks
  std::atomic<bool> wakeup_{false};
  Mode mode_ = Mode::kNone;
  bool closed_ = false;
  // Owned partitions and the offset of the next record Poll returns.
  std::map<TopicPartition, std::optional<Offset>> positions_;
  std::set<TopicPartition> paused_;
  int64_t generation_ = -1;
  int64_t next_auto_commit_ms_ = 0;
  int64_t async_commits_pending_ = 0;
  absl::Status pending_error_;  // met by a rebalance or after records
};

}  // namespace evlog::kafka

#endif  // EVLOG_KAFKA_KAFKA_CONSUMER_H_
