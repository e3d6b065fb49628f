// kafka_switch: one pipeline function, three backends. The same code runs on
// Store::OpenInMemory(), on a store directory and on Kafka -- the switch is
// the one line that opens the store.
//
//   kafka_switch DIR [BOOTSTRAP]
//
// Without BOOTSTRAP the Kafka run uses librdkafka's in-process mock cluster
// (evlog/kafka_mock.h), so the example needs no broker.

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>

#include "evlog/kafka.h"
#include "evlog/kafka_mock.h"
#include "evlog/producer.h"
#include "evlog/store.h"

namespace {

// Produces `n` orders keyed by customer, then reads them back as a group
// and returns the sum of the amounts (or -1 on an error).
long Pipeline(evlog::Store& store, int n) {
  if (!store.CreateTopic("orders", 3).ok()) return -1;
  auto producer = store.NewProducer();
  if (!producer.ok()) return -1;
  for (int i = 0; i < n; ++i) {
    std::string customer = "customer-" + std::to_string(i % 7);
    std::string amount = std::to_string(i);
    if (!(*producer)->Send("orders", {.key = customer, .value = amount}).ok())
      return -1;
  }
  evlog::ConsumerOptions options;
  options.group_id = "billing";
  options.auto_offset_reset = evlog::AutoOffsetReset::kEarliest;
  auto consumer = store.NewConsumer(options);
  if (!consumer.ok() || !(*consumer)->Subscribe({"orders"}).ok()) return -1;
  long sum = 0;
  int seen = 0;
  // Generous: a Kafka group's first assignment takes a few seconds.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  evlog::PollResult batch;
  while (seen < n && std::chrono::steady_clock::now() < deadline) {
    if (!(*consumer)->Poll(std::chrono::milliseconds(200), &batch).ok())
      return -1;
    for (const evlog::ConsumerRecord& r : batch) {
      sum += std::stol(std::string(*r.record.value()));
      ++seen;
    }
  }
  if (!(*consumer)->Close().ok() || seen != n) return -1;
  return sum;
}

int Report(const char* backend, long sum, long expected) {
  std::printf("%-10s sum %ld (%s)\n", backend, sum,
              sum == expected ? "ok" : "WRONG");
  return sum == expected ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: kafka_switch DIR [BOOTSTRAP]\n");
    return 2;
  }
  const int n = 200;
  const long expected = static_cast<long>(n) * (n - 1) / 2;
  int failures = 0;

  auto memory = evlog::Store::OpenInMemory();
  failures +=
      Report("memory", memory.ok() ? Pipeline(**memory, n) : -1, expected);

  std::string dir =
      std::string(argv[1]) + "/kafka-switch-" + std::to_string(::time(nullptr));
  auto disk = evlog::Store::Open(dir);
  failures +=
      Report("directory", disk.ok() ? Pipeline(**disk, n) : -1, expected);

  std::unique_ptr<evlog::kafka::MockCluster> mock;
  evlog::kafka::KafkaStoreOptions options;
  if (argc > 2) {
    options.bootstrap_servers = argv[2];
  } else {
    auto started = evlog::kafka::MockCluster::Start();
    if (!started.ok()) return 1;
    mock = *std::move(started);
    options.bootstrap_servers = mock->bootstrap_servers();
    options.mock_cluster = mock.get();
  }
  options.config = {{"log_level", "3"}};
  auto kafka = evlog::kafka::OpenStore(options);
  if (!kafka.ok())
    std::fprintf(stderr, "%s\n", kafka.status().ToString().c_str());
  failures += Report("kafka", kafka.ok() ? Pipeline(**kafka, n) : -1, expected);
  return failures == 0 ? 0 : 1;
}
