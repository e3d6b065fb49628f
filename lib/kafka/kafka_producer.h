// kafka/kafka_producer.h: evlog::Producer over an idempotent librdkafka
// producer (acks=all).
//
// A send chooses the partition itself (producer/partitioner.h, the same rule
// as the embedded store), produces the records to that partition, and waits
// for their delivery reports: it returns once the cluster acknowledged every
// record, or with the first record's error. A background thread serves the
// delivery reports (rd_kafka_poll), so any number of threads may send.
//
// Partition counts are cached per topic for kMetadataMaxAgeMs and fetched
// again on a miss, so partitions added by AddPartitions are used within that
// time (Kafka's clients behave the same way with metadata.max.age.ms).
//
// Thread safety: thread-safe.

#ifndef EVLOG_KAFKA_KAFKA_PRODUCER_H_
#define EVLOG_KAFKA_KAFKA_PRODUCER_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "evlog/kafka.h"
#include "evlog/producer.h"
#include "kafka/client.h"
#include "util/mutex.h"

namespace evlog::kafka {

class KafkaProducer final : public Producer {
 public:
  static constexpr int64_t kMetadataMaxAgeMs = 5000;

  // kInvalidArgument for bad options or config.
  static absl::StatusOr<std::unique_ptr<KafkaProducer>> New(
      const KafkaStoreOptions& store_options, const ProducerOptions& options);
  ~KafkaProducer() override;

  absl::StatusOr<SendResult> Send(std::string_view topic, const Record& record,
                                  const SendOptions& options) override;
  absl::StatusOr<BatchSendResult> SendBatch(
      std::string_view topic, std::span<const Record> records,
      const SendOptions& options) override;
  // Produces at once; the callback runs on the producer's delivery-report
  // thread (or inside Flush/Close, which serve reports while they wait).
  absl::Status SendAsync(std::string_view topic, const Record& record,
                         SendCallback callback,
                         const SendOptions& options) override;
  absl::Status Flush() override;
  absl::Status Close() override;

 private:
  struct TopicInfo {
    int32_t partitions = 0;
    int64_t fetched_ms = 0;
  };

  KafkaProducer(const KafkaStoreOptions& store_options,
                const ProducerOptions& options);
  // The cached entry of `topic` (stable address: the sticky spread's key).
  absl::StatusOr<const TopicInfo*> Topic(std::string_view topic);
  // The partition of `records` of `topic` (ChoosePartition on the cached
  // partition count).
  absl::StatusOr<PartitionId> Choose(std::string_view topic,
                                     std::span<const Record> records,
                                     const SendOptions& options);
  void ServeDeliveryReports();

  const KafkaStoreOptions store_options_;
  const ProducerOptions options_;
  std::shared_ptr<Client> client_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> stop_{false};
  std::thread poller_;
  Mutex mu_;
  std::map<std::string, TopicInfo, std::less<>> topics_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evlog::kafka

#endif  // EVLOG_KAFKA_KAFKA_PRODUCER_H_
