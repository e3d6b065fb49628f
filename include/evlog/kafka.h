// evlog/kafka.h: the Kafka backend -- evlog's Store, Producer and Consumer
// over an Apache Kafka cluster, through librdkafka (target evlog::kafka).
//
// Switching an application from the embedded store to Kafka is one line:
//
//   // auto store = evlog::Store::Open("/var/lib/myapp/events");
//   auto store = evlog::kafka::OpenStore(
//       {.bootstrap_servers = "kafka1:9092,kafka2:9092",
//        .config = {{"client.id", "myapp"}}});
//   if (!store.ok()) return store.status();
//   auto producer = (*store)->NewProducer();   // the same interfaces
//
// What maps to what, and what Kafka cannot do (those calls return
// kUnimplemented naming the feature and the reason), is the table in
// docs/KAFKA.md. In short:
//   - Topic admin goes through Kafka's Admin API; DescribeTopic gives the
//     partitions' start and end offsets (the watermarks), not sizes or
//     timestamps.
//   - Send/SendBatch use an idempotent producer with acks=all and return
//     once the cluster acknowledged the records. A SendBatch is the records
//     produced back to back to one partition: in order and without
//     duplicates, but NOT atomic (a failure may leave a prefix written).
//     Conditional append (SendOptions::expected_end_offset) is
//     kUnimplemented. Key placement is evlog's (ProducerOptions::key_hash,
//     default XXH3 as on the embedded store; KeyHash::kMurmur2 agrees with
//     Java clients).
//   - Consumers: Assign, Subscribe (eager strategies and cooperative-sticky
//     with the RebalanceListener), zero-copy Poll (the PollResult holds
//     librdkafka's messages), Seek*, Position, OffsetsForTimes,
//     Beginning/EndOffsets, Pause/Resume, commits and auto-commit with
//     evlog's meaning (done by evlog at the start of Poll, not by librdkafka
//     in the background). read_durable_only is kUnimplemented.
//
// Errors: evlog's table (evlog/store.h), mapped from Kafka's:
//   kNotFound           unknown topic or group
//   kAlreadyExists      topic exists
//   kUnavailable        no broker reachable within `timeout_ms`, a request
//                       or delivery timed out, a leader is not available
//   kPermissionDenied   authorization / authentication failed
//   kResourceExhausted  record or batch too large, producer queue full
//   kFailedPrecondition closed; a commit fenced by a rebalance; a fatal
//                       producer error (the producer must be recreated)
//   kInvalidArgument    bad option or librdkafka config (message names it)
//   kUnimplemented      what Kafka or the connected cluster cannot do
//   kInternal           any other Kafka error (message has its name)
//
// Thread safety: as the interfaces (Store and Producer thread-safe, a
// Consumer thread-compatible with a thread-safe Wakeup).

#ifndef EVLOG_KAFKA_H_
#define EVLOG_KAFKA_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "evlog/store.h"

namespace evlog::kafka {

class MockCluster;

struct KafkaStoreOptions {
  // "host:port[,host:port...]". Required.
  std::string bootstrap_servers;
  // librdkafka configuration properties applied to every client the store
  // makes (producers, consumers, the admin client), after evlog's own
  // settings, e.g. {{"security.protocol", "SASL_SSL"}, ...}. An unknown
  // property or bad value gives kInvalidArgument naming it. Properties evlog
  // relies on (acks, enable.idempotence, enable.auto.commit,
  // enable.auto.offset.store) are refused with kInvalidArgument.
  std::vector<std::pair<std::string, std::string>> config;
  // How long a call waits for the cluster before failing with kUnavailable:
  // admin requests and metadata, a send's delivery (librdkafka's
  // message.timeout.ms), commits and offset lookups. Default 30000 ms.
  int64_t timeout_ms = 30000;
  // Only for librdkafka's in-process mock cluster (evlog/kafka_mock.h): the
  // mock of librdkafka 2.0.2 implements no topic admin requests, so the
  // store creates topics through the mock's own API instead, and
  // DeleteTopic / AddPartitions return kUnimplemented. Not owned; must
  // outlive the store. Null (default) for a real cluster.
  MockCluster* mock_cluster = nullptr;
};

// Connects to the cluster (fetches its metadata, so that an unreachable
// cluster fails here with kUnavailable after `timeout_ms`) and returns the
// Store. kInvalidArgument for empty bootstrap_servers or a bad config.
absl::StatusOr<std::unique_ptr<Store>> OpenStore(
    const KafkaStoreOptions& options);

}  // namespace evlog::kafka

#endif  // EVLOG_KAFKA_H_
