// Consumer with manual assignment: polling, zero-copy lifetime, positions,
// auto_offset_reset, pause/resume, offsets for times, durable-only reads,
// Wakeup, and a producer thread feeding a consumer thread under every wait
// strategy.

#include <atomic>
#include <catch2/catch.hpp>
#include <semaphore>
#include <thread>

#include "consumer/consumer_test_util.h"
#include "store/store_impl.h"

namespace evlog {
namespace {

using testing::Got;
using testing::StoreFixture;

TopicPartition TP(const std::string& t, int p) { return {t, PartitionId(p)}; }

ConsumerOptions Manual(AutoOffsetReset reset = AutoOffsetReset::kEarliest) {
  ConsumerOptions o;
  o.auto_offset_reset = reset;
  o.wait_strategy = WaitStrategy::kBlock;
  return o;
}

TEST_CASE("manual assignment reads every partition in offset order",
          "[consumer]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 3).ok());
  for (int p = 0; p < 3; ++p) f.Send("t", p, 10);
  auto c = f.NewConsumer(Manual());
  REQUIRE(c->Assign({TP("t", 0), TP("t", 1), TP("t", 2)}).ok());
  CHECK(c->Assignment() ==
        std::vector<TopicPartition>{TP("t", 0), TP("t", 1), TP("t", 2)});
  auto all = testing::Drain(*c);
  REQUIRE(all.size() == 30);
  std::map<int, int64_t> next;
  for (const Got& g : all) {
    CHECK(g.topic == "t");
    CHECK(g.offset == next[g.partition]++);
    CHECK(g.value == "v" + std::to_string(g.offset));
  }
  for (int p = 0; p < 3; ++p) CHECK(*c->Position(TP("t", p)) == Offset(10));
}

TEST_CASE("max_poll_records caps a poll and partitions take turns",
          "[consumer]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 2).ok());
  f.Send("t", 0, 100);
  f.Send("t", 1, 100);
  ConsumerOptions o = Manual();
  o.max_poll_records = 30;
  auto c = f.NewConsumer(o);
  REQUIRE(c->Assign({TP("t", 0), TP("t", 1)}).ok());
  std::set<int> first_partitions;
  for (int i = 0; i < 4; ++i) {
    auto got = testing::PollOnce(*c);
    REQUIRE(got.size() == 30);
    first_partitions.insert(got[0].partition);
  }
  CHECK(first_partitions.size() == 2);  // neither partition starves
}

TEST_CASE("poll result views outlive topic deletion and consumer close",
          "[consumer]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  f.Send("t", 0, 5);
  auto c = f.NewConsumer(Manual());
  REQUIRE(c->Assign({TP("t", 0)}).ok());
  PollResult r;
  REQUIRE(c->Poll(std::chrono::milliseconds(0), &r).ok());
  REQUIRE(r.size() == 5);
  REQUIRE(c->Close().ok());
  REQUIRE(f.store->DeleteTopic("t").ok());
  PollResult moved = std::move(r);
  for (size_t i = 0; i < moved.size(); ++i) {
    CHECK(moved[i].topic == "t");
    CHECK(moved[i].record.value() ==
          std::optional<std::string_view>("v" + std::to_string(i)));
    CHECK(moved[i].record.key() ==
          std::optional<std::string_view>("k" + std::to_string(i)));
  }
}

TEST_CASE("assign and position errors", "[consumer]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  auto c = f.NewConsumer(Manual());
  CHECK(absl::IsNotFound(c->Assign({TP("nope", 0)})));
  CHECK(absl::IsOutOfRange(c->Assign({TP("t", 1)})));
  CHECK(absl::IsFailedPrecondition(c->Seek(TP("t", 0), Offset(0))));
  CHECK(absl::IsFailedPrecondition(c->Position(TP("t", 0)).status()));
  CHECK(absl::IsFailedPrecondition(c->Pause({TP("t", 0)})));
  CHECK(absl::IsInvalidArgument(c->Subscribe({"t"})));  // no group id
  CHECK(absl::IsInvalidArgument(c->CommitSync()));
  REQUIRE(c->Close().ok());
  CHECK(absl::IsFailedPrecondition(
      c->Poll(std::chrono::milliseconds(0)).status()));
  CHECK(absl::IsFailedPrecondition(c->Assign({TP("t", 0)})));

  ConsumerOptions bad = Manual();
  bad.max_poll_records = 0;
  CHECK(absl::IsInvalidArgument(f.store->NewConsumer(bad).status()));
  bad = Manual();
  bad.group_id = "a/b";
  CHECK(absl::IsInvalidArgument(f.store->NewConsumer(bad).status()));
}

TEST_CASE("seek, seek to beginning and end", "[consumer]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  f.Send("t", 0, 10);
  auto c = f.NewConsumer(Manual());
  REQUIRE(c->Assign({TP("t", 0)}).ok());
  REQUIRE(c->Seek(TP("t", 0), Offset(7)).ok());
  auto got = testing::Drain(*c);
  REQUIRE(got.size() == 3);
  CHECK(got[0].offset == 7);
  REQUIRE(c->SeekToBeginning({}).ok());
  CHECK(*c->Position(TP("t", 0)) == Offset(0));
  CHECK(testing::Drain(*c).size() == 10);
  REQUIRE(c->SeekToEnd({TP("t", 0)}).ok());
  CHECK(testing::Drain(*c).empty());
  f.Send("t", 0, 1, 10);
  got = testing::Drain(*c);
  REQUIRE(got.size() == 1);
  CHECK(got[0].offset == 10);
}

TEST_CASE("auto_offset_reset: initial position and out-of-range seeks",
          "[consumer]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  f.Send("t", 0, 10);
  SECTION("earliest") {
    auto c = f.NewConsumer(Manual(AutoOffsetReset::kEarliest));
    REQUIRE(c->Assign({TP("t", 0)}).ok());
    CHECK(*c->Position(TP("t", 0)) == Offset(0));
    REQUIRE(c->Seek(TP("t", 0), Offset(50)).ok());  // past the end
    auto got = testing::Drain(*c);
    REQUIRE(got.size() == 10);
    CHECK(got[0].offset == 0);
  }
  SECTION("latest") {
    auto c = f.NewConsumer(Manual(AutoOffsetReset::kLatest));
    REQUIRE(c->Assign({TP("t", 0)}).ok());
    CHECK(*c->Position(TP("t", 0)) == Offset(10));
    CHECK(testing::Drain(*c).empty());
    REQUIRE(c->Seek(TP("t", 0), Offset(50)).ok());
    CHECK(testing::Drain(*c).empty());
    CHECK(*c->Position(TP("t", 0)) == Offset(10));
    f.Send("t", 0, 2, 10);
    CHECK(testing::Drain(*c).size() == 2);
  }
  SECTION("error") {
    auto c = f.NewConsumer(Manual(AutoOffsetReset::kError));
    REQUIRE(c->Assign({TP("t", 0)}).ok());
    CHECK(absl::IsOutOfRange(c->Position(TP("t", 0)).status()));
    CHECK(absl::IsOutOfRange(c->Poll(std::chrono::milliseconds(0)).status()));
    REQUIRE(c->Seek(TP("t", 0), Offset(3)).ok());
    CHECK(testing::Drain(*c).size() == 7);
    REQUIRE(c->Seek(TP("t", 0), Offset(11)).ok());
    CHECK(absl::IsOutOfRange(c->Poll(std::chrono::milliseconds(0)).status()));
    REQUIRE(c->Seek(TP("t", 0), Offset(10)).ok());  // the end itself is fine
    CHECK(testing::Drain(*c).empty());
  }
}

TEST_CASE(
    "a position below the log start after retention follows the reset policy",
    "[consumer]") {
  StoreFixture f;
  TopicConfig cfg;
  cfg.segment_bytes = 4096;
  cfg.max_record_bytes = 1024;
  REQUIRE(f.store->CreateTopic("t", 1, cfg).ok());
  std::string big(500, 'x');
  for (int i = 0; i < 40; ++i) {
    REQUIRE(f.producer->Send("t", {.value = big}, {.partition = PartitionId(0)})
                .ok());
  }
  auto earliest = f.NewConsumer(Manual(AutoOffsetReset::kEarliest));
  auto strict = f.NewConsumer(Manual(AutoOffsetReset::kError));
  REQUIRE(earliest->Assign({TP("t", 0)}).ok());
  REQUIRE(strict->Assign({TP("t", 0)}).ok());
  REQUIRE(strict->Seek(TP("t", 0), Offset(0)).ok());
  // Drop the oldest segments directly through the log, as retention does.
  auto topic = static_cast<StoreImpl*>(f.store.get())->FindTopic("t");
  REQUIRE(topic.ok());
  PartitionLog* log = (*topic)->partition(PartitionId(0));
  auto removed = log->DeleteSegmentsBefore(Offset(20));
  REQUIRE(removed.ok());
  REQUIRE(*removed > 0);
  Offset start = log->start_offset();
  REQUIRE(start > Offset(0));
  CHECK(earliest->BeginningOffsets({TP("t", 0)})->at(TP("t", 0)) == start);
  CHECK(
      absl::IsOutOfRange(strict->Poll(std::chrono::milliseconds(0)).status()));
  REQUIRE(earliest->Seek(TP("t", 0), Offset(0)).ok());
  auto got = testing::PollOnce(*earliest);
  REQUIRE(!got.empty());
  CHECK(got[0].offset == start.value());
}

TEST_CASE("pause and resume", "[consumer]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 2).ok());
  f.Send("t", 0, 5);
  f.Send("t", 1, 5);
  auto c = f.NewConsumer(Manual());
  REQUIRE(c->Assign({TP("t", 0), TP("t", 1)}).ok());
  REQUIRE(c->Pause({TP("t", 1)}).ok());
  CHECK(c->Paused() == std::vector<TopicPartition>{TP("t", 1)});
  auto got = testing::Drain(*c);
  REQUIRE(got.size() == 5);
  for (const Got& g : got) CHECK(g.partition == 0);
  CHECK(*c->Position(TP("t", 1)) == Offset(0));
  REQUIRE(c->Resume({TP("t", 1)}).ok());
  CHECK(c->Paused().empty());
  got = testing::Drain(*c);
  REQUIRE(got.size() == 5);
  for (const Got& g : got) CHECK(g.partition == 1);
}

TEST_CASE("offsets for times, beginning and end offsets", "[consumer]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  for (int i = 0; i < 10; ++i) {
    std::string v = std::to_string(i);
    Record r{.value = v, .timestamp_ms = 1000 + 10 * i};
    REQUIRE(f.producer->Send("t", r, {.partition = PartitionId(0)}).ok());
  }
  auto c = f.NewConsumer(Manual());
  auto found = c->OffsetsForTimes({{TP("t", 0), 1035}});
  REQUIRE(found.ok());
  CHECK(found->at(TP("t", 0)) == Offset(4));
  found = c->OffsetsForTimes({{TP("t", 0), 0}});
  CHECK(found->at(TP("t", 0)) == Offset(0));
  found = c->OffsetsForTimes({{TP("t", 0), 5000}});
  CHECK(found->at(TP("t", 0)) == std::nullopt);
  CHECK(absl::IsNotFound(c->OffsetsForTimes({{TP("x", 0), 0}}).status()));
  CHECK(c->BeginningOffsets({TP("t", 0)})->at(TP("t", 0)) == Offset(0));
  CHECK(c->EndOffsets({TP("t", 0)})->at(TP("t", 0)) == Offset(10));
  // Seek to a time: the usual replay idiom.
  REQUIRE(c->Assign({TP("t", 0)}).ok());
  REQUIRE(c->Seek(TP("t", 0), Offset(4)).ok());
  auto got = testing::Drain(*c);
  REQUIRE(got.size() == 6);
  CHECK(got[0].value == "4");
}

TEST_CASE("durable-only reads stop at the durable end offset", "[consumer]") {
  StoreFixture f;
  TopicConfig cfg;
  cfg.segment_bytes = 64 << 10;
  cfg.max_record_bytes = 1024;
  cfg.durability = Durability::kNone;
  REQUIRE(f.store->CreateTopic("t", 1, cfg).ok());
  f.Send("t", 0, 5);
  ConsumerOptions o = Manual();
  o.read_durable_only = true;
  auto durable = f.NewConsumer(o);
  auto all = f.NewConsumer(Manual());
  REQUIRE(durable->Assign({TP("t", 0)}).ok());
  REQUIRE(all->Assign({TP("t", 0)}).ok());
  CHECK(testing::Drain(*all).size() == 5);
  CHECK(testing::Drain(*durable).empty());
  CHECK(durable->EndOffsets({TP("t", 0)})->at(TP("t", 0)) == Offset(0));
  REQUIRE(f.store->Flush().ok());
  CHECK(durable->EndOffsets({TP("t", 0)})->at(TP("t", 0)) == Offset(5));
  CHECK(testing::Drain(*durable).size() == 5);
  f.Send("t", 0, 3, 5);
  CHECK(testing::Drain(*durable).empty());

  // A blocked durable-only poll returns once another thread syncs.
  absl::Status flushed;  // Catch2 assertions only on the test's thread
  std::thread syncer([&] { flushed = f.store->Flush(); });
  std::vector<Got> got;
  while (got.size() < 3) {
    auto more = testing::PollOnce(*durable, std::chrono::milliseconds(10000));
    got.insert(got.end(), more.begin(), more.end());
  }
  syncer.join();
  CHECK(flushed.ok());
  CHECK(got[0].offset == 5);
}

TEST_CASE("Wakeup interrupts a blocked poll from another thread",
          "[consumer]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  for (WaitStrategy ws : {WaitStrategy::kBlock, WaitStrategy::kSpinThenBlock,
                          WaitStrategy::kBusySpin}) {
    ConsumerOptions o = Manual();
    o.wait_strategy = ws;
    auto c = f.NewConsumer(o);
    REQUIRE(c->Assign({TP("t", 0)}).ok());
    std::atomic<bool> entered{false};
    absl::Status polled;
    std::thread poller([&] {
      entered = true;
      // Long enough that only the wake-up can end it within the test.
      polled = c->Poll(std::chrono::hours(1)).status();
    });
    while (!entered) std::this_thread::yield();
    c->Wakeup();
    poller.join();
    CHECK(absl::IsCancelled(polled));
    // A wake-up with nobody polling cancels the next Poll, once.
    c->Wakeup();
    CHECK(absl::IsCancelled(c->Poll(std::chrono::milliseconds(0)).status()));
    CHECK(c->Poll(std::chrono::milliseconds(0)).ok());
  }
}

