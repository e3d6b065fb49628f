// Retention (delete policy): time, size, both, the active segment's age
// roll, consumer-aware holds with a hard cap, readers holding views across
// deletion, and the store's maintenance round driven by a FakeClock.

#include "retention/retention.h"

#include <catch2/catch.hpp>

#include "env/mem_env.h"
#include "evlog/group.h"
#include "evlog/producer.h"
#include "evlog/store.h"
#include "partition/log_test_util.h"
#include "retention/log_maintainer.h"
#include "topic/topic_config_codec.h"

namespace evlog {
namespace {

using testing::KV;
using testing::ReadAll;

constexpr int64_t kHour = 3600 * 1000;

struct Fixture {
  FakeClock clock;
  MemEnv env{&clock};
  std::string dir = "/log";
  std::shared_ptr<PartitionLog> log;

  explicit Fixture(TopicConfig c) {
    REQUIRE(env.CreateDir(dir).ok());
    auto opened = PartitionLog::Open(&env, dir, c);
    REQUIRE(opened.ok());
    log = std::shared_ptr<PartitionLog>(std::move(*opened));
  }
  // Appends `n` records of ~180 bytes stamped now, one per batch (14 fill a
  // 4 KiB segment).
  void Append(int n) {
    std::string value(180, 'v');
    for (int i = 0; i < n; ++i) {
      std::string key = "key-" + std::to_string(i);
      Record r = KV(key, value);
      REQUIRE(log->Append({&r, 1}).ok());
    }
  }
  uint64_t Bytes() const {
    uint64_t b = 0;
    for (const auto& s : log->Segments()) b += s->data_bytes();
    return b;
  }
};

// 4 KiB segments: 14 records of ~280 bytes each fill one.
TopicConfig Small() {
  TopicConfig c = testing::SmallSegments(4096);
  c.retention_ms = -1;
  return c;
}

TEST_CASE(
    "time retention deletes closed segments whose newest record is too old",
    "[retention]") {
  TopicConfig c = Small();
  c.retention_ms = 2 * kHour;
  Fixture f(c);
  f.Append(40);  // three segments at t0
  auto old_segments = f.log->Segments();
  REQUIRE(old_segments.size() == 3);
  f.clock.AdvanceMs(kHour);
  f.Append(40);  // more at t0 + 1h; the third segment now holds both ages
  const size_t before = f.log->Segments().size();

  SECTION("nothing is old enough yet") {
    auto plan = ApplyRetention(f.log.get(), f.clock.NowMs(), std::nullopt);
    REQUIRE(plan.ok());
    CHECK(plan->segments == 0);
    CHECK(f.log->start_offset() == Offset(0));
  }
  SECTION("exactly at the limit a segment stays; past it, it goes") {
    f.clock.AdvanceMs(kHour);  // t0 segments are exactly 2h old
    auto plan = ApplyRetention(f.log.get(), f.clock.NowMs(), std::nullopt);
    REQUIRE(plan.ok());
    CHECK(plan->segments == 0);
    f.clock.AdvanceMs(1);
    plan = ApplyRetention(f.log.get(), f.clock.NowMs(), std::nullopt);
    REQUIRE(plan.ok());
    // The first two segments only hold t0 records; the third has newer ones.
    CHECK(plan->segments == 2);
    CHECK(plan->by_time == 2);
    CHECK(f.log->Segments().size() == before - 2);
    CHECK(f.log->start_offset() == old_segments[2]->base_offset());
    CHECK_FALSE(f.env.FileExists(old_segments[0]->path()));
    CHECK(f.env.FileExists(old_segments[2]->path()));
    auto got = ReadAll(*f.log);
    REQUIRE(got.ok());
    CHECK(got->front().offset == f.log->start_offset().value());
    CHECK(got->back().offset == 79);
  }
  SECTION("the active segment is never deleted, however old") {
    f.clock.AdvanceMs(100 * kHour);
    auto plan = ApplyRetention(f.log.get(), f.clock.NowMs(), std::nullopt);
    REQUIRE(plan.ok());
    CHECK(plan->segments == before - 1);
    CHECK(f.log->Segments().size() == 1);
    CHECK(f.log->end_offset() == Offset(80));
  }
}

TEST_CASE("size retention keeps the log at most retention_bytes",
          "[retention]") {
  TopicConfig c = Small();
  c.retention_bytes = 3 * 4096;
  Fixture f(c);
  f.Append(200);
  REQUIRE(f.Bytes() > 10 * 4000);
  auto segments = f.log->Segments();
  auto plan = ApplyRetention(f.log.get(), f.clock.NowMs(), std::nullopt);
  REQUIRE(plan.ok());
  CHECK(plan->by_size == plan->segments);
  CHECK(f.Bytes() <= static_cast<uint64_t>(c.retention_bytes));
  // Minimal: keeping the last deleted segment would exceed the limit.
  CHECK(f.Bytes() + segments[plan->segments - 1]->data_bytes() >
        static_cast<uint64_t>(c.retention_bytes));
  CHECK(f.log->start_offset() == segments[plan->segments]->base_offset());
  // Idempotent.
  plan = ApplyRetention(f.log.get(), f.clock.NowMs(), std::nullopt);
  REQUIRE(plan.ok());
  CHECK(plan->segments == 0);
}

TEST_CASE("time and size together: whichever deletes more wins",
          "[retention]") {
  TopicConfig c = Small();
  c.retention_ms = kHour;
  c.retention_bytes = 8 * 4096;
  Fixture f(c);
  f.Append(40);  // ~3 segments, old
  f.clock.AdvanceMs(2 * kHour);
  f.Append(200);  // ~12 segments, new
  auto segments = f.log->Segments();
  RetentionPlan plan =
      PlanRetention(segments, c, f.clock.NowMs(), std::nullopt);
  CHECK(plan.by_time == 2);  // the third segment has a new record
  CHECK(plan.by_size > plan.by_time);
  CHECK(plan.segments == plan.by_size);

  c.retention_bytes = 100 * 4096;  // size alone keeps all
  plan = PlanRetention(segments, c, f.clock.NowMs(), std::nullopt);
  CHECK(plan.by_size == 0);
  CHECK(plan.segments == 2);
  CHECK(plan.new_start == segments[2]->base_offset());
}

TEST_CASE(
    "consumer-aware retention holds unconsumed segments, capped by hard bytes",
    "[retention]") {
  TopicConfig c = Small();
  c.retention_ms = 0;  // queue semantics: delete what is consumed
  c.retention_wait_for_groups = {"billing", "audit"};
  Fixture f(c);
  f.Append(100);
  f.clock.AdvanceMs(1);
  auto segments = f.log->Segments();
  REQUIRE(segments.size() >= 6);
  const int64_t now = f.clock.NowMs();

  // No commit from some group: everything is held.
  RetentionPlan plan = PlanRetention(segments, c, now, std::nullopt);
  CHECK(plan.segments == 0);
  CHECK(plan.held == segments.size() - 1);
  // Committed into segment 3: segments 0..2 are consumed.
  Offset mid = segments[3]->base_offset() + 1;
  plan = PlanRetention(segments, c, now, mid);
  CHECK(plan.segments == 3);
  // Exactly at a segment's base: the previous segment is consumed.
  plan = PlanRetention(segments, c, now, segments[3]->base_offset());
  CHECK(plan.segments == 3);
  plan = PlanRetention(segments, c, now, segments[3]->base_offset() - 1);
  CHECK(plan.segments == 2);
  // Consumed everything: the active segment still stays.
  plan = PlanRetention(segments, c, now, f.log->end_offset());
  CHECK(plan.segments == segments.size() - 1);

  // Retention by time not due: consumption alone deletes nothing.
  TopicConfig lazy = c;
  lazy.retention_ms = kHour;
  plan = PlanRetention(segments, lazy, now, f.log->end_offset());
  CHECK(plan.segments == 0);

  // A dead group: the hard cap deletes anyway.
  c.retention_hard_bytes = 2 * 4096;
  plan = PlanRetention(segments, c, now, std::nullopt);
  CHECK(plan.by_hard == plan.segments);
  CHECK(plan.segments >= segments.size() - 3);
  uint64_t left = 0;
  for (size_t i = plan.segments; i < segments.size(); ++i)
    left += segments[i]->data_bytes();
  CHECK(left <= 2 * 4096u);

  // Through the maintainer, with a fake committed-offset source.
  LogMaintainer m;
  std::optional<Offset> committed;
  std::vector<std::string> asked;
  MinCommittedFn fake = [&](const std::string& topic, PartitionId p,
                            const std::vector<std::string>& groups) {
    CHECK(topic == "orders");
    CHECK(p == PartitionId(3));
    asked = groups;
    return committed;
  };
  std::vector<MaintainedPartition> parts = {{"orders", PartitionId(3), f.log}};
  REQUIRE(m.Run(&f.env, parts, now, fake).ok());
  CHECK(asked == c.retention_wait_for_groups);
  CHECK(f.log->start_offset() == Offset(0));
  REQUIRE(m.Run(&f.env, parts, now).ok());  // no source: held whole
  CHECK(f.log->start_offset() == Offset(0));
  committed = mid;
  REQUIRE(m.Run(&f.env, parts, now, fake).ok());
  CHECK(f.log->start_offset() == segments[3]->base_offset());
  CHECK(m.counters().segments_deleted == 3);
}

TEST_CASE("readers keep the views of deleted segments", "[retention]") {
  TopicConfig c = Small();
  c.retention_bytes = 0;
  Fixture f(c);
  f.Append(60);
  LogReader reader(f.log.get(), Offset(0));
  RecordView first;
  auto got = reader.Next(&first, f.log->end_offset());
  REQUIRE(got.ok());
  REQUIRE(*got);
  std::shared_ptr<Segment> held = reader.segment();
  std::string path = held->path();

  auto plan = ApplyRetention(f.log.get(), f.clock.NowMs(), std::nullopt);
  REQUIRE(plan.ok());
  CHECK(plan->segments >= 3);
  CHECK(f.log->Segments().size() == 1);
  CHECK_FALSE(f.env.FileExists(path));
  // The view and the rest of the held segment are still readable.
  CHECK(first.key() == std::optional<std::string_view>("key-0"));
  CHECK(first.value()->size() == 180);
  int64_t n = 1;
  RecordView v;
  while (true) {
    auto more = reader.Next(&v, f.log->end_offset());
    REQUIRE(more.ok());
    if (!*more) break;
    ++n;
  }
  // The reader finishes the held segment, then jumps to what is left.
  CHECK(n > 1);
  CHECK(n <= 60);
  CHECK(v.offset() == Offset(59));
  // A new reader starts at the new log start.
  auto all = ReadAll(*f.log);
  REQUIRE(all.ok());
  CHECK(all->front().offset == f.log->start_offset().value());
}

TEST_CASE("the retention settings round-trip and are validated",
          "[retention]") {
  TopicConfig c;
  c.retention_wait_for_groups = {"billing", "audit-2"};
  c.retention_hard_bytes = 1 << 30;
  TopicConfig back;
  back.retention_wait_for_groups = {"stale"};
  for (const auto& [k, v] : TopicConfigToPairs(c)) {
    REQUIRE(SetTopicConfigField(&back, k, v).ok());
  }
  CHECK(back.retention_wait_for_groups == c.retention_wait_for_groups);
  CHECK(back.retention_hard_bytes == c.retention_hard_bytes);
  CHECK(ApplyTopicConfigAssignment(&back, "retention_wait_for_groups=").ok());
  CHECK(back.retention_wait_for_groups.empty());
  CHECK(c.Validate().ok());

  TopicConfig bad;
  bad.retention_wait_for_groups = {"no spaces"};
  CHECK(bad.Validate().message().find("retention_wait_for_groups") !=
        absl::string_view::npos);
  bad.retention_wait_for_groups = {""};
  CHECK(absl::IsInvalidArgument(bad.Validate()));
  bad = TopicConfig();
  bad.retention_hard_bytes = -2;
  CHECK(bad.Validate().message().find("retention_hard_bytes") !=
        absl::string_view::npos);
}

// ---- Through the store ----

struct StoreFixture {
  FakeClock clock;
  MemEnv env{&clock};
  std::unique_ptr<Store> store;
  std::unique_ptr<Producer> producer;

