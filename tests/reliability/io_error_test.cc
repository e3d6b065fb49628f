// Campaign 3: I/O errors (docs/DURABILITY.md).
//
// The seeded workload of campaign 2 (open, topic create/delete/add
// partitions, sends with rolls in every durability mode, batches, flushes,
// maintenance, group commits, clean reopens) runs on a FaultEnv over a
// MemEnv. First without faults, to count its operations N; then once for
// every k = 1..N with operation k failing -- once, and from k on
// (persistent) -- like SQLite's I/O-error loop. Every failure must surface
// as an error status: never an abort, a SIGBUS or a hang (the loop would
// not finish). Afterwards the store is reopened on the underlying MemEnv
// without faults and checked (workload_model.h): as the process left it,
// every acknowledged record is there; after a power loss, every record
// acknowledged as durable; nothing corrupt; topics and committed offsets
// old or new. A disk-full loop does the same with MemEnv::SetCapacityBytes
// at every capacity step.
//
// Reproduce one point: EVLOG_RELIABILITY_SEED=<seed> and the k printed.

#include <catch2/catch.hpp>
#include <memory>

#include "env/fault_env.h"
#include "env/mem_env.h"
#include "reliability/workload.h"

namespace evlog::reliability {
namespace {

// Reopens `base` (as left, and after a power loss) and checks it against
// the workload's model. Adds to `fig`; returns the problems found.
std::vector<std::string> VerifyAfter(MemEnv& base, const Workload& w,
                                     uint64_t image_seed, Figures* fig) {
  std::vector<std::string> problems;
  // The power-loss image first: the check of the other view writes.
  std::unique_ptr<MemEnv> image =
      base.CrashImage({.kind = CrashOptions::kPowerLoss, .seed = image_seed});
  for (int power_loss = 0; power_loss < 2; ++power_loss) {
    MemEnv* env = power_loss ? image.get() : &base;
    const char* view = power_loss ? "after a power loss: " : "as left: ";
    absl::StatusOr<std::unique_ptr<Store>> store;
    fig->recovery_us.push_back(TimeUs([&] {
      store = Store::Open(Workload::kDir, WorkloadStoreOptions(env));
    }));
    if (!store.ok()) {
      ++fig->errors;
      problems.push_back(view + std::string("reopen failed: ") +
                         store.status().ToString());
      continue;
    }
    CheckResult r = CheckStore(**store, w.model(), power_loss == 1);
    fig->records_checked += r.records_checked;
    fig->lost += r.lost;
    fig->corrupt += r.corrupt;
    fig->errors += r.errors;
    for (const auto& p : r.problems) problems.push_back(view + p);
    // The recovered store takes new records.
    auto producer = (*store)->NewProducer();
    if (producer.ok() && !(*store)->ListTopics().empty()) {
      std::string t = (*store)->ListTopics().front();
      auto sent = (*producer)->Send(t, {.key = "after", .value = "recovery"});
      if (!sent.ok())
        problems.push_back(view + std::string("append after recovery: ") +
                           sent.status().ToString());
    }
    producer->reset();
    (*store)->Close().IgnoreError();
  }
  return problems;
}

TEST_CASE("campaign 3: the k-th I/O operation fails, for every k",
          "[reliability][io_error]") {
  const uint64_t seed = FirstSeed();
  const int ops = static_cast<int>(Param("IO_OPS", 40));
  Figures fig;
  fig.campaign = "io_error";
  fig.seed = seed;

  uint64_t n = 0;
  {
    FakeClock clock;
    MemEnv base(&clock);
    FaultEnv fault(&base);
    Workload w(&fault, &clock, seed);
    w.Run(ops);
    w.Close();
    n = fault.op_count();
    REQUIRE(w.failed_calls() == 0);
    REQUIRE(w.problems().empty());
  }
  REQUIRE(n > 50);
  int64_t surfaced = 0, injected_points = 0;
  for (int persistent = 0; persistent < 2; ++persistent) {
    for (uint64_t k = 1; k <= n + 1; ++k) {
      FakeClock clock;
      MemEnv base(&clock);
      FaultEnv fault(&base);
      fault.FailAfter(k, persistent == 1);
      Workload w(&fault, &clock, seed);
      w.Run(ops);
      w.Close();
      ++fig.trials;
      fig.records_written += w.records_written();
      fig.records_acked += w.records_acked();
      if (fault.injected_count() > 0) ++injected_points;
      if (w.failed_calls() > 0) ++surfaced;
      INFO("reproduce: EVLOG_RELIABILITY_SEED="
           << seed << ", operation k=" << k << " fails "
           << (persistent ? "persistently" : "once") << " (of " << n << ")");
      for (const auto& p : w.problems())
        FAIL_CHECK("during the workload: " << p);
      auto problems = VerifyAfter(base, w, seed * 7919 + k, &fig);
      for (const auto& p : problems) FAIL_CHECK(p);
    }
  }
  fig.extra = "operations=" + std::to_string(n) +
              " ops_per_run=" + std::to_string(ops) +
              " fault_points_hit=" + std::to_string(injected_points) +
              " runs_with_surfaced_errors=" + std::to_string(surfaced);
  fig.Report();
}

TEST_CASE("campaign 3: a full disk at every capacity step",
          "[reliability][io_error]") {
  const uint64_t seed = FirstSeed();
  const int ops = static_cast<int>(Param("IO_OPS", 40));
  Figures fig;
  fig.campaign = "disk_full";
  fig.seed = seed;
  uint64_t used = 0;
  {
    FakeClock clock;
    MemEnv base(&clock);
    Workload w(&base, &clock, seed);
    w.Run(ops);
    w.Close();
    used = base.UsedBytes();
  }
  REQUIRE(used > 4096);
  int64_t full_errors = 0, usable_after = 0;
  const uint64_t step = std::max<uint64_t>(1024, used / 64);
  for (uint64_t cap = 0; cap <= used + step; cap += step) {
    FakeClock clock;
    MemEnv base(&clock);
    base.SetCapacityBytes(cap);
    Workload w(&base, &clock, seed);
    w.Run(ops);
    ++fig.trials;
    full_errors += w.failed_calls();
    // Space comes back: the same store goes on (or, if it could not even
    // open, a new one opens).
    base.SetCapacityBytes(UINT64_MAX);
    const int64_t failed_before = w.failed_calls();
    w.Run(ops / 2);
    if (w.failed_calls() == failed_before) ++usable_after;
    w.Close();
    fig.records_written += w.records_written();
    fig.records_acked += w.records_acked();
    INFO("reproduce: EVLOG_RELIABILITY_SEED=" << seed << ", capacity " << cap
                                              << " bytes");
    for (const auto& p : w.problems()) FAIL_CHECK("during the workload: " << p);
    for (const auto& p : VerifyAfter(base, w, seed * 104729 + cap, &fig))
      FAIL_CHECK(p);
  }
  fig.extra = "bytes_used_unlimited=" + std::to_string(used) +
              " capacity_step=" + std::to_string(step) +
              " disk_full_errors=" + std::to_string(full_errors) +
              " runs_all_ok_after_space_freed=" + std::to_string(usable_after);
  fig.Report();
}

}  // namespace
}  // namespace evlog::reliability
