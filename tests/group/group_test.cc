// Consumer groups: sharing partitions, eager and cooperative rebalances,
// listener callbacks, commit fencing, eviction, a member dying without
// committing, partition increases and deletions, and rebalances while other
// members poll on their own threads.

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "consumer/consumer_test_util.h"

namespace evlog {
namespace {

using testing::Got;
using testing::GroupOptions;
using testing::StoreFixture;

TopicPartition TP(const std::string& t, int p) { return {t, PartitionId(p)}; }

struct RecordingListener : RebalanceListener {
  std::vector<std::vector<TopicPartition>> revoked, assigned, lost;
  bool commit_on_revoke = false;
  absl::Status last_commit;
  void OnPartitionsRevoked(Consumer& c,
                           const std::vector<TopicPartition>& tps) override {
    revoked.push_back(tps);
    if (commit_on_revoke) last_commit = c.CommitSync();
  }
  void OnPartitionsAssigned(Consumer&,
                            const std::vector<TopicPartition>& tps) override {
    assigned.push_back(tps);
  }
  void OnPartitionsLost(Consumer&,
                        const std::vector<TopicPartition>& tps) override {
    lost.push_back(tps);
  }
};

std::vector<TopicPartition> All(const std::string& t, int n) {
  std::vector<TopicPartition> out;
  for (int p = 0; p < n; ++p) out.push_back(TP(t, p));
  return out;
}

TEST_CASE("one member gets every partition; a second one takes half",
          "[group]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 4).ok());
  for (int p = 0; p < 4; ++p) f.Send("t", p, 5);
  RecordingListener la, lb;
  ConsumerOptions oa = GroupOptions("g"), ob = GroupOptions("g");
  oa.listener = &la;
  ob.listener = &lb;
  auto a = f.NewConsumer(oa);
  REQUIRE(a->Subscribe({"t"}).ok());
  CHECK(a->Assignment().empty());  // arrives with the first Poll
  auto got = testing::Drain(*a);
  CHECK(got.size() == 20);
  CHECK(a->Assignment() == All("t", 4));
  REQUIRE(la.assigned.size() == 1);
  CHECK(la.assigned[0] == All("t", 4));
  REQUIRE(a->CommitSync().ok());

  auto b = f.NewConsumer(ob);
  REQUIRE(b->Subscribe({"t"}).ok());
  // b's partitions are still a's until a polls and lets go.
  CHECK(testing::Drain(*b).empty());
  CHECK(b->Assignment().empty());
  testing::Drain(*a);
  CHECK(a->Assignment() == std::vector<TopicPartition>{TP("t", 0), TP("t", 1)});
  // Eager (range): a gave up everything, then got its half back.
  REQUIRE(la.revoked.size() == 1);
  CHECK(la.revoked[0] == All("t", 4));
  CHECK(la.assigned.back() ==
        std::vector<TopicPartition>{TP("t", 0), TP("t", 1)});
  CHECK(testing::Drain(*b).empty());  // everything was committed
  CHECK(b->Assignment() == std::vector<TopicPartition>{TP("t", 2), TP("t", 3)});
  CHECK(a->GroupGeneration() == b->GroupGeneration());
  CHECK(a->MemberId() != b->MemberId());

  f.Send("t", 3, 1, 5);
  got = testing::Drain(*b);
  REQUIRE(got.size() == 1);
  CHECK(got[0].partition == 3);
  CHECK(got[0].offset == 5);

  // b leaves: a gets everything again.
  REQUIRE(b->Close().ok());
  testing::Drain(*a);
  CHECK(a->Assignment() == All("t", 4));
}

TEST_CASE("cooperative sticky revokes only moved partitions", "[group]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 4).ok());
  RecordingListener la;
  ConsumerOptions oa =
      GroupOptions("g", AssignmentStrategy::kCooperativeSticky);
  oa.listener = &la;
  auto a = f.NewConsumer(oa);
  REQUIRE(a->Subscribe({"t"}).ok());
  testing::Drain(*a);
  CHECK(a->Assignment() == All("t", 4));
  auto b =
      f.NewConsumer(GroupOptions("g", AssignmentStrategy::kCooperativeSticky));
  REQUIRE(b->Subscribe({"t"}).ok());
  testing::Drain(*a);
  REQUIRE(la.revoked.size() == 1);
  CHECK(la.revoked[0].size() == 2);
  CHECK(la.assigned.size() == 1);  // nothing new for a
  CHECK(a->Assignment().size() == 2);
  testing::Drain(*b);
  CHECK(b->Assignment().size() == 2);

  // Mixing strategies in one group is refused.
  auto c = f.NewConsumer(GroupOptions("g", AssignmentStrategy::kRoundRobin));
  CHECK(absl::IsInvalidArgument(c->Subscribe({"t"})));
}

TEST_CASE("commits are fenced to the partition's current owner", "[group]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 2).ok());
  f.Send("t", 0, 3);
  f.Send("t", 1, 3);
  auto a = f.NewConsumer(GroupOptions("g"));
  REQUIRE(a->Subscribe({"t"}).ok());
  CHECK(testing::Drain(*a).size() == 6);
  auto b = f.NewConsumer(GroupOptions("g"));
  REQUIRE(b->Subscribe({"t"}).ok());
  // a still owns both until it syncs: a commit now is accepted.
  REQUIRE(a->CommitSync({{TP("t", 1), Offset(1)}}).ok());
  testing::Drain(*a);  // revokes t-1
  CHECK(a->Assignment() == std::vector<TopicPartition>{TP("t", 0)});
  absl::Status s = a->CommitSync({{TP("t", 1), Offset(3)}});
  CHECK(absl::IsAborted(s));
  CHECK(a->CommitSync({{TP("t", 0), Offset(3)}}).ok());
  auto got = testing::Drain(*b);
  REQUIRE(got.size() == 2);  // from a's accepted commit at offset 1
  CHECK(got[0].offset == 1);
  CHECK(b->CommitSync().ok());
  auto committed = b->Committed({TP("t", 0), TP("t", 1)});
  REQUIRE(committed.ok());
  CHECK(committed->at(TP("t", 0)) == Offset(3));
  CHECK(committed->at(TP("t", 1)) == Offset(3));

  // A consumer with a manual assignment cannot commit while members exist.
  auto manual = f.NewConsumer(GroupOptions("g"));
  REQUIRE(manual->Assign({TP("t", 0)}).ok());
  CHECK(absl::IsFailedPrecondition(
      manual->CommitSync({{TP("t", 0), Offset(0)}})));
  CHECK(absl::IsFailedPrecondition(manual->Subscribe({"t"})));
  REQUIRE(a->Close().ok());
  REQUIRE(b->Close().ok());
  CHECK(manual->CommitSync({{TP("t", 0), Offset(1)}}).ok());
  CHECK(manual->Committed({TP("t", 0)})->at(TP("t", 0)) == Offset(1));
  // Kafka's standalone consumer: a partition it was not assigned, too
  // (consumer.h CommitSync).
  CHECK(manual->CommitSync({{TP("t", 1), Offset(2)}}).ok());
  CHECK(manual->Committed({TP("t", 1)})->at(TP("t", 1)) == Offset(2));
  CHECK(absl::IsOutOfRange(manual->CommitSync({{TP("t", 5), Offset(0)}})));
}

TEST_CASE("a member that stops polling is evicted, fenced, and rejoins",
          "[group]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 2).ok());
  f.Send("t", 0, 4);
  f.Send("t", 1, 4);
  RecordingListener la;
  ConsumerOptions oa = GroupOptions("g"), ob = GroupOptions("g");
  oa.listener = &la;
  oa.max_poll_interval_ms = ob.max_poll_interval_ms = 1000;
  auto a = f.NewConsumer(oa);
  REQUIRE(a->Subscribe({"t"}).ok());
  auto b = f.NewConsumer(ob);
  REQUIRE(b->Subscribe({"t"}).ok());
  testing::Drain(*a);
  testing::Drain(*b);
  REQUIRE(a->Assignment().size() == 1);
  REQUIRE(b->Assignment().size() == 1);
  TopicPartition a_tp = a->Assignment()[0];
  // a stops polling; time passes; b notices at its next poll.
  f.clock.AdvanceMs(5000);
  auto got = testing::Drain(*b);
  CHECK(b->Assignment() == All("t", 2));
  CHECK(got.size() == 8);  // nothing was committed: all redelivered
  CHECK(absl::IsAborted(a->CommitSync({{a_tp, Offset(4)}})));
  auto d = f.store->DescribeGroup("g");
  REQUIRE(d.ok());
  CHECK(d->members.size() == 1);
  // a's next poll reports the loss and rejoins.
  testing::Drain(*a);
  REQUIRE(la.lost.size() == 1);
  CHECK(la.lost[0] == std::vector<TopicPartition>{a_tp});
  CHECK(!a->MemberId().empty());
  testing::Drain(*b);
  testing::Drain(*a);
  CHECK(a->Assignment().size() == 1);
}

TEST_CASE(
    "a member that dies without committing: another one gets its records again",
    "[group]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 2).ok());
  f.Send("t", 0, 10);
  f.Send("t", 1, 10);
  auto a = f.NewConsumer(GroupOptions("g"));
  auto b = f.NewConsumer(GroupOptions("g"));
  REQUIRE(a->Subscribe({"t"}).ok());
  REQUIRE(b->Subscribe({"t"}).ok());
  auto got_a = testing::Drain(*a);
  auto got_b = testing::Drain(*b);
  CHECK(got_a.size() == 10);
  CHECK(got_b.size() == 10);
  REQUIRE(b->CommitSync().ok());
  a.reset();  // dies: no commit (auto-commit is off)
  auto again = testing::Drain(*b);
  REQUIRE(again.size() == 10);
  for (const Got& g : again) CHECK(g.partition == got_a[0].partition);
  CHECK(again[0].offset == 0);
}

TEST_CASE("auto-commit commits what earlier polls returned", "[group]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  f.Send("t", 0, 10);
  ConsumerOptions o = GroupOptions("g");
  o.enable_auto_commit = true;
  o.auto_commit_interval_ms = 1000;
  o.max_poll_records = 4;
  auto c = f.NewConsumer(o);
  REQUIRE(c->Subscribe({"t"}).ok());
  auto committed = [&] { return c->Committed({TP("t", 0)})->at(TP("t", 0)); };
  CHECK(testing::PollOnce(*c).size() == 4);
  CHECK(committed() == std::nullopt);
  f.clock.AdvanceMs(1000);
  CHECK(testing::PollOnce(*c).size() == 4);  // commits 4 (the first poll) first
  CHECK(committed() == Offset(4));
  CHECK(testing::PollOnce(*c).size() == 2);  // interval not over: no commit
  CHECK(committed() == Offset(4));
  REQUIRE(c->Close().ok());  // commits everything returned
  auto again = f.NewConsumer(o);
  CHECK(again->Committed({TP("t", 0)})->at(TP("t", 0)) == Offset(10));
}

TEST_CASE("adding partitions and deleting a topic rebalance the group",
          "[group]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  REQUIRE(f.store->CreateTopic("u", 1).ok());
  RecordingListener l;
  ConsumerOptions o = GroupOptions("g");
  o.listener = &l;
  auto c = f.NewConsumer(o);
  REQUIRE(c->Subscribe({"t", "u"}).ok());
  testing::Drain(*c);
  CHECK(c->Assignment() == std::vector<TopicPartition>{TP("t", 0), TP("u", 0)});
  REQUIRE(f.store->AddPartitions("t", 3).ok());
  f.Send("t", 2, 2);
  auto got = testing::Drain(*c);
  CHECK(got.size() == 2);
  CHECK(c->Assignment() == std::vector<TopicPartition>{TP("t", 0), TP("t", 1),
                                                       TP("t", 2), TP("u", 0)});
  REQUIRE(f.store->DeleteTopic("u").ok());
  testing::Drain(*c);
  CHECK(c->Assignment() ==
        std::vector<TopicPartition>{TP("t", 0), TP("t", 1), TP("t", 2)});
  CHECK(absl::IsNotFound(c->Subscribe({"t", "nope"})));
}

TEST_CASE(
    "a blocked member is woken to give up partitions another member waits for",
    "[group][concurrency]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 2).ok());
  auto a = f.NewConsumer(GroupOptions("g"));
  REQUIRE(a->Subscribe({"t"}).ok());
  testing::Drain(*a);
  REQUIRE(a->Assignment().size() == 2);
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::thread poller([&] {
    while (!stop) {
      absl::Status s = a->Poll(std::chrono::hours(1)).status();
      if (!s.ok() && !absl::IsCancelled(s)) errors++;
    }
  });
  auto b = f.NewConsumer(GroupOptions("g"));
  REQUIRE(b->Subscribe({"t"}).ok());
  // b's Poll returns once a (blocked in Poll for an hour) has let go.
  while (b->Assignment().empty())
    testing::PollOnce(*b, std::chrono::milliseconds(50));
  CHECK(b->Assignment().size() == 1);
  stop = true;
  a->Wakeup();
  poller.join();
  CHECK(errors == 0);
}

TEST_CASE(
    "rebalances while members poll concurrently deliver every record exactly "
    "once",
    "[group][concurrency]") {
  for (auto strategy :
       {AssignmentStrategy::kRange, AssignmentStrategy::kRoundRobin,
        AssignmentStrategy::kCooperativeSticky}) {
    StoreFixture f;
    constexpr int kPartitions = 6, kRecords = 3000;
    REQUIRE(f.store->CreateTopic("t", kPartitions).ok());
    std::mutex mu;
    std::map<int, std::vector<int64_t>> seen;  // partition -> offsets in order
    std::atomic<int> total{0};
    std::atomic<int> errors{0};

    // Process, then commit; commit again when partitions are revoked. With
    // no evictions, every commit is accepted and nothing is redelivered.
    auto run = [&](int polls_before_leaving) {
      RecordingListener l;
      l.commit_on_revoke = true;
      ConsumerOptions o = GroupOptions("g", strategy);
      o.listener = &l;
      o.max_poll_records = 7;
      auto c = f.store->NewConsumer(o);
      if (!c.ok() || !(*c)->Subscribe({"t"}).ok()) {
        errors++;
        return;
      }
      PollResult r;
      for (int i = 0; total < kRecords &&
                      (polls_before_leaving < 0 || i < polls_before_leaving);
           ++i) {
        if (!(*c)->Poll(std::chrono::milliseconds(5), &r).ok()) errors++;
        {
          std::lock_guard<std::mutex> g(mu);
          for (const ConsumerRecord& rec : r) {
            seen[rec.partition.value()].push_back(rec.record.offset().value());
          }
        }
        total += static_cast<int>(r.size());
        if (!r.empty() && !(*c)->CommitSync().ok()) errors++;
      }
      if (!l.last_commit.ok()) errors++;
      if (!(*c)->Close().ok()) errors++;
    };

    std::vector<std::thread> threads;
    threads.emplace_back([&] { run(-1); });
    threads.emplace_back([&] { run(-1); });
    threads.emplace_back([&] {  // churn: members come and go
      while (total < kRecords) run(3);
    });
    std::thread producer([&] {
      for (int i = 0; i < kRecords; ++i) {
        std::string v = std::to_string(i);
        if (!f.producer
                 ->Send("t", {.value = v},
                        {.partition = PartitionId(i % kPartitions)})
                 .ok()) {
          errors++;
        }
      }
    });
    producer.join();
    for (auto& t : threads) t.join();
    CHECK(errors == 0);
    CHECK(total == kRecords);
    for (int p = 0; p < kPartitions; ++p) {
      const auto& offs = seen[p];
      REQUIRE(offs.size() == kRecords / kPartitions);
      for (size_t i = 0; i < offs.size(); ++i)
        CHECK(offs[i] == static_cast<int64_t>(i));
    }
  }
}

}  // namespace
}  // namespace evlog
