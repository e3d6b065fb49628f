// consumer_group: several members share a topic's partitions; the group
// rebalances as members join and leave, and no record is lost or handled
// twice because each member commits what it processed when its partitions
// are revoked (RebalanceListener::OnPartitionsRevoked).
//
// Timeline: member A alone -> B joins -> C joins -> B leaves -> all stop.
// A producer writes numbered records throughout.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "evlog/evlog.h"

namespace {

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "consumer_group: %s: %s\n", what,
                 std::string(s.message()).c_str());
    std::exit(1);
  }
}

std::string List(const std::vector<evlog::TopicPartition>& parts) {
  std::string s;
  for (const auto& tp : parts)
    s += (s.empty() ? "" : " ") + std::to_string(tp.partition.value());
  return s.empty() ? "-" : s;
}

// Commits on revocation: everything returned by earlier polls was processed.
class CommitOnRevoke : public evlog::RebalanceListener {
 public:
  explicit CommitOnRevoke(const char* name) : name_(name) {}
  void OnPartitionsRevoked(
      evlog::Consumer& c,
      const std::vector<evlog::TopicPartition>& parts) override {
    if (!parts.empty()) Check(c.CommitSync(), "commit on revoke");
    std::printf("  %s: revoked   [%s]\n", name_, List(parts).c_str());
  }
  void OnPartitionsAssigned(
      evlog::Consumer& /*c*/,
      const std::vector<evlog::TopicPartition>& parts) override {
    std::printf("  %s: assigned  [%s]\n", name_, List(parts).c_str());
  }

 private:
  const char* name_;
};

struct Member {
  const char* name = "";
  std::atomic<bool> stop{false};
  std::atomic<int64_t> processed{0};
  std::thread thread{};
};

}  // namespace

int main() {
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("evlog-group-" + std::to_string(::getpid())))
                        .string();
  std::filesystem::remove_all(dir);
  evlog::StoreOptions options;
  options.default_topic_config.segment_bytes = 4 << 20;
  auto store = evlog::Store::Open(dir, options);
  Check(store.status(), "open");
  Check((*store)->CreateTopic("jobs", 6), "create");

  // Each record's number, counted once per time it is processed.
  std::vector<std::atomic<int>> seen(200000);
  std::atomic<int64_t> produced{0};
  std::mutex progress_mu;
  std::condition_variable progress_cv;
  auto run_member = [&](Member* m) {
    CommitOnRevoke listener(m->name);
    evlog::ConsumerOptions o;
    o.group_id = "workers";
    o.client_id = m->name;
    o.auto_offset_reset = evlog::AutoOffsetReset::kEarliest;
    o.listener = &listener;
    auto consumer = (*store)->NewConsumer(o);
    Check(consumer.status(), "consumer");
    Check((*consumer)->Subscribe({"jobs"}), "subscribe");
    evlog::PollResult batch;
    while (!m->stop.load()) {
      Check((*consumer)->Poll(std::chrono::milliseconds(10), &batch), "poll");
      for (const auto& r : batch) {
        seen[std::stoi(std::string(*r.record.value()))].fetch_add(1);
        m->processed.fetch_add(1);
      }
      if (!batch.empty()) {
        { std::lock_guard<std::mutex> g(progress_mu); }  // no lost wake-up
        progress_cv.notify_all();
      }
    }
    Check((*consumer)->Close(),
          "close");  // auto-commits, then revokes (listener)
  };

  std::atomic<bool> stop_producer{false};
  std::thread producer_thread([&] {
    auto producer = (*store)->NewProducer();
    Check(producer.status(), "producer");
    for (int i = 0; i < static_cast<int>(seen.size()) && !stop_producer.load();
         ++i) {
      std::string key = "job-" + std::to_string(i % 97),
                  value = std::to_string(i);
      Check((*producer)->Send("jobs", {.key = key, .value = value}).status(),
            "send");
      produced.store(i + 1);
      if (i % 1000 == 999)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });

  Member a{"A"}, b{"B"}, c{"C"};
  auto pause = [] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  };
  std::printf("A joins\n");
  a.thread = std::thread(run_member, &a);
  pause();
  std::printf("B joins\n");
  b.thread = std::thread(run_member, &b);
  pause();
  std::printf("C joins\n");
  c.thread = std::thread(run_member, &c);
  pause();
  std::printf("B leaves\n");
  b.stop.store(true);
  b.thread.join();
  pause();
  stop_producer.store(true);
  producer_thread.join();
  // Let A and C drain the topic (they signal progress), then stop them.
  {
    std::unique_lock<std::mutex> lock(progress_mu);
    progress_cv.wait(lock, [&] {
      return a.processed + b.processed + c.processed >= produced.load();
    });
  }
  a.stop.store(true);
  c.stop.store(true);
  a.thread.join();
  c.thread.join();

  int64_t missing = 0, twice = 0;
  for (int64_t i = 0; i < produced.load(); ++i) {
    missing += seen[i].load() == 0;
    twice += seen[i].load() > 1;
  }
  std::printf(
      "produced %lld; processed by A %lld, B %lld, C %lld; missing %lld, twice "
      "%lld\n",
      static_cast<long long>(produced.load()),
      static_cast<long long>(a.processed.load()),
      static_cast<long long>(b.processed.load()),
      static_cast<long long>(c.processed.load()),
      static_cast<long long>(missing), static_cast<long long>(twice));
  Check((*store)->Close(), "close store");
  std::filesystem::remove_all(dir);
  return missing == 0 && twice == 0 ? 0 : 1;
}
