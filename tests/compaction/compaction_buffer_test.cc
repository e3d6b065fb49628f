// Compaction with a bounded buffer (StoreOptions::compaction_buffer_bytes):
// passes that fill it clean a prefix and later passes the rest, to the same
// content as one unbounded pass; tombstones beyond the boundary; a buffer too
// small for one segment; the option's validation.

#include <catch2/catch.hpp>
#include <random>

#include "compaction/compaction_test_util.h"
#include "compaction/compactor.h"
#include "compaction/offset_map.h"
#include "env/mem_env.h"
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
constexpr uint64_t kUnbounded = ~uint64_t{0};

struct Log {
  FakeClock* clock;
  MemEnv env;
  std::shared_ptr<PartitionLog> log;
  History h;

  explicit Log(FakeClock* c) : clock(c), env(c) {
    REQUIRE(env.CreateDir("/log").ok());
    auto opened = PartitionLog::Open(&env, "/log", Compacted());
    REQUIRE(opened.ok());
    log = std::shared_ptr<PartitionLog>(std::move(*opened));
  }
  void Add(const std::vector<RecordHolder>& batch) {
    h.Append(log.get(), batch);
  }
  absl::StatusOr<CompactionStats> Compact(Offset clean_end, uint64_t buffer) {
    return CompactLog(&env, log.get(), clock->NowMs(),
                      {.clean_end = clean_end, .buffer_bytes = buffer});
  }
  std::vector<OwnedRecord> All() {
    auto got = ReadAll(*log);
    REQUIRE(got.ok());
    return *std::move(got);
  }
  Offset ClosedEnd() { return log->Segments().back()->base_offset(); }
};

// Every keyed record missing from `got` has a later record of its key in
// `got` (holds while no tombstone has expired: nothing goes without a newer
// record of its key staying).
void CheckNewerKept(const History& h, const std::vector<OwnedRecord>& got) {
  std::map<std::string, int64_t> last_present;
  std::vector<bool> present(h.records.size());
  for (const OwnedRecord& r : got) {
    present[r.offset] = true;
    if (r.key) last_present[*r.key] = r.offset;
  }
  for (const OwnedRecord& r : h.records) {
    if (!r.key || present[r.offset]) continue;
    INFO("removed offset " << r.offset << " key " << *r.key);
    REQUIRE(last_present.count(*r.key) == 1);
    CHECK(last_present[*r.key] > r.offset);
  }
}

// The same random records (keys from a space of `keys`, some tombstones,
// some without a key) appended to each log.
void Fill(std::vector<Log*> logs, uint64_t seed, int batches, int keys) {
  std::mt19937_64 rng(seed);
  for (int b = 0; b < batches; ++b) {
    std::vector<RecordHolder> batch;
    int n = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) {
      RecordHolder r;
      int kind = static_cast<int>(rng() % 20);
      if (kind != 0) r.key = "key" + std::to_string(rng() % keys);
      if (kind > 2)
        r.value =
            std::string(20 + rng() % 60, 'a' + static_cast<char>(rng() % 26));
      r.ts = logs[0]->clock->NowMs();
      batch.push_back(std::move(r));
    }
    for (Log* l : logs) l->Add(batch);
  }
}

// Compacts `l` pass after pass with `buffer`, each from the last clean_end,
// checking the invariants after each; returns the number of passes.
int CompactInPasses(Log& l, uint64_t buffer, bool tombstones_expired) {
  Offset clean_end(0);
  int passes = 0;
  while (true) {
    const std::vector<OwnedRecord> before = l.All();
    auto stats = l.Compact(clean_end, buffer);
    INFO(stats.status().ToString());
    REQUIRE(stats.ok());
    ++passes;
    INFO("pass " << passes << " clean_end " << stats->clean_end.value());
    auto got = l.All();
    // The replay is the history's; the latest record of each key is there;
    // segments at or above the boundary are untouched.
    CheckAgainstHistory(l.h, got, static_cast<int64_t>(l.h.records.size()));
    auto from = [&](const std::vector<OwnedRecord>& rs) {
      std::vector<OwnedRecord> tail;
      for (const OwnedRecord& r : rs) {
        if (r.offset >= stats->clean_end.value()) tail.push_back(r);
      }
      return tail;
    };
    CHECK(from(got) == from(before));
    if (!tombstones_expired) CheckNewerKept(l.h, got);
    if (!stats->buffer_full) {
      CHECK(stats->clean_end == l.ClosedEnd());
      return passes;
    }
    REQUIRE(stats->clean_end > clean_end);
    REQUIRE(stats->clean_end < l.ClosedEnd());
    clean_end = stats->clean_end;
  }
}

