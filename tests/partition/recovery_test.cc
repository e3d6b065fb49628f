// Recovery: torn tails, garbage, corruption of sealed segments, power loss
// through MemEnv's crash images, failed syncs and a full disk.

#include <catch2/catch.hpp>
#include <random>

#include "env/fault_env.h"
#include "env/mem_env.h"
#include "format/format.h"
#include "partition/log_reader.h"
#include "partition/log_test_util.h"
#include "partition/partition_log.h"

namespace evlog {
namespace {

using testing::KV;
using testing::OwnedRecord;
using testing::ReadAll;
using testing::SmallSegments;

const std::string kDir = "/log";

// Large enough that these tests never roll, small enough that the many crash
// images they take stay cheap (each image copies every file).
TopicConfig OneSegment() { return SmallSegments(256 << 10); }

std::unique_ptr<PartitionLog> MustOpen(Env* env, const TopicConfig& c,
                                       RecoveryReport* report = nullptr) {
  auto log = PartitionLog::Open(env, kDir, c, report);
  INFO(log.status().ToString());
  REQUIRE(log.ok());
  return *std::move(log);
}

// Overwrites bytes of a file through a fresh writable mapping.
void Patch(Env* env, const std::string& path, size_t pos,
           std::string_view bytes) {
  auto region = env->MapFile(path, true);
  REQUIRE(region.ok());
  std::memcpy((*region)->data() + pos, bytes.data(), bytes.size());
}

std::string ValueFor(int i) {
  return "value-" + std::to_string(i) + std::string(i % 7, '#');
}

// Appends n records k0..k(n-1) and returns the segment position of the last
// frame and its size.
std::pair<size_t, size_t> AppendN(PartitionLog* log, int n) {
  size_t pos = 0, size = 0;
  for (int i = 0; i < n; ++i) {
    std::string k = "k" + std::to_string(i), v = ValueFor(i);
    Record r = KV(k, v, 1000 + i);
    auto seg = log->Segments().back();
    size_t before = seg->end_position();
    REQUIRE(log->Append({&r, 1}).ok());
    seg = log->Segments().back();
    pos = seg->end_position() == before ? 0 : before;
    size = seg->end_position() - before;
  }
  return {pos, size};
}

void CheckPrefix(const PartitionLog& log, int n) {
  auto got = ReadAll(log);
  REQUIRE(got.ok());
  REQUIRE(got->size() == static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    CHECK((*got)[i].offset == i);
    CHECK((*got)[i].key == "k" + std::to_string(i));
    CHECK((*got)[i].value == ValueFor(i));
  }
}

TEST_CASE("a torn last record is cut at every byte", "[recovery]") {
  FakeClock clock;
  MemEnv env(&clock);
  REQUIRE(env.CreateDir(kDir).ok());
  auto log = MustOpen(&env, OneSegment());
  auto [pos, size] = AppendN(log.get(), 5);
  REQUIRE(pos > 0);
  std::string seg_path = log->Segments().back()->path();
  for (int garbage = 0; garbage < 2; ++garbage) {
    for (size_t keep = 0; keep < size; ++keep) {
      auto image = env.CrashImage({.kind = CrashOptions::kProcessCrash});
      // Bytes past `keep` never reached the file: zeros, or old garbage.
      std::string tail(size - keep, '\0');
      if (garbage) {
        std::mt19937_64 rng(keep);
        for (char& c : tail) c = static_cast<char>(rng());
      }
      // Zeroing bytes that were zero anyway (e.g. a header count) changes
      // nothing: the record is whole.
      bool unchanged =
          std::string_view(log->Segments().back()->data() + pos + keep,
                           size - keep) == tail;
      int expect = unchanged ? 5 : 4;
      Patch(image.get(), seg_path, pos + keep, tail);
      RecoveryReport report;
      auto reopened = MustOpen(image.get(), OneSegment(), &report);
      INFO("keep " << keep << " garbage " << garbage);
      CHECK(reopened->end_offset() == Offset(expect));
      CheckPrefix(*reopened, expect);
      if (!unchanged && (keep > 0 || garbage))
        CHECK(report.bytes_truncated > 0);
      // The cut bytes are gone for good: a new append is read back intact.
      Record r = KV("new", "record");
      auto res = reopened->Append({&r, 1});
      REQUIRE(res.ok());
      CHECK(res->base_offset == Offset(expect));
      reopened.reset();
      auto again = MustOpen(image.get(), OneSegment());
      auto all = ReadAll(*again);
      REQUIRE(all.ok());
      REQUIRE(all->size() == static_cast<size_t>(expect + 1));
      CHECK(all->back().key == "new");
    }
  }
}

TEST_CASE("zeros and garbage after the last record", "[recovery]") {
  FakeClock clock;
  MemEnv env(&clock);
  REQUIRE(env.CreateDir(kDir).ok());
  auto log = MustOpen(&env, OneSegment());
  auto [pos, size] = AppendN(log.get(), 10);
  std::string seg_path = log->Segments().back()->path();
  size_t end = pos + size;

  SECTION("zeros: nothing is cut") {
    auto image = env.CrashImage({.kind = CrashOptions::kProcessCrash});
    RecoveryReport report;
    auto reopened = MustOpen(image.get(), OneSegment(), &report);
    CHECK(report.bytes_truncated == 0);
    CheckPrefix(*reopened, 10);
  }
  SECTION("garbage right after, and far after, the last frame") {
    for (size_t gap : {size_t{0}, size_t{1}, size_t{4096}, size_t{100000}}) {
      auto image = env.CrashImage({.kind = CrashOptions::kProcessCrash});
      std::string junk(300, '\0');
      std::mt19937_64 rng(gap);
      for (char& c : junk) c = static_cast<char>(rng() | 1);
      Patch(image.get(), seg_path, end + gap, junk);
      RecoveryReport report;
      auto reopened = MustOpen(image.get(), OneSegment(), &report);
      INFO("gap " << gap);
      // Junk right at the end is an invalid frame and is cut; junk behind a
      // zero length field is never even read (format v2 reads nothing past
      // the end of data at open).
      CHECK((report.bytes_truncated > 0) == (gap < format::kFrameLengthSize));
      CheckPrefix(*reopened, 10);
      // Appends then overwrite the junk; whatever of it is left can never
      // be read as a frame (its checksum fails, or it is not reached).
      for (int i = 0; i < 40; ++i) {
        std::string v(static_cast<size_t>(97 * i % 900), 'n');
        Record r = KV("after", v, 2000 + i);
        auto appended = reopened->Append({&r, 1});
        INFO(appended.status().ToString());
        REQUIRE(appended.ok());
      }
      reopened.reset();
      auto again = MustOpen(image.get(), OneSegment());
      CHECK(again->end_offset() == Offset(50));
      auto all = ReadAll(*again);
      REQUIRE(all.ok());
      REQUIRE(all->size() == 50);
      for (size_t i = 10; i < 50; ++i) CHECK((*all)[i].key == "after");
    }
  }
}

TEST_CASE("a valid old frame beyond the cut never comes back", "[recovery]") {
  // Records 0..9 written; frame 5 torn in place; frames 6..9 intact after it.
  // Recovery keeps 0..4 and must zero 6..9, so that after new appends of
  // different sizes a later recovery cannot splice an old frame in.
  FakeClock clock;
  MemEnv env(&clock);
  REQUIRE(env.CreateDir(kDir).ok());
  auto log = MustOpen(&env, OneSegment());
  std::vector<size_t> starts;
  for (int i = 0; i < 10; ++i) {
    starts.push_back(log->Segments().back()->end_position());
    std::string k = "k" + std::to_string(i), v = ValueFor(i);
    Record r = KV(k, v, 1000 + i);
    REQUIRE(log->Append({&r, 1}).ok());
  }
  std::string path = log->Segments().back()->path();
  auto image = env.CrashImage({.kind = CrashOptions::kProcessCrash});
  Patch(image.get(), path, starts[5] + 20, "\x55");
  {
    auto reopened = MustOpen(image.get(), OneSegment());
    CheckPrefix(*reopened, 5);
    for (int i = 0; i < 3; ++i) {
      std::string k = "new" + std::to_string(i), v(i * 13, 'n');
      Record r = KV(k, v);
      REQUIRE(reopened->Append({&r, 1}).ok());
    }
  }
  auto again = MustOpen(image.get(), OneSegment());
  CHECK(again->end_offset() == Offset(8));
  auto all = ReadAll(*again);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 8);
  std::string keys;
  for (auto& rec : *all) keys += rec.key.value_or("-") + " ";
  CHECK(keys == "k0 k1 k2 k3 k4 new0 new1 new2 ");
}

TEST_CASE("a stale frame exactly at the new end is recognised by its epoch",
          "[recovery]") {
  // The case the v1 zero scan covered: records 0..9 written; frame 5 torn;
  // frames 6..9 intact. The next incarnation appends a record of exactly
  // frame 5's size, so its chain reaches old frame 6 at its start, with the
  // expected offset 6. Only the writer epoch tells that frame 6 is stale.
  FakeClock clock;
  MemEnv env(&clock);
  REQUIRE(env.CreateDir(kDir).ok());
  auto log = MustOpen(&env, OneSegment());
  std::vector<size_t> starts;
  for (int i = 0; i < 10; ++i) {
    starts.push_back(log->Segments().back()->end_position());
    const std::string key = "k" + std::to_string(i);
    Record r = KV(key, "v", 1000 + i);
    REQUIRE(log->Append({&r, 1}).ok());
  }
  std::string path = log->Segments().back()->path();
  auto image = env.CrashImage({.kind = CrashOptions::kProcessCrash});
  Patch(image.get(), path, starts[5] + 20, "\x55");
  {
    auto reopened = MustOpen(image.get(), OneSegment());
    REQUIRE(reopened->end_offset() == Offset(5));
    Record r = KV("k5", "V", 1000 + 5);  // same size as the torn frame
    REQUIRE(reopened->Append({&r, 1}).ok());
    REQUIRE(reopened->Segments().back()->end_position() == starts[6]);
  }
  RecoveryReport report;
  auto again = MustOpen(image.get(), OneSegment(), &report);
  CHECK(again->end_offset() == Offset(6));
  auto all = ReadAll(*again);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 6);
  CHECK(all->back().value == "V");
  CHECK(report.bytes_truncated == 0);  // a clean end: stale, not torn
}

