#include "kafka/kafka_store.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "kafka/errors.h"
#include "kafka/kafka_consumer.h"
#include "kafka/kafka_producer.h"
#include "util/string_view.h"

namespace evlog::kafka {

absl::StatusOr<std::unique_ptr<Store>> OpenStore(
    const KafkaStoreOptions& options) {
  return KafkaStore::Open(options);
}

absl::StatusOr<std::unique_ptr<Store>> KafkaStore::Open(
    const KafkaStoreOptions& options) {
  auto admin = Client::New(RD_KAFKA_PRODUCER, options, {});
  if (!admin.ok()) return admin.status();
  // Fails with kUnavailable when no broker answers within the timeout.
  auto topics = ListTopicPartitions((*admin)->get(), options.timeout_ms);
  if (!topics.ok()) {
    return absl::Status(
        topics.status().code(),
        absl::StrCat("connecting to Kafka at ", options.bootstrap_servers, ": ",
                     topics.status().message()));
  }
  return std::unique_ptr<Store>(new KafkaStore(options, *std::move(admin)));
}

KafkaStore::KafkaStore(const KafkaStoreOptions& options,
                       std::shared_ptr<Client> admin)
    : options_(options),
      admin_(std::move(admin)),
      dir_(absl::StrCat("kafka://", options.bootstrap_servers)) {}

absl::Status KafkaStore::CheckOpen() const {
  if (closed_.load()) return absl::FailedPreconditionError("store is closed");
  return absl::OkStatus();
}

absl::Status KafkaStore::Close() {
  closed_.store(true);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Producer>> KafkaStore::NewProducer(
    const ProducerOptions& options) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  auto p = KafkaProducer::New(options_, options);
  if (!p.ok()) return p.status();
  return std::unique_ptr<Producer>(*std::move(p));
}

absl::StatusOr<std::unique_ptr<Producer>> KafkaStore::NewProducer() {
  return NewProducer(ProducerOptions{});
}

absl::StatusOr<std::unique_ptr<Consumer>> KafkaStore::NewConsumer(
    const ConsumerOptions& options) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  auto c = KafkaConsumer::New(options_, options);
  if (!c.ok()) return c.status();
  return std::unique_ptr<Consumer>(*std::move(c));
}

absl::Status KafkaStore::Flush() {
  // Every acknowledged send is already replicated (acks=all); durability on
  // disk is the brokers' flush policy.
  return CheckOpen();
}

absl::Status KafkaStore::RunMaintenance() {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  return Unimplemented(
      "Store::RunMaintenance",
      "retention and compaction run on the brokers, on their schedule");
}

absl::Status KafkaStore::Refresh() {
  return Unimplemented("Store::Refresh",
                       "it follows a read-only embedded store's owner; a Kafka "
                       "store always reads the cluster's current state");
}

MetricsSnapshot KafkaStore::Metrics() const {
  // Partition state from the cluster; the process counters and the sync
  // histogram are the embedded store's and stay zero here.
  MetricsSnapshot m;
  m.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  for (const std::string& topic : ListTopics()) {
    auto d = DescribeTopic(topic);
    if (!d.ok()) continue;
    for (const PartitionDescription& p : d->partitions) {
      PartitionMetrics pm;
      pm.tp = {topic, p.partition};
      pm.start_offset = p.start_offset;
      pm.end_offset = p.end_offset;
      pm.durable_end_offset = p.durable_end_offset;
      pm.records = p.end_offset - p.start_offset;
      m.partitions.push_back(pm);
    }
  }
  return m;
}

absl::Status KafkaStore::AlterTopicConfig(
    const std::string& name, const std::vector<TopicConfigChange>& changes) {
  return Unimplemented("AlterTopicConfig",
                       "librdkafka 2.0.2 has no IncrementalAlterConfigs, and "
                       "AlterConfigs would reset every config not listed");
}

absl::StatusOr<std::vector<TopicPartitionOffset>> KafkaStore::DeleteRecords(
    const std::vector<TopicPartitionOffset>& before) {
  return Unimplemented("DeleteRecords",
                       "not wired to rd_kafka_DeleteRecords on the Kafka "
                       "backend yet");
}

}  // namespace evlog::kafka