TEST_CASE(
    "a bounded buffer compacts over several passes to the unbounded result",
    "[compaction]") {
  constexpr uint64_t kBuffer = 8 << 10;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    INFO("seed " << seed);
    FakeClock clock;
    Log bounded(&clock), unbounded(&clock);
    Fill({&bounded, &unbounded}, seed, 700, 150);
    REQUIRE(bounded.log->Segments().size() >= 8);

    auto once = unbounded.Compact(Offset(0), kUnbounded);
    REQUIRE(once.ok());
    CHECK_FALSE(once->buffer_full);
    CHECK(CompactInPasses(bounded, kBuffer, false) >= 3);
    CHECK(bounded.All() == unbounded.All());

    // More records, then tombstones expire: again the same result.
    Fill({&bounded, &unbounded}, seed + 100, 300, 150);
    clock.AdvanceMs(20 * kMinute);
    once = unbounded.Compact(Offset(0), kUnbounded);
    REQUIRE(once.ok());
    CHECK(once->tombstones_removed > 0);
    CHECK(CompactInPasses(bounded, kBuffer, true) >= 2);
    CHECK(bounded.All() == unbounded.All());
  }
}

TEST_CASE("the maintainer runs bounded passes until the log is compacted",
          "[compaction]") {
  FakeClock clock;
  Log bounded(&clock), unbounded(&clock);
  Fill({&bounded, &unbounded}, 7, 700, 150);
  REQUIRE(unbounded.Compact(Offset(0), kUnbounded).ok());

  LogMaintainer m;
  m.set_compaction_buffer_bytes(8 << 10);
  std::vector<MaintainedPartition> parts = {{"t", PartitionId(0), bounded.log}};
  int64_t passes = -1;
  int rounds = 0;
  while (m.counters().compaction_passes != passes) {
    passes = m.counters().compaction_passes;
    REQUIRE(m.Run(&bounded.env, parts, clock.NowMs()).ok());
    CheckAgainstHistory(bounded.h, bounded.All(), bounded.ClosedEnd().value());
    REQUIRE(++rounds < 100);
  }
  CHECK(passes >= 3);
  CHECK(bounded.All() == unbounded.All());
}

TEST_CASE(
    "a tombstone beyond the boundary removes nothing before it is indexed",
    "[compaction]") {
  FakeClock clock;
  Log l(&clock);
  const int64_t t0 = clock.NowMs();
  std::string pad(60, 'p');
  auto put = [&](const std::string& k, const std::string& v) {
    RecordHolder r;
    r.key = k;
    r.value = v;
    r.ts = t0;
    l.Add({r});
  };
  put("x", "old");
  put("y", "old");
  put("y", "newer");  // supersedes y within the first segment
  int i = 0;
  while (l.log->Segments().size() < 6) put("fill" + std::to_string(i++), pad);
  RecordHolder tomb_x, tomb_y;
  tomb_x.key = "x";
  tomb_y.key = "y";
  tomb_x.ts = tomb_y.ts = t0;
  l.Add({tomb_x, tomb_y});
  const int64_t tombstones_at = static_cast<int64_t>(l.h.records.size()) - 2;
  while (l.log->Segments().size() < 8) put("fill" + std::to_string(i++), pad);
  clock.AdvanceMs(20 * kMinute);  // every tombstone has expired

  auto count = [&](const std::string& key) {
    int n = 0;
    for (const OwnedRecord& r : l.All()) n += r.key == key;
    return n;
  };
  // The values of `key`'s records, in order (nullopt: tombstone).
  using Values = std::vector<std::optional<std::string>>;
  auto values = [&](const std::string& key) {
    Values v;
    for (const OwnedRecord& r : l.All()) {
      if (r.key == key) v.push_back(r.value);
    }
    return v;
  };
  // A buffer that holds about two segments of distinct keys.
  constexpr uint64_t kBuffer = 6 << 10;
  auto first = l.Compact(Offset(0), kBuffer);
  INFO(first.status().ToString());
  REQUIRE(first.ok());
  REQUIRE(first->buffer_full);
  REQUIRE(first->clean_end.value() <= tombstones_at);
  // x keeps its value (its tombstone is not indexed yet); y its newer one;
  // both tombstones stay.
  CHECK(values("x") == Values{"old", std::nullopt});
  CHECK(values("y") == Values{"newer", std::nullopt});
  CHECK(first->tombstones_removed == 0);
  CheckAgainstHistory(l.h, l.All(), first->clean_end.value());

  Offset clean_end = first->clean_end;
  for (int pass = 0; pass < 20; ++pass) {
    auto stats = l.Compact(clean_end, kBuffer);
    REQUIRE(stats.ok());
    // A value is never left without the tombstone that follows it.
    if (count("x") > 0) CHECK_FALSE(values("x").back().has_value());
    if (count("y") > 0) CHECK_FALSE(values("y").back().has_value());
    CheckAgainstHistory(l.h, l.All(), stats->clean_end.value());
    clean_end = stats->clean_end;
    if (!stats->buffer_full) break;
  }
  CHECK(clean_end == l.ClosedEnd());
  // One more pass: the tombstones, now in the compacted part, go too.
  REQUIRE(l.Compact(clean_end, kBuffer).ok());
  CHECK(count("x") == 0);
  CHECK(count("y") == 0);
}

