// One writer appends while several readers follow the tail of the log on
// other threads: every reader sees every record, in order, intact, as soon
// as it is published; nobody sleeps to wait.

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <semaphore>
#include <thread>

#include "env/mem_env.h"
#include "partition/log_reader.h"
#include "partition/log_test_util.h"
#include "partition/partition_log.h"
#include "util/waiter.h"

namespace evlog {
namespace {

std::string Payload(int64_t i) {
  return std::to_string(i) + std::string(static_cast<size_t>(i % 50), 'p');
}

// A log of 16 KiB segments in `env`.
std::unique_ptr<PartitionLog> OpenLog(MemEnv& env) {
  REQUIRE(env.CreateDir("/log").ok());
  auto opened = PartitionLog::Open(&env, "/log", testing::SmallSegments(16384));
  REQUIRE(opened.ok());
  return *std::move(opened);
}

TEST_CASE("readers follow the tail while one writer appends",
          "[partition][concurrency]") {
  MemEnv env;
  std::unique_ptr<PartitionLog> opened = OpenLog(env);
  PartitionLog* log = opened.get();
  constexpr int64_t kRecords = 20000;
  constexpr int kReaders = 3;
  std::atomic<int> failures{0};

  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&, t] {
      Waiter waiter;
      log->AddWaiter(&waiter);
      LogReader reader(log, Offset(0));
      RecordView v;
      int64_t next = 0;
      while (next < kRecords) {
        auto got = reader.Next(&v, log->end_offset());
        if (!got.ok()) {
          failures++;
          break;
        }
        if (!*got) {
          // The sleeping protocol of PartitionLog::StartWaiting: epoch,
          // announce, look again, sleep. The writer appends until every
          // record is in, so a wait that times out is a lost wake-up.
          uint32_t epoch = waiter.epoch();
          log->StartWaiting();
          if (reader.position() == log->end_offset() &&
              !waiter.WaitFor(epoch, std::chrono::seconds(60))) {
            failures++;
          }
          log->StopWaiting();
          continue;
        }
        std::string expect = Payload(next);
        if (v.offset().value() != next ||
            v.value() != std::optional<std::string_view>(expect) ||
            v.key() != std::optional<std::string_view>("key")) {
          failures++;
          break;
        }
        ++next;
      }
      log->RemoveWaiter(&waiter);
      if (next != kRecords) failures++;
      (void)t;
    });
  }
  for (int64_t i = 0; i < kRecords;) {
    // Mix single appends and small batches.
    int n = static_cast<int>(std::min<int64_t>(1 + i % 5, kRecords - i));
    std::vector<std::string> values;
    std::vector<Record> batch;
    for (int j = 0; j < n; ++j) values.push_back(Payload(i + j));
    for (int j = 0; j < n; ++j) batch.push_back(testing::KV("key", values[j]));
    auto res = log->Append(batch);
    REQUIRE(res.ok());
    i += n;
  }
  for (auto& r : readers) r.join();
  CHECK(failures.load() == 0);
  CHECK(log->Segments().size() > 10);
}

TEST_CASE("concurrent appenders with group commit",
          "[partition][concurrency]") {
  MemEnv env;
  REQUIRE(env.CreateDir("/log").ok());
  TopicConfig c = testing::SmallSegments(32768);
  c.durability = Durability::kEveryAppend;
  auto opened = PartitionLog::Open(&env, "/log", c);
  REQUIRE(opened.ok());
  PartitionLog* log = opened->get();
  constexpr int kThreads = 4, kPerThread = 500;
  std::vector<std::thread> threads;
  std::atomic<int> errors{0};
  std::vector<std::vector<int64_t>> offsets(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string key = "t" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        std::string value = std::to_string(i);
        Record r = testing::KV(key, value);
        auto res = log->Append({&r, 1});
        if (!res.ok() || log->durable_end_offset() <= res->base_offset) {
          errors++;
          continue;
        }
        offsets[t].push_back(res->base_offset.value());
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(errors.load() == 0);
  CHECK(log->end_offset() == Offset(kThreads * kPerThread));
  auto all = testing::ReadAll(*log);
  REQUIRE(all.ok());
  REQUIRE(all->size() == kThreads * kPerThread);
  // Each thread's records are in its order, at the offsets it was told.
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      const auto& rec = (*all)[offsets[t][i]];
      CHECK(rec.key == "t" + std::to_string(t));
      CHECK(rec.value == std::to_string(i));
    }
  }
}

// Ping-pong: the writer appends the next record only after the reader has
// read the previous one, so every append finds the reader announced or
// asleep, and a lost wake-up is a WaitFor that times out.
TEST_CASE("no wake-up is lost when every append finds the reader asleep",
          "[partition][concurrency]") {
  MemEnv env;
  std::unique_ptr<PartitionLog> opened = OpenLog(env);
  PartitionLog* log = opened.get();
  constexpr int kRecords = 3000;
  std::counting_semaphore<> read_one{0};
  std::atomic<int> append_errors{0};
  Waiter waiter;
  log->AddWaiter(&waiter);
  std::thread writer([&] {
    for (int i = 0; i < kRecords; ++i) {
      std::string value = Payload(i);
      Record r = testing::KV("key", value);
      if (!log->Append({&r, 1}).ok()) append_errors++;
      read_one.acquire();
    }
  });
  LogReader reader(log, Offset(0));
  RecordView v;
  int timeouts = 0;
  int read = 0;
  while (read < kRecords && timeouts == 0) {
    auto got = reader.Next(&v, log->end_offset());
    REQUIRE(got.ok());
    if (*got) {
      ++read;
      read_one.release();
      continue;
    }
    uint32_t epoch = waiter.epoch();
    log->StartWaiting();
    auto again = reader.Next(&v, log->end_offset());
    REQUIRE(again.ok());
    if (*again) {
      ++read;
      read_one.release();
    } else if (!waiter.WaitFor(epoch, std::chrono::seconds(60))) {
      ++timeouts;  // the record was appended and nobody woke us
    }
    log->StopWaiting();
  }
  for (int i = read; i < kRecords; ++i) read_one.release();  // let it finish
  writer.join();
  log->RemoveWaiter(&waiter);
  CHECK(append_errors == 0);
  CHECK(timeouts == 0);
  CHECK(read == kRecords);
}

}  // namespace
}  // namespace evlog
