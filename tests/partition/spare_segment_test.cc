// Spare segments: prepared off the append path, adopted by the roll, and
// safe across crashes.

#include <catch2/catch.hpp>

#include "env/mem_env.h"
#include "partition/log_test_util.h"
#include "partition/partition_log.h"

namespace evlog {
namespace {

using testing::KV;
using testing::ReadAll;
using testing::SmallSegments;

TEST_CASE("a requested spare becomes the next segment", "[partition]") {
  MemEnv env;
  REQUIRE(env.CreateDir("/log").ok());
  REQUIRE(env.SyncDir("/").ok());
  auto opened = PartitionLog::Open(&env, "/log", SmallSegments(8192));
  REQUIRE(opened.ok());
  PartitionLog* log = opened->get();
  int requests = 0;
  log->SetSpareRequester([&] { ++requests; });
  std::string value(300, 's');
  Record r = KV("k", value);
  // The first append to a segment that was not prefaulted asks for one.
  REQUIRE(log->Append({&r, 1}).ok());
  CHECK(requests == 1);
  // No second request until the roll, even past half full.
  while (log->Segments().back()->end_position() * 2 <= 8192) {
    REQUIRE(log->Append({&r, 1}).ok());
  }
  REQUIRE(log->Append({&r, 1}).ok());
  CHECK(requests == 1);
  REQUIRE(log->PrepareSpare().ok());
  REQUIRE(log->PrepareSpare().ok());  // idempotent
  CHECK(env.FileExists("/log/spare.log.tmp"));
  int64_t before_roll = log->end_offset().value();
  while (log->Segments().size() == 1) {
    REQUIRE(log->Append({&r, 1}).ok());
  }
  // A log that fills segments asks for the next spare right after a roll.
  CHECK(requests == 2);
  REQUIRE(log->Append({&r, 1}).ok());
  CHECK(requests == 2);
  CHECK(!env.FileExists("/log/spare.log.tmp"));
  CHECK(log->Segments().back()->base_offset().value() > before_roll);
  int64_t n = log->end_offset().value();

  SECTION(
      "crash before any sync: the adopted segment's zero header is dropped") {
    auto image = env.CrashImage({.kind = CrashOptions::kPowerLoss,
                                 .seed = 1,
                                 .allow_keep = false,
                                 .allow_tear = false,
                                 .allow_zero = false});
    RecoveryReport report;
    auto reopened =
        PartitionLog::Open(image.get(), "/log", SmallSegments(8192), &report);
    INFO(reopened.status().ToString());
    REQUIRE(reopened.ok());
    auto got = ReadAll(**reopened);
    REQUIRE(got.ok());
    CHECK(got->size() <= static_cast<size_t>(n));
    for (size_t i = 0; i < got->size(); ++i) CHECK((*got)[i].value == value);
  }
  SECTION("after a flush everything survives a power loss") {
    REQUIRE(log->Flush().ok());
    auto image = env.CrashImage({.kind = CrashOptions::kPowerLoss, .seed = 2});
    auto reopened =
        PartitionLog::Open(image.get(), "/log", SmallSegments(8192));
    INFO(reopened.status().ToString());
    REQUIRE(reopened.ok());
    CHECK((*reopened)->end_offset().value() == n);
    auto got = ReadAll(**reopened);
    REQUIRE(got.ok());
    CHECK(got->size() == static_cast<size_t>(n));
  }
  SECTION("close removes an unused spare") {
    // A spare is made once the active segment is half full (before that,
    // PrepareSpare only reserves and prefaults the active segment's next
    // chunk: an idle log holds no second segment's space).
    REQUIRE(log->PrepareSpare().ok());
    CHECK(!env.FileExists("/log/spare.log.tmp"));
    while (log->Segments().back()->end_position() * 2 <= 8192) {
      REQUIRE(log->Append({&r, 1}).ok());
    }
    REQUIRE(log->PrepareSpare().ok());
    CHECK(env.FileExists("/log/spare.log.tmp"));
    REQUIRE(log->Close().ok());
    CHECK(!env.FileExists("/log/spare.log.tmp"));
  }
}

TEST_CASE("without a prepared spare, every roll asks again", "[partition]") {
  MemEnv env;
  REQUIRE(env.CreateDir("/log").ok());
  auto opened = PartitionLog::Open(&env, "/log", SmallSegments(8192));
  REQUIRE(opened.ok());
  PartitionLog* log = opened->get();
  int requests = 0;
  log->SetSpareRequester([&] { ++requests; });
  const std::string value(300, 's');
  Record r = KV("k", value);
  while (log->Segments().size() < 5) REQUIRE(log->Append({&r, 1}).ok());
  // One request per segment: the requests were not served, so each new
  // (cold) segment asks once, and never once per append.
  CHECK(requests == 5);
  for (int i = 0; i < 3; ++i) REQUIRE(log->Append({&r, 1}).ok());
  CHECK(requests == 5);
}

}  // namespace
}  // namespace evlog
