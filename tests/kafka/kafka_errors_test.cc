// The Kafka backend under injected faults (mock cluster only): a broker
// down makes sends fail with kUnavailable after the timeout and work again
// when it is back; request errors are retried by the idempotent producer
// without loss or duplicates. Also: evlog's murmur2 placement agrees with
// librdkafka's own murmur2 partitioner.

#include <librdkafka/rdkafka.h>

#include <catch2/catch.hpp>
#include <string>

#include "backends.h"
#include "evlog/producer.h"

namespace evlog::kafka_test {
namespace {

TEST_CASE("murmur2 placement agrees with librdkafka's murmur2 partitioner",
          "[kafka][murmur2]") {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  REQUIRE(rk != nullptr);
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, "t", nullptr);
  for (int i = 0; i < 200; ++i) {
    std::string key = "key-" + std::to_string(i * 7919);
    for (int32_t n : {1, 2, 3, 7, 12, 64}) {
      int32_t theirs = rd_kafka_msg_partitioner_murmur2(
          rkt, key.data(), key.size(), n, nullptr, nullptr);
      INFO(key << " / " << n);
      CHECK(KafkaPartitionForKey(key, n) == PartitionId(theirs));
    }
  }
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
}

TEST_CASE(
    "a broker down: sends fail with kUnavailable, then recover without loss",
    "[kafka][faults]") {
  if (std::getenv("EVLOG_KAFKA_BOOTSTRAP") != nullptr)
    return;  // needs the mock
  KafkaBackend b(/*timeout_ms=*/3000);
  std::string topic = Unique("down");
  REQUIRE(b.store->CreateTopic(topic, 1).ok());
  auto producer = b.store->NewProducer();
  REQUIRE(producer.ok());
  REQUIRE((*producer)->Send(topic, {.value = "before"}).ok());
  REQUIRE(b.mock->SetBrokerDown(1).ok());
  auto failed = (*producer)->Send(topic, {.value = "while-down"});
  INFO(failed.status().ToString());
  CHECK(absl::IsUnavailable(failed.status()));
  REQUIRE(b.mock->SetBrokerUp(1).ok());
  // Once the broker is back, sends succeed again (the producer reconnects).
  absl::StatusOr<SendResult> after = absl::UnavailableError("not yet");
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!after.ok() && std::chrono::steady_clock::now() < end) {
    after = (*producer)->Send(topic, {.value = "after"});
  }
  INFO(after.status().ToString());
  REQUIRE(after.ok());
  // Every acknowledged record is there, in order; the failed one may or may
  // not be (it was never acknowledged).
  ConsumerOptions o;
  o.auto_offset_reset = AutoOffsetReset::kEarliest;
  auto consumer = b.store->NewConsumer(o);
  REQUIRE((*consumer)->Assign({{topic, PartitionId(0)}}).ok());
  std::vector<Got> got;
  PollUntil(
      **consumer, [&] { return !got.empty() && got.back().value == "after"; },
      &got);
  CHECK(got.front().value == "before");
  CHECK(got.back().offset == after->offset.value());
}

TEST_CASE("request errors on Produce are retried without loss or duplicates",
          "[kafka][faults]") {
  if (std::getenv("EVLOG_KAFKA_BOOTSTRAP") != nullptr)
    return;  // needs the mock
  KafkaBackend b;
  std::string topic = Unique("reqerr");
  REQUIRE(b.store->CreateTopic(topic, 1).ok());
  auto producer = b.store->NewProducer();
  REQUIRE(producer.ok());
  // Produce = API key 0; NOT_LEADER_FOR_PARTITION (6) and
  // REQUEST_TIMED_OUT (7) are retriable.
  b.mock->PushRequestErrors(0, {6, 7, 6});
  for (int i = 0; i < 5; ++i) {
    auto sent = (*producer)->Send(topic, {.value = std::to_string(i)});
    INFO(sent.status().ToString());
    REQUIRE(sent.ok());
    CHECK(sent->offset == Offset(i));
  }
  // A non-retriable error surfaces with its code: MESSAGE_TOO_LARGE (10).
  b.mock->PushRequestErrors(0, {10});
  auto big = (*producer)->Send(topic, {.value = "x"});
  CHECK(absl::IsResourceExhausted(big.status()));
  ConsumerOptions o;
  o.auto_offset_reset = AutoOffsetReset::kEarliest;
  auto consumer = b.store->NewConsumer(o);
  REQUIRE((*consumer)->Assign({{topic, PartitionId(0)}}).ok());
  std::vector<Got> got = PollAtLeast(**consumer, 5);
  REQUIRE(got.size() == 5);
  for (int i = 0; i < 5; ++i) CHECK(got[i].value == std::to_string(i));
}

TEST_CASE("OpenStore fails with kUnavailable when no broker answers",
          "[kafka][faults]") {
  kafka::KafkaStoreOptions o;
  o.bootstrap_servers = "127.0.0.1:1";  // nothing listens on port 1
  o.timeout_ms = 1000;
  o.config = {{"log_level", "0"}};
  auto s = kafka::OpenStore(o);
  CHECK(absl::IsUnavailable(s.status()));
  o.config = {{"no.such.property", "1"}};
  CHECK(absl::IsInvalidArgument(kafka::OpenStore(o).status()));
  o.config = {{"acks", "1"}};
  CHECK(absl::IsInvalidArgument(kafka::OpenStore(o).status()));
  o.bootstrap_servers = "";
  CHECK(absl::IsInvalidArgument(kafka::OpenStore(o).status()));
}

}  // namespace
}  // namespace evlog::kafka_test
