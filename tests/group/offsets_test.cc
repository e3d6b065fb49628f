// Committed offsets across restarts and crashes: at-least-once delivery,
// atomic commits at every sync point, failed syncs, re-created topics.

#include <catch2/catch.hpp>

#include "consumer/consumer_test_util.h"
#include "env/fault_env.h"

namespace evlog {
namespace {

using testing::GroupOptions;
using testing::StoreFixture;

TopicPartition TP(const std::string& t, int p) { return {t, PartitionId(p)}; }

std::optional<Offset> CommittedIn(Store& store, const TopicPartition& tp) {
  ConsumerOptions o = GroupOptions("g");
  auto c = store.NewConsumer(o);
  REQUIRE(c.ok());
  auto got = (*c)->Committed({tp});
  REQUIRE(got.ok());
  return got->at(tp);
}

TEST_CASE("at-least-once across restarts: uncommitted records come again",
          "[group]") {
  for (auto crash : {0, 1, 2}) {  // clean reopen, process crash, power loss
    StoreFixture f;
    TopicConfig cfg;
    cfg.segment_bytes = 64 << 10;
    cfg.max_record_bytes = 1024;
    cfg.durability = Durability::kEveryAppend;  // so records survive power loss
    REQUIRE(f.store->CreateTopic("t", 1, cfg).ok());
    f.Send("t", 0, 10);
    ConsumerOptions o = GroupOptions("g");
    o.max_poll_records = 5;
    auto c = f.NewConsumer(o);
    REQUIRE(c->Subscribe({"t"}).ok());
    auto first = testing::PollOnce(*c);
    REQUIRE(first.size() == 5);
    REQUIRE(c->CommitSync().ok());
    auto second = testing::PollOnce(*c);  // polled, never committed
    REQUIRE(second.size() == 5);
    if (crash == 0) {
      c.reset();
      f.Reopen();
    } else {
      // The process dies with the consumer open.
      auto image =
          f.env->CrashImage({.kind = crash == 1 ? CrashOptions::kProcessCrash
                                                : CrashOptions::kPowerLoss});
      c.reset();
      f.producer.reset();
      f.store.reset();
      f.env = std::move(image);
      f.Reopen();
    }
    CHECK(f.store->ListGroups() == std::vector<std::string>{"g"});
    auto again = f.NewConsumer(o);
    REQUIRE(again->Subscribe({"t"}).ok());
    auto got = testing::Drain(*again);
    REQUIRE(got.size() == 5);
    CHECK(got[0].offset == 5);  // committed ones are not delivered again
  }
}

TEST_CASE("a crash at any sync of a commit leaves the old or the new offsets",
          "[group]") {
  for (auto kind : {CrashOptions::kProcessCrash, CrashOptions::kPowerLoss}) {
    StoreFixture f;
    REQUIRE(f.store->CreateTopic("t", 2).ok());
    f.Send("t", 0, 10);
    f.Send("t", 1, 10);
    REQUIRE(f.store->Flush().ok());
    auto c = f.NewConsumer(GroupOptions("g"));
    REQUIRE(c->Assign({TP("t", 0), TP("t", 1)}).ok());
    std::vector<std::unique_ptr<MemEnv>> images;
    f.env->SetSyncHook([&](const std::string&) {
      images.push_back(
          f.env->CrashImage({.kind = kind, .seed = images.size()}));
    });
    // First commit (creates the group), then a second one over it.
    REQUIRE(
        c->CommitSync({{TP("t", 0), Offset(3)}, {TP("t", 1), Offset(4)}}).ok());
    size_t first_images = images.size();
    REQUIRE(
        c->CommitSync({{TP("t", 0), Offset(7)}, {TP("t", 1), Offset(9)}}).ok());
    f.env->SetSyncHook(nullptr);
    REQUIRE(first_images >= 2);
    REQUIRE(images.size() > first_images + 1);
    bool saw_new = false;
    for (size_t i = 0; i < images.size(); ++i) {
      INFO("image " << i << " of " << images.size());
      auto store =
          Store::Open("/store", testing::MemStoreOptions(images[i].get()));
      REQUIRE(store.ok());
      auto p0 = CommittedIn(**store, TP("t", 0)),
           p1 = CommittedIn(**store, TP("t", 1));
      using O = std::optional<Offset>;
      bool none = p0 == std::nullopt && p1 == std::nullopt;
      bool v1 = p0 == O(Offset(3)) && p1 == O(Offset(4));
      bool v2 = p0 == O(Offset(7)) && p1 == O(Offset(9));
      if (i < first_images) {
        CHECK((none || v1));
      } else {
        CHECK((v1 || v2));
      }
      saw_new |= v2;
      store->reset();
    }
    // A commit that returned OK survives: the last image is after its last
    // sync.
    CHECK(saw_new);
    c.reset();
    images.clear();
  }
}

TEST_CASE("a commit whose sync fails reports it and keeps the old offsets",
          "[group]") {
  FakeClock clock;
  MemEnv mem(&clock);
  FaultEnv fault(&mem);
  {
    auto store = Store::Open("/store", testing::MemStoreOptions(&fault));
    REQUIRE(store.ok());
    REQUIRE((*store)->CreateTopic("t", 1).ok());
    auto c = (*store)->NewConsumer(GroupOptions("g"));
    REQUIRE(c.ok());
    REQUIRE((*c)->Assign({TP("t", 0)}).ok());
    REQUIRE((*c)->CommitSync({{TP("t", 0), Offset(0)}}).ok());
    fault.FailOp(FaultEnv::Op::kSync, true);
    CHECK(!(*c)->CommitSync({{TP("t", 0), Offset(5)}}).ok());
    fault.FailOp(FaultEnv::Op::kSync, false);
    // The file is written before memory changes: a failed commit does not
    // show either (Group::Commit).
    auto committed = (*c)->Committed({TP("t", 0)});
    REQUIRE(committed.ok());
    CHECK(committed->at(TP("t", 0)) == Offset(0));
  }
  auto image = mem.CrashImage({.kind = CrashOptions::kPowerLoss});
  auto store = Store::Open("/store", testing::MemStoreOptions(image.get()));
  REQUIRE(store.ok());
  CHECK(CommittedIn(**store, TP("t", 0)) == Offset(0));
}

TEST_CASE("a retention query does not create the groups it waits for",
          "[group]") {
  StoreFixture f;
  TopicConfig config = testing::MemStoreOptions(nullptr).default_topic_config;
  config.retention_wait_for_groups = {"ghost"};
  config.retention_ms = 0;
  REQUIRE(f.store->CreateTopic("t", 1, config).ok());
  f.Send("t", 0, 10);
  REQUIRE(f.store->RunMaintenance().ok());
  CHECK(f.store->ListGroups().empty());
  CHECK(absl::IsNotFound(f.store->DescribeGroup("ghost").status()));
}

TEST_CASE("offsets of a deleted topic do not apply to a re-created one",
          "[group]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  f.Send("t", 0, 5);
  {
    auto c = f.NewConsumer(GroupOptions("g"));
    REQUIRE(c->Assign({TP("t", 0)}).ok());
    REQUIRE(c->CommitSync({{TP("t", 0), Offset(5)}}).ok());
  }
  REQUIRE(f.store->DeleteTopic("t").ok());
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  CHECK(CommittedIn(*f.store, TP("t", 0)) == std::nullopt);
  f.Reopen();  // the file still lists the old topic id: dropped at load
  CHECK(CommittedIn(*f.store, TP("t", 0)) == std::nullopt);
}

TEST_CASE("a read-only store shows groups but refuses commits", "[group]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  {
    auto c = f.NewConsumer(GroupOptions("g"));
    REQUIRE(c->Assign({TP("t", 0)}).ok());
    REQUIRE(c->CommitSync({{TP("t", 0), Offset(0)}}).ok());
  }
  StoreOptions o = testing::MemStoreOptions(f.env.get());
  o.read_only = true;
  auto ro = Store::Open("/store", o);
  REQUIRE(ro.ok());
  CHECK((*ro)->ListGroups() == std::vector<std::string>{"g"});
  auto c = (*ro)->NewConsumer(GroupOptions("g"));
  REQUIRE(c.ok());
  REQUIRE((*c)->Assign({TP("t", 0)}).ok());
  CHECK(
      absl::IsFailedPrecondition((*c)->CommitSync({{TP("t", 0), Offset(0)}})));
  CHECK(absl::IsFailedPrecondition((*ro)->DeleteGroup("g")));
}

}  // namespace
}  // namespace evlog
