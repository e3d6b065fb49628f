// Compaction: latest value per key, unchanged offsets, tombstones and
// delete_retention_ms, records without a key, readers across a swap,
// reopen, scheduling by dirty ratio, and a random-operation test against a
// model.

#include <catch2/catch.hpp>
#include <random>

#include "compaction/compaction_test_util.h"
#include "compaction/compactor.h"
#include "env/mem_env.h"
#include "evlog/producer.h"
#include "evlog/store.h"
#include "retention/log_maintainer.h"

namespace evlog {
namespace {

using testing::CheckAgainstHistory;
using testing::Compacted;
using testing::History;
using testing::OwnedRecord;
using testing::ReadAll;
using testing::RecordHolder;

constexpr int64_t kMinute = 60 * 1000;

RecordHolder Put(const std::string& key, const std::string& value, int64_t ts) {
  RecordHolder h;
  h.key = key;
  h.value = value;
  h.ts = ts;
  return h;
}
RecordHolder Tombstone(const std::string& key, int64_t ts) {
  RecordHolder h;
  h.key = key;
  h.ts = ts;
  return h;
}

struct Fixture {
  FakeClock clock;
  MemEnv env{&clock};
  std::string dir = "/log";
  std::shared_ptr<PartitionLog> log;
  History h;

