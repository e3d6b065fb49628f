// Campaign 2: simulated power loss (docs/DURABILITY.md).
//
// A seeded workload (workload.h) runs on a MemEnv. A sync hook takes a
// crash image at every sync point, and more are taken at random points
// between operations. Each image is a power loss -- unsynced pages dropped,
// kept, torn or zero-filled (one mode per image in turn, then all mixed),
// unsynced directory changes forgotten -- or, one in five, a process crash.
// The workload itself also dies now and then (one operation in 16) and goes
// on from a process-crash image, so later images test what a recovered
// store promised. Each image is opened as a store and checked
// (workload_model.h):
//   * every record acknowledged as durable is there (for a process crash:
//     every acknowledged record), at its offset, intact;
//   * the log is a prefix of what was written: offsets contiguous, each
//     record the one written at its offset, no batch cut in two;
//   * nothing corrupt is returned;
//   * the topic set and the group's committed offsets are old or new.
// Seeds run one after another until EVLOG_RELIABILITY_STATES images were
// checked; a failure names its seed, which alone reproduces it:
//   EVLOG_RELIABILITY_SEED=<seed> EVLOG_RELIABILITY_STATES=1 evlog_tests
//   "[power_loss]"

#include <catch2/catch.hpp>
#include <deque>
#include <functional>
#include <memory>

#include "env/mem_env.h"
#include "reliability/workload.h"

namespace evlog::reliability {
namespace {

struct Image {
  std::unique_ptr<MemEnv> env;
  StoreModel model;  // what was known when it was taken
  CrashOptions options;
  uint64_t sync_point = 0;  // 0: between operations
  int op = 0;
};

CrashOptions Mode(uint64_t n, uint64_t seed) {
  CrashOptions c;
  c.seed = seed * 1000003 + n;
  if (n % 5 == 4) {
    c.kind = CrashOptions::kProcessCrash;
    return c;
  }
  c.kind = CrashOptions::kPowerLoss;
  switch ((n / 5) % 5) {
    case 0:
      c.allow_keep = c.allow_tear = c.allow_zero = false;
      break;  // drop
    case 1:
      c.allow_drop = c.allow_tear = c.allow_zero = false;
      break;  // keep
    case 2:
      c.allow_drop = c.allow_keep = c.allow_zero = false;
      break;  // tear
    case 3:
      c.allow_drop = c.allow_keep = c.allow_tear = false;
      break;  // zero
    default:
      break;  // mixed
  }
  return c;
}

std::string ModeName(const CrashOptions& c) {
  if (c.kind == CrashOptions::kProcessCrash) return "process-crash";
  int n = c.allow_drop + c.allow_keep + c.allow_tear + c.allow_zero;
  if (n > 1) return "power-loss/mixed";
  return c.allow_drop   ? "power-loss/drop"
         : c.allow_keep ? "power-loss/keep"
         : c.allow_tear ? "power-loss/tear"
                        : "power-loss/zero";
}

TEST_CASE("campaign 2: power loss at every sync point keeps what was durable",
          "[reliability][power_loss]") {
  const int64_t states = Param("STATES", 150);
  const int ops = static_cast<int>(Param("OPS", 60));
  const uint64_t first_seed = FirstSeed();
  Figures fig;
  fig.campaign = "power_loss";
  fig.seed = first_seed;
  int64_t by_kind[2] = {0, 0}, seeds = 0, sync_points = 0, process_crashes = 0,
          async_acked = 0;

  for (uint64_t seed = first_seed; fig.trials < states; ++seed) {
    ++seeds;
    FakeClock clock;
    std::unique_ptr<MemEnv> env = std::make_unique<MemEnv>(&clock);
    std::vector<std::unique_ptr<MemEnv>> dead;  // envs of crashed processes
    Workload w(env.get(), &clock, seed);
    std::deque<Image> pending;
    uint64_t n = 0;
    int op = 0;
    std::mt19937_64 rng(seed);
    std::function<void(const std::string&)> hook = [&](const std::string&) {
      ++sync_points;
      Image im;
      im.options = Mode(n++, seed);
      im.env = env->CrashImage(im.options);
      im.model = w.model();
      im.sync_point = env->sync_count();
      im.op = op;
      pending.push_back(std::move(im));
    };
    env->SetSyncHook(hook);
    for (op = 0; op < ops; ++op) {
      if (rng() % 16 == 0) {
        // The process dies and the workload goes on in a new one, on what
        // it left: later power losses must keep what the recovered store
        // reports durable.
        ++process_crashes;
        auto image = env->CrashImage({.kind = CrashOptions::kProcessCrash});
        env->SetSyncHook(nullptr);
        w.CrashProcess(image.get());
        dead.push_back(std::move(env));
        env = std::move(image);
        env->SetSyncHook(hook);
      }
      w.Step();
      if (rng() % 4 == 0) {  // a random point between operations
        Image im;
        im.options = Mode(n++, seed);
        im.env = env->CrashImage(im.options);
        im.model = w.model();
        im.op = op;
        pending.push_back(std::move(im));
      }
      while (!pending.empty()) {
        Image im = std::move(pending.front());
        pending.pop_front();
        ++fig.trials;
        ++by_kind[im.options.kind == CrashOptions::kPowerLoss];
        absl::StatusOr<std::unique_ptr<Store>> store;
        fig.recovery_us.push_back(TimeUs([&] {
          store =
              Store::Open(Workload::kDir, WorkloadStoreOptions(im.env.get()));
        }));
        INFO("reproduce: EVLOG_RELIABILITY_SEED="
             << seed << " EVLOG_RELIABILITY_STATES=1"
             << "; op " << im.op << ", sync point " << im.sync_point
             << ", image " << ModeName(im.options) << " seed "
             << im.options.seed);
        if (!store.ok()) {
          ++fig.errors;
          FAIL_CHECK("recovery failed: " << store.status());
          continue;
        }
        CheckResult r = CheckStore(**store, im.model,
                                   im.options.kind == CrashOptions::kPowerLoss);
        fig.records_checked += r.records_checked;
        fig.lost += r.lost;
        fig.corrupt += r.corrupt;
        fig.errors += r.errors;
        if (!r.problems.empty()) {
          std::string all;
          for (const auto& p : r.problems) all += "\n  " + p;
          FAIL_CHECK("the recovered store is wrong:" << all);
        }
        (*store)->Close().IgnoreError();
      }
    }
    env->SetSyncHook(nullptr);
    w.Close();
    fig.records_written += w.records_written();
    fig.records_acked += w.records_acked();
    async_acked += w.async_records_acked();
    INFO("seed " << seed);
    for (const auto& p : w.problems()) FAIL_CHECK(p);
    CHECK(w.failed_calls() == 0);  // no faults here: every call succeeds
  }
  fig.extra = "seeds=" + std::to_string(seeds) +
              " ops_per_seed=" + std::to_string(ops) +
              " sync_points=" + std::to_string(sync_points) +
              " power_loss_states=" + std::to_string(by_kind[1]) +
              " process_crash_states=" + std::to_string(by_kind[0]) +
              " workload_process_crashes=" + std::to_string(process_crashes) +
              " async_records_acked=" + std::to_string(async_acked);
  fig.Report();
}

}  // namespace
}  // namespace evlog::reliability