TEST_CASE(
    "a buffer too small for one segment fails clearly and removes nothing",
    "[compaction]") {
  FakeClock clock;
  Log l(&clock);
  std::string pad(20, 'p');
  int i = 0;
  // Segments of distinct keys, then every key again.
  while (l.log->Segments().size() < 3) {
    RecordHolder r;
    r.key = "k" + std::to_string(i++ % 50);
    r.value = pad;
    r.ts = clock.NowMs();
    l.Add({r});
  }
  auto before = l.All();
  constexpr uint64_t kTiny = 1024;

  auto stats = l.Compact(Offset(0), kTiny);
  REQUIRE_FALSE(stats.ok());
  CHECK(absl::IsResourceExhausted(stats.status()));
  CHECK(IsCompactionBufferTooSmall(stats.status()));
  CHECK(stats.status().message().find("compaction_buffer_bytes") !=
        std::string::npos);
  CHECK(l.All() == before);
  CHECK_FALSE(
      IsCompactionBufferTooSmall(absl::ResourceExhaustedError("disk full")));

  SECTION("the maintainer reports it each round without another pass") {
    LogMaintainer m;
    m.set_compaction_buffer_bytes(kTiny);
    std::vector<MaintainedPartition> parts = {{"t", PartitionId(0), l.log}};
    for (int round = 0; round < 3; ++round) {
      absl::Status s = m.Run(&l.env, parts, clock.NowMs());
      CHECK(IsCompactionBufferTooSmall(s));
    }
    CHECK(m.counters().compaction_passes == 0);
    CHECK(l.All() == before);
    // With a large enough buffer (e.g. after a reopen of the store with a
    // larger option) the log compacts.
    LogMaintainer larger;
    REQUIRE(larger.Run(&l.env, parts, clock.NowMs()).ok());
    CHECK(larger.counters().compaction_passes == 1);
    CHECK(larger.counters().records_compacted_away > 0);
    CheckAgainstHistory(l.h, l.All(), l.ClosedEnd().value());
  }
}

TEST_CASE("OffsetMap tells its memory and bounds what a batch may take",
          "[compaction]") {
  OffsetMap map;
  const size_t empty = map.MemoryBytes();
  CHECK(empty > 0);
  std::vector<std::string> keys;
  for (int i = 0; i < 5000; ++i) keys.push_back("key-" + std::to_string(i));
  for (size_t at = 0; at < keys.size(); at += 100) {
    std::vector<OffsetMap::Entry> batch;
    for (size_t i = at; i < at + 100; ++i) {
      batch.push_back({keys[i], static_cast<int64_t>(i)});
    }
    const size_t bound = map.PeakBytesToPutAll(batch);
    map.PutAll(batch);
    CHECK(map.MemoryBytes() <= bound);
  }
  CHECK(map.size() == keys.size());
  // Slots (24 bytes, at most 3/4 full) and the arena (key + 4 bytes).
  CHECK(map.MemoryBytes() >= keys.size() * (24 * 4 / 3 + 9));
}

TEST_CASE("Store::Open checks compaction_buffer_bytes", "[compaction]") {
  for (uint64_t bad : {uint64_t{0}, uint64_t{1000}, (uint64_t{1} << 20) - 1,
                       (uint64_t{1} << 40) + 1}) {
    INFO("compaction_buffer_bytes " << bad);
    StoreOptions o;
    o.maintenance_interval_ms = 0;
    o.compaction_buffer_bytes = bad;
    auto store = Store::OpenInMemory(o);
    REQUIRE_FALSE(store.ok());
    CHECK(absl::IsInvalidArgument(store.status()));
    CHECK(store.status().message().find("compaction_buffer_bytes") !=
          std::string::npos);
  }
  StoreOptions o;
  o.maintenance_interval_ms = 0;
  CHECK(o.compaction_buffer_bytes == kDefaultCompactionBufferBytes);
  o.compaction_buffer_bytes = 1 << 20;
  CHECK(Store::OpenInMemory(o).ok());
}

}  // namespace
}  // namespace evlog
