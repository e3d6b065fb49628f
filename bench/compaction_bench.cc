// bench/compaction_bench.cc: retention and compaction (docs/PERFORMANCE.md,
// section "Retention and compaction").
//
// Scenarios, each next to its baseline in the same process:
//   BM_Log_AppendKeyed       the producer: PartitionLog::Append of 1000-record
//                            batches of 16-byte keys cycling over 10k keys,
//                            100-byte values (the rate compaction must beat)
//   BM_Compaction_1M         one CompactLog pass over a partition of 1M such
//                            records in 16 MiB segments (setup untimed);
//                            items = records read by the pass; on disk and
//                            in a MemEnv (CPU cost without I/O waits)
//   BM_Retention_PlanNoop    PlanRetention over 10k segments when nothing is
//                            due: the cost of every maintenance round
//   BM_Retention_Sweep       ApplyRetention deleting 1000 closed segments of
//                            64 KiB at once (setup untimed); items = segments
//
// Data goes to a ScratchDir on the real file system (bench_util.h).
//
// Compaction keeps up when a pass reads records faster than the producer
// appends them. bench/ratio_table.py prints that ratio (BM_Compaction_1M
// records/s over BM_Log_AppendKeyed records/s, medians of the same run, on
// wall and on CPU time) from the JSON output:
//
//   evlog_bench_compaction --benchmark_repetitions=3 \
//     --benchmark_out=compaction.json --benchmark_out_format=json
//   bench/ratio_table.py compaction.json

#include <benchmark/benchmark.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench_util.h"
#include "compaction/compactor.h"
#include "env/mem_env.h"
#include "evlog/env.h"
#include "partition/partition_log.h"
#include "retention/retention.h"

