// Producer::SendAsync: acknowledgements and their order, group commit,
// Flush and Close with sends outstanding, errors (immediate ones and those
// that reach the callback), buffer_memory, misuse from callbacks, and
// concurrent senders.

#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "env/mem_env.h"
#include "evlog/producer.h"
#include "evlog/store.h"
#include "partition/log_reader.h"
#include "producer/producer_test_util.h"
#include "store/store_impl.h"

namespace evlog {
namespace {

// Batches are cut only by Flush, Close, batch_size or a full buffer.
constexpr int64_t kForever = 3600 * 1000;

// What callbacks saw, guarded (they run on the sender thread).
struct Outcomes {
  std::mutex mu;
  std::vector<absl::StatusOr<SendResult>> results;
  std::vector<std::thread::id> threads;
  SendCallback Callback() {
    return [this](const absl::StatusOr<SendResult>& r) {
      std::lock_guard<std::mutex> g(mu);
      results.push_back(r);
      threads.push_back(std::this_thread::get_id());
    };
  }
  size_t size() {
    std::lock_guard<std::mutex> g(mu);
    return results.size();
  }
};

struct Fixture {
  Outcomes out;  // declared first: outlives the producer's last callback
  MemEnv env;
  std::unique_ptr<StoreImpl> store;
  std::unique_ptr<Producer> producer;
  explicit Fixture(ProducerOptions po = {}, int partitions = 2,
                   Durability durability = Durability::kEveryAppend) {
    TopicConfig config;
    config.segment_bytes = 64 << 10;
    config.max_record_bytes = 4096;
    config.durability = durability;
    store = test::OpenProducerTestStore(&env, partitions, config);
    auto p = store->NewProducer(po);
    REQUIRE(p.ok());
    producer = *std::move(p);
  }
  PartitionLog* Log(int p) {
    return (*store->FindTopic("t"))->partition(PartitionId(p));
  }
  std::vector<std::string> Values(int p) {
    std::vector<std::string> out;
    PartitionLog* log = Log(p);
    LogReader r(log, Offset(0));
    RecordView v;
    while (true) {
      auto got = r.Next(&v, log->end_offset());
      REQUIRE(got.ok());
      if (!*got) return out;
      out.emplace_back(v.value().value_or("<tombstone>"));
    }
  }
};

TEST_CASE(
    "async sends are acknowledged in order, durable, on the sender thread",
    "[producer][async]") {
  Fixture f;
  Outcomes& out = f.out;
  HeaderView hdr[] = {{"h", "x"}, {"null", std::nullopt}};
  constexpr int kRecords = 300;
  for (int i = 0; i < kRecords; ++i) {
    std::string key = "k" + std::to_string(i % 5);
    std::string value = "v" + std::to_string(i);
    Record r{.key = key, .value = value, .headers = hdr};
    if (i == 7) r.value.reset();  // a tombstone
    REQUIRE(f.producer->SendAsync("t", r, out.Callback()).ok());
    // The caller's buffers may change right after the call.
    key.assign("overwritten");
    value.assign("overwritten");
  }
  REQUIRE(f.producer->Flush().ok());
  REQUIRE(out.size() == kRecords);
  std::map<int32_t, int64_t> next;  // per partition: the next offset
  for (size_t i = 0; i < out.results.size(); ++i) {
    REQUIRE(out.results[i].ok());
    const SendResult& r = *out.results[i];
    CHECK(out.threads[i] != std::this_thread::get_id());
    CHECK(r.timestamp_ms > 0);
    // Callbacks of one partition come in send order with consecutive
    // offsets; on a kEveryAppend topic an OK means synced.
    CHECK(r.offset.value() == next[r.partition.value()]++);
    CHECK(f.Log(r.partition.value())->durable_end_offset() > r.offset);
  }
  // Each key's records are in its partition, in send order.
  std::map<int32_t, std::vector<std::string>> expected;
  for (int i = 0; i < kRecords; ++i) {
    int32_t p = PartitionForKey("k" + std::to_string(i % 5), 2).value();
    expected[p].push_back(i == 7 ? "<tombstone>" : "v" + std::to_string(i));
  }
  for (int p = 0; p < 2; ++p) CHECK(f.Values(p) == expected[p]);
  // Headers and keys were copied too.
  LogReader reader(f.Log(PartitionForKey("k0", 2).value()), Offset(0));
  RecordView v;
  REQUIRE(*reader.Next(&v, Offset(1)));
  CHECK(v.key() == std::optional<std::string_view>("k0"));
  REQUIRE(v.headers().size() == 2);
  CHECK(v.headers()[0] == hdr[0]);
  CHECK(v.headers()[1] == hdr[1]);
}

TEST_CASE("a linger window is one append and one sync (group commit)",
          "[producer][async]") {
  Fixture f({.linger_ms = kForever}, 1);
  Outcomes& out = f.out;
  const uint64_t syncs_before = f.env.sync_count();
  constexpr int kRecords = 500;
  for (int i = 0; i < kRecords; ++i) {
    REQUIRE(
        f.producer
            ->SendAsync("t", {.value = "v" + std::to_string(i)}, out.Callback())
            .ok());
  }
  CHECK(out.size() == 0);  // nothing is sent before the window closes
  REQUIRE(f.producer->Flush().ok());
  REQUIRE(out.size() == kRecords);
  for (int i = 0; i < kRecords; ++i) {
    REQUIRE(out.results[i].ok());
    CHECK(out.results[i]->offset.value() == i);
  }
  // One msync for the batch (plus at most a few for Flush's store sync and
  // directory syncs), not one per record.
  CHECK(f.env.sync_count() - syncs_before <= 4);
  CHECK(f.Log(0)->durable_end_offset().value() == kRecords);
}

TEST_CASE("batch_size splits a window into several appends, in order",
          "[producer][async]") {
  Fixture f({.linger_ms = kForever, .batch_size = 300}, 1);
  Outcomes& out = f.out;
  std::vector<std::string> sent;
  for (int i = 0; i < 100; ++i) {
    sent.push_back("value-" + std::to_string(i));
    REQUIRE(f.producer->SendAsync("t", {.value = sent.back()}, out.Callback())
                .ok());
  }
  REQUIRE(f.producer->Flush().ok());
  REQUIRE(out.size() == 100);
  for (auto& r : out.results) REQUIRE(r.ok());
  CHECK(f.Values(0) == sent);
}

TEST_CASE("Close completes outstanding async sends", "[producer][async]") {
  Fixture f({.linger_ms = kForever});
  Outcomes& out = f.out;
  for (int i = 0; i < 50; ++i) {
    REQUIRE(f.producer
                ->SendAsync("t", {.value = "v"}, out.Callback(),
                            {.partition = PartitionId(i % 2)})
                .ok());
  }
  REQUIRE(f.producer->Close().ok());
  REQUIRE(out.size() == 50);  // every callback ran before Close returned
  for (auto& r : out.results) CHECK(r.ok());
  CHECK(f.Log(0)->end_offset().value() == 25);
  CHECK(f.Log(1)->end_offset().value() == 25);
  // Later sends are refused and their callbacks never run.
  CHECK(absl::IsFailedPrecondition(
      f.producer->SendAsync("t", {.value = "late"}, out.Callback())));
  CHECK(absl::IsFailedPrecondition(f.producer->Flush()));
  CHECK(f.producer->Close().ok());  // idempotent
  CHECK(out.size() == 50);

  // Destroying a producer with sends outstanding also completes them.
  Outcomes more;
  auto p = f.store->NewProducer({.linger_ms = kForever});
  REQUIRE(p.ok());
  REQUIRE((*p)->SendAsync("t", {.value = "w"}, more.Callback()).ok());
  p->reset();
  REQUIRE(more.size() == 1);
  CHECK(more.results[0].ok());
}

TEST_CASE("immediate async errors are specific and run no callback",
          "[producer][async]") {
  Fixture f({.buffer_memory = 2000});
  Outcomes& out = f.out;
  CHECK(absl::IsNotFound(
      f.producer->SendAsync("nope", {.value = "v"}, out.Callback())));
  CHECK(absl::IsOutOfRange(f.producer->SendAsync(
      "t", {.value = "v"}, out.Callback(), {.partition = PartitionId(2)})));
  CHECK(absl::IsInvalidArgument(
      f.producer->SendAsync("t", {.value = "v"}, out.Callback(),
                            {.expected_end_offset = Offset(0)})));
  std::string big(5000, 'b');  // over max_record_bytes
  CHECK(absl::IsResourceExhausted(
      f.producer->SendAsync("t", {.value = big}, out.Callback())));
  std::string over_buffer(3000, 'c');  // fits the topic, not the buffer
  f.producer.reset();
  auto small = f.store->NewProducer({.buffer_memory = 2000});
  REQUIRE(small.ok());
  CHECK(absl::IsResourceExhausted(
      (*small)->SendAsync("t", {.value = over_buffer}, out.Callback())));
  REQUIRE((*small)->Flush().ok());
  CHECK(out.size() == 0);
  // Invalid options.
  CHECK(absl::IsInvalidArgument(
      f.store->NewProducer({.linger_ms = -1}).status()));
  CHECK(absl::IsInvalidArgument(
      f.store->NewProducer({.batch_size = 0}).status()));
  CHECK(absl::IsInvalidArgument(
      f.store->NewProducer({.buffer_memory = 0}).status()));
  CHECK(absl::IsInvalidArgument(
      f.store->NewProducer({.max_block_ms = -1}).status()));
}

TEST_CASE("errors after queueing reach the callbacks", "[producer][async]") {
  Fixture f({.linger_ms = kForever});
  Outcomes& out = f.out;
  REQUIRE(f.producer->SendAsync("t", {.value = "doomed"}, out.Callback()).ok());
  // The topic goes away while the record waits in the queue.
  REQUIRE(f.store->DeleteTopic("t").ok());
  REQUIRE(f.producer->Flush().ok());
  REQUIRE(out.size() == 1);
  REQUIRE(absl::IsFailedPrecondition(out.results[0].status()));
  CHECK(out.results[0].status().message().find("topic t partition") !=
        absl::string_view::npos);

  // The same when the store is closed under queued sends.
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  REQUIRE(f.producer->SendAsync("t", {.value = "also"}, out.Callback()).ok());
  REQUIRE(f.store->Close().ok());
  REQUIRE(f.producer->Close().ok());
  REQUIRE(out.size() == 2);
  CHECK(absl::IsFailedPrecondition(out.results[1].status()));
}

TEST_CASE("a full buffer blocks for room, or fails at once with max_block_ms 0",
          "[producer][async]") {
  // Each record is ~130 encoded bytes: the buffer holds a few.
  const std::string value(100, 'v');
  SECTION("max_block_ms = 0") {
    Fixture f(
        {.linger_ms = kForever, .buffer_memory = 1000, .max_block_ms = 0});
    Outcomes& out = f.out;
    int accepted = 0;
    absl::Status s;
    while ((s = f.producer->SendAsync("t", {.value = value}, out.Callback()))
               .ok()) {
      ++accepted;
      REQUIRE(accepted < 100);
    }
    CHECK(absl::IsResourceExhausted(s));
    CHECK(accepted >= 5);
    REQUIRE(f.producer->Flush().ok());
    CHECK(out.size() == static_cast<size_t>(accepted));
    // Room again after the flush.
    CHECK(f.producer->SendAsync("t", {.value = value}, out.Callback()).ok());
  }
  SECTION("blocking: the sender drains the buffer without waiting for linger") {
    Fixture f({.linger_ms = kForever, .buffer_memory = 1000});
    Outcomes& out = f.out;
    for (int i = 0; i < 100; ++i) {
      REQUIRE(f.producer
                  ->SendAsync("t", {.value = value}, out.Callback(),
                              {.partition = PartitionId(0)})
                  .ok());
    }
    REQUIRE(f.producer->Flush().ok());
    CHECK(out.size() == 100);
    CHECK(f.Log(0)->end_offset().value() == 100);
  }
}

TEST_CASE("callbacks may send, but not Flush or Close", "[producer][async]") {
  // Declared before the fixture: the callbacks outlive a failed REQUIRE.
  std::mutex mu;
  std::vector<absl::Status> seen;
  Outcomes chained;
  std::atomic<int> ran{0};
  Fixture f({.max_block_ms = 0});
  auto record = [&](absl::Status s) {
    std::lock_guard<std::mutex> g(mu);
    seen.push_back(s);
  };
  REQUIRE(f.producer
              ->SendAsync("t", {.value = "first"},
                          [&](const absl::StatusOr<SendResult>& r) {
                            record(r.status());
                            record(f.producer->Flush());
                            record(f.producer->Close());
                            record(f.producer->SendAsync(
                                "t", {.value = "chained"}, chained.Callback()));
                            ran++;
                          })
              .ok());
  REQUIRE(f.producer->Flush().ok());
  REQUIRE(ran.load() == 1);
  REQUIRE(seen.size() == 4);
  CHECK(seen[0].ok());
  CHECK(absl::IsFailedPrecondition(seen[1]));
  CHECK(absl::IsFailedPrecondition(seen[2]));
  CHECK(seen[3].ok());
  // The chained send was queued by the callback; the next Flush sees it.
  REQUIRE(f.producer->Flush().ok());
  REQUIRE(chained.size() == 1);
  CHECK(chained.results[0].ok());
  // Close from the callback did nothing: the producer still works.
  CHECK(f.producer->SendAsync("t", {.value = "after"}, nullptr).ok());
  REQUIRE(f.producer->Close().ok());
}

TEST_CASE("concurrent async senders: per-thread order, every ack once",
          "[producer][async][concurrency]") {
  constexpr int kThreads = 3, kPerThread = 1500;
  Fixture f({.batch_size = 2048}, 3, Durability::kNone);
  Outcomes& out = f.out;
  std::vector<std::thread> threads;
  std::atomic<int> refused{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string key = "k" + std::to_string(t);
        std::string value = std::to_string(t) + ":" + std::to_string(i);
        if (!f.producer
                 ->SendAsync("t", {.key = key, .value = value}, out.Callback())
                 .ok()) {
          refused++;
        }
        if (i % 500 == 0 && !f.producer->Flush().ok()) refused++;
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(f.producer->Flush().ok());
  CHECK(refused.load() == 0);
  REQUIRE(out.size() == kThreads * kPerThread);
  std::set<std::pair<int32_t, int64_t>> offsets;
  for (auto& r : out.results) {
    REQUIRE(r.ok());
    CHECK(offsets.insert({r->partition.value(), r->offset.value()}).second);
  }
  // Each thread's records (one key, one partition) are in its call order.
  std::map<int, int> next;
  for (int p = 0; p < 3; ++p) {
    for (const std::string& v : f.Values(p)) {
      int t = std::stoi(v.substr(0, v.find(':')));
      int i = std::stoi(v.substr(v.find(':') + 1));
      CHECK(i == next[t]++);
    }
  }
  for (int t = 0; t < kThreads; ++t) CHECK(next[t] == kPerThread);
}

}  // namespace
}  // namespace evlog