TEST_CASE("a log whose EPOCH was lost is refused, not restarted at epoch 1",
          "[recovery]") {
  FakeClock clock;
  MemEnv env(&clock);
  REQUIRE(env.CreateDir(kDir).ok());
  {
    auto log = MustOpen(&env, OneSegment());
    Record r = KV("k", "v");
    REQUIRE(log->Append({&r, 1}).ok());
  }
  REQUIRE(env.RemoveFile(std::string(kDir) + "/EPOCH").ok());
  auto reopened = PartitionLog::Open(&env, kDir, OneSegment());
  CHECK(absl::IsDataLoss(reopened.status()));
}

TEST_CASE("a rolled segment followed by a piece of a stale frame is complete",
          "[recovery]") {
  // Segment 0 was cut once (its tail beyond the cut is stale), then written
  // on and rolled: behind its end lie bytes of an older epoch that start in
  // the middle of a frame. Recovery must neither cut the log there (the
  // next segment's records survive a process crash) nor call it corrupt.
  FakeClock clock;
  MemEnv env(&clock);
  REQUIRE(env.CreateDir(kDir).ok());
  TopicConfig c = SmallSegments(8192);
  std::string path;
  size_t end = 0;
  {
    auto log = MustOpen(&env, c);
    for (int i = 0; i < 6; ++i) {
      const std::string key = "k" + std::to_string(i), value(400, 'a');
      Record r = KV(key, value);
      REQUIRE(log->Append({&r, 1}).ok());
    }
    path = log->Segments().back()->path();
    end = log->Segments().back()->end_position();
  }
  // Plant the middle of an old frame right after the data of segment 0.
  auto image = env.CrashImage({.kind = CrashOptions::kProcessCrash});
  Patch(image.get(), path, end, std::string(32, '\x6b'));
  {
    RecoveryReport report;
    auto log = MustOpen(image.get(), c, &report);  // cuts at `end`
    CHECK(log->end_offset() == Offset(6));
    // Fill up so that the log rolls, leaving stale bytes after segment 0.
    while (log->Segments().size() < 3) {
      const std::string value(300, 'b');
      Record r = KV("n", value);
      REQUIRE(log->Append({&r, 1}).ok());
    }
  }
  for (auto kind : {CrashOptions::kProcessCrash}) {
    auto again = image->CrashImage({.kind = kind});
    RecoveryReport report;
    auto log = MustOpen(again.get(), c, &report);
    CHECK(report.segments_removed == 0);
    CHECK(log->Segments().size() >= 3);
    auto all = ReadAll(*log);
    REQUIRE(all.ok());
    CHECK(static_cast<int64_t>(all->size()) == log->end_offset().value());
  }
}

