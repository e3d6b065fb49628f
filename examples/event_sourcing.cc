// event_sourcing: bank accounts as event-sourced aggregates.
//
// * Every change is an event appended to `account-events` (key = account
//   id, so one account's events are in one partition, in order).
// * An account's state is never stored as such: it is rebuilt by replaying
//   its events (Load).
// * Commands are checked against the rebuilt state and appended with the
//   expected end offset of the partition (SendOptions::expected_end_offset):
//   if anything was appended since the state was read, the append fails
//   with kAborted and the command is retried on fresh state. Two
//   threads withdrawing concurrently therefore never overdraw an account.
// * Snapshots (balance + the offset they cover) go to `account-snapshots`, a
//   compacted topic (only the latest snapshot per account matters); Load
//   starts from the latest snapshot and replays only the events after it.
// * After a restart the aggregates rebuild to the same balances.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "evlog/evlog.h"

namespace {

constexpr int kPartitions = 2;
constexpr int kSnapshotEvery = 50;  // events of an account between snapshots

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "event_sourcing: %s: %s\n", what,
                 std::string(s.message()).c_str());
    std::exit(1);
  }
}

struct Account {
  int64_t balance = 0;
  int64_t events = 0;           // applied so far
  evlog::Offset next;           // partition offset after the last event read
  evlog::Offset partition_end;  // end offset when loaded: the expected offset
};

// Reads `topic`-`partition` from `from` to its end offset now, calling fn.
template <typename Fn>
void Replay(evlog::Store& store, const char* topic,
            evlog::PartitionId partition, evlog::Offset from,
            evlog::Offset* end, Fn fn) {
  evlog::ConsumerOptions o;
  o.auto_offset_reset = evlog::AutoOffsetReset::kEarliest;
  auto c = store.NewConsumer(o);
  Check(c.status(), "replay consumer");
  evlog::TopicPartition tp{topic, partition};
  Check((*c)->Assign({tp}), "assign");
  Check((*c)->Seek(tp, from), "seek");
  auto ends = (*c)->EndOffsets({tp});
  Check(ends.status(), "end offsets");
  *end = (*ends)[tp];
  evlog::PollResult batch;
  while (true) {
    auto pos = (*c)->Position(tp);
    Check(pos.status(), "position");
    if (*pos >= *end) break;
    Check((*c)->Poll(std::chrono::milliseconds(10), &batch), "poll");
    for (const auto& r : batch) {
      if (r.record.offset() < *end) fn(r.record);
    }
  }
}

class Bank {
 public:
  explicit Bank(evlog::Store* store) : store_(store) {
    auto p = store->NewProducer();
    Check(p.status(), "producer");
    producer_ = *std::move(p);
  }

  // Latest snapshot, then the events after it.
  Account Load(const std::string& id) {
    Account a;
    evlog::PartitionId part = evlog::PartitionForKey(id, kPartitions);
    evlog::Offset from(0), snap_end;
    // The snapshot topic is compacted: reading it whole is cheap.
    Replay(*store_, "account-snapshots", part, evlog::Offset(0), &snap_end,
           [&](const evlog::RecordView& r) {
             if (r.key() != id || !r.value()) return;
             // "balance events next_offset"
             long long balance, events, next;
             if (std::sscanf(std::string(*r.value()).c_str(), "%lld %lld %lld",
                             &balance, &events, &next) == 3) {
               a.balance = balance;
               a.events = events;
               from = evlog::Offset(next);
             }
           });
    Replay(*store_, "account-events", part, from, &a.partition_end,
           [&](const evlog::RecordView& r) {
             if (r.key() != id) return;
             long long amount = std::atoll(std::string(*r.value()).c_str());
             a.balance += amount;
             ++a.events;
           });
    a.next = a.partition_end;
    return a;
  }

