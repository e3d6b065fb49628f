// The mirror under SIGKILL: a forked child mirrors a store directory (read
// only, following the parent that appends to it) to the mock cluster and is
// killed at random moments, then restarted; at the end the Kafka topic holds
// every local record in order per partition, with duplicates only within
// the documented bound (max_batch_records per partition per kill).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <random>
#include <thread>

#include "backends.h"
#include "evlog/kafka_mirror.h"
#include "evlog/producer.h"

namespace evlog::kafka_test {
namespace {

constexpr int32_t kBatch = 8;

// The child: mirrors until killed. Never returns.
[[noreturn]] void MirrorChild(const std::string& dir,
                              const std::string& bootstrap,
                              const std::string& topic) {
  StoreOptions so;
  so.read_only = true;
  auto local = Store::Open(dir, so);
  kafka::KafkaStoreOptions ko;
  ko.bootstrap_servers = bootstrap;
  ko.config = {{"log_level", "0"}};
  auto remote = kafka::OpenStore(ko);
  if (!local.ok() || !remote.ok()) _exit(3);
  kafka::MirrorOptions mo;
  mo.topics = {topic};
  mo.max_batch_records = kBatch;
  auto m = kafka::Mirror::New(local->get(), remote->get(), mo);
  if (!m.ok()) _exit(4);
  (*m)->Run().IgnoreError();
  _exit(0);
}

TEST_CASE("mirror: SIGKILL at random moments loses nothing",
          "[kafka][mirror][kill]") {
  if (std::getenv("EVLOG_KAFKA_BOOTSTRAP") != nullptr)
    return;  // topic made on the mock
  auto mock = kafka::MockCluster::Start();
  REQUIRE(mock.ok());
  std::string topic = Unique("killed");
  REQUIRE((*mock)->CreateTopic(topic, 2).ok());
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("evlog-mirror-kill-" + std::to_string(::getpid())))
                        .string();
  std::filesystem::remove_all(dir);
  StoreOptions so;
  so.maintenance_interval_ms = 0;
  auto local = Store::Open(dir, so);
  REQUIRE(local.ok());
  REQUIRE((*local)->CreateTopic(topic, 2).ok());
  REQUIRE((*local)->Flush().ok());
  auto producer = (*local)->NewProducer();
  std::mt19937 rng(12345);
  int sent = 0;
  const int kKills = 5;
  for (int round = 0; round < kKills; ++round) {
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) MirrorChild(dir, (*mock)->bootstrap_servers(), topic);
    // Append while the child mirrors, then kill it at a random moment.
    int n = 20 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i, ++sent) {
      REQUIRE((*producer)
                  ->Send(topic, {.key = std::to_string(sent % 7),
                                 .value = std::to_string(sent)})
                  .ok());
    }
    REQUIRE((*local)->Flush().ok());
    std::this_thread::sleep_for(
        std::chrono::milliseconds(rng() % 400));  // a random moment
    REQUIRE(kill(child, SIGKILL) == 0);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status));
  }
  // The last mirror, in this process, finishes the copy.
  kafka::KafkaStoreOptions ko;
  ko.bootstrap_servers = (*mock)->bootstrap_servers();
  ko.mock_cluster = mock->get();
  ko.config = {{"log_level", "3"}};
  auto remote = kafka::OpenStore(ko);
  REQUIRE(remote.ok());
  kafka::MirrorOptions mo;
  mo.topics = {topic};
  mo.max_batch_records = kBatch;
  auto m = kafka::Mirror::New(local->get(), remote->get(), mo);
  INFO(m.status().ToString());
  REQUIRE(m.ok());
  REQUIRE((*m)->RunOnce().ok());
  CHECK((*m)->Status().lag == 0);

  for (int32_t p = 0; p < 2; ++p) {
    TopicPartition tp{topic, PartitionId(p)};
    ConsumerOptions o;
    o.auto_offset_reset = AutoOffsetReset::kEarliest;
    auto lc = (*local)->NewConsumer(o);
    auto rc = (*remote)->NewConsumer(o);
    REQUIRE((*lc)->Assign({tp}).ok());
    REQUIRE((*rc)->Assign({tp}).ok());
    Offset local_end = (*lc)->EndOffsets({tp})->at(tp);
    Offset remote_end = (*rc)->EndOffsets({tp})->at(tp);
    std::vector<Got> l =
        PollAtLeast(**lc, static_cast<size_t>(local_end.value()));
    std::vector<Got> r =
        PollAtLeast(**rc, static_cast<size_t>(remote_end.value()));
    // Walk the copy: each record is the next local one, or a repeat of an
    // earlier one (at-least-once); repeats stay within the bound.
    size_t next = 0, duplicates = 0;
    for (const Got& g : r) {
      std::string off;
      for (const auto& [k, v] : g.headers) {
        if (k == "evlog-mirror-offset") off = v.value_or("");
      }
      int64_t source = std::stoll(off);
      if (source == static_cast<int64_t>(next)) {
        REQUIRE(next < l.size());
        CHECK(g.value == l[next].value);
        ++next;
      } else {
        REQUIRE(source < static_cast<int64_t>(next));  // never a gap
        ++duplicates;
      }
    }
    INFO("partition " << p << ": " << r.size() << " copied, " << duplicates
                      << " duplicates");
    CHECK(next == l.size());
    CHECK(duplicates <= static_cast<size_t>(kBatch * kKills));
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace evlog::kafka_test
