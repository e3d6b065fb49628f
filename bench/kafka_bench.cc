// The Kafka backend against raw librdkafka on the same in-process mock
// cluster, in the same run (docs/PERFORMANCE.md, "Kafka backend"):
//
//   Produce: batches of kBatch records of 100 B to one partition, each
//     batch waited for (acks=all, idempotent): evlog SendBatch vs raw
//     rd_kafka_producev x kBatch + rd_kafka_flush.
//   Consume: kRecords records from offset 0 of a pre-filled partition:
//     evlog Assign + Poll vs raw rd_kafka_assign + rd_kafka_consumer_poll.
//   Mirror: kRecords records from an in-memory store to the mock.
//
// Items per second = records per second.

#include <benchmark/benchmark.h>
#include <librdkafka/rdkafka.h>

#include <string>
#include <vector>

#include "evlog/kafka.h"
#include "evlog/kafka_mirror.h"
#include "evlog/kafka_mock.h"
#include "evlog/producer.h"
#include "evlog/store.h"

namespace {

constexpr int kBatch = 1000;
constexpr int kRecords = 20000;
const std::string kValue(100, 'v');

struct Cluster {
  std::unique_ptr<evlog::kafka::MockCluster> mock;
  std::unique_ptr<evlog::Store> store;
  int topics = 0;
  Cluster() {
    mock = *evlog::kafka::MockCluster::Start();
    evlog::kafka::KafkaStoreOptions o;
    o.bootstrap_servers = mock->bootstrap_servers();
    o.mock_cluster = mock.get();
    o.config = {{"log_level", "3"}};
    store = *evlog::kafka::OpenStore(o);
  }
  std::string NewTopic() {
    std::string t = "bench-" + std::to_string(++topics);
    if (!store->CreateTopic(t, 1).ok()) std::abort();
    return t;
  }
};

Cluster& TheCluster() {
  static Cluster* c = new Cluster();
  return *c;
}

rd_kafka_t* RawClient(rd_kafka_type_t type, bool idempotent) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers",
                    TheCluster().mock->bootstrap_servers().c_str(), err,
                    sizeof err);
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  if (idempotent) {
    rd_kafka_conf_set(conf, "acks", "all", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof err);
  } else {
    rd_kafka_conf_set(conf, "group.id", "bench-raw", err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
  }
  return rd_kafka_new(type, conf, err, sizeof err);
}

void BM_Kafka_Produce_Evlog(benchmark::State& state) {
  std::string topic = TheCluster().NewTopic();
  auto producer = *TheCluster().store->NewProducer();
  std::vector<evlog::Record> batch(
      kBatch, evlog::Record{.key = std::nullopt, .value = kValue});
  evlog::SendOptions o;
  o.partition = evlog::PartitionId(0);
  for (auto _ : state) {
    if (!producer->SendBatch(topic, batch, o).ok())
      state.SkipWithError("send failed");
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_Kafka_Produce_Raw(benchmark::State& state) {
  std::string topic = TheCluster().NewTopic();
  rd_kafka_t* rk = RawClient(RD_KAFKA_PRODUCER, /*idempotent=*/true);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) {
      rd_kafka_producev(
          rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY | RD_KAFKA_MSG_F_BLOCK),
          RD_KAFKA_V_VALUE(const_cast<char*>(kValue.data()), kValue.size()),
          RD_KAFKA_V_END);
    }
    if (rd_kafka_flush(rk, 30000) != RD_KAFKA_RESP_ERR_NO_ERROR)
      state.SkipWithError("flush");
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  rd_kafka_destroy(rk);
}

// A topic holding kRecords records, made once.
const std::string& FilledTopic() {
  static const std::string topic = [] {
    std::string t = TheCluster().NewTopic();
    auto producer = *TheCluster().store->NewProducer();
    std::vector<evlog::Record> batch(
        kBatch, evlog::Record{.key = std::nullopt, .value = kValue});
    for (int i = 0; i < kRecords / kBatch; ++i) {
      if (!producer->SendBatch(t, batch).ok()) std::abort();
    }
    return t;
  }();
  return topic;
}

void BM_Kafka_Consume_Evlog(benchmark::State& state) {
  const std::string& topic = FilledTopic();
  for (auto _ : state) {
    evlog::ConsumerOptions o;
    o.auto_offset_reset = evlog::AutoOffsetReset::kEarliest;
    o.max_poll_records = 1000;
    auto consumer = *TheCluster().store->NewConsumer(o);
    if (!consumer->Assign({{topic, evlog::PartitionId(0)}}).ok())
      state.SkipWithError("assign");
    int64_t n = 0;
    evlog::PollResult r;
    while (n < kRecords) {
      if (!consumer->Poll(std::chrono::seconds(5), &r).ok())
        state.SkipWithError("poll");
      for (const evlog::ConsumerRecord& c : r)
        benchmark::DoNotOptimize(c.record.value());
      n += static_cast<int64_t>(r.size());
    }
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
}

void BM_Kafka_Consume_Raw(benchmark::State& state) {
  const std::string& topic = FilledTopic();
  for (auto _ : state) {
    rd_kafka_t* rk = RawClient(RD_KAFKA_CONSUMER, /*idempotent=*/false);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic.c_str(), 0)->offset = 0;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int64_t n = 0;
    while (n < kRecords) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 5000);
      if (m == nullptr) continue;
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        benchmark::DoNotOptimize(m->payload);
        ++n;
      }
      rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
}

void BM_Mirror_LocalToKafka(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto local = *evlog::Store::OpenInMemory();
    std::string topic = "mirror-" + std::to_string(TheCluster().topics++);
    if (!local->CreateTopic(topic, 1).ok()) std::abort();
    auto producer = *local->NewProducer();
    std::vector<evlog::Record> batch(
        kBatch, evlog::Record{.key = std::nullopt, .value = kValue});
    for (int i = 0; i < kRecords / kBatch; ++i) {
      if (!producer->SendBatch(topic, batch).ok()) std::abort();
    }
    state.ResumeTiming();
    evlog::kafka::MirrorOptions o;
    o.topics = {topic};
    o.max_batch_records = kBatch;
    auto mirror =
        evlog::kafka::Mirror::New(local.get(), TheCluster().store.get(), o);
    if (!mirror.ok()) state.SkipWithError("mirror");
    auto n = (*mirror)->RunOnce();
    if (!n.ok() || *n != kRecords) state.SkipWithError("mirror run");
  }
  state.SetItemsProcessed(state.iterations() * kRecords);
}

BENCHMARK(BM_Kafka_Produce_Raw)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Kafka_Produce_Evlog)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Kafka_Consume_Raw)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Kafka_Consume_Evlog)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Mirror_LocalToKafka)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
