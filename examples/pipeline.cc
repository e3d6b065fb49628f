// pipeline: a multi-stage pipeline of threads connected by topics, which
// survives a crash in the middle.
//
//   source --> [raw] --> enricher (group "enricher") --> [priced] --> shipper
//   (group "shipper")
//
// Each stage is a consumer group member that commits only after its output
// is appended, so it is at-least-once: after the simulated crash (threads
// stopped without committing, store closed), the restarted stages resume
// from their committed offsets, redo the little work that was not
// committed, and nothing is lost. The enricher stamps each output with the
// input's partition and offset (a header), which lets the check at the end
// prove that every raw record reached `priced`, and count the duplicates
// that at-least-once allows.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "evlog/evlog.h"

namespace {

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "pipeline: %s: %s\n", what,
                 std::string(s.message()).c_str());
    std::exit(1);
  }
}

// Stages signal each commit, so that the main thread can wait for the
// pipeline to catch up without polling.
struct Progress {
  std::mutex mu;
  std::condition_variable cv;
  void Notify() {
    { std::lock_guard<std::mutex> g(mu); }  // no lost wake-up
    cv.notify_all();
  }
};

evlog::ConsumerOptions StageOptions(const char* group) {
  evlog::ConsumerOptions o;
  o.group_id = group;
  o.auto_offset_reset = evlog::AutoOffsetReset::kEarliest;
  o.enable_auto_commit = false;  // commit after the output is written
  return o;
}

// raw -> priced: value "amount" becomes "amount,amount_with_tax".
void Enricher(evlog::Store* store, std::atomic<bool>* stop,
              Progress* progress) {
  auto consumer = store->NewConsumer(StageOptions("enricher"));
  Check(consumer.status(), "enricher consumer");
  Check((*consumer)->Subscribe({"raw"}), "subscribe raw");
  auto producer = store->NewProducer();
  Check(producer.status(), "enricher producer");
  evlog::PollResult batch;
  while (!stop->load()) {
    Check((*consumer)->Poll(std::chrono::milliseconds(20), &batch), "poll raw");
    for (const evlog::ConsumerRecord& r : batch) {
      std::string amount(*r.record.value());
      std::string priced =
          amount + "," + std::to_string(std::stoll(amount) * 6 / 5);
      std::string source = std::to_string(r.partition.value()) + ":" +
                           std::to_string(r.record.offset().value());
      evlog::HeaderView headers[] = {{"source", source}};
      Check((*producer)
                ->Send("priced", {.key = r.record.key(),
                                  .value = priced,
                                  .headers = headers})
                .status(),
            "send priced");
    }
    // Output first, then the commit: a crash in between means redoing, not
    // losing.
    if (!batch.empty()) {
      Check((*consumer)->CommitSync(), "commit enricher");
      progress->Notify();
    }
  }
  // A crash: no final commit. (Destroying the consumer does not commit with
  // enable_auto_commit = false.)
}

// priced -> "shipped" (here: counted).
void Shipper(evlog::Store* store, std::atomic<bool>* stop,
             std::atomic<int64_t>* shipped, Progress* progress) {
  auto consumer = store->NewConsumer(StageOptions("shipper"));
  Check(consumer.status(), "shipper consumer");
  Check((*consumer)->Subscribe({"priced"}), "subscribe priced");
  evlog::PollResult batch;
  while (!stop->load()) {
    Check((*consumer)->Poll(std::chrono::milliseconds(20), &batch),
          "poll priced");
    shipped->fetch_add(static_cast<int64_t>(batch.size()));
    if (!batch.empty()) {
      Check((*consumer)->CommitSync(), "commit shipper");
      progress->Notify();
    }
  }
}

int64_t Lag(evlog::Store& store, const char* group) {
  auto d = store.DescribeGroup(group);
  if (!d.ok()) return -1;
  int64_t lag = 0;
  for (const auto& p : d->partitions)
    lag += p.lag.value_or(p.end_offset.value());
  return lag;
}

// Runs the three stages until the source has produced [first, last) and,
// unless `crash`, until both groups have caught up.
void RunStages(const std::string& dir, int first, int last, bool crash) {
  auto store = evlog::Store::Open(dir);
  Check(store.status(), "open");
  std::atomic<bool> stop{false};
  std::atomic<int64_t> shipped{0};
  Progress progress;
  std::thread enricher(Enricher, store->get(), &stop, &progress);
  std::thread shipper(Shipper, store->get(), &stop, &shipped, &progress);
  {
    auto producer = (*store)->NewProducer();
    Check(producer.status(), "source producer");
    for (int i = first; i < last; ++i) {
      std::string key = "customer-" + std::to_string(i % 50);
      std::string value = std::to_string(100 + i % 900);
      Check((*producer)->Send("raw", {.key = key, .value = value}).status(),
            "send raw");
    }
  }
  if (!crash) {
    std::unique_lock<std::mutex> lock(progress.mu);
    progress.cv.wait(lock, [&] {
      return Lag(**store, "enricher") == 0 && Lag(**store, "shipper") == 0;
    });
  }
  stop.store(true);
  enricher.join();
  shipper.join();
  std::printf(
      "  %s after source %d..%d: lag enricher %lld, shipper %lld; shipped "
      "%lld\n",
      crash ? "CRASH" : "caught up", first, last - 1,
      static_cast<long long>(Lag(**store, "enricher")),
      static_cast<long long>(Lag(**store, "shipper")),
      static_cast<long long>(shipped.load()));
  Check((*store)->Close(), "close");
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("evlog-pipeline-" + std::to_string(::getpid())))
                        .string();
  std::filesystem::remove_all(dir);
  {
    evlog::StoreOptions options;
    options.default_topic_config.segment_bytes = 4 << 20;
    auto store = evlog::Store::Open(dir, options);
    Check(store.status(), "create");
    Check((*store)->CreateTopic("raw", 3), "create raw");
    Check((*store)->CreateTopic("priced", 3), "create priced");
  }
  std::printf(
      "pipeline: source -> raw -> enricher -> priced -> shipper, %d records\n",
      n);
  RunStages(dir, 0, n / 2, /*crash=*/true);
  std::printf("  restart\n");
  RunStages(dir, n / 2, n, /*crash=*/false);

  // Every raw record must have reached `priced` (at least once).
  auto store = evlog::Store::Open(dir);
  Check(store.status(), "open for check");
  auto checker = (*store)->NewConsumer(
      {.auto_offset_reset = evlog::AutoOffsetReset::kEarliest});
  Check(checker.status(), "checker");
  std::vector<evlog::TopicPartition> parts;
  for (int p = 0; p < 3; ++p)
    parts.push_back({"priced", evlog::PartitionId(p)});
  Check((*checker)->Assign(parts), "assign");
  std::set<std::string> sources;
  int64_t outputs = 0;
  for (auto batch = (*checker)->Poll(std::chrono::milliseconds(50));
       batch.ok() && !batch->empty();
       batch = (*checker)->Poll(std::chrono::milliseconds(50))) {
    for (const auto& r : *batch) {
      ++outputs;
      for (const auto& h : r.record.headers()) {
        if (h.key == "source") sources.insert(std::string(*h.value));
      }
    }
  }
  checker->reset();
  Check((*store)->Close(), "close");
  std::filesystem::remove_all(dir);
  std::printf(
      "pipeline: %zu of %d raw records reached priced (%lld outputs, %lld "
      "duplicates "
      "from the crash)\n",
      sources.size(), n, static_cast<long long>(outputs),
      static_cast<long long>(outputs - static_cast<int64_t>(sources.size())));
  return static_cast<int>(sources.size()) == n ? 0 : 1;
}
