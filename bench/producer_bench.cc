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

#include <benchmark/benchmark.h>

#include <atomic>
#include <memory>
#include <string>

#include "bench_util.h"
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

}  // namespace
}  // namespace evlog::bench
