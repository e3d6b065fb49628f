// evlog/kafka_mock.h: librdkafka's in-process mock Kafka cluster, for tests,
// examples and benchmarks of the Kafka backend (evlog/kafka.h) without a
// broker.
//
//   auto cluster = evlog::kafka::MockCluster::Start();
//   auto store = evlog::kafka::OpenStore(
//       {.bootstrap_servers = (*cluster)->bootstrap_servers(),
//        .mock_cluster = cluster->get()});
//
// The mock (librdkafka 2.0.2) speaks the Kafka protocol on localhost ports
// and supports produce, fetch, offsets, idempotent and transactional
// producers, consumer groups and commits. It does not implement the Admin
// API's topic and group requests, does not filter aborted transactions for
// read_committed, and a group's first assignment takes ~3 s (its initial
// rebalance delay). Topic configs are ignored.
//
// Thread safety: thread-safe (librdkafka's mock calls are).

#ifndef EVLOG_KAFKA_MOCK_H_
#define EVLOG_KAFKA_MOCK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace evlog::kafka {

class MockCluster {
 public:
  // Starts a cluster of `brokers` brokers (ids 1..brokers). kInternal if
  // librdkafka cannot.
  static absl::StatusOr<std::unique_ptr<MockCluster>> Start(
      int32_t brokers = 1);
  ~MockCluster();
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;

  // "127.0.0.1:port,..." for KafkaStoreOptions::bootstrap_servers.
  const std::string& bootstrap_servers() const { return bootstrap_; }

  // Creates a topic (replication factor 1). kInvalidArgument or kInternal
  // for what the mock refuses.
  absl::Status CreateTopic(const std::string& name, int32_t partitions);

  // Error injection. A down broker closes its connections and refuses new
  // ones until SetBrokerUp.
  absl::Status SetBrokerDown(int32_t broker_id);
  absl::Status SetBrokerUp(int32_t broker_id);
  // The next requests of Kafka API `api_key` (e.g. 0 = Produce, 1 = Fetch,
  // 8 = OffsetCommit) get `errors` (Kafka protocol error codes), one per
  // request, in order.
  void PushRequestErrors(int16_t api_key, const std::vector<int16_t>& errors);

 private:
  struct Handles;
  MockCluster(std::unique_ptr<Handles> handles, std::string bootstrap);
  std::unique_ptr<Handles> handles_;
  std::string bootstrap_;
};

}  // namespace evlog::kafka

#endif  // EVLOG_KAFKA_MOCK_H_
