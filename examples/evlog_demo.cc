// evlog_demo: the README's first command (scripts/demo.sh). In under a
// minute it shows what evlog is for:
//
//   1. a store in a temporary directory with a 4-partition topic;
//   2. two producer threads and a consumer group of two members on threads,
//      with throughput and consumer lag printed twice a second;
//   3. a restart: the store is reopened, the data is all there, and the
//      group resumes exactly where it committed;
//   4. the `evlog` command-line tool inspecting the same store while the
//      demo still holds it open (read-only commands work, writes are refused).
//
// Usage: evlog_demo [--records N] [--keep]
//   --records N  records per producer (default 500000)
//   --keep       keep the store directory instead of removing it

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "evlog/evlog.h"

#ifndef EVLOG_CLI_PATH
#define EVLOG_CLI_PATH "evlog"
#endif

namespace {

using Clock = std::chrono::steady_clock;
constexpr char kTopic[] = "orders";
constexpr char kGroup[] = "billing";

[[noreturn]] void Die(const char* what, const absl::Status& s) {
  std::fprintf(stderr, "evlog_demo: %s: %s\n", what,
               std::string(s.message()).c_str());
  std::exit(1);
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

int64_t GroupLag(evlog::Store& store) {
  auto d = store.DescribeGroup(kGroup);
  if (!d.ok()) return -1;
  int64_t lag = 0;
  for (const auto& p : d->partitions)
    lag += p.lag.value_or(p.end_offset.value());
  return lag;
}

int64_t TotalRecords(evlog::Store& store) {
  auto d = store.DescribeTopic(kTopic);
  if (!d.ok()) Die("describe", d.status());
  int64_t n = 0;
  for (const auto& p : d->partitions) n += p.end_offset - p.start_offset;
  return n;
}

// Prints partition movements: shows the group rebalancing as members join.
class PrintRebalance : public evlog::RebalanceListener {
 public:
  void OnPartitionsAssigned(
      evlog::Consumer& c,
      const std::vector<evlog::TopicPartition>& parts) override {
    std::string list;
    for (const auto& tp : parts)
      list += (list.empty() ? "" : " ") + evlog::ToString(tp);
    std::printf("  [rebalance] %s now owns: %s\n", c.MemberId().c_str(),
                list.empty() ? "(nothing)" : list.c_str());
  }
};

evlog::ConsumerOptions GroupOptions(const char* client,
                                    evlog::RebalanceListener* listener) {
  evlog::ConsumerOptions o;
  o.group_id = kGroup;
  o.client_id = client;
  o.auto_offset_reset = evlog::AutoOffsetReset::kEarliest;
  o.auto_commit_interval_ms = 200;
  o.listener = listener;
  return o;
}

// A group member on its own thread: polls until `stop`, counting records.
void ConsumeLoop(evlog::Store* store, const char* client,
                 std::atomic<bool>* stop, std::atomic<int64_t>* consumed,
                 evlog::RebalanceListener* listener) {
  auto consumer = store->NewConsumer(GroupOptions(client, listener));
  if (!consumer.ok()) Die("new consumer", consumer.status());
  if (auto s = (*consumer)->Subscribe({kTopic}); !s.ok()) Die("subscribe", s);
  evlog::PollResult batch;
  while (!stop->load()) {
    absl::Status s = (*consumer)->Poll(std::chrono::milliseconds(50), &batch);
    if (!s.ok()) Die("poll", s);
    consumed->fetch_add(static_cast<int64_t>(batch.size()),
                        std::memory_order_relaxed);
  }
  if (auto s = (*consumer)->Close(); !s.ok())
    Die("consumer close", s);  // commits
}

void RunCli(const std::string& dir, const std::string& args,
            const char* filter = "") {
  std::string shown = "evlog " + args + filter;
  std::printf("\n$ %s\n", shown.c_str());
  std::fflush(stdout);
  std::string cmd = std::string(EVLOG_CLI_PATH) + " " + args + " --dir " + dir +
                    " 2>&1" + filter;
  if (std::system(cmd.c_str()) == -1)
    std::printf("(could not run %s)\n", EVLOG_CLI_PATH);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t per_producer = 500000;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--records") == 0 && i + 1 < argc) {
      per_producer = std::atoll(argv[++i]);
    } else if (std::strcmp(argv[i], "--keep") == 0) {
      keep = true;
    } else {
      std::fprintf(stderr, "usage: evlog_demo [--records N] [--keep]\n");
      return 2;
    }
  }
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "evlog-demo-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const std::string dir = tmpl + "/store";
  std::printf("evlog %s demo -- store in %s\n\n",
              std::string(evlog::kVersionString).c_str(), dir.c_str());

  // ---- 1. A store and a topic ----
  evlog::StoreOptions options;
  options.default_topic_config.segment_bytes = 8 << 20;  // small: shows rolls
  auto store = evlog::Store::Open(dir, options);
  if (!store.ok()) Die("open", store.status());
  if (auto s = (*store)->CreateTopic(kTopic, 4); !s.ok())
    Die("create topic", s);
  std::printf("1. created topic '%s' with 4 partitions (8 MiB segments)\n",
              kTopic);

