// Observability: the metrics snapshot, the logger and the event listener,
// driven through a store on a MemEnv with a FakeClock (no sleeps, no timing
// assertions), and the fmt formatters.

#include "evlog/observability.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "env/fault_env.h"
#include "env/mem_env.h"
#include "evlog/consumer.h"
#include "evlog/fmt.h"
#include "evlog/producer.h"
#include "evlog/store.h"
#include "format/format.h"
#include "observability/latency_recorder.h"
#include "observability/store_observer.h"
#include "partition/log_test_util.h"
#include "store/store_impl.h"

namespace evlog {
namespace {

constexpr int64_t kHour = 3600 * 1000;

// Records every event and log line.
struct Recorder : EventListener {
  std::vector<SegmentRollInfo> rolls;
  std::vector<SegmentsDeletedInfo> deletions;
  std::vector<CompactionInfo> compactions;
  std::vector<CorruptionInfo> corruptions;
  std::vector<RebalanceInfo> rebalances;
  std::vector<BackgroundErrorInfo> errors;
  struct Line {
    LogLevel level;
    std::string component, message;
  };
  std::vector<Line> lines;

  void OnSegmentRolled(const SegmentRollInfo& i) override {
    rolls.push_back(i);
  }
  void OnSegmentsDeleted(const SegmentsDeletedInfo& i) override {
    deletions.push_back(i);
  }
  void OnCompaction(const CompactionInfo& i) override {
    compactions.push_back(i);
  }
  void OnCorruptionFound(const CorruptionInfo& i) override {
    corruptions.push_back(i);
  }
  void OnRebalance(const RebalanceInfo& i) override { rebalances.push_back(i); }
  void OnBackgroundError(const BackgroundErrorInfo& i) override {
    errors.push_back(i);
  }

  Logger logger() {
    return [this](LogLevel level, std::string_view component,
                  std::string_view message) {
      lines.push_back({level, std::string(component), std::string(message)});
    };
  }
  const Line* FindLine(std::string_view component) const {
    for (const Line& l : lines) {
      if (l.component == component) return &l;
    }
    return nullptr;
  }
};

struct Fixture {
  FakeClock clock;
  MemEnv mem{&clock};
  FaultEnv fault{&mem};
  Recorder rec;
  std::unique_ptr<Store> store;
  std::unique_ptr<Producer> producer;

