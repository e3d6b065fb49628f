// The mirror between a local store and Kafka (the mock cluster): copies in
// order with source positions in headers, resumes without duplicates,
// waits out an unreachable cluster, and copies Kafka topics into a store.

#include <catch2/catch.hpp>
#include <thread>

#include "backends.h"
#include "evlog/kafka_mirror.h"
#include "evlog/producer.h"

namespace evlog::kafka_test {
namespace {

void Produce(Store& store, const std::string& topic, int from, int to) {
  auto producer = store.NewProducer();
  REQUIRE(producer.ok());
  for (int i = from; i < to; ++i) {
    std::string key = "k" + std::to_string(i % 5);
    std::string value = std::to_string(i);
    REQUIRE((*producer)->Send(topic, {.key = key, .value = value}).ok());
  }
}

// Every record of `topic` in `store`, per partition in order.
std::map<int32_t, std::vector<Got>> ReadAll(Store& store,
                                            const std::string& topic,
                                            size_t expect) {
  auto d = store.DescribeTopic(topic);
  REQUIRE(d.ok());
  ConsumerOptions o;
  o.auto_offset_reset = AutoOffsetReset::kEarliest;
  auto c = store.NewConsumer(o);
  std::vector<TopicPartition> tps;
  for (const auto& p : d->partitions) tps.push_back({topic, p.partition});
  REQUIRE((*c)->Assign(tps).ok());
  std::map<int32_t, std::vector<Got>> out;
  for (Got& g : PollAtLeast(**c, expect))
    out[g.partition].push_back(std::move(g));
  return out;
}

std::string Header(const Got& g, const std::string& key) {
  for (const auto& [k, v] : g.headers) {
    if (k == key) return v.value_or("");
  }
  return "";
}

TEST_CASE("mirror: local -> Kafka, resumable, through an outage",
          "[kafka][mirror]") {
  if (std::getenv("EVLOG_KAFKA_BOOTSTRAP") != nullptr)
    return;  // uses the mock's faults
  MemoryBackend local;
  KafkaBackend kafka(/*timeout_ms=*/3000);
  std::string topic = Unique("edge");
  REQUIRE(local.store->CreateTopic(topic, 3).ok());
  Produce(*local.store, topic, 0, 60);
  kafka::MirrorOptions o;
  o.topics = {topic};
  o.source_id = "edge-1";
  o.max_batch_records = 16;
  {
    auto m = kafka::Mirror::New(local.store.get(), kafka.store.get(), o);
    INFO(m.status().ToString());
    REQUIRE(m.ok());
    auto n = (*m)->RunOnce();
    REQUIRE(n.ok());
    CHECK(*n == 60);
    CHECK((*m)->Status().lag == 0);
  }
  // A new mirror resumes after the last mirrored record: nothing copied twice.
  Produce(*local.store, topic, 60, 90);
  {
    auto m = kafka::Mirror::New(local.store.get(), kafka.store.get(), o);
    REQUIRE(m.ok());
    CHECK((*m)->Status().lag == 30);
    // The cluster goes away: the round fails, local producing goes on.
    REQUIRE(kafka.mock->SetBrokerDown(1).ok());
    Produce(*local.store, topic, 90, 100);
    auto down = (*m)->RunOnce();
    CHECK(!down.ok());
    REQUIRE(kafka.mock->SetBrokerUp(1).ok());
    std::thread runner([&] { (*m)->Run().IgnoreError(); });
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < end) {
      kafka::MirrorStatus st = (*m)->Status();
      if (st.lag == 0 && st.records_copied >= 40) break;
      std::this_thread::sleep_for(
          std::chrono::milliseconds(20));  // poll interval
    }
    (*m)->Stop();
    runner.join();
    CHECK((*m)->Status().lag == 0);
  }
  auto local_parts = ReadAll(*local.store, topic, 100);
  auto kafka_parts = ReadAll(*kafka.store, topic, 100);
  size_t total = 0;
  for (const auto& [p, recs] : local_parts) {
    const auto& copied = kafka_parts[p];
    total += copied.size();
    // In order; a failed round may have left records that are copied again
    // (at-least-once): compare after dropping repeats of a source offset.
    std::vector<const Got*> unique;
    for (const Got& g : copied) {
      if (!unique.empty() && Header(*unique.back(), "evlog-mirror-offset") ==
                                 Header(g, "evlog-mirror-offset")) {
        continue;
      }
      unique.push_back(&g);
    }
    REQUIRE(unique.size() == recs.size());
    for (size_t i = 0; i < recs.size(); ++i) {
      CHECK(unique[i]->value == recs[i].value);
      CHECK(unique[i]->key == recs[i].key);
      CHECK(Header(*unique[i], "evlog-mirror-offset") ==
            std::to_string(recs[i].offset));
      CHECK(Header(*unique[i], "evlog-mirror-source") == "edge-1");
      CHECK(Header(*unique[i], "evlog-mirror-partition") == std::to_string(p));
    }
    CHECK(copied.size() - unique.size() <= 16u);  // the documented bound
  }
  CHECK(total >= 100);
}

TEST_CASE("mirror: Kafka -> local", "[kafka][mirror]") {
  KafkaBackend kafka;
  MemoryBackend local;
  std::string topic = Unique("central");
  REQUIRE(kafka.store->CreateTopic(topic, 2).ok());
  Produce(*kafka.store, topic, 0, 40);
  kafka::MirrorOptions o;
  o.topics = {topic};
  auto m = kafka::Mirror::New(kafka.store.get(), local.store.get(), o);
  INFO(m.status().ToString());
  REQUIRE(m.ok());
  auto n = (*m)->RunOnce();
  REQUIRE(n.ok());
  CHECK(*n == 40);
  auto local_parts = ReadAll(*local.store, topic, 40);
  auto kafka_parts = ReadAll(*kafka.store, topic, 40);
  for (const auto& [p, recs] : kafka_parts) {
    REQUIRE(local_parts[p].size() == recs.size());
    for (size_t i = 0; i < recs.size(); ++i)
      CHECK(local_parts[p][i].value == recs[i].value);
  }
}

}  // namespace
}  // namespace evlog::kafka_test