TEST_CASE("a flipped bit in a sealed segment is reported, never returned",
          "[recovery]") {
  FakeClock clock;
  MemEnv env(&clock);
  REQUIRE(env.CreateDir(kDir).ok());
  TopicConfig c = SmallSegments();
  {
    auto log = MustOpen(&env, c);
    AppendN(log.get(), 200);
    REQUIRE(log->Segments().size() > 3);
    REQUIRE(log->Close().ok());
  }
  auto probe = MustOpen(&env, c);
  auto sealed = probe->Segments()[1];
  std::string path = sealed->path();
  size_t middle = (format::kSegmentHeaderSize + sealed->end_position()) / 2;
  char byte = sealed->data()[middle];
  probe.reset();
  for (int bit = 0; bit < 8; ++bit) {
    auto image = env.CrashImage({.kind = CrashOptions::kProcessCrash});
    Patch(image.get(), path, middle,
          std::string(1, static_cast<char>(byte ^ (1 << bit))));
    auto log = PartitionLog::Open(image.get(), kDir, c);
    if (!log.ok()) {
      // Documented: detected at open when the segment has to be scanned.
      CHECK(absl::IsDataLoss(log.status()));
      continue;
    }
    // Documented: detected at read; records before the bad frame are fine.
    LogReader reader(log->get(), Offset(0));
    RecordView v;
    int64_t next = 0;
    absl::Status error;
    while (true) {
      auto got = reader.Next(&v, (*log)->end_offset());
      if (!got.ok()) {
        error = got.status();
        break;
      }
      if (!*got) break;
      REQUIRE(v.offset().value() == next);
      CHECK(v.key() ==
            std::optional<std::string_view>("k" + std::to_string(next)));
      CHECK(v.value() == std::optional<std::string_view>(ValueFor(next)));
      ++next;
    }
    CHECK(absl::IsDataLoss(error));
    CHECK(next < 200);
  }
}