  // ---- 2. Producers and a consumer group, live ----
  std::printf(
      "\n2. 2 producer threads x %lld records; group '%s' with 2 consumer "
      "threads\n",
      static_cast<long long>(per_producer), kGroup);
  PrintRebalance listener;
  std::atomic<bool> stop_consumers{false};
  std::atomic<int64_t> produced{0}, consumed{0};
  std::atomic<int> producers_running{2};
  auto producer = (*store)->NewProducer();
  if (!producer.ok()) Die("new producer", producer.status());
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      char key[32], value[96];
      for (int64_t i = 0; i < per_producer; ++i) {
        std::snprintf(key, sizeof key, "customer-%lld",
                      static_cast<long long>(i % 1000));
        int n = std::snprintf(
            value, sizeof value,
            "{\"order\":%lld,\"producer\":%d,\"amount_cents\":%lld}",
            static_cast<long long>(i), t, static_cast<long long>(i % 9973));
        auto sent = (*producer)->Send(
            kTopic, {.key = key,
                     .value = std::string_view(value, static_cast<size_t>(n))});
        if (!sent.ok()) Die("send", sent.status());
        produced.fetch_add(1, std::memory_order_relaxed);
      }
      producers_running.fetch_sub(1);
    });
  }
  threads.emplace_back(ConsumeLoop, store->get(), "billing-a", &stop_consumers,
                       &consumed, &listener);
  threads.emplace_back(ConsumeLoop, store->get(), "billing-b", &stop_consumers,
                       &consumed, &listener);

  int64_t last_p = 0, last_c = 0;
  auto last_t = Clock::now();
  const int64_t total = 2 * per_producer;
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    double dt = Seconds(last_t);
    last_t = Clock::now();
    int64_t p = produced.load(), c = consumed.load();
    std::printf(
        "  t=%4.1fs  produced %8lld (%6.2f M/s)  consumed %8lld (%6.2f M/s)  "
        "group lag %lld\n",
        Seconds(start), static_cast<long long>(p), (p - last_p) / dt / 1e6,
        static_cast<long long>(c), (c - last_c) / dt / 1e6,
        static_cast<long long>(GroupLag(**store)));
    last_p = p;
    last_c = c;
    if ((producers_running.load() == 0 && c >= total &&
         GroupLag(**store) == 0) ||
        Seconds(start) > 40) {
      break;
    }
  }
  stop_consumers.store(true);
  for (auto& t : threads) t.join();
  double secs = Seconds(start);
  std::printf(
      "  done: %lld records produced and consumed in %.1f s (%.2f M records/s "
      "end to "
      "end)\n",
      static_cast<long long>(consumed.load()), secs,
      consumed.load() / secs / 1e6);
  producer->reset();
  if (auto s = (*store)->Close(); !s.ok()) Die("close", s);
  store->reset();

  // ---- 3. Restart ----
  std::printf("\n3. restart: close the store, open it again\n");
  auto t0 = Clock::now();
  store = evlog::Store::Open(dir, options);
  if (!store.ok()) Die("reopen", store.status());
  std::printf(
      "  reopened in %.1f ms: '%s' holds %lld records; group '%s' lag %lld "
      "(everything was committed)\n",
      Seconds(t0) * 1e3, kTopic, static_cast<long long>(TotalRecords(**store)),
      kGroup, static_cast<long long>(GroupLag(**store)));
  producer = (*store)->NewProducer();
  if (!producer.ok()) Die("new producer", producer.status());
  for (int i = 0; i < 1000; ++i) {
    std::string key = "after-restart-" + std::to_string(i);
    auto sent = (*producer)->Send(kTopic, {.key = key, .value = "{}"});
    if (!sent.ok()) Die("send", sent.status());
  }
  {
    auto consumer = (*store)->NewConsumer(GroupOptions("billing-a", nullptr));
    if (!consumer.ok()) Die("new consumer", consumer.status());
    if (auto s = (*consumer)->Subscribe({kTopic}); !s.ok()) Die("subscribe", s);
    int64_t received = 0, old = 0;
    evlog::PollResult batch;
    for (auto deadline = Clock::now() + std::chrono::seconds(10);
         received < 1000 && Clock::now() < deadline;) {
      if (auto s = (*consumer)->Poll(std::chrono::milliseconds(100), &batch);
          !s.ok()) {
        Die("poll", s);
      }
      for (const auto& r : batch) {
        ++received;
        if (!r.record.key() || r.record.key()->rfind("after-restart-", 0) != 0)
          ++old;
      }
    }
    if (auto s = (*consumer)->Close(); !s.ok()) Die("consumer close", s);
    std::printf(
        "  produced 1000 more; the group resumed at its committed offsets and "
        "got "
        "%lld records, %lld of them old\n",
        static_cast<long long>(received), static_cast<long long>(old));
  }
  producer->reset();

  // ---- 4. The CLI on the same store, while this process holds it ----
  std::printf("\n4. the evlog tool, on the store this demo still holds open\n");
  RunCli(dir, "topics");
  RunCli(dir, "topic describe orders");
  RunCli(dir, "consume orders --partition 0 --count 3");
  RunCli(dir, "consume orders --from -2 --json", " | head -n 2");
  RunCli(dir, "group describe billing");
  RunCli(dir, "dump " + dir + "/topics/orders.1/0 --print-payload",
         " | head -n 7");
  RunCli(dir, "topic create other --partitions 1");
  RunCli(dir, "verify");

  if (auto s = (*store)->Close(); !s.ok()) Die("close", s);
  store->reset();
  if (keep) {
    std::printf(
        "\nstore kept in %s (try: build/release/tools/evlog stats --dir %s)\n",
        dir.c_str(), dir.c_str());
  } else {
    std::filesystem::remove_all(tmpl);
    std::printf("\nremoved %s (run with --keep to keep it)\n", tmpl.c_str());
  }
  return 0;
}
