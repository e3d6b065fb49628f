// bench/storage_bench.cc: storage that scales with partitions and data.
//
// Scenarios (docs/PERFORMANCE.md, "Storage scaling"):
//   BM_CreateTopic/N          CreateTopic of N partitions on a fresh store.
//   BM_OpenEmpty/N/cold       Store::Open of a store holding one topic of N
//                             empty partitions; cold = page cache dropped
//                             first (root only; the counter `cold` says
//                             whether it was). Counters: disk bytes, resident
//                             bytes, mappings and fds per partition.
//   BM_OpenFull/MiB/killed    Store::Open of one partition holding MiB of
//                             data after a clean close (killed=0) or after a
//                             SIGKILL of the writer (killed=1), which leaves
//                             up to one checkpoint interval to rescan.
//   BM_Codec/codec/batch      appends and sequential reads of 200-300 B JSON
//                             events in batches, codec 0 none, 1 lz4, 2 zstd;
//                             counter `ratio` = uncompressed / stored bytes.
// Every timed section runs on a real file system (ScratchDir).

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "evlog/evlog.h"
#include "partition/log_reader.h"
#include "partition/partition_log.h"

namespace evlog::bench {
namespace {

// Bytes of disk blocks allocated below `dir` (what du reports).
uint64_t DiskBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator();
       it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) == 0)
      total += uint64_t(st.st_blocks) * 512;
  }
  return total;
}

uint64_t ResidentBytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  in >> size >> resident;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

