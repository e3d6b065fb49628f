// Space that grows with data: sparse segments reserved a chunk at a time,
// a full disk at every capacity step, index checkpoints of the active
// segment, and crashes at every sync point of both.

#include <catch2/catch.hpp>
#include <string>

#include "env/mem_env.h"
#include "format/format.h"
#include "partition/log_test_util.h"
#include "partition/partition_log.h"
#include "storage/segment.h"

namespace evlog {
namespace {

using testing::KV;
using testing::ReadAll;

constexpr char kDir[] = "/log";
constexpr uint64_t kChunk = kSegmentChunkBytes;

TopicConfig BigSegments() {
  TopicConfig c;
  c.segment_bytes = 16 * kChunk;  // 16 MiB: many chunks per segment
  c.max_record_bytes = 64 << 10;
  return c;
}

std::unique_ptr<PartitionLog> MustOpen(Env* env, const TopicConfig& c,
                                       RecoveryReport* report = nullptr) {
  auto log = PartitionLog::Open(env, kDir, c, report);
  INFO(log.status().ToString());
  REQUIRE(log.ok());
  return *std::move(log);
}

TEST_CASE("an empty partition reserves one chunk, not a segment",
          "[partition][space]") {
  MemEnv env;
  REQUIRE(env.CreateDir(kDir).ok());
  REQUIRE(env.SyncDir("/").ok());
  TopicConfig c = BigSegments();
  auto log = MustOpen(&env, c);
  // One chunk plus the small EPOCH file, although the segment's file has
  // its full size.
  CHECK(env.UsedBytes() <= kChunk + 4096);
  auto size = env.GetFileSize(log->Segments().back()->path());
  REQUIRE(size.ok());
  CHECK(*size == c.segment_bytes);
  // Appends reserve more, a chunk at a time, ahead of what they write.
  std::string value(60 << 10, 'v');
  Record r = KV("k", value);
  for (int i = 0; i < 40; ++i) REQUIRE(log->Append({&r, 1}).ok());
  auto seg = log->Segments().back();
  CHECK(seg->reserved_end() >= seg->end_position());
  CHECK(seg->reserved_end() % kChunk == 0);
  CHECK(seg->reserved_end() < seg->end_position() + 2 * kChunk);
  CHECK(env.UsedBytes() < seg->end_position() + 2 * kChunk + 4096);
}

TEST_CASE("a full disk fails the append that needs a new chunk, at every step",
          "[partition][space]") {
  // For each capacity, append until the disk is full: the failing append
  // writes nothing, everything before it stays readable and durable, and
  // once space is freed appends go on.
  std::string value(50 << 10, 'v');
  for (uint64_t chunks = 1; chunks <= 6; ++chunks) {
    CAPTURE(chunks);
    MemEnv env;
    REQUIRE(env.CreateDir(kDir).ok());
    REQUIRE(env.SyncDir("/").ok());
    TopicConfig c = BigSegments();
    c.durability = Durability::kEveryAppend;
    auto log = MustOpen(&env, c);
    env.SetCapacityBytes(env.UsedBytes() + (chunks - 1) * kChunk);
    int64_t acked = 0;
    absl::Status failure;
    for (int i = 0; i < 200 && failure.ok(); ++i) {
      const std::string key = "k" + std::to_string(i);
      Record r = KV(key, value);
      auto res = log->Append({&r, 1});
      if (res.ok()) {
        ++acked;
      } else {
        failure = res.status();
      }
    }
    REQUIRE(failure.code() == absl::StatusCode::kResourceExhausted);
    CHECK(acked > 0);
    CHECK(log->end_offset() == Offset(acked));
    CHECK(log->health().ok());  // not fail-stop: space may come back
    {
      auto all = ReadAll(*log);
      REQUIRE(all.ok());
      CHECK(all->size() == static_cast<size_t>(acked));
    }
    // A power loss now keeps every acknowledged record.
    auto image =
        env.CrashImage({.kind = CrashOptions::kPowerLoss, .seed = chunks});
    image->SetCapacityBytes(~uint64_t{0});
    {
      auto reopened = MustOpen(image.get(), c);
      CHECK(reopened->end_offset() == Offset(acked));
    }
    // Space freed: the next append succeeds.
    env.SetCapacityBytes(~uint64_t{0});
    Record r = KV("after", value);
    auto res = log->Append({&r, 1});
    REQUIRE(res.ok());
    CHECK(res->base_offset == Offset(acked));
  }
}

TEST_CASE("the active segment's index is checkpointed as it grows",
          "[partition][space]") {
  MemEnv env;
  REQUIRE(env.CreateDir(kDir).ok());
  REQUIRE(env.SyncDir("/").ok());
  TopicConfig c = BigSegments();
  c.segment_bytes = 64 * kChunk;
  c.durability = Durability::kEveryAppend;
  auto log = MustOpen(&env, c);
  std::string value(32 << 10, 'c');
  const std::string index = log->Segments().back()->index_path();
  int n = 0;
  while (log->Segments().back()->end_position() < 3 * kIndexCheckpointBytes) {
    Record r = KV("k", value);
    REQUIRE(log->Append({&r, 1}).ok());
    ++n;
  }
  REQUIRE(log->Segments().size() == 1);
  CHECK(env.FileExists(index));
  {
    size_t end = 0;
    Offset next;
    bool sealed = true;
    auto seg = Segment::Open(&env, log->Segments().back()->path(), false, 4096);
    REQUIRE(seg.ok());
    CHECK((*seg)->LoadIndex(&env, &end, &next, &sealed));
    CHECK_FALSE(sealed);
  }
  // A crash now (no clean close) rescans at most one checkpoint interval
  // plus a frame, not the whole segment.
  for (auto kind : {CrashOptions::kProcessCrash, CrashOptions::kPowerLoss}) {
    auto image = env.CrashImage({.kind = kind, .seed = 5});
    RecoveryReport report;
    auto reopened = MustOpen(image.get(), c, &report);
    CHECK(reopened->end_offset() == Offset(n));
    CHECK(report.bytes_scanned <=
          static_cast<int64_t>(kIndexCheckpointBytes + 2 * value.size()));
    auto all = ReadAll(*reopened);
    REQUIRE(all.ok());
    CHECK(all->size() == static_cast<size_t>(n));
  }
}

TEST_CASE("kNone topics are checkpointed by maintenance",
          "[partition][space]") {
  FakeClock clock;
  MemEnv env(&clock);
  REQUIRE(env.CreateDir(kDir).ok());
  REQUIRE(env.SyncDir("/").ok());
  TopicConfig c = BigSegments();
  c.segment_bytes = 64 * kChunk;
  auto log = MustOpen(&env, c);
  std::string value(32 << 10, 'n');
  while (log->Segments().back()->end_position() < 2 * kIndexCheckpointBytes) {
    Record r = KV("k", value);
    REQUIRE(log->Append({&r, 1}).ok());
  }
  const std::string index = log->Segments().back()->index_path();
  CHECK_FALSE(env.FileExists(index));
  REQUIRE(log->Tick().ok());
  CHECK(env.FileExists(index));
  CHECK(log->durable_end_offset() == log->end_offset());
}

TEST_CASE("power loss at every sync point of chunk growth and checkpoints",
          "[partition][space][crash]") {
  // kEveryAppend appends crossing chunk boundaries and checkpoints; at each
  // sync, images of every kind must recover every record acknowledged
  // before that sync, and only records that were appended.
  MemEnv env;
  REQUIRE(env.CreateDir(kDir).ok());
  REQUIRE(env.SyncDir("/").ok());
  TopicConfig c = BigSegments();
  c.segment_bytes = 2 * kChunk;
  c.durability = Durability::kEveryAppend;
  auto log = MustOpen(&env, c);
  std::string value(60 << 10, 'p');
  int64_t acked = 0;
  int images = 0;
  env.SetSyncHook([&](const std::string&) {
    const int64_t durable_before = acked;
    for (uint64_t seed = 0; seed < 2; ++seed) {
      CrashOptions o{.kind = seed == 0 ? CrashOptions::kProcessCrash
                                       : CrashOptions::kPowerLoss,
                     .seed = seed + static_cast<uint64_t>(images)};
      auto image = env.CrashImage(o);
      auto reopened = PartitionLog::Open(image.get(), kDir, c);
      INFO(reopened.status().ToString());
      REQUIRE(reopened.ok());
      const int64_t end = (*reopened)->end_offset().value();
      CHECK(end >= durable_before);
      CHECK(end <= durable_before + 1);  // at most the one being synced
      auto all = ReadAll(**reopened);
      REQUIRE(all.ok());
      for (const auto& rec : *all) CHECK(rec.value == value);
      ++images;
    }
  });
  while (log->Segments().size() < 3) {
    Record r = KV("k", value);
    auto res = log->Append({&r, 1});
    INFO(res.status().ToString());
    REQUIRE(res.ok());
    ++acked;
  }
  env.SetSyncHook(nullptr);
  CHECK(images > 30);
}

}  // namespace
}  // namespace evlog
