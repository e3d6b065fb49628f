// Recovery edge cases: interrupted rolls, unsealed segments torn by a crash,
// index files that claim more than the log holds, and what an index restores.

#include <catch2/catch.hpp>

#include "env/mem_env.h"
#include "format/format.h"
#include "partition/log_test_util.h"
#include "partition/partition_log.h"
#include "storage/epoch_file.h"

namespace evlog {
namespace {

using testing::KV;
using testing::ReadAll;
using testing::SmallSegments;

const std::string kDir = "/log";

void Patch(Env* env, const std::string& path, size_t pos,
           std::string_view bytes) {
  auto region = env->MapFile(path, true);
  REQUIRE(region.ok());
  std::memcpy((*region)->data() + pos, bytes.data(), bytes.size());
}

// Appends `n` records of ~200 bytes; returns the values.
std::vector<std::string> Fill(PartitionLog* log, int n) {
  std::vector<std::string> values;
  for (int i = 0; i < n; ++i) {
    values.push_back(std::to_string(i) + std::string(200, 'f'));
    Record r = KV("k", values.back());
    REQUIRE(log->Append({&r, 1}).ok());
  }
  return values;
}

void CheckPrefixOf(const PartitionLog& log,
                   const std::vector<std::string>& values) {
  auto got = ReadAll(log);
  REQUIRE(got.ok());
  REQUIRE(got->size() <= values.size());
  for (size_t i = 0; i < got->size(); ++i) {
    CHECK((*got)[i].offset == static_cast<int64_t>(i));
    CHECK((*got)[i].value == values[i]);
  }
}

TEST_CASE(
    "an interrupted roll's all-zero segment is removed; a damaged header is "
    "not",
    "[recovery]") {
  MemEnv env;
  REQUIRE(env.CreateDir(kDir).ok());
  std::vector<std::string> values;
  {
    auto log = PartitionLog::Open(&env, kDir, SmallSegments());
    REQUIRE(log.ok());
    values = Fill(log->get(), 10);
    REQUIRE((*log)->Close().ok());
  }
  std::string next = kDir + "/" + std::string(20 - 2, '0') + "10.log";
  SECTION("all-zero header: removed") {
    REQUIRE(env.AllocateFile(next, 4096).ok());
    RecoveryReport report;
    auto log = PartitionLog::Open(&env, kDir, SmallSegments(), &report);
    REQUIRE(log.ok());
    CHECK(report.segments_removed == 1);
    CHECK(!env.FileExists(next));
    CheckPrefixOf(**log, values);
    CHECK((*log)->end_offset() == Offset(10));
  }
  SECTION("damaged header: kDataLoss") {
    auto log = PartitionLog::Open(&env, kDir, SmallSegments());
    REQUIRE(log.ok());
    std::string path = (*log)->Segments().back()->path();
    log->reset();
    Patch(&env, path, 3, "X");
    CHECK(absl::IsDataLoss(
        PartitionLog::Open(&env, kDir, SmallSegments()).status()));
    CHECK(env.FileExists(path));
  }
  SECTION("the only segment, all zeros: recreated empty") {
    MemEnv fresh;
    REQUIRE(fresh.CreateDir(kDir).ok());
    // A log makes its EPOCH before its first segment.
    REQUIRE(BumpEpoch(&fresh, kDir, /*must_exist=*/false).ok());
    REQUIRE(fresh.AllocateFile(kDir + "/" + std::string(20, '0') + ".log", 4096)
                .ok());
    auto log = PartitionLog::Open(&fresh, kDir, SmallSegments());
    REQUIRE(log.ok());
    CHECK((*log)->end_offset() == Offset(0));
  }
}

TEST_CASE("a torn unsealed segment cuts the log and removes later segments",
          "[recovery]") {
  MemEnv env;
  REQUIRE(env.CreateDir(kDir).ok());
  auto log = PartitionLog::Open(&env, kDir, SmallSegments());
  REQUIRE(log.ok());
  std::vector<std::string> values = Fill(log->get(), 60);
  auto segments = (*log)->Segments();
  REQUIRE(segments.size() >= 4);
  // Nothing was flushed: every rolled segment is unsealed (no index file).
  CHECK(!env.FileExists(segments[1]->index_path()));
  auto image = env.CrashImage({.kind = CrashOptions::kProcessCrash});
  // Tear segment 1 in its middle.
  size_t middle =
      (format::kSegmentHeaderSize + segments[1]->end_position()) / 2;
  Patch(image.get(), segments[1]->path(), middle, "\xAA\xBB");
  RecoveryReport report;
  auto reopened =
      PartitionLog::Open(image.get(), kDir, SmallSegments(), &report);
  REQUIRE(reopened.ok());
  CHECK(report.segments_removed == static_cast<int64_t>(segments.size() - 2));
  CHECK(report.detail.find("unsealed") != std::string::npos);
  CHECK((*reopened)->Segments().size() == 2);
  CHECK((*reopened)->end_offset() < segments[2]->base_offset());
  CHECK((*reopened)->end_offset() > segments[1]->base_offset() - 1);
  CheckPrefixOf(**reopened, values);
  CHECK(!image->FileExists(segments[2]->path()));
  // Appends continue right after the cut.
  Record r = KV("after", "cut");
  auto res = (*reopened)->Append({&r, 1});
  REQUIRE(res.ok());
  CHECK(res->base_offset == (*reopened)->end_offset() - 1);
}

TEST_CASE("an unsealed segment that ends early is cut too", "[recovery]") {
  MemEnv env;
  REQUIRE(env.CreateDir(kDir).ok());
  auto log = PartitionLog::Open(&env, kDir, SmallSegments());
  REQUIRE(log.ok());
  std::vector<std::string> values = Fill(log->get(), 40);
  auto segments = (*log)->Segments();
  REQUIRE(segments.size() >= 3);
  auto image = env.CrashImage({.kind = CrashOptions::kProcessCrash});
  // Zero the last frame of segment 0: it now ends cleanly but short of
  // segment 1's base offset.
  size_t end = segments[0]->end_position();
  Patch(image.get(), segments[0]->path(), end - 200, std::string(200, '\0'));
  RecoveryReport report;
  auto reopened =
      PartitionLog::Open(image.get(), kDir, SmallSegments(), &report);
  REQUIRE(reopened.ok());
  CHECK((*reopened)->Segments().size() == 1);
  CHECK((*reopened)->end_offset() < segments[1]->base_offset());
  CheckPrefixOf(**reopened, values);
}

TEST_CASE("a sealed segment shorter than its index is kDataLoss",
          "[recovery]") {
  MemEnv env;
  REQUIRE(env.CreateDir(kDir).ok());
  std::vector<std::shared_ptr<Segment>> segments;
  {
    auto log = PartitionLog::Open(&env, kDir, SmallSegments());
    REQUIRE(log.ok());
    Fill(log->get(), 40);
    REQUIRE((*log)->Close().ok());  // seals and indexes everything
    segments = (*log)->Segments();
  }
  REQUIRE(segments.size() >= 3);
  CHECK(env.FileExists(segments[0]->index_path()));
  size_t end = segments[0]->end_position();
  Patch(&env, segments[0]->path(), end - 100, std::string(100, '\0'));
  auto reopened = PartitionLog::Open(&env, kDir, SmallSegments());
  CHECK(absl::IsDataLoss(reopened.status()));
}

TEST_CASE("an index restores the true max timestamp", "[recovery]") {
  MemEnv env;
  REQUIRE(env.CreateDir(kDir).ok());
  TopicConfig c = SmallSegments(64 << 10);
  c.index_interval_bytes = 1000;  // most batches are not indexed
  int64_t max_ts = 0;
  {
    auto log = PartitionLog::Open(&env, kDir, c);
    REQUIRE(log.ok());
    for (int i = 0; i < 100; ++i) {
      int64_t ts = (i % 10 == 3) ? 5000 + i : 10 + i;  // peaks between entries
      max_ts = std::max(max_ts, ts);
      std::string v(150, 'v');
      Record r = KV("k", v, ts);
      REQUIRE((*log)->Append({&r, 1}).ok());
    }
    REQUIRE((*log)->Close().ok());
  }
  auto log = PartitionLog::Open(&env, kDir, c);
  REQUIRE(log.ok());
  CHECK((*log)->Segments().back()->max_timestamp() == max_ts);
  auto o = (*log)->OffsetForTimestamp(max_ts);
  REQUIRE(o.ok());
  CHECK(o->value() == 93);
}

}  // namespace
}  // namespace evlog
