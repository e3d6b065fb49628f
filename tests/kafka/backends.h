// The backends the conformance suite (conformance_test.cc) runs on: the
// embedded in-process store and the Kafka backend, on librdkafka's mock
// cluster started by the test itself, or on a real cluster when
// EVLOG_KAFKA_BOOTSTRAP=host:port is set (docs/KAFKA.md).
//
// Topic and group names carry a per-process random suffix so that runs
// against a shared real cluster do not see each other's data.

#ifndef EVLOG_TESTS_KAFKA_BACKENDS_H_
#define EVLOG_TESTS_KAFKA_BACKENDS_H_

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "evlog/kafka.h"
#include "evlog/kafka_mock.h"
#include "evlog/store.h"

namespace evlog::kafka_test {

inline std::string Unique(const std::string& base) {
  static const std::string suffix = [] {
    std::random_device rd;
    return std::to_string(rd() % 1000000);
  }();
  static int n = 0;
  return base + "-" + suffix + "-" + std::to_string(++n);
}

struct MemoryBackend {
  static constexpr bool kKafka = false;
  std::unique_ptr<Store> store;
  MemoryBackend() {
    auto s = Store::OpenInMemory();
    REQUIRE(s.ok());
    store = *std::move(s);
  }
};

// True on librdkafka's mock cluster, whose limits some cases assert
// (docs/KAFKA.md: no timestamp look-ups, no topic/group admin requests).
template <typename Backend>
bool OnMock() {
  return Backend::kKafka && std::getenv("EVLOG_KAFKA_BOOTSTRAP") == nullptr;
}

struct KafkaBackend {
  static constexpr bool kKafka = true;
  std::unique_ptr<kafka::MockCluster> mock;  // null on a real cluster
  std::unique_ptr<Store> store;
  explicit KafkaBackend(int64_t timeout_ms = 20000) {
    kafka::KafkaStoreOptions o;
    o.timeout_ms = timeout_ms;
    // librdkafka's warnings (e.g. that the mock ignores
    // allow.auto.create.topics) would drown the test output.
    // Short group liveness settings keep the rebalance cases quick (the
    // mock notices a member that left or died after session.timeout.ms).
    o.config = {{"log_level", "3"},
                {"session.timeout.ms", "6000"},
                {"heartbeat.interval.ms", "500"}};
    if (const char* bootstrap = std::getenv("EVLOG_KAFKA_BOOTSTRAP");
        bootstrap && *bootstrap) {
      o.bootstrap_servers = bootstrap;
    } else {
      auto m = kafka::MockCluster::Start(1);
      REQUIRE(m.ok());
      mock = *std::move(m);
      o.bootstrap_servers = mock->bootstrap_servers();
      o.mock_cluster = mock.get();
    }
    auto s = kafka::OpenStore(o);
    INFO(s.status().ToString());
    REQUIRE(s.ok());
    store = *std::move(s);
  }
};

// A record copied out of a PollResult.
struct Got {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

inline std::vector<Got> Copy(const PollResult& r) {
  std::vector<Got> out;
  for (const ConsumerRecord& c : r) {
    Got g;
    g.topic = std::string(c.topic);
    g.partition = c.partition.value();
    g.offset = c.record.offset().value();
    g.timestamp_ms = c.record.timestamp_ms();
    if (c.record.key()) g.key = std::string(*c.record.key());
    if (c.record.value()) g.value = std::string(*c.record.value());
    for (const HeaderView& h : c.record.headers()) {
      g.headers.emplace_back(
          std::string(h.key),
          h.value ? std::optional<std::string>(std::string(*h.value))
                  : std::nullopt);
    }
    out.push_back(std::move(g));
  }
  return out;
}

// Polls until `n` records arrived (or more), or fails after a generous
// deadline (a group's first assignment takes ~3 s on the mock).
inline std::vector<Got> PollAtLeast(
    Consumer& c, size_t n,
    std::chrono::seconds deadline = std::chrono::seconds(60)) {
  std::vector<Got> got;
  auto end = std::chrono::steady_clock::now() + deadline;
  PollResult r;
  while (got.size() < n && std::chrono::steady_clock::now() < end) {
    absl::Status s = c.Poll(std::chrono::milliseconds(200), &r);
    INFO(s.ToString());
    REQUIRE(s.ok());
    for (Got& g : Copy(r)) got.push_back(std::move(g));
  }
  REQUIRE(got.size() >= n);
  return got;
}

// Polls until `done()` holds, failing after the deadline.
template <typename Pred>
void PollUntil(Consumer& c, Pred done, std::vector<Got>* got = nullptr,
               std::chrono::seconds deadline = std::chrono::seconds(60)) {
  auto end = std::chrono::steady_clock::now() + deadline;
  PollResult r;
  while (!done() && std::chrono::steady_clock::now() < end) {
    absl::Status s = c.Poll(std::chrono::milliseconds(100), &r);
    INFO(s.ToString());
    REQUIRE(s.ok());
    if (got != nullptr) {
      for (Got& g : Copy(r)) got->push_back(std::move(g));
    }
  }
  REQUIRE(done());
}

}  // namespace evlog::kafka_test

#endif  // EVLOG_TESTS_KAFKA_BACKENDS_H_
