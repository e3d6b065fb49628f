// Crash safety of compaction: a power loss or process crash at every sync
// of a pass (MemEnv crash images taken from the sync hook), and a failure of
// every single Env operation of a pass (FaultEnv), each followed by a
// reopen. After each: every segment is wholly old or wholly compacted, no
// latest value is missing or duplicated, nothing is left behind.

#include <catch2/catch.hpp>
#include <map>

#include "compaction/compaction_test_util.h"
#include "compaction/compactor.h"
#include "env/fault_env.h"
#include "env/mem_env.h"

namespace evlog {
namespace {

using testing::CheckAgainstHistory;
using testing::History;
using testing::OwnedRecord;
using testing::ReadAll;
using testing::RecordHolder;

constexpr int64_t kMinute = 60 * 1000;
const std::string kDir = "/log";

TopicConfig Config() {
  TopicConfig c = testing::SmallSegments(4096);
  c.cleanup_policy = CleanupPolicy::kCompact;
  c.delete_retention_ms = kMinute;
  return c;
}

std::unique_ptr<PartitionLog> MustOpen(Env* env) {
  auto log = PartitionLog::Open(env, kDir, Config());
  INFO(log.status().ToString());
  REQUIRE(log.ok());
  return *std::move(log);
}

// Records per segment base: what a segment holds, by base offset.
using SegmentContents = std::map<int64_t, std::vector<OwnedRecord>>;

SegmentContents Contents(const PartitionLog& log) {
  SegmentContents out;
  auto all = ReadAll(log);
  REQUIRE(all.ok());
  auto segments = log.Segments();
  for (size_t i = 0; i < segments.size(); ++i) {
    int64_t base = segments[i]->base_offset().value();
    int64_t end = i + 1 < segments.size()
                      ? segments[i + 1]->base_offset().value()
                      : INT64_MAX;
    auto& v = out[base];
    for (const OwnedRecord& r : *all) {
      if (r.offset >= base && r.offset < end) v.push_back(r);
    }
  }
  return out;
}

// A log with overwritten keys and tombstones in several closed segments,
// all of it durable, and the compacted contents it must reach.
struct Scenario {
  FakeClock clock;
  MemEnv env{&clock};
  History h;
  SegmentContents before, after;
  int64_t active_base = 0;

  Scenario() {
    REQUIRE(env.CreateDir(kDir).ok());
    REQUIRE(env.SyncDir("/").ok());
    auto log = MustOpen(&env);
    std::string pad(100, 'p');
    int64_t t = clock.NowMs();
    for (int i = 0; i < 90; ++i) {
      RecordHolder r;
      r.key = "k" + std::to_string(i % 12);
      if (i % 17 != 5) r.value = pad + std::to_string(i);  // some tombstones
      r.ts = t;
      h.Append(log.get(), {r});
    }
    REQUIRE(log->Flush().ok());
    REQUIRE(log->Segments().size() >= 4);
    before = Contents(*log);
    active_base = log->Segments().back()->base_offset().value();
    REQUIRE(log->Close().ok());
    clock.AdvanceMs(2 * kMinute);  // tombstones are removable
    // The expected outcome, computed on a copy.
    auto copy = env.CrashImage({.kind = CrashOptions::kProcessCrash});
    auto clog = MustOpen(copy.get());
    auto stats = CompactLog(copy.get(), clog.get(), clock.NowMs());
    REQUIRE(stats.ok());
    REQUIRE(stats->segments_rewritten >= 3);
    REQUIRE(stats->tombstones_removed > 0);
    after = Contents(*clog);
  }

  // Opens `env` as after a crash and checks everything.
  void CheckRecovered(Env* e) {
    auto log = MustOpen(e);
    auto all = ReadAll(*log);
    REQUIRE(all.ok());
    CheckAgainstHistory(h, *all, active_base);
    SegmentContents now = Contents(*log);
    REQUIRE(now.size() == before.size());
    int compacted = 0;
    for (const auto& [base, records] : now) {
      INFO("segment " << base);
      bool old_one = records == before.at(base);
      bool new_one = records == after.at(base);
      CHECK((old_one || new_one));
      compacted += new_one && !old_one;
    }
    auto names = e->ListDir(kDir);
    REQUIRE(names.ok());
    for (const std::string& n : *names) {
      INFO(n);
      CHECK(n.find(".cleaned") == std::string::npos);
      CHECK(n.find(".tmp") == std::string::npos);
    }
    // The interrupted pass can be finished.
    auto stats = CompactLog(e, log.get(), clock.NowMs());
    REQUIRE(stats.ok());
    CHECK(Contents(*log) == after);
  }
};

TEST_CASE("a crash at every sync of a compaction leaves old or new segments",
          "[compaction][crash]") {
  Scenario sc;
  auto env = sc.env.CrashImage({.kind = CrashOptions::kProcessCrash});
  auto log = MustOpen(env.get());
  std::vector<std::unique_ptr<MemEnv>> images;
  uint64_t seed = 0;
  env->SetSyncHook([&](const std::string&) {
    images.push_back(env->CrashImage({.kind = CrashOptions::kProcessCrash}));
    images.push_back(
        env->CrashImage({.kind = CrashOptions::kPowerLoss, .seed = ++seed}));
    images.push_back(env->CrashImage({.kind = CrashOptions::kPowerLoss,
                                      .seed = ++seed,
                                      .allow_keep = false}));
  });
  auto stats = CompactLog(env.get(), log.get(), sc.clock.NowMs());
  env->SetSyncHook(nullptr);
  REQUIRE(stats.ok());
  CHECK(Contents(*log) == sc.after);
  REQUIRE(images.size() >= 3 * 5 * 3);  // several syncs per rewritten segment
  for (size_t i = 0; i < images.size(); ++i) {
    INFO("image " << i);
    sc.CheckRecovered(images[i].get());
  }
}

TEST_CASE("a failure of any operation of a compaction is recovered from",
          "[compaction][crash]") {
  Scenario sc;
  for (bool persistent : {true, false}) {
    bool finished = false;
    for (uint64_t k = 1; !finished; ++k) {
      INFO("persistent " << persistent << ", failing operation " << k);
      auto env = sc.env.CrashImage({.kind = CrashOptions::kProcessCrash});
      std::unique_ptr<MemEnv> image;
      {
        FaultEnv fault(env.get());
        auto log = MustOpen(&fault);
        fault.Reset();
        fault.FailAfter(k, persistent);
        auto stats = CompactLog(&fault, log.get(), sc.clock.NowMs());
        finished = fault.injected_count() == 0;
        if (finished) {
          REQUIRE(stats.ok());
        } else if (stats.ok()) {
          // A failure the pass tolerates (a lost index file): still complete.
          CHECK(Contents(*log) == sc.after);
        }
        // Power loss right after the failure, before the log is closed.
        image = env->CrashImage({.kind = CrashOptions::kPowerLoss, .seed = k});
      }
      sc.CheckRecovered(env.get());  // the process died after closing
      sc.CheckRecovered(image.get());
      REQUIRE(k < 1000);
    }
  }
}

}  // namespace
}  // namespace evlog
