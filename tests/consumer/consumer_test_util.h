// Helpers shared by the consumer and group tests: a store on a MemEnv with a
// fake clock, sending numbered records, and draining a consumer.

#ifndef EVLOG_TESTS_CONSUMER_CONSUMER_TEST_UTIL_H_
#define EVLOG_TESTS_CONSUMER_CONSUMER_TEST_UTIL_H_

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "env/mem_env.h"
#include "evlog/consumer.h"
#include "evlog/producer.h"
#include "evlog/store.h"

namespace evlog::testing {

inline StoreOptions MemStoreOptions(Env* env) {
  StoreOptions o;
  o.env = env;
  o.maintenance_interval_ms = 0;
  o.default_topic_config.segment_bytes = 64 << 10;
  o.default_topic_config.max_record_bytes = 16 << 10;
  return o;
}

// A MemEnv with a fake clock and a store on it at /store.
struct StoreFixture {
  FakeClock clock;
  std::unique_ptr<MemEnv> env = std::make_unique<MemEnv>(&clock);
  std::unique_ptr<Store> store;
  std::unique_ptr<Producer> producer;

  StoreFixture() { Reopen(); }

  void Reopen() {
    producer.reset();
    store.reset();
    auto s = Store::Open("/store", MemStoreOptions(env.get()));
    INFO(s.status().ToString());
    REQUIRE(s.ok());
    store = *std::move(s);
    auto p = store->NewProducer();
    REQUIRE(p.ok());
    producer = *std::move(p);
  }

  // Replaces the env by a crash image of it and reopens.
  void CrashAndReopen(CrashOptions::Kind kind = CrashOptions::kPowerLoss) {
    CrashOptions c;
    c.kind = kind;
    auto image = env->CrashImage(c);
    producer.reset();
    store.reset();
    env = std::move(image);
    Reopen();
  }

  // Sends `n` records "v<i>" with key "k<i>" to `partition` of `topic`.
  void Send(const std::string& topic, int partition, int n, int first = 0) {
    for (int i = first; i < first + n; ++i) {
      std::string k = "k" + std::to_string(i), v = "v" + std::to_string(i);
      Record r{.key = k, .value = v};
      auto sent =
          producer->Send(topic, r, {.partition = PartitionId(partition)});
      REQUIRE(sent.ok());
    }
  }

  std::unique_ptr<Consumer> NewConsumer(ConsumerOptions o) {
    auto c = store->NewConsumer(o);
    REQUIRE(c.ok());
    return *std::move(c);
  }
};

inline ConsumerOptions GroupOptions(
    const std::string& group,
    AssignmentStrategy s = AssignmentStrategy::kRange) {
  ConsumerOptions o;
  o.group_id = group;
  o.auto_offset_reset = AutoOffsetReset::kEarliest;
  o.enable_auto_commit = false;
  o.assignment_strategy = s;
  o.wait_strategy = WaitStrategy::kBlock;
  return o;
}

struct Got {
  std::string topic;
  int partition;
  int64_t offset;
  std::string value;
  friend bool operator==(const Got&, const Got&) = default;
};

// Polls once (with `timeout`) and copies what came.
inline std::vector<Got> PollOnce(
    Consumer& c,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
  PollResult r;
  absl::Status s = c.Poll(timeout, &r);
  REQUIRE(s.ok());
  std::vector<Got> out;
  for (const ConsumerRecord& rec : r) {
    out.push_back({std::string(rec.topic), rec.partition.value(),
                   rec.record.offset().value(),
                   std::string(rec.record.value().value_or("<null>"))});
  }
  return out;
}

// Polls without waiting until a poll returns nothing.
inline std::vector<Got> Drain(Consumer& c) {
  std::vector<Got> all;
  while (true) {
    auto got = PollOnce(c);
    if (got.empty()) return all;
    all.insert(all.end(), got.begin(), got.end());
  }
}

}  // namespace evlog::testing

#endif  // EVLOG_TESTS_CONSUMER_CONSUMER_TEST_UTIL_H_
