// Group administration: list, describe (committed, end, lag, owner), reset
// offsets in every way, delete.

#include <catch2/catch.hpp>

#include "consumer/consumer_test_util.h"

namespace evlog {
namespace {

using testing::GroupOptions;
using testing::StoreFixture;

TopicPartition TP(const std::string& t, int p) { return {t, PartitionId(p)}; }

TEST_CASE("list and describe groups", "[group]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 2).ok());
  f.Send("t", 0, 10);
  f.Send("t", 1, 4);
  CHECK(f.store->ListGroups().empty());
  CHECK(absl::IsNotFound(f.store->DescribeGroup("g").status()));
  ConsumerOptions o = GroupOptions("g");
  o.client_id = "worker";
  o.max_poll_records = 3;
  auto c = f.NewConsumer(o);
  REQUIRE(c->Subscribe({"t"}).ok());
  CHECK(f.store->ListGroups() == std::vector<std::string>{"g"});
  testing::PollOnce(*c);
  REQUIRE(c->CommitSync({{TP("t", 0), Offset(6)}}).ok());
  auto d = f.store->DescribeGroup("g");
  REQUIRE(d.ok());
  CHECK(d->group_id == "g");
  CHECK(d->state == "Stable");
  CHECK(d->generation >= 1);
  CHECK(d->strategy == AssignmentStrategy::kRange);
  REQUIRE(d->members.size() == 1);
  CHECK(d->members[0].member_id == c->MemberId());
  CHECK(d->members[0].client_id == "worker");
  CHECK(d->members[0].subscription == std::vector<std::string>{"t"});
  CHECK(d->members[0].assignment.size() == 2);
  REQUIRE(d->partitions.size() == 2);
  CHECK(d->partitions[0].tp == TP("t", 0));
  CHECK(d->partitions[0].committed == Offset(6));
  CHECK(d->partitions[0].end_offset == Offset(10));
  CHECK(d->partitions[0].lag == 4);
  CHECK(d->partitions[0].owner == c->MemberId());
  CHECK(d->partitions[1].committed == std::nullopt);
  CHECK(d->partitions[1].lag == std::nullopt);
  CHECK(d->partitions[1].end_offset == Offset(4));

  REQUIRE(c->Close().ok());
  d = f.store->DescribeGroup("g");
  REQUIRE(d.ok());
  CHECK(d->state == "Empty");
  CHECK(d->members.empty());
  REQUIRE(d->partitions.size() == 1);
  CHECK(d->partitions[0].owner.empty());
  CHECK(absl::IsInvalidArgument(
      f.store->ResetGroupOffsets("bad/id", "t", OffsetReset::Earliest())
          .status()));
}

TEST_CASE("reset offsets: earliest, latest, offset, time, shift", "[group]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  for (int i = 0; i < 10; ++i) {
    Record r{.value = "x", .timestamp_ms = 1000 + 100 * i};
    REQUIRE(f.producer->Send("t", r, {.partition = PartitionId(0)}).ok());
  }
  auto committed = [&] {
    auto d = f.store->DescribeGroup("g");
    REQUIRE(d.ok());
    return d->partitions.at(0).committed;
  };
  auto reset = [&](OffsetReset r) {
    auto s = f.store->ResetGroupOffsets("g", "t", r);
    REQUIRE(s.ok());
    REQUIRE(s->size() == 1);
    return (*s)[0].offset;
  };
  CHECK(reset(OffsetReset::Latest()) == Offset(10));
  CHECK(committed() == Offset(10));
  CHECK(reset(OffsetReset::Earliest()) == Offset(0));
  CHECK(reset(OffsetReset::ToOffset(7)) == Offset(7));
  CHECK(reset(OffsetReset::ToOffset(70)) == Offset(10));  // clamped
  CHECK(reset(OffsetReset::ToTime(1450)) == Offset(5));
  CHECK(reset(OffsetReset::ToTime(99999)) == Offset(10));
  CHECK(reset(OffsetReset::ShiftBy(-3)) == Offset(7));
  CHECK(reset(OffsetReset::ShiftBy(-30)) == Offset(0));
  CHECK(reset(OffsetReset::ShiftBy(4)) == Offset(4));
  CHECK(absl::IsNotFound(
      f.store->ResetGroupOffsets("g", "nope", OffsetReset::Latest()).status()));

  // A consumer starts where the reset put the group, also after a restart.
  f.Reopen();
  auto c = f.NewConsumer(GroupOptions("g"));
  REQUIRE(c->Subscribe({"t"}).ok());
  auto got = testing::Drain(*c);
  REQUIRE(got.size() == 6);
  CHECK(got[0].offset == 4);
  // Not while the group has members.
  CHECK(absl::IsFailedPrecondition(
      f.store->ResetGroupOffsets("g", "t", OffsetReset::Earliest()).status()));
}

TEST_CASE("delete a group", "[group]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  auto c = f.NewConsumer(GroupOptions("g"));
  REQUIRE(c->Subscribe({"t"}).ok());
  testing::Drain(*c);
  REQUIRE(c->CommitSync({{TP("t", 0), Offset(0)}}).ok());
  CHECK(absl::IsFailedPrecondition(f.store->DeleteGroup("g")));
  REQUIRE(c->Close().ok());
  REQUIRE(f.store->DeleteGroup("g").ok());
  CHECK(f.store->ListGroups().empty());
  CHECK(absl::IsNotFound(f.store->DeleteGroup("g")));
  CHECK(absl::IsNotFound(f.store->DescribeGroup("g").status()));
  f.CrashAndReopen();
  CHECK(f.store->ListGroups().empty());
  CHECK(!f.env->FileExists("/store/groups/g"));
}

}  // namespace
}  // namespace evlog