  explicit Fixture(const TopicConfig& c = Compacted()) {
    REQUIRE(env.CreateDir(dir).ok());
    Open(c);
  }
  void Open(const TopicConfig& c = Compacted()) {
    log.reset();
    auto opened = PartitionLog::Open(&env, dir, c);
    INFO(opened.status().ToString());
    REQUIRE(opened.ok());
    log = std::shared_ptr<PartitionLog>(std::move(*opened));
  }
  void Add(std::vector<RecordHolder> batch) { h.Append(log.get(), batch); }
  CompactionStats Compact() {
    auto stats = CompactLog(&env, log.get(), clock.NowMs());
    INFO(stats.status().ToString());
    REQUIRE(stats.ok());
    return *stats;
  }
  std::vector<OwnedRecord> All() {
    auto got = ReadAll(*log);
    REQUIRE(got.ok());
    return *std::move(got);
  }
  int64_t ActiveBase() { return log->Segments().back()->base_offset().value(); }
  void Check() { CheckAgainstHistory(h, All(), ActiveBase()); }
};

// Every record of a closed segment but its last is the latest of its key, a
// record without a key, or an unexpired (or pinned) tombstone.
void CheckFullyCompacted(Fixture& f) {
  // Records in the active segment do not count: compaction only sees the
  // closed ones.
  auto segments = f.log->Segments();
  std::map<std::string, int64_t> latest;
  for (const OwnedRecord& r : f.h.records) {
    if (r.key && r.offset < segments.back()->base_offset().value())
      latest[*r.key] = r.offset;
  }
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    auto got = ReadAll(*f.log, segments[i]->base_offset());
    REQUIRE(got.ok());
    for (const OwnedRecord& r : *got) {
      if (r.offset >= segments[i]->next_offset().value() - 1) break;
      if (!r.key) continue;
      INFO("offset " << r.offset);
      CHECK(latest[*r.key] == r.offset);
    }
  }
}

TEST_CASE("compaction keeps the latest value of each key at its offset",
          "[compaction]") {
  Fixture f;
  const int64_t t = f.clock.NowMs();
  std::string pad(150, 'p');
  for (int round = 0; round < 6; ++round) {
    for (int k = 0; k < 8; ++k) {
      f.Add(
          {Put("k" + std::to_string(k), "v" + std::to_string(round) + pad, t)});
    }
  }
  f.Add({Put("k0", "final", t), Put("k1", "final", t)});
  REQUIRE(f.log->Segments().size() >= 3);
  const size_t segments_before = f.log->Segments().size();
  auto before = f.All();

  CompactionStats stats = f.Compact();
  CHECK(stats.segments_rewritten > 0);
  CHECK(stats.records_removed > 0);
  CHECK(stats.bytes_after < stats.bytes_before);
  CHECK(f.log->Segments().size() == segments_before);  // 1:1 rewrite
  auto after = f.All();
  CHECK(after.size() + stats.records_removed == before.size());
  f.Check();
  CheckFullyCompacted(f);
  CHECK(f.log->start_offset() == Offset(0));
  CHECK(f.log->end_offset() == Offset(50));

  SECTION("a second pass has nothing to do") {
    CompactionStats again = f.Compact();
    CHECK(again.segments_rewritten == 0);
    CHECK(f.All() == after);
  }
  SECTION("the compacted log survives a reopen, index files and all") {
    for (const auto& seg : f.log->Segments()) {
      if (seg != f.log->Segments().back())
        CHECK(f.env.FileExists(seg->index_path()));
    }
    f.Open();
    CHECK(f.All() == after);
    f.Add({Put("k2", "after-reopen", t)});
    f.Check();
  }
  SECTION("reads start at any offset, gaps included") {
    for (int64_t o = 0; o < 50; ++o) {
      auto got = ReadAll(*f.log, Offset(o));
      REQUIRE(got.ok());
      REQUIRE_FALSE(got->empty());
      CHECK(got->front().offset >= o);
      size_t expect = 0;
      for (const auto& r : after) expect += r.offset >= o;
      CHECK(got->size() == expect);
    }
  }
}

TEST_CASE("tombstones go after delete_retention_ms, with the values they hide",
          "[compaction]") {
  Fixture f;
  std::string pad(150, 'p');
  int64_t t0 = f.clock.NowMs();
  for (int k = 0; k < 10; ++k)
    f.Add({Put("k" + std::to_string(k), "v" + pad, t0)});
  f.Add({Tombstone("k3", t0), Tombstone("k4", t0)});
  for (int k = 0; k < 30; ++k)
    f.Add({Put("other" + std::to_string(k), pad, t0)});
  REQUIRE(f.log->Segments().size() >= 3);

  f.clock.AdvanceMs(5 * kMinute);
  CompactionStats stats = f.Compact();
  CHECK(stats.tombstones_removed == 0);
  CHECK(stats.next_tombstone_expiry_ms == t0 + 10 * kMinute);
  auto got = f.All();
  auto has = [&](const std::vector<OwnedRecord>& rs, const std::string& key) {
    int n = 0;
    for (const auto& r : rs) n += r.key == key;
    return n;
  };
  CHECK(has(got, "k3") == 1);  // the tombstone alone
  CHECK(has(got, "k4") == 1);
  f.Check();

  // Not due by ratio, but due by the tombstone's expiry.
  CompactionState state{stats.clean_end, stats.next_tombstone_expiry_ms};
  CHECK_FALSE(CompactionDue(*f.log, state, f.clock.NowMs()));
  f.clock.AdvanceMs(5 * kMinute);
  CHECK(CompactionDue(*f.log, state, f.clock.NowMs()));
  stats = f.Compact();
  CHECK(stats.tombstones_removed == 2);
  CHECK(stats.next_tombstone_expiry_ms == -1);
  got = f.All();
  CHECK(has(got, "k3") == 0);
  CHECK(has(got, "k4") == 0);
  f.Check();
}

TEST_CASE("a tombstone stays while an older value of its key ends a segment",
          "[compaction]") {
  Fixture f;
  std::string pad(150, 'p');
  int64_t t0 = f.clock.NowMs();
  // Fill the first segment so that its last record is "victim".
  int i = 0;
  while (f.log->Segments().size() == 1) {
    f.Add({Put("fill" + std::to_string(i++), pad, t0)});
  }
  // The record that rolled the segment is in the second one; the last of the
  // first segment is fill(i-2). Overwrite and then delete that key.
  const std::string victim = "fill" + std::to_string(i - 2);
  REQUIRE(f.log->Segments()[0]->next_offset().value() == i - 1);
  f.Add({Put(victim, "newer", t0)});
  f.Add({Tombstone(victim, t0)});
  for (int k = 0; k < 30; ++k)
    f.Add({Put("more" + std::to_string(k), pad, t0)});
  f.clock.AdvanceMs(60 * kMinute);
  CompactionStats stats = f.Compact();
  auto got = f.All();
  std::vector<OwnedRecord> of_victim;
  for (const auto& r : got) {
    if (r.key == victim) of_victim.push_back(r);
  }
  // The stale value stays as its segment's last record, so the tombstone
  // must stay after it; the value in between goes.
  REQUIRE(of_victim.size() == 2);
  CHECK(of_victim[0].value == pad);
  CHECK_FALSE(of_victim[1].value.has_value());
  CHECK(stats.tombstones_removed == 0);
  f.Check();
}

TEST_CASE("records without a key are kept, headers and timestamps too",
          "[compaction]") {
  Fixture f;
  static const HeaderView kHeaders[] = {{"trace", "abc"},
                                        {"null", std::nullopt}};
  std::string pad(150, 'p');
  for (int round = 0; round < 5; ++round) {
    RecordHolder keyless;
    keyless.value = "no-key-" + std::to_string(round);
    keyless.ts = 1000 + round;
    RecordHolder with_headers =
        Put("h", "v" + std::to_string(round), 2000 + round);
    with_headers.headers.assign(std::begin(kHeaders), std::end(kHeaders));
    f.Add({keyless, with_headers, Put("a", pad, 3000), Put("b", pad, 3000)});
    f.Add({Put("c", pad, 4000 + round)});
  }
  f.Add({Put("a", "last", 5000)});
  f.Compact();
  f.Check();
  auto got = f.All();
  int keyless = 0;
  for (const auto& r : got) keyless += !r.key.has_value();
  CHECK(keyless == 5);
}

TEST_CASE("a reader keeps reading the old segment across a swap",
          "[compaction]") {
  Fixture f;
  std::string pad(150, 'p');
  int64_t t = f.clock.NowMs();
  for (int round = 0; round < 4; ++round) {
    for (int k = 0; k < 10; ++k) f.Add({Put("k" + std::to_string(k), pad, t)});
  }
  LogReader reader(f.log.get(), Offset(0));
  RecordView first;
  auto got = reader.Next(&first, f.log->end_offset());
  REQUIRE(got.ok());
  REQUIRE(*got);
  auto held = reader.segment();
  CompactionStats stats = f.Compact();
  REQUIRE(stats.segments_rewritten > 0);
  CHECK(f.log->Segments().front() != held);  // swapped in the list
  CHECK(first.key() == std::optional<std::string_view>("k0"));
  // The reader sees the whole old first segment, then the rest as it is now:
  // a subset of the history, in order, no duplicates.
  std::vector<OwnedRecord> seen = {OwnedRecord::From(first)};
  RecordView v;
  while (true) {
    auto more = reader.Next(&v, f.log->end_offset());
    REQUIRE(more.ok());
    if (!*more) break;
    seen.push_back(OwnedRecord::From(v));
  }
  int64_t held_end = held->next_offset().value();
  for (int64_t o = 0; o < held_end; ++o) {
    REQUIRE(seen[o].offset == o);
  }
  CheckAgainstHistory(f.h, seen, f.ActiveBase());
}

TEST_CASE("compaction is scheduled by the dirty ratio", "[compaction]") {
  Fixture f;
  std::string pad(150, 'p');
  int64_t t = f.clock.NowMs();
  auto write = [&](int n) {
    for (int i = 0; i < n; ++i)
      f.Add({Put("k" + std::to_string(i % 5), pad, t)});
  };
  write(100);
  LogMaintainer m;
  std::vector<MaintainedPartition> parts = {{"t", PartitionId(0), f.log}};
  REQUIRE(m.Run(&f.env, parts, t).ok());
  CHECK(m.counters().compaction_passes == 1);  // all dirty at first
  REQUIRE(m.Run(&f.env, parts, t).ok());
  CHECK(m.counters().compaction_passes == 1);  // nothing new

  // The compacted closed log is now a few hundred bytes; a few new segments
  // of dirty data push the ratio over 0.5.
  write(60);
  REQUIRE(m.Run(&f.env, parts, t).ok());
  CHECK(m.counters().compaction_passes == 2);
  f.Check();

  // A high threshold waits for more.
  TopicConfig lazy = Compacted();
  lazy.min_cleanable_dirty_ratio = 1.0;
  f.Open(lazy);
  LogMaintainer m2;
  parts = {{"t", PartitionId(0), f.log}};
  REQUIRE(m2.Run(&f.env, parts, t).ok());  // fresh state: all dirty, ratio 1
  CHECK(m2.counters().compaction_passes == 1);
  write(40);
  REQUIRE(m2.Run(&f.env, parts, t).ok());
  CHECK(m2.counters().compaction_passes == 1);
  CHECK(DirtyRatio(f.log->Segments(), Offset(0)) == 1.0);
}

TEST_CASE("compaction matches a model over random operations", "[compaction]") {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    INFO("seed " << seed);
    std::mt19937_64 rng(seed);
    Fixture f;
    static const HeaderView kHeader[] = {{"h", "x"}};
    int compactions = 0;
    for (int step = 0; step < 600; ++step) {
      int op = static_cast<int>(rng() % 100);
      if (op < 85) {
        std::vector<RecordHolder> batch;
        int n = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < n; ++i) {
          RecordHolder r;
          int kind = static_cast<int>(rng() % 20);
          if (kind != 0) r.key = "key" + std::to_string(rng() % 40);
          if (kind > 3)
            r.value =
                std::string(rng() % 120, 'a' + static_cast<char>(rng() % 26));
          if (rng() % 10 == 0)
            r.headers.assign(std::begin(kHeader), std::end(kHeader));
          r.ts = f.clock.NowMs();
          batch.push_back(std::move(r));
        }
        f.Add(batch);
      } else if (op < 92) {
        f.clock.AdvanceMs(static_cast<int64_t>(rng() % (4 * kMinute)));
      } else if (op < 99) {
        f.Compact();
        ++compactions;
        f.Check();
        CheckFullyCompacted(f);
      } else {
        f.Open();
        f.Check();
      }
    }
    f.clock.AdvanceMs(30 * kMinute);
    f.Compact();
    f.Check();
    f.Open();
    f.Check();
    CHECK(compactions > 0);
  }
}