int64_t CountLines(const char* path) {
  std::ifstream in(path);
  int64_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

int64_t CountFds() {
  int64_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

// Drops the page cache if we may (root); returns whether it did.
bool DropCaches() {
  ::sync();
  std::ofstream f("/proc/sys/vm/drop_caches");
  if (!f) return false;
  f << "3\n";
  return static_cast<bool>(f);
}

StoreOptions Quiet() {
  StoreOptions o;
  o.maintenance_interval_ms = 0;
  return o;
}

void BM_CreateTopic(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  uint64_t disk = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto dir = std::make_unique<ScratchDir>("create");
    auto store = Store::Open(dir->path() + "/s", Quiet());
    if (!store.ok()) {
      state.SkipWithError(store.status().ToString().c_str());
      break;
    }
    state.ResumeTiming();
    absl::Status s = (*store)->CreateTopic("t", n);
    state.PauseTiming();
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    disk = DiskBytes(dir->path());
    (*store)->Close().IgnoreError();
    store->reset();
    dir.reset();
    state.ResumeTiming();
  }
  state.counters["partitions"] = n;
  state.counters["disk_bytes_per_partition"] = static_cast<double>(disk) / n;
}
BENCHMARK(BM_CreateTopic)
    ->Arg(100)
    ->Arg(1000)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_OpenEmpty(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const bool cold = state.range(1) != 0;
  ScratchDir dir("open");
  const std::string path = dir.path() + "/s";
  {
    auto store = Store::Open(path, Quiet());
    if (!store.ok() || !(*store)->CreateTopic("t", n).ok()) {
      state.SkipWithError("setup failed");
      return;
    }
  }
  bool dropped = false;
  uint64_t rss = 0;
  int64_t maps = 0, fds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    if (cold) dropped = DropCaches();
    const uint64_t rss0 = ResidentBytes();
    const int64_t maps0 = CountLines("/proc/self/maps"), fds0 = CountFds();
    state.ResumeTiming();
    auto store = Store::Open(path, Quiet());
    state.PauseTiming();
    if (!store.ok()) {
      state.SkipWithError(store.status().ToString().c_str());
      break;
    }
    rss = ResidentBytes() - rss0;
    maps = CountLines("/proc/self/maps") - maps0;
    fds = CountFds() - fds0;
    (*store)->Close().IgnoreError();
    store->reset();
    state.ResumeTiming();
  }
  state.counters["partitions"] = n;
  state.counters["cold"] = dropped;
  state.counters["disk_bytes_per_partition"] =
      static_cast<double>(DiskBytes(dir.path())) / n;
  state.counters["resident_bytes_per_partition"] = static_cast<double>(rss) / n;
  state.counters["mappings"] = static_cast<double>(maps);
  state.counters["fds"] = static_cast<double>(fds);
}
BENCHMARK(BM_OpenEmpty)
    ->Args({1, 0})
    ->Args({100, 0})
    ->Args({1000, 0})
    ->Args({10000, 0})
    ->Args({1, 1})
    ->Args({100, 1})
    ->Args({1000, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// Fills one partition with `mib` MiB of 1 KiB records (kNone), then either
// closes cleanly or, in a child process, appends 3 MiB more and SIGKILLs
// itself (the page cache keeps everything; recovery rescans since the last
// checkpoint).
void BM_OpenFull(benchmark::State& state) {
  const int64_t mib = state.range(0);
  const bool killed = state.range(1) != 0;
  ScratchDir dir("full");
  const std::string path = dir.path() + "/s";
  const std::string value(1000, 'x');
  auto fill = [&](int64_t bytes, bool kill) {
    auto store = Store::Open(path, Quiet());
    if (!store.ok()) return false;
    (*store)->CreateTopic("t", 1).IgnoreError();
    auto producer = (*store)->NewProducer();
    if (!producer.ok()) return false;
    std::vector<Record> batch(1000,
                              Record{.key = std::nullopt, .value = value});
    for (int64_t done = 0; done < bytes; done += 1000 * 1024) {
      if (!(*producer)
               ->SendBatch("t", batch, {.partition = PartitionId(0)})
               .ok())
        return false;
    }
    if (kill) ::raise(SIGKILL);
    return true;
  };
  if (!fill(mib << 20, /*kill=*/false)) {
    state.SkipWithError("fill failed");
    return;
  }
  if (killed) {
    pid_t pid = ::fork();
    if (pid == 0) {
      fill(3 << 20, /*kill=*/true);
      ::_exit(1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  int64_t scanned = 0;
  for (auto _ : state) {
    auto store = Store::Open(path, Quiet());
    state.PauseTiming();
    if (!store.ok()) {
      state.SkipWithError(store.status().ToString().c_str());
      break;
    }
    MetricsSnapshot m = (*store)->Metrics();
    scanned = m.counters.recovery_bytes_scanned;
    if (killed) {
      // Next iteration starts from the same crashed state: take the store
      // down without its clean close (the child's page-cache state stays).
      store->release();  // leaked on purpose: no index written at close
    } else {
      (*store)->Close().IgnoreError();
      store->reset();
    }
    state.ResumeTiming();
  }
  state.counters["bytes_rescanned"] = static_cast<double>(scanned);
}
BENCHMARK(BM_OpenFull)
    ->Args({4, 0})
    ->Args({4096, 0})
    ->Args({4, 1})
    ->Args({4096, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

std::string JsonEvent(uint64_t i) {
  char buf[320];
  int n = std::snprintf(
      buf, sizeof(buf),
      "{\"type\":\"order_created\",\"order_id\":%llu,\"customer\":\"customer-%"
      "llu\","
      "\"items\":[{\"sku\":\"sku-%llu\",\"qty\":%llu,\"price_cents\":%llu}],"
      "\"currency\":\"EUR\",\"status\":\"pending\",\"source\":\"web\","
      "\"ts\":\"2026-12-02T00:%02llu:%02lluZ\"}",
      (unsigned long long)(100000 + i), (unsigned long long)(i * 7919 % 100000),
      (unsigned long long)(i % 977), (unsigned long long)(i % 5 + 1),
      (unsigned long long)(i * 31 % 50000), (unsigned long long)(i / 60 % 60),
      (unsigned long long)(i % 60));
  return std::string(buf, static_cast<size_t>(n));
}

void BM_Codec(benchmark::State& state) {
  const auto codec = static_cast<Compression>(state.range(0));
  const int batch = static_cast<int>(state.range(1));
  const bool read = state.range(2) != 0;
  std::vector<std::string> values;
  for (int i = 0; i < 100000; ++i) values.push_back(JsonEvent(i));
  size_t value_bytes = 0;
  for (const auto& v : values) value_bytes += v.size();
  TopicConfig c;
  c.segment_bytes = 256 << 20;
  c.retention_ms = -1;
  c.compression = codec;
  int64_t records = 0;
  double ratio = 0;
  for (auto _ : state) {
    state.PauseTiming();
    ScratchDir dir("codec");
    auto log = PartitionLog::Open(Env::Default(), dir.path(), c);
    if (!log.ok()) {
      state.SkipWithError(log.status().ToString().c_str());
      break;
    }
    std::vector<Record> recs(static_cast<size_t>(batch));
    auto append_all = [&] {
      for (size_t i = 0; i < values.size(); i += batch) {
        for (int j = 0; j < batch; ++j)
          recs[j] = Record{.value = values[i + j]};
        if (!(*log)->Append(recs).ok()) return false;
      }
      return true;
    };
    if (!read) state.ResumeTiming();
    if (!append_all()) {
      state.SkipWithError("append failed");
      break;
    }
    if (read) {
      state.ResumeTiming();
      LogReader reader(log->get(), Offset(0));
      RecordView v;
      size_t sum = 0;
      while (*reader.Next(&v, (*log)->end_offset())) sum += v.value()->size();
      benchmark::DoNotOptimize(sum);
    }
    state.PauseTiming();
    uint64_t stored = 0;
    for (const auto& seg : (*log)->Segments()) stored += seg->data_bytes();
    ratio = static_cast<double>(value_bytes + 28 * values.size()) / stored;
    records += static_cast<int64_t>(values.size());
    log->reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(records);
  state.counters["ratio"] = ratio;
}
BENCHMARK(BM_Codec)
    ->ArgsProduct({{0, 1, 2}, {100, 1000}, {0, 1}})
    ->ArgNames({"codec", "batch", "read"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace evlog::bench

BENCHMARK_MAIN();