// A consumer assigned both partitions of a new two-partition topic "t".
std::unique_ptr<Consumer> FollowTwoPartitions(StoreFixture& f,
                                              const ConsumerOptions& o) {
  REQUIRE(f.store->CreateTopic("t", 2).ok());
  auto c = f.NewConsumer(o);
  REQUIRE(c->Assign({TP("t", 0), TP("t", 1)}).ok());
  return c;
}

TEST_CASE(
    "a consumer thread follows a producer thread under every wait strategy",
    "[consumer][concurrency]") {
  for (WaitStrategy ws : {WaitStrategy::kBlock, WaitStrategy::kSpinThenBlock,
                          WaitStrategy::kBusySpin}) {
    StoreFixture f;
    ConsumerOptions o = Manual();
    o.wait_strategy = ws;
    o.max_poll_records = 64;
    auto c = FollowTwoPartitions(f, o);
    constexpr int kRecords = 4000;
    std::atomic<int> send_errors{0};
    std::thread producer([&] {
      for (int i = 0; i < kRecords; ++i) {
        std::string v = std::to_string(i);
        if (!f.producer
                 ->Send("t", {.value = v}, {.partition = PartitionId(i % 2)})
                 .ok()) {
          send_errors++;
        }
      }
    });
    int64_t next[2] = {0, 0};
    int received = 0;
    PollResult r;
    while (received < kRecords) {
      REQUIRE(c->Poll(std::chrono::seconds(30), &r).ok());
      for (const ConsumerRecord& rec : r) {
        int p = rec.partition.value();
        REQUIRE(rec.record.offset().value() == next[p]);
        REQUIRE(rec.record.value() == std::optional<std::string_view>(
                                          std::to_string(next[p] * 2 + p)));
        ++next[p];
        ++received;
      }
    }
    producer.join();
    CHECK(send_errors == 0);
    CHECK(received == kRecords);
  }
}