  Fixture() { Open(); }
  void Open() {
    producer.reset();
    store.reset();
    StoreOptions o;
    o.env = &fault;
    o.maintenance_interval_ms = 0;
    o.logger = rec.logger();
    o.event_listener = &rec;
    auto s = Store::Open("/store", o);
    INFO(s.status().ToString());
    REQUIRE(s.ok());
    store = *std::move(s);
    auto p = store->NewProducer();
    REQUIRE(p.ok());
    producer = *std::move(p);
  }
  void Send(const std::string& topic, int n, PartitionId p = PartitionId(0)) {
    std::string value(200, 'v');
    for (int i = 0; i < n; ++i) {
      REQUIRE(
          producer->Send(topic, {.key = "k", .value = value}, {.partition = p})
              .ok());
    }
  }
  PartitionDescription Describe(const std::string& topic, int p = 0) {
    auto d = store->DescribeTopic(topic);
    REQUIRE(d.ok());
    return d->partitions[p];
  }
};

TEST_CASE(
    "a roll into a prepared spare is counted apart from one that allocates",
    "[observability]") {
  Fixture f;
  REQUIRE(f.store->CreateTopic("t", 1, testing::SmallSegments(4096)).ok());
  // What the maintenance thread does when the log asks for a spare, once
  // the active segment is half full.
  while (f.Describe("t").bytes * 2 <= 4096) f.Send("t", 1);
  auto topic = static_cast<StoreImpl*>(f.store.get())->FindTopic("t");
  REQUIRE(topic.ok());
  REQUIRE((*topic)->partition(PartitionId(0))->PrepareSpare().ok());
  while (f.Describe("t").segments < 3) f.Send("t", 1);
  MetricsSnapshot m = f.store->Metrics();
  CHECK(m.counters.segments_rolled == 2);
  CHECK(m.counters.segments_prepared == 1);
  CHECK(m.counters.rolls_without_spare == 1);  // the second roll found none
  REQUIRE(m.partitions.size() == 1);
  CHECK(m.partitions[0].segments_prepared == 1);
  CHECK(m.partitions[0].rolls_without_spare == 1);
}

TEST_CASE("appends, syncs and rolls move the counters and fire roll events",
          "[observability]") {
  Fixture f;
  TopicConfig c = testing::SmallSegments(4096);
  c.durability = Durability::kEveryAppend;
  REQUIRE(f.store->CreateTopic("t", 1, c).ok());
  MetricsSnapshot before = f.store->Metrics();
  CHECK(before.counters.appends == 0);
  CHECK(before.counters.syncs == 0);

  f.Send("t", 40);  // ~9 KiB in 4 KiB segments: at least two rolls
  MetricsSnapshot m = f.store->Metrics();
  CHECK(m.counters.appends == 40);
  CHECK(m.counters.records_appended == 40);
  const PartitionDescription d = f.Describe("t");
  // Every appended byte is still in the log (nothing deleted).
  CHECK(m.counters.bytes_appended == static_cast<int64_t>(d.bytes));
  // kEveryAppend: one sync per append at least, plus a seal per roll.
  CHECK(m.counters.syncs >= 40);
  CHECK(m.sync_latency.count == m.counters.syncs);
  CHECK(m.counters.sync_errors == 0);
  CHECK(m.counters.segments_rolled == d.segments - 1);
  REQUIRE(m.partitions.size() == 1);
  CHECK(m.partitions[0].appends == 40);
  CHECK(m.partitions[0].syncs == m.counters.syncs);
  CHECK(m.partitions[0].segments_rolled == d.segments - 1);
  // No maintenance thread here: nobody prepares spares.
  CHECK(m.partitions[0].rolls_without_spare == d.segments - 1);
  CHECK(m.counters.rolls_without_spare == d.segments - 1);
  CHECK(m.counters.segments_prepared == 0);

  REQUIRE(static_cast<int64_t>(f.rec.rolls.size()) == d.segments - 1);
  CHECK(f.rec.rolls[0].tp == TopicPartition{"t", PartitionId(0)});
  CHECK(f.rec.rolls[0].closed_base_offset == Offset(0));
  uint64_t closed = 0;
  for (size_t i = 0; i < f.rec.rolls.size(); ++i) {
    closed += f.rec.rolls[i].closed_bytes;
    if (i > 0)
      CHECK(f.rec.rolls[i].closed_base_offset ==
            f.rec.rolls[i - 1].new_base_offset);
  }
  CHECK(closed < d.bytes);  // the rest is in the active segment
  const Recorder::Line* roll_line = f.rec.FindLine("partition");
  REQUIRE(roll_line != nullptr);
  CHECK(roll_line->level == LogLevel::kDebug);
  CHECK(roll_line->message.find("t-0: rolled segment 0") == 0);
}

TEST_CASE("kNone syncs only on Flush; the histogram counts each msync",
          "[observability]") {
  Fixture f;
  REQUIRE(f.store->CreateTopic("t", 1, testing::SmallSegments(64 << 10)).ok());
  f.Send("t", 10);
  CHECK(f.store->Metrics().counters.syncs == 0);
  REQUIRE(f.store->Flush().ok());
  MetricsSnapshot m = f.store->Metrics();
  CHECK(m.counters.syncs == 1);
  CHECK(m.sync_latency.count == 1);
  int64_t in_buckets = 0;
  for (const auto& b : m.sync_latency.buckets) in_buckets += b.count;
  CHECK(in_buckets == 1);
  REQUIRE(f.store->Flush().ok());  // nothing new: no msync
  CHECK(f.store->Metrics().counters.syncs == 1);
}

TEST_CASE("retention deletions are counted and reported", "[observability]") {
  Fixture f;
  TopicConfig c = testing::SmallSegments(64 << 10);
  c.segment_ms = kHour;
  c.retention_ms = 2 * kHour;
  REQUIRE(f.store->CreateTopic("quiet", 1, c).ok());
  f.Send("quiet", 5);
  const uint64_t bytes = f.Describe("quiet").bytes;
  f.clock.AdvanceMs(kHour);  // rolled by age
  REQUIRE(f.store->RunMaintenance().ok());
  REQUIRE(f.rec.rolls.size() == 1);
  CHECK(f.rec.rolls[0].closed_bytes == bytes);
  CHECK(f.rec.rolls[0].new_base_offset == Offset(5));
  CHECK(f.rec.deletions.empty());
  f.clock.AdvanceMs(kHour + 1);  // older than retention_ms: deleted
  REQUIRE(f.store->RunMaintenance().ok());

  REQUIRE(f.rec.deletions.size() == 1);
  const SegmentsDeletedInfo& del = f.rec.deletions[0];
  CHECK(del.tp == TopicPartition{"quiet", PartitionId(0)});
  CHECK(del.segments == 1);
  CHECK(del.bytes == bytes);
  CHECK(del.new_start_offset == Offset(5));
  MetricsSnapshot m = f.store->Metrics();
  CHECK(m.counters.retention_segments_deleted == 1);
  CHECK(m.counters.retention_bytes_deleted == static_cast<int64_t>(bytes));
  CHECK(m.partitions[0].segments_deleted == 1);
  CHECK(m.partitions[0].records == 0);
  const Recorder::Line* line = f.rec.FindLine("retention");
  REQUIRE(line != nullptr);
  CHECK(line->message ==
        fmt::format("quiet-0: deleted 1 segments ({} bytes), log starts at 5",
                    bytes));
}

TEST_CASE(
    "recovery is logged; a cut tail is counted and reported as corruption",
    "[observability]") {
  Fixture f;
  REQUIRE(f.store->CreateTopic("t", 2).ok());
  f.Send("t", 3);
  const uint64_t bytes = f.Describe("t").bytes;
  // A new store: no recovery yet (new partitions have nothing to recover).
  CHECK(f.store->Metrics().counters.recoveries == 0);

  SECTION("a clean reopen logs one recovery line per partition") {
    f.rec.lines.clear();
    f.Open();
    MetricsSnapshot m = f.store->Metrics();
    CHECK(m.counters.recoveries == 2);
    CHECK(m.counters.recovery_truncations == 0);
    CHECK(f.rec.corruptions.empty());
    const Recorder::Line* line = f.rec.FindLine("recovery");
    REQUIRE(line != nullptr);
    CHECK(line->level == LogLevel::kInfo);
    CHECK(line->message.find("t-0: recovered 1 segments") == 0);
  }
  SECTION("garbage after the last frame is cut") {
    f.producer.reset();
    REQUIRE(f.store->Close().ok());
    auto topic_dirs = f.mem.ListDir("/store/topics");
    REQUIRE(topic_dirs.ok());
    REQUIRE(topic_dirs->size() == 1);
    const std::string pdir = "/store/topics/" + (*topic_dirs)[0] + "/0";
    auto files = f.mem.ListDir(pdir);
    REQUIRE(files.ok());
    std::string seg;
    for (const std::string& name : *files) {
      if (name.ends_with(".log")) seg = pdir + "/" + name;
    }
    REQUIRE(!seg.empty());
    {
      auto region = f.mem.MapFile(seg, /*writable=*/true);
      REQUIRE(region.ok());
      std::memset((*region)->data() + format::kSegmentHeaderSize + bytes, 0x5a,
                  40);
    }
    f.rec.lines.clear();
    f.Open();
    MetricsSnapshot m = f.store->Metrics();
    CHECK(m.counters.recoveries == 2);
    CHECK(m.counters.recovery_truncations == 1);
    CHECK(m.counters.recovery_bytes_truncated >= 40);
    REQUIRE(f.rec.corruptions.size() == 1);
    const CorruptionInfo& c = f.rec.corruptions[0];
    CHECK(c.tp == TopicPartition{"t", PartitionId(0)});
    CHECK(c.bytes_truncated == m.counters.recovery_bytes_truncated);
    CHECK_FALSE(c.open_failed);
    CHECK(c.detail.find(seg) == 0);
    bool warned = false;
    for (const auto& l : f.rec.lines) {
      if (l.component == "recovery" && l.level == LogLevel::kWarning) {
        warned = l.message.find("t-0: cut ") == 0;
      }
    }
    CHECK(warned);
    // The records before the garbage are all there.
    CHECK(f.Describe("t").end_offset == Offset(3));
  }
}

TEST_CASE("the snapshot matches DescribeTopic and sums group lag",
          "[observability]") {
  Fixture f;
  REQUIRE(f.store->CreateTopic("a", 3, testing::SmallSegments(4096)).ok());
  REQUIRE(f.store->CreateTopic("b", 1).ok());
  f.Send("a", 30, PartitionId(0));
  f.Send("a", 7, PartitionId(2));
  f.Send("b", 4);
  auto reset = f.store->ResetGroupOffsets("g", "a", OffsetReset::ToOffset(5));
  REQUIRE(reset.ok());

  MetricsSnapshot m = f.store->Metrics();
  CHECK(m.time_ms == f.clock.NowMs());
  REQUIRE(m.partitions.size() == 4);
  size_t i = 0;
  for (const std::string topic : {"a", "b"}) {
    auto d = f.store->DescribeTopic(topic);
    REQUIRE(d.ok());
    for (const PartitionDescription& pd : d->partitions) {
      const PartitionMetrics& pm = m.partitions[i++];
      CHECK(pm.tp == TopicPartition{topic, pd.partition});
      CHECK(pm.start_offset == pd.start_offset);
      CHECK(pm.end_offset == pd.end_offset);
      CHECK(pm.durable_end_offset == pd.durable_end_offset);
      CHECK(pm.records == pd.end_offset - pd.start_offset);
      CHECK(pm.bytes == pd.bytes);
      CHECK(pm.segments == pd.segments);
      CHECK(pm.oldest_timestamp_ms == pd.oldest_timestamp_ms);
      CHECK(pm.newest_timestamp_ms == pd.newest_timestamp_ms);
      CHECK(pm.appends == pd.end_offset.value());
      CHECK_FALSE(pm.failed);
    }
  }
  REQUIRE(m.groups.size() == 1);
  const GroupMetrics& g = m.groups[0];
  CHECK(g.group_id == "g");
  CHECK(g.state == "Empty");
  CHECK(g.members == 0);
  CHECK(g.partitions == 3);
  // Committed offsets are clamped to the log end: 5, 0 and 5.
  CHECK(g.lag == (30 - 5) + 0 + (7 - 5));
  CHECK(g.partitions_without_commit == 0);
}

TEST_CASE("a consumer joining a group fires a rebalance event",
          "[observability]") {
  Fixture f;
  REQUIRE(f.store->CreateTopic("t", 2).ok());
  ConsumerOptions o;
  o.group_id = "billing";
  auto consumer = f.store->NewConsumer(o);
  REQUIRE(consumer.ok());
  REQUIRE((*consumer)->Subscribe({"t"}).ok());
  REQUIRE(f.rec.rebalances.size() == 1);
  CHECK(f.rec.rebalances[0].group_id == "billing");
  CHECK(f.rec.rebalances[0].generation == 1);
  CHECK(f.rec.rebalances[0].members == 1);
  REQUIRE((*consumer)->Close().ok());
  REQUIRE(f.rec.rebalances.size() == 2);
  CHECK(f.rec.rebalances[1].generation == 2);
  CHECK(f.rec.rebalances[1].members == 0);
  CHECK(f.store->Metrics().counters.rebalances == 2);
  const Recorder::Line* line = f.rec.FindLine("group");
  REQUIRE(line != nullptr);
  CHECK(line->message == "billing: rebalance to generation 1 with 1 members");
}

TEST_CASE("a failed sync is a background error, reported once",
          "[observability]") {
  Fixture f;
  TopicConfig c = testing::SmallSegments(64 << 10);
  c.durability = Durability::kEveryAppend;
  REQUIRE(f.store->CreateTopic("t", 1, c).ok());
  f.Send("t", 1);
  f.fault.FailOp(FaultEnv::Op::kRegionSync, true);
  CHECK_FALSE(f.producer->Send("t", {.value = "x"}).ok());
  CHECK_FALSE(
      f.producer->Send("t", {.value = "y"}).ok());  // sticky, not re-reported
  REQUIRE(f.rec.errors.size() == 1);
  CHECK(f.rec.errors[0].component == "partition");
  CHECK(f.rec.errors[0].tp == TopicPartition{"t", PartitionId(0)});
  CHECK(absl::IsFailedPrecondition(f.rec.errors[0].status));
  MetricsSnapshot m = f.store->Metrics();
  CHECK(m.counters.sync_errors == 1);
  CHECK(m.counters.partitions_failed == 1);
  CHECK(m.partitions[0].failed);
  const Recorder::Line* line = f.rec.FindLine("partition");
  REQUIRE(line != nullptr);
  CHECK(line->level == LogLevel::kError);
  f.fault.FailOp(FaultEnv::Op::kRegionSync, false);
}

TEST_CASE("compaction swaps are counted; a pass fires a compaction event",
          "[observability]") {
  Fixture f;
  TopicConfig c = testing::SmallSegments(4096);
  c.cleanup_policy = CleanupPolicy::kCompact;
  REQUIRE(f.store->CreateTopic("table", 1, c).ok());
  std::string pad(150, 'p');
  for (int i = 0; i < 200; ++i) {
    std::string key = "k" + std::to_string(i % 10),
                value = pad + std::to_string(i);
    REQUIRE(f.producer->Send("table", {.key = key, .value = value}).ok());
  }
  REQUIRE(f.store->RunMaintenance().ok());
  MetricsSnapshot m = f.store->Metrics();
  CHECK(m.counters.compaction_segments_rewritten > 0);
  CHECK(m.counters.compaction_bytes_after < m.counters.compaction_bytes_before);
  CHECK(m.counters.retention_segments_deleted == 0);

  // The pass report (called by the log maintainer).
  StoreObserver observer(nullptr, &f.rec);
  auto po = observer.AddPartition("table", 1, PartitionId(0));
  po->OnCompactionPass(3, 100, 60, 2, 9000, 3000);
  REQUIRE(f.rec.compactions.size() >= 1);
  const CompactionInfo& ci = f.rec.compactions.back();
  CHECK(ci.tp == TopicPartition{"table", PartitionId(0)});
  CHECK(ci.segments_rewritten == 3);
  CHECK(ci.records_read == 100);
  CHECK(ci.records_removed == 60);
  CHECK(ci.tombstones_removed == 2);
  CHECK(ci.bytes_before == 9000);
  CHECK(ci.bytes_after == 3000);
  StoreCounters sc = observer.Counters();
  CHECK(sc.compaction_passes == 1);
  CHECK(sc.compaction_records_read == 100);
  CHECK(sc.compaction_records_removed == 60);
  po->SetRetentionHeld(4);
  CHECK(po->retention_held() == 4);
}

TEST_CASE("a deleted topic's counters stay in the store totals",
          "[observability]") {
  Fixture f;
  REQUIRE(f.store->CreateTopic("gone", 2).ok());
  f.Send("gone", 6);
  REQUIRE(f.store->DeleteTopic("gone").ok());
  MetricsSnapshot m = f.store->Metrics();
  CHECK(m.partitions.empty());
  CHECK(m.counters.appends == 6);
  REQUIRE(
      f.store->CreateTopic("gone", 1).ok());  // a new topic of the same name
  f.Send("gone", 1);
  m = f.store->Metrics();
  CHECK(m.counters.appends == 7);
  CHECK(m.partitions[0].appends == 1);
}

TEST_CASE("maintenance failures are counted each round, reported once each",
          "[observability]") {
  Recorder rec;
  StoreObserver observer(rec.logger(), &rec);
  observer.OnMaintenanceRound(absl::OkStatus());
  observer.OnMaintenanceRound(absl::InternalError("disk"));
  observer.OnMaintenanceRound(absl::InternalError("disk"));
  observer.OnMaintenanceRound(absl::DataLossError("bad frame"));
  observer.OnMaintenanceRound(absl::OkStatus());
  observer.OnMaintenanceRound(absl::InternalError("disk"));
  CHECK(observer.Counters().maintenance_errors == 4);
  REQUIRE(rec.errors.size() == 3);
  CHECK(rec.errors[0].component == "maintenance");
  CHECK(rec.errors[0].tp.topic.empty());
  CHECK(rec.errors[1].status == absl::DataLossError("bad frame"));
  CHECK(rec.lines.size() == 3);
}

TEST_CASE("without logger and listener a store reports nothing and works",
          "[observability]") {
  auto store = Store::OpenInMemory();
  REQUIRE(store.ok());
  REQUIRE((*store)->CreateTopic("t", 1).ok());
  auto producer = (*store)->NewProducer();
  REQUIRE(producer.ok());
  REQUIRE((*producer)->Send("t", {.value = "v"}).ok());
  MetricsSnapshot m = (*store)->Metrics();
  CHECK(m.counters.appends == 1);
  CHECK(m.partitions.size() == 1);
  CHECK(m.groups.empty());
}

TEST_CASE("latency histogram: power-of-two buckets and percentiles",
          "[observability]") {
  CHECK(LatencyRecorder::BucketFor(0) == 0);
  CHECK(LatencyRecorder::BucketFor(1) == 0);
  CHECK(LatencyRecorder::BucketFor(2) == 1);
  CHECK(LatencyRecorder::BucketFor(3) == 2);
  CHECK(LatencyRecorder::BucketFor(4) == 2);
  CHECK(LatencyRecorder::BucketFor(5) == 3);
  CHECK(LatencyRecorder::BucketFor(int64_t{1} << 25) == 25);
  CHECK(LatencyRecorder::BucketFor((int64_t{1} << 25) + 1) ==
        LatencyRecorder::kBounded);
  CHECK(LatencyRecorder::BucketFor(int64_t{1} << 50) ==
        LatencyRecorder::kBounded);

  LatencyRecorder r;
  CHECK(r.Snapshot().Percentile(0.5) == 0);
  using std::chrono::microseconds;
  for (int i = 0; i < 98; ++i) r.Record(microseconds(3));  // bucket <= 4 us
  r.Record(microseconds(900));                             // <= 1024 us
  r.Record(microseconds(5000));                            // <= 8192 us
  LatencyHistogram h = r.Snapshot();
  CHECK(h.count == 100);
  CHECK(h.sum_us == 98 * 3 + 900 + 5000);
  CHECK(h.max_us == 5000);
  CHECK(h.buckets.size() == LatencyRecorder::kBuckets);
  CHECK(h.buckets[2].upper_bound_us == 4);
  CHECK(h.buckets[2].count == 98);
  CHECK(h.buckets.back().upper_bound_us == std::numeric_limits<int64_t>::max());
  CHECK(h.Percentile(0.5) == 4);
  CHECK(h.Percentile(0.98) == 4);
  CHECK(h.Percentile(0.99) == 1024);
  CHECK(h.Percentile(1.0) == 5000);  // capped at the maximum seen
  CHECK(h.MeanUs() == Approx(61.94));
}

TEST_CASE("fmt formats evlog's value types", "[observability]") {
  CHECK(fmt::format("{}", Offset(42)) == "42");
  CHECK(fmt::format("{:>5}", Offset(42)) == "   42");
  CHECK(fmt::format("{}", PartitionId(3)) == "3");
  TopicPartition tp{"orders", PartitionId(3)};
  CHECK(fmt::format("{}", tp) == "orders-3");
  CHECK(fmt::format("{}", tp) == ToString(tp));
  CHECK(fmt::format("[{:<10}]", tp) == "[orders-3  ]");
  CHECK(fmt::format("{}", TopicPartitionOffset{tp, Offset(7)}) == "orders-3@7");
  CHECK(fmt::format("{}", LogLevel::kWarning) == "WARNING");
  CHECK(fmt::format("{}", LogLevel::kDebug) == "DEBUG");

  // A RecordView, read back from a log.
  MemEnv env;
  REQUIRE(env.CreateDir("/log").ok());
  auto log = PartitionLog::Open(&env, "/log", testing::SmallSegments());
  REQUIRE(log.ok());
  HeaderView hdr[] = {{"trace", "abc"}};
  const std::string long_key(40, 'x');
  Record records[] = {
      {.key = "user-7",
       .value = "hello world",
       .headers = hdr,
       .timestamp_ms = 1000},
      {.key = std::nullopt, .value = std::nullopt, .timestamp_ms = 1001},
      {.key = std::string_view("a\"b\n\xff", 5),
       .value = "",
       .timestamp_ms = 1002},
      {.key = long_key, .value = "v", .timestamp_ms = 1003},
  };
  REQUIRE((*log)->Append(records).ok());
  LogReader reader(log->get(), Offset(0));
  std::vector<std::string> got;
  RecordView v;
  while (true) {
    auto next = reader.Next(&v, (*log)->end_offset());
    REQUIRE(next.ok());
    if (!*next) break;
    got.push_back(fmt::format("{}", v));
  }
  REQUIRE(got.size() == 4);
  CHECK(got[0] == "offset=0 ts=1000 key=\"user-7\" value=11B headers=1");
  CHECK(got[1] == "offset=1 ts=1001 key=null value=tombstone headers=0");
  CHECK(got[2] ==
        "offset=2 ts=1002 key=\"a\\\"b\\x0a\\xff\" value=0B headers=0");
  CHECK(got[3] == "offset=3 ts=1003 key=\"" + std::string(32, 'x') +
                      "\"... value=1B headers=0");

  LatencyRecorder r;
  r.Record(std::chrono::microseconds(3));
  r.Record(std::chrono::microseconds(5));
  CHECK(fmt::format("{}", r.Snapshot()) ==
        "count=2 mean=4.0us p50=4us p99=5us max=5us");
}

}  // namespace
}  // namespace evlog