TEST_CASE("power loss keeps every record acknowledged as durable",
          "[recovery]") {
  for (Durability d :
       {Durability::kEveryAppend, Durability::kInterval, Durability::kNone}) {
    for (uint64_t seed = 0; seed < 30; ++seed) {
      FakeClock clock;
      MemEnv env(&clock);
      REQUIRE(env.CreateDir(kDir).ok());
      REQUIRE(env.SyncDir("/").ok());
      TopicConfig c = SmallSegments(8192);
      c.durability = d;
      c.flush_messages = 7;
      auto log = MustOpen(&env, c);
      std::mt19937_64 rng(seed);
      int n = 20 + static_cast<int>(rng() % 150);
      for (int i = 0; i < n; ++i) {
        std::string k = "k" + std::to_string(i), v = ValueFor(i);
        Record r = KV(k, v, 1000 + i);
        REQUIRE(log->Append({&r, 1}).ok());
        if (d == Durability::kNone && rng() % 40 == 0)
          REQUIRE(log->Flush().ok());
      }
      int64_t durable = log->durable_end_offset().value();
      auto image =
          env.CrashImage({.kind = CrashOptions::kPowerLoss, .seed = seed});
      auto reopened = PartitionLog::Open(image.get(), kDir, c);
      INFO("durability " << static_cast<int>(d) << " seed " << seed << ": "
                         << reopened.status().ToString());
      REQUIRE(reopened.ok());
      int64_t end = (*reopened)->end_offset().value();
      CHECK(end >= durable);
      CHECK(end <= n);
      CheckPrefix(**reopened, static_cast<int>(end));
    }
  }
}

TEST_CASE("a failed sync makes the log fail-stop", "[recovery]") {
  FakeClock clock;
  MemEnv mem(&clock);
  FaultEnv env(&mem);
  REQUIRE(env.CreateDir(kDir).ok());
  TopicConfig c;
  c.durability = Durability::kEveryAppend;
  auto log = MustOpen(&env, c);
  Record r = KV("k", "v");
  REQUIRE(log->Append({&r, 1}).ok());
  env.FailOp(FaultEnv::Op::kRegionSync, true);
  auto failed = log->Append({&r, 1});
  CHECK(!failed.ok());
  env.FailOp(FaultEnv::Op::kRegionSync, false);
  // Sticky: no retry even though syncs work again.
  auto later = log->Append({&r, 1});
  CHECK(absl::IsFailedPrecondition(later.status()));
  CHECK(!log->Flush().ok());
  CHECK(!log->health().ok());
  CHECK(log->durable_end_offset() == Offset(1));
  // Readers still see what was appended.
  auto got = ReadAll(*log);
  REQUIRE(got.ok());
  CHECK(got->size() == 2);
}

TEST_CASE("a full disk at preallocation loses nothing", "[recovery]") {
  FakeClock clock;
  MemEnv mem(&clock);
  FaultEnv env(&mem);
  REQUIRE(env.CreateDir(kDir).ok());
  auto log = MustOpen(&env, SmallSegments());
  std::string value(300, 'd');
  int appended = 0;
  env.SetDiskFull(true);
  absl::Status status;
  for (int i = 0; i < 100; ++i) {
    Record r = KV("k", value);
    auto res = log->Append({&r, 1});
    if (!res.ok()) {
      status = res.status();
      break;
    }
    ++appended;
  }
  CHECK(absl::IsResourceExhausted(status));
  CHECK(appended > 0);
  CHECK(log->health().ok());
  auto got = ReadAll(*log);
  REQUIRE(got.ok());
  CHECK(got->size() == static_cast<size_t>(appended));
  env.SetDiskFull(false);
  Record r = KV("k", value);
  auto res = log->Append({&r, 1});
  REQUIRE(res.ok());
  CHECK(res->base_offset == Offset(appended));
}

}  // namespace
}  // namespace evlog