// Ping-pong: the producer sends the next record only after the consumer has
// received the previous one, so every record finds the consumer asleep (or
// about to sleep). A lost wake-up would hold that record until Poll's
// timeout: a systematic loss runs into ctest's timeout; a single one is
// caught at the log level (tests/partition/tail_readers_test.cc).
TEST_CASE("a consumer asleep when each record arrives receives every one",
          "[consumer][concurrency]") {
  for (WaitStrategy ws : {WaitStrategy::kBlock, WaitStrategy::kSpinThenBlock}) {
    StoreFixture f;
    ConsumerOptions o = Manual();
    o.wait_strategy = ws;
    o.spin_us = 1;
    auto c = FollowTwoPartitions(f, o);
    constexpr int kRecords = 2000;
    std::counting_semaphore<> received_one{0};
    std::atomic<int> send_errors{0};
    std::thread producer([&] {
      for (int i = 0; i < kRecords; ++i) {
        if (!f.producer
                 ->Send("t", {.value = "v"}, {.partition = PartitionId(i % 2)})
                 .ok()) {
          send_errors++;
        }
        received_one.acquire();
      }
    });
    int received = 0;
    PollResult r;
    while (received < kRecords) {
      REQUIRE(c->Poll(std::chrono::seconds(30), &r).ok());
      for (size_t i = 0; i < r.size(); ++i) {
        ++received;
        received_one.release();
      }
    }
    producer.join();
    CHECK(send_errors == 0);
    CHECK(received == kRecords);
  }
}

}  // namespace
}  // namespace evlog