namespace evlog::bench {
namespace {

constexpr int kKeys = 10000;
constexpr int64_t kCompactRecords = 1000000;
constexpr size_t kValueSize = 100;

TopicConfig CompactConfig() {
  TopicConfig c;
  c.segment_bytes = 16 << 20;
  c.cleanup_policy = CleanupPolicy::kCompact;
  return c;
}

std::unique_ptr<PartitionLog> OpenLog(const std::string& dir,
                                      const TopicConfig& c,
                                      Env* env = Env::Default()) {
  if (!env->CreateDir(dir).ok()) return nullptr;
  auto log = PartitionLog::Open(env, dir, c);
  return log.ok() ? std::move(*log) : nullptr;
}

// Appends `n` keyed records (keys cycling over kKeys) in batches of 1000.
bool AppendKeyed(PartitionLog* log, int64_t first, int64_t n,
                 const std::string& value) {
  std::vector<char> keys(kBatchRecords * kKeySize);
  std::vector<Record> batch(kBatchRecords);
  for (int64_t done = 0; done < n; done += kBatchRecords) {
    for (int i = 0; i < kBatchRecords; ++i) {
      char* k = keys.data() + i * kKeySize;
      EncodeKey(static_cast<uint64_t>((first + done + i) % kKeys), k);
      batch[i].key = std::string_view(k, kKeySize);
      batch[i].value = value;
    }
    if (!log->Append(batch).ok()) return false;
  }
  return true;
}

void BM_Log_AppendKeyed(benchmark::State& state) {
  ScratchDir dir("compaction_append");
  auto log = OpenLog(dir.path() + "/p", CompactConfig());
  if (!dir.ok() || log == nullptr) return state.SkipWithError("setup failed");
  std::string value = MakeValue(kValueSize);
  int64_t seq = 0;
  for (auto _ : state) {
    if (!AppendKeyed(log.get(), seq, kBatchRecords, value)) {
      return state.SkipWithError("append failed");
    }
    seq += kBatchRecords;
  }
  SetThroughput(state, seq, kValueSize);
}
BENCHMARK(BM_Log_AppendKeyed)->UseRealTime()->MinTime(1.0);

// state.range(0): 0 = on disk (Env::Default), 1 = in memory (MemEnv without
// durability tracking: the CPU cost alone, no fsync or writeback waits).
void BM_Compaction_1M(benchmark::State& state) {
  const bool in_memory = state.range(0) == 1;
  std::string value = MakeValue(kValueSize);
  int64_t read = 0, removed = 0, rewritten = 0;
  uint64_t before = 0, after = 0;
  for (auto _ : state) {
    state.PauseTiming();
    {  // the scope ends before timing resumes: teardown is not timed
      ScratchDir dir("compaction");
      auto mem = std::make_unique<MemEnv>(nullptr, /*track_durability=*/false);
      Env* env = in_memory ? mem.get() : Env::Default();
      auto log = OpenLog((in_memory ? "/tmp" : dir.path()) + std::string("/p"),
                         CompactConfig(), env);
      if (!dir.ok() || log == nullptr ||
          !AppendKeyed(log.get(), 0, kCompactRecords, value) ||
          !log->Flush().ok()) {
        return state.SkipWithError("setup failed");
      }
      state.ResumeTiming();
      auto stats = CompactLog(env, log.get(), env->clock()->NowMs());
      state.PauseTiming();
      if (!stats.ok()) {
        return state.SkipWithError(
            std::string(stats.status().message()).c_str());
      }
      read += stats->records_read;
      removed += stats->records_removed;
      rewritten += stats->segments_rewritten;
      before += stats->bytes_before;
      after += stats->bytes_after;
    }
    state.ResumeTiming();
  }
  SetThroughput(state, read, kValueSize);
  state.counters["removed"] = benchmark::Counter(
      static_cast<double>(removed), benchmark::Counter::kAvgIterations);
  state.counters["segments"] = benchmark::Counter(
      static_cast<double>(rewritten), benchmark::Counter::kAvgIterations);
  state.counters["MB_before"] =
      benchmark::Counter(before / 1e6, benchmark::Counter::kAvgIterations);
  state.counters["MB_after"] =
      benchmark::Counter(after / 1e6, benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_Compaction_1M)
    ->ArgName("in_memory")
    ->Arg(0)
    ->Arg(1)
    ->UseRealTime()
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// A log of `segments` closed segments of ~`segment_bytes` each (rolled by
// size) and an active one.
std::unique_ptr<PartitionLog> ManySegments(const std::string& dir, int segments,
                                           uint64_t segment_bytes,
                                           Env* env = Env::Default()) {
  TopicConfig c;
  c.segment_bytes = segment_bytes;
  c.max_record_bytes = static_cast<uint32_t>(segment_bytes / 2);
  auto log = OpenLog(dir, c, env);
  if (log == nullptr) return nullptr;
  // Two records fill a segment; the third rolls it.
  std::string value(segment_bytes * 2 / 5, 'v');
  Record r;
  r.key = "k";
  r.value = value;
  for (int i = 0; i < 2 * segments + 1; ++i) {
    if (!log->Append({&r, 1}).ok()) return nullptr;
  }
  return log;
}

void BM_Retention_PlanNoop(benchmark::State& state) {
  // Planning only reads segment metadata, so 4 KiB segments in memory
  // stand in for any size (creating 10k files on disk takes minutes).
  MemEnv env(nullptr, /*track_durability=*/false);
  auto log = ManySegments("/p", 10000, 4096, &env);
  if (log == nullptr) return state.SkipWithError("setup failed");
  auto segments = log->Segments();
  TopicConfig c;                  // 7 days: nothing is due by time
  c.retention_bytes = 1ll << 40;  // sums every segment, deletes none
  int64_t now = Env::Default()->clock()->NowMs();
  for (auto _ : state) {
    RetentionPlan plan = PlanRetention(segments, c, now, std::nullopt);
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations() *
                          static_cast<int64_t>(segments.size()));
}
BENCHMARK(BM_Retention_PlanNoop)->Unit(benchmark::kMicrosecond);

void BM_Retention_Sweep(benchmark::State& state) {
  constexpr int kSegments = 1000;
  int64_t deleted = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // Removed while the timer is paused, like the log (below).
    std::optional<ScratchDir> dir;
    dir.emplace("retention_sweep");
    auto log = ManySegments(dir->path() + "/p", kSegments, 64 << 10);
    if (!dir->ok() || log == nullptr || !log->Flush().ok()) {
      return state.SkipWithError("setup failed");
    }
    int64_t later = Env::Default()->clock()->NowMs() + 8ll * 24 * 3600 * 1000;
    state.ResumeTiming();
    auto plan = ApplyRetention(log.get(), later, std::nullopt);
    state.PauseTiming();
    if (!plan.ok()) return state.SkipWithError("retention failed");
    deleted += static_cast<int64_t>(plan->segments);
    log.reset();
    dir.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(deleted);
}
BENCHMARK(BM_Retention_Sweep)
    ->UseRealTime()
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace evlog::bench

BENCHMARK_MAIN();