  // Appends a deposit (amount > 0) or withdrawal (< 0) unless it would
  // overdraw. Retries on concurrent appends. Returns false if refused.
  bool Apply(const std::string& id, int64_t amount,
             std::atomic<int64_t>* conflicts) {
    while (true) {
      Account a = Load(id);
      if (a.balance + amount < 0) return false;
      std::string value = std::to_string(amount);
      evlog::SendOptions opts;
      opts.expected_end_offset = a.partition_end;  // optimistic concurrency
      auto sent =
          producer_->Send("account-events", {.key = id, .value = value}, opts);
      if (absl::IsAborted(sent.status())) {
        conflicts->fetch_add(1);
        continue;  // someone appended meanwhile: re-read and decide again
      }
      Check(sent.status(), "append event");
      if ((a.events + 1) % kSnapshotEvery == 0) {
        std::string snap = std::to_string(a.balance + amount) + " " +
                           std::to_string(a.events + 1) + " " +
                           std::to_string(sent->offset.value() + 1);
        Check(producer_->Send("account-snapshots", {.key = id, .value = snap})
                  .status(),
              "snapshot");
      }
      return true;
    }
  }

 private:
  evlog::Store* store_;
  std::unique_ptr<evlog::Producer> producer_;
};

}  // namespace

int main() {
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("evlog-events-" + std::to_string(::getpid())))
                        .string();
  std::filesystem::remove_all(dir);
  const std::vector<std::string> accounts = {"alice", "bob", "carol"};
  std::map<std::string, int64_t> before;
  {
    auto store = evlog::Store::Open(dir);
    Check(store.status(), "open");
    evlog::TopicConfig events;
    events.segment_bytes = 4 << 20;
    events.durability =
        evlog::Durability::kEveryAppend;  // an event, once accepted, is kept
    Check((*store)->CreateTopic("account-events", kPartitions, events),
          "create events");
    evlog::TopicConfig snapshots = events;
    snapshots.cleanup_policy = evlog::CleanupPolicy::kCompact;
    Check((*store)->CreateTopic("account-snapshots", kPartitions, snapshots),
          "create snapshots");

    Bank bank(store->get());
    std::atomic<int64_t> conflicts{0}, refused{0}, withdrawn{0};
    for (const auto& id : accounts) bank.Apply(id, 300, &conflicts);
    // Two tellers withdraw 7 at a time from every account, concurrently,
    // until the money runs out. Without the expected-offset check they
    // could both see the same balance and overdraw.
    auto teller = [&] {
      Bank own(store->get());
      for (int round = 0; round < 60; ++round) {
        for (const auto& id : accounts) {
          if (own.Apply(id, -7, &conflicts)) {
            withdrawn.fetch_add(7);
          } else {
            refused.fetch_add(1);
          }
        }
      }
    };
    std::thread t1(teller), t2(teller);
    t1.join();
    t2.join();
    for (const auto& id : accounts) {
      Account a = bank.Load(id);
      before[id] = a.balance;
      std::printf("%-6s balance %4lld after %3lld events\n", id.c_str(),
                  static_cast<long long>(a.balance),
                  static_cast<long long>(a.events));
      if (a.balance < 0) return 1;
    }
    std::printf("withdrawn %lld, refused %lld, append conflicts retried %lld\n",
                static_cast<long long>(withdrawn.load()),
                static_cast<long long>(refused.load()),
                static_cast<long long>(conflicts.load()));
    int64_t left = 0;
    for (const auto& [id, balance] : before) left += balance;
    if (left + withdrawn.load() != 900) return 1;  // no money made or lost
    Check((*store)->Close(), "close");
  }
  // Restart: the aggregates rebuild from snapshots + events to the same state.
  auto store = evlog::Store::Open(dir);
  Check(store.status(), "reopen");
  Bank bank(store->get());
  bool same = true;
  for (const auto& id : accounts) {
    Account a = bank.Load(id);
    std::printf("after restart: %-6s balance %4lld\n", id.c_str(),
                static_cast<long long>(a.balance));
    same = same && a.balance == before[id];
  }
  Check((*store)->Close(), "close");
  std::filesystem::remove_all(dir);
  return same ? 0 : 1;
}