TEST_CASE("the store compacts compact topics in its maintenance round",
          "[compaction]") {
  FakeClock clock;
  MemEnv env(&clock);
  StoreOptions o;
  o.env = &env;
  o.maintenance_interval_ms = 0;
  auto store = Store::Open("/store", o);
  REQUIRE(store.ok());
  TopicConfig c = Compacted();
  c.cleanup_policy = CleanupPolicy::kCompactAndDelete;
  c.retention_ms = -1;
  REQUIRE((*store)->CreateTopic("table", 1, c).ok());
  auto producer = (*store)->NewProducer();
  REQUIRE(producer.ok());
  std::string pad(150, 'p');
  for (int i = 0; i < 200; ++i) {
    std::string key = "k" + std::to_string(i % 10),
                value = pad + std::to_string(i);
    Record r = testing::KV(key, value);
    REQUIRE((*producer)->Send("table", r).ok());
  }
  auto before = (*store)->DescribeTopic("table");
  REQUIRE(before.ok());
  REQUIRE((*store)->RunMaintenance().ok());
  auto after = (*store)->DescribeTopic("table");
  REQUIRE(after.ok());
  CHECK(after->partitions[0].bytes < before->partitions[0].bytes / 2);
  CHECK(after->partitions[0].end_offset == Offset(200));
  producer->reset();
  REQUIRE((*store)->Close().ok());
}

}  // namespace
}  // namespace evlog
