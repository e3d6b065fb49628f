// bench/producer_bench.cc: the producer through a real on-disk store, with 1
// and 2 sending threads, keyed and unkeyed records, 100 B and 1 KiB values.
//
// Linked into evlog_bench_log, so every figure here has the same-run
// baselines of log_bench.cc next to it (BM_Memcpy_Append, BM_Lmdb_AppendBatch).
// The store runs its maintenance thread, which prepares the next segment of
// each partition off the append path, as in production.
//
// Scenarios:
//   BM_Producer_Send/value:N/keyed:K/threads:T  one Send per iteration; keyed
//     records spread by key hash over 4 partitions, unkeyed ones stick to a
//     partition for 64 sends (ProducerOptions::sticky_records).
//   BM_Producer_SendAsync_Sync/value:N/linger_ms:L  one thread, one
//     SendAsync per iteration to a 1-partition Durability::kEveryAppend
//     topic; the clock stops after a final Flush, so items/s counts records
//     acknowledged durable (group commit by the sender thread). Baseline:
//     BM_Lmdb_AppendBatch_Sync and BM_Log_AppendOne_Sync (log_bench.cc).
//   BM_Producer_SendBatch_Sync/value:N  SendBatch of 1000 records per
//     iteration to the same kind of topic: one frame and one msync per
//     batch. Baseline: BM_Lmdb_AppendBatch_Sync (1000 puts per synced
//     transaction).

#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "evlog/observability.h"
#include "evlog/producer.h"
#include "evlog/store.h"

namespace evlog::bench {
namespace {

constexpr int32_t kPartitions = 4;

struct Shared {
  std::unique_ptr<ScratchDir> dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<Producer> producer;
};
Shared* shared = nullptr;

void BM_Producer_Send(benchmark::State& state) {
  const size_t value_size = static_cast<size_t>(state.range(0));
  const bool keyed = state.range(1) != 0;
  if (state.thread_index() == 0) {
    shared = new Shared;
    shared->dir = std::make_unique<ScratchDir>("producer");
    StoreOptions o;
    o.default_topic_config.segment_bytes = 64ull << 20;
    auto store = Store::Open(shared->dir->path() + "/store", o);
    if (!store.ok() || !(*store)->CreateTopic("bench", kPartitions).ok()) {
      state.SkipWithError("cannot open the store");
    } else {
      shared->store = *std::move(store);
      shared->producer = *shared->store->NewProducer();
    }
  }
  const std::string value = MakeValue(value_size);
  char key[kKeySize];
  // Each thread numbers its own keys; thread ids keep them distinct.
  uint64_t seq = static_cast<uint64_t>(state.thread_index()) << 48;
  for (auto _ : state) {
    if (shared->producer == nullptr) break;
    EncodeKey(seq++, key);
    Record r;
    if (keyed) r.key = std::string_view(key, kKeySize);
    r.value = value;
    auto sent = shared->producer->Send("bench", r);
    if (!sent.ok()) {
      state.SkipWithError(std::string(sent.status().message()).c_str());
      break;
    }
  }
  SetThroughput(state, state.iterations(), value_size);
  if (state.thread_index() == 0) {
    if (shared->store != nullptr) shared->store->Close().IgnoreError();
    delete shared;
    shared = nullptr;
  }
}

BENCHMARK(BM_Producer_Send)
    ->ArgNames({"value", "keyed"})
    ->ArgsProduct({{100, 1024}, {0, 1}})
    ->Threads(1)
    ->Threads(2)
    ->MinTime(1.0)
    ->UseRealTime();

// A store in a scratch directory with one 1-partition topic "sync" whose
// appends are synced before they are acknowledged.
struct SyncedStore {
  ScratchDir dir{"producer_sync"};
  std::unique_ptr<Store> store;
  std::unique_ptr<Producer> producer;

  bool Open(benchmark::State& state, const ProducerOptions& po = {}) {
    StoreOptions o;
    o.default_topic_config.segment_bytes = 64ull << 20;
    o.default_topic_config.durability = Durability::kEveryAppend;
    auto s = Store::Open(dir.path() + "/store", o);
    absl::Status created = s.ok() ? (*s)->CreateTopic("sync", 1) : s.status();
    if (!created.ok()) {
      state.SkipWithError(std::string(created.message()).c_str());
      return false;
    }
    store = *std::move(s);
    auto p = store->NewProducer(po);
    if (!p.ok()) {
      state.SkipWithError(std::string(p.status().message()).c_str());
      return false;
    }
    producer = *std::move(p);
    return true;
  }
  ~SyncedStore() {
    producer.reset();
    if (store) store->Close().IgnoreError();
  }
};

void BM_Producer_SendAsync_Sync(benchmark::State& state) {
  const size_t value_size = static_cast<size_t>(state.range(0));
  SyncedStore s;
  if (!s.Open(state, {.linger_ms = state.range(1)})) return;
  const std::string value = MakeValue(value_size);
  char key[kKeySize];
  uint64_t seq = 0;
  std::atomic<int64_t> acked{0}, failed{0};
  SendCallback callback = [&](const absl::StatusOr<SendResult>& r) {
    (r.ok() ? acked : failed).fetch_add(1, std::memory_order_relaxed);
  };
  for (auto _ : state) {
    EncodeKey(seq++, key);
    absl::Status queued = s.producer->SendAsync(
        "sync", {.key = std::string_view(key, kKeySize), .value = value},
        callback);
    if (!queued.ok()) {
      state.SkipWithError(std::string(queued.message()).c_str());
      break;
    }
  }
  // Outstanding sends count: the clock runs until the last one is synced.
  if (absl::Status f = s.producer->Flush(); !f.ok()) {
    state.SkipWithError(std::string(f.message()).c_str());
  }
  if (failed.load() != 0) state.SkipWithError("an async send failed");
  // Group commit at work: records per appended batch (= per msync).
  MetricsSnapshot m = s.store->Metrics();
  if (m.counters.appends > 0) {
    state.counters["records_per_sync"] =
        static_cast<double>(m.counters.records_appended) /
        static_cast<double>(m.counters.appends);
  }
  SetThroughput(state, acked.load(), value_size);
}

void BM_Producer_SendBatch_Sync(benchmark::State& state) {
  const size_t value_size = static_cast<size_t>(state.range(0));
  SyncedStore s;
  if (!s.Open(state)) return;
  const std::string value = MakeValue(value_size);
  std::vector<std::string> keys(kBatchRecords, std::string(kKeySize, '\0'));
  std::vector<Record> batch(kBatchRecords);
  uint64_t seq = 0;
  for (auto _ : state) {
    for (int i = 0; i < kBatchRecords; ++i) {
      EncodeKey(seq++, keys[i].data());
      batch[i] = {.key = keys[i], .value = value};
    }
    auto sent = s.producer->SendBatch("sync", batch);
    if (!sent.ok()) {
      state.SkipWithError(std::string(sent.status().message()).c_str());
      break;
    }
  }
  SetThroughput(state, state.iterations() * kBatchRecords, value_size);
}

BENCHMARK(BM_Producer_SendAsync_Sync)
    ->ArgNames({"value", "linger_ms"})
    ->ArgsProduct({{100, 1024}, {0, 1}})
    ->MinTime(1.0)
    ->UseRealTime();
BENCHMARK(BM_Producer_SendBatch_Sync)
    ->ArgName("value")
    ->Arg(100)
    ->Arg(1024)
    ->MinTime(1.0)
    ->UseRealTime();

}  // namespace
}  // namespace evlog::bench