  StoreFixture() { Reopen(); }
  void Reopen() {
    producer.reset();
    store.reset();
    StoreOptions o;
    o.env = &env;
    o.maintenance_interval_ms = 0;
    auto s = Store::Open("/store", o);
    REQUIRE(s.ok());
    store = *std::move(s);
    auto p = store->NewProducer();
    REQUIRE(p.ok());
    producer = *std::move(p);
  }
  PartitionDescription Describe(const std::string& topic) {
    auto d = store->DescribeTopic(topic);
    REQUIRE(d.ok());
    return d->partitions[0];
  }
};

TEST_CASE("a quiet topic rolls on segment_ms and time retention empties it",
          "[retention]") {
  StoreFixture f;
  TopicConfig c = Small();
  c.segment_ms = kHour;
  c.retention_ms = 2 * kHour;
  REQUIRE(f.store->CreateTopic("quiet", 1, c).ok());
  for (int i = 0; i < 5; ++i) {
    REQUIRE(f.producer->Send("quiet", KV("k", "v")).ok());
  }
  REQUIRE(f.store->RunMaintenance().ok());
  CHECK(f.Describe("quiet").segments == 1);

  f.clock.AdvanceMs(kHour);  // the active segment is segment_ms old: rolled
  REQUIRE(f.store->RunMaintenance().ok());
  PartitionDescription d = f.Describe("quiet");
  CHECK(d.segments == 2);
  CHECK(d.start_offset == Offset(0));

  f.clock.AdvanceMs(kHour + 1);  // now older than retention_ms: deleted
  REQUIRE(f.store->RunMaintenance().ok());
  d = f.Describe("quiet");
  CHECK(d.segments == 1);
  CHECK(d.bytes == 0);
  CHECK(d.start_offset == Offset(5));
  CHECK(d.end_offset == Offset(5));
  // Offsets continue after the deleted ones, also after a reopen.
  f.Reopen();
  auto sent = f.producer->Send("quiet", KV("k", "v"));
  REQUIRE(sent.ok());
  CHECK(sent->offset == Offset(5));
  CHECK(f.Describe("quiet").start_offset == Offset(5));
}

TEST_CASE(
    "the store's maintenance applies retention_bytes and keeps the settings",
    "[retention]") {
  StoreFixture f;
  TopicConfig c = Small();
  c.retention_bytes = 4 * 4096;
  c.retention_wait_for_groups = {"nobody"};
  c.retention_hard_bytes = 6 * 4096;
  REQUIRE(f.store->CreateTopic("sized", 1, c).ok());
  std::string value(200, 'x');
  for (int i = 0; i < 300; ++i) {
    REQUIRE(f.producer->Send("sized", KV("k", value)).ok());
  }
  REQUIRE(f.store->RunMaintenance().ok());
  // The group "nobody" never commits: only the hard cap applies.
  PartitionDescription d = f.Describe("sized");
  CHECK(d.bytes <= 6 * 4096u);
  CHECK(d.bytes > 4 * 4096u);
  CHECK(d.start_offset > Offset(0));
  f.Reopen();
  auto desc = f.store->DescribeTopic("sized");
  REQUIRE(desc.ok());
  CHECK(desc->config.retention_wait_for_groups ==
        std::vector<std::string>{"nobody"});
  CHECK(desc->config.retention_hard_bytes == 6 * 4096);
}

TEST_CASE("retention waits for the real groups' committed offsets",
          "[retention]") {
  StoreFixture f;
  TopicConfig c = Small();
  c.retention_ms = 0;  // queue semantics
  c.retention_wait_for_groups = {"billing", "audit"};
  REQUIRE(f.store->CreateTopic("jobs", 1, c).ok());
  std::string value(200, 'x');
  for (int i = 0; i < 100; ++i) {
    REQUIRE(f.producer->Send("jobs", KV("k", value)).ok());
  }
  f.clock.AdvanceMs(1);
  REQUIRE(f.store->RunMaintenance().ok());
  CHECK(f.Describe("jobs").start_offset == Offset(0));  // nobody committed

  REQUIRE(
      f.store->ResetGroupOffsets("billing", "jobs", OffsetReset::ToOffset(90))
          .ok());
  REQUIRE(f.store->RunMaintenance().ok());
  CHECK(f.Describe("jobs").start_offset == Offset(0));  // audit holds all

  REQUIRE(f.store->ResetGroupOffsets("audit", "jobs", OffsetReset::ToOffset(40))
              .ok());
  REQUIRE(f.store->RunMaintenance().ok());
  PartitionDescription d = f.Describe("jobs");
  CHECK(d.start_offset > Offset(20));
  CHECK(d.start_offset <= Offset(40));  // nothing unconsumed by audit went

  REQUIRE(
      f.store->ResetGroupOffsets("audit", "jobs", OffsetReset::Latest()).ok());
  REQUIRE(f.store->RunMaintenance().ok());
  d = f.Describe("jobs");
  CHECK(d.start_offset > Offset(70));
  CHECK(d.start_offset <= Offset(90));  // billing is at 90
}

TEST_CASE("a compact-only topic is never trimmed by retention", "[retention]") {
  StoreFixture f;
  TopicConfig c = Small();
  c.cleanup_policy = CleanupPolicy::kCompact;
  c.retention_ms = 1;
  c.retention_bytes = 0;
  REQUIRE(f.store->CreateTopic("table", 1, c).ok());
  std::string value(200, 'x');
  for (int i = 0; i < 100; ++i) {
    REQUIRE(f.producer->Send("table", KV("k" + std::to_string(i), value)).ok());
  }
  f.clock.AdvanceMs(kHour);
  REQUIRE(f.store->RunMaintenance().ok());
  CHECK(f.Describe("table").start_offset == Offset(0));
}

}  // namespace
}  // namespace evlog
