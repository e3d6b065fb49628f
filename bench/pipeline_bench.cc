// bench/pipeline_bench.cc: the in-process pipeline -- one producer thread,
// one consumer thread, 100 B records -- through evlog and through two
// in-memory queues measured in the same run (docs/PERFORMANCE.md explains
// how the ratios are read).
//
// Transports (the benchmark's name after the slash):
//   spsc             boost::lockfree::spsc_queue<Msg> (65536 slots); the
//                    consumer busy-spins on pop(), as an spsc consumer does.
//   mutex_cv         a bounded ring (65536 slots) under a std::mutex, with a
//                    std::condition_variable each way; the consumer blocks
//                    when it is empty and drains everything it finds.
//   evlog_spin       a Store in a mkdtemp directory under $TMPDIR (records
//                    persist: on-disk segments, Durability::kNone), one topic
//                    with one partition; Producer::Send per record; a
//                    Consumer with manual assignment and
//                    WaitStrategy::kSpinThenBlock (the default, spin_us 50).
//   evlog_block      the same with WaitStrategy::kBlock.
//   evlog_busy_spin  the same with WaitStrategy::kBusySpin.
//   evlog_spin_batch64  (throughput only) evlog_spin with the producer
//                    sending 64 records per Producer::SendBatch: what the
//                    API offers when per-call cost dominates.
//
// Scenarios:
//   BM_Throughput/<transport>  flat out: the producer sends kThroughputRecords
//     records as fast as it can; records/s from the first send to the last
//     receive (manual time). `producer_rate` is the producer's own rate (first
//     to last send).
//   BM_Latency/<transport>/rate:R  one-way latency at a steady R records/s:
//     the producer paces itself by busy-waiting on steady_clock, stamps
//     steady_clock::now() into the record just before sending it, and the
//     consumer computes now - stamp on receipt. Counters p50_us, p99_us,
//     p999_us, max_us over kLatencySeconds of records, after a warm-up that
//     is sent and received but not counted. `behind_us` is how late the
//     producer's last send was against its schedule (large = the rate was not
//     sustained and the figures understate queueing).
//
// Every value is 100 B: an 8-byte sequence number, an 8-byte send time, then
// filler; evlog records have no key. Both baselines copy the 100 B into the
// queue and out of it; evlog copies it into the log and hands out a
// zero-copy view. Each consumer checks that sequence numbers arrive in order.
//
// Steady state for evlog: a topic's first segment is not prefaulted, later
// ones are (the store's maintenance thread prepares the next segment before
// the roll). The latency scenarios therefore first fill the first segment
// flat out (outside the measurement, with the consumer not yet assigned), so
// that the measured records go to a prefaulted segment, as in a pipeline that
// has run for a while. The rolled segment is then sealed at once (Flush), so
// that its seal -- an msync of 64 MiB, which the maintenance thread does
// within a second of each roll, i.e. once every ~4 s at 100k records/s --
// does not fall into every measurement window (it would in 100 % of them
// instead of ~1 in 3; docs/PERFORMANCE.md shows its effect); likewise the
// preparation of the next spare segment, which the roll requests. Throughput
// runs start on a fresh topic and roll several segments: page faults of the
// first segment, rolls and seals are included.
//
// Pinning: EVLOG_BENCH_PIN=P,C[,M] pins the producer thread to CPU P, the
// consumer thread to CPU C and (StoreOptions::maintenance_cpus) the store's
// maintenance thread to CPU M, for every transport. Unset: nothing pinned.
//
// One iteration per repetition; nothing here asserts on timing.

#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "evlog/consumer.h"
#include "evlog/observability.h"
#include "evlog/options.h"
#include "evlog/producer.h"
#include "evlog/store.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace evlog::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr size_t kValueSize = 100;
constexpr size_t kQueueSlots = 65536;
constexpr int64_t kThroughputRecords = 4'000'000;
constexpr double kLatencySeconds = 1.5;
constexpr double kWarmupSeconds = 0.2;
constexpr uint64_t kSegmentBytes = 64ull << 20;  // TopicConfig's default

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#endif
}

inline int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

// EVLOG_BENCH_PIN=P,C[,M]: CPUs of the producer, consumer and maintenance
// threads (-1: not pinned).
struct Pinning {
  int producer = -1, consumer = -1, maintenance = -1;
};
const Pinning& Pins() {
  static const Pinning pins = [] {
    Pinning p;
    if (const char* v = std::getenv("EVLOG_BENCH_PIN")) {
      std::sscanf(v, "%d,%d,%d", &p.producer, &p.consumer, &p.maintenance);
    }
    return p;
  }();
  return pins;
}

// Pins the calling thread to `cpu` (no-op for -1); false if refused.
bool PinThisThread(int cpu) {
  if (cpu < 0) return true;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

struct Msg {
  char bytes[kValueSize];
};

inline void Stamp(char* value, uint64_t seq, int64_t ts_ns) {
  std::memcpy(value, &seq, 8);
  std::memcpy(value + 8, &ts_ns, 8);
}

inline void Unstamp(const char* value, uint64_t* seq, int64_t* ts_ns) {
  std::memcpy(seq, value, 8);
  std::memcpy(ts_ns, value + 8, 8);
}

// ---------------------------------------------------------------------------
// Transports: Send() on the producer thread; Receive(fn) on the consumer
// thread waits for records and calls fn(value) for each it gets, in order;
// Stop() (any thread) makes a waiting Receive return false.
// ---------------------------------------------------------------------------

class SpscTransport {
 public:
  SpscTransport() : q_(kQueueSlots) {
    // Touch every slot once so the first lap does not page-fault.
    Msg m{};
    for (size_t i = 0; i < kQueueSlots - 1; ++i) q_.push(m);
    while (q_.pop(m)) {
    }
  }
  std::string Setup() { return ""; }
  bool Send(const Msg& m) {
    while (!q_.push(m)) CpuRelax();
    return true;
  }
  bool Finish() { return true; }
  template <typename Fn>
  bool Receive(Fn&& fn) {
    Msg m;
    while (!q_.pop(m)) CpuRelax();
    fn(m.bytes);
    while (q_.pop(m)) fn(m.bytes);
    return true;
  }
  void Stop() {}  // Send never fails
  std::string error() const { return ""; }

 private:
  boost::lockfree::spsc_queue<Msg> q_;
};

class MutexCvTransport {
 public:
  MutexCvTransport() : ring_(kQueueSlots), drained_(kQueueSlots) {}
  std::string Setup() { return ""; }
  bool Send(const Msg& m) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      not_full_.wait(lock, [this] { return size_ < ring_.size(); });
      ring_[(head_ + size_) % ring_.size()] = m;
      ++size_;
    }
    not_empty_.notify_one();
    return true;
  }
  bool Finish() { return true; }
  template <typename Fn>
  bool Receive(Fn&& fn) {
    size_t n = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      not_empty_.wait(lock, [this] { return size_ > 0; });
      for (; size_ > 0; --size_, ++n) {
        drained_[n] = ring_[head_];
        head_ = (head_ + 1) % ring_.size();
      }
    }
    not_full_.notify_one();
    for (size_t i = 0; i < n; ++i) fn(drained_[i].bytes);
    return true;
  }
  void Stop() {}  // Send never fails
  std::string error() const { return ""; }

 private:
  std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::vector<Msg> ring_;
  size_t head_ = 0, size_ = 0;
  std::vector<Msg> drained_;  // consumer thread only
};

class EvlogTransport {
 public:
  // `batch` records per SendBatch (1: one Send per record).
  EvlogTransport(WaitStrategy wait, size_t batch)
      : wait_(wait), pending_(batch), records_(batch) {
    for (size_t i = 0; i < batch; ++i) {
      records_[i].value = std::string_view(pending_[i].bytes, kValueSize);
    }
  }
  ~EvlogTransport() {
    if (consumer_) consumer_->Close().IgnoreError();
    consumer_.reset();
    producer_.reset();
    if (store_) store_->Close().IgnoreError();
  }

  // Opens the store and the topic. With `prefill`, fills the first segment
  // flat out so that the next records go to a prepared (prefaulted) one;
  // the consumer is assigned afterwards, at the log end.
  std::string Setup(bool prefill = false) {
    if (!dir_.ok()) return "mkdtemp failed";
    StoreOptions o;
    if (Pins().maintenance >= 0) o.maintenance_cpus = {Pins().maintenance};
    auto store = Store::Open(dir_.path() + "/store", o);
    if (!store.ok()) return std::string(store.status().message());
    store_ = *std::move(store);
    TopicConfig config;
    config.segment_bytes = kSegmentBytes;
    config.durability = Durability::kNone;
    if (auto s = store_->CreateTopic("pipe", 1, config); !s.ok()) {
      return std::string(s.message());
    }
    auto producer = store_->NewProducer();
    if (!producer.ok()) return std::string(producer.status().message());
    producer_ = *std::move(producer);
    if (prefill) {
      Msg m{};
      Record r;
      r.value = std::string_view(m.bytes, kValueSize);
      while (true) {
        auto d = store_->DescribeTopic("pipe");
        if (!d.ok()) return std::string(d.status().message());
        if (d->partitions[0].segments >= 2) break;
        for (int i = 0; i < 10000; ++i) {
          if (auto sent = producer_->Send("pipe", r); !sent.ok()) {
            return std::string(sent.status().message());
          }
        }
      }
      // Seal the rolled segment now (msync of 64 MiB, index, directory
      // fsync) rather than on the maintenance thread during the
      // measurement; see "Steady state" above.
      if (auto s = store_->Flush(); !s.ok()) return std::string(s.message());
      // The roll asked the maintenance thread for the next spare segment
      // (allocate + prefault 64 MiB: tens of ms of one core); let it finish
      // before measuring, for the same reason.
      // Ready when more spares were prepared than rolls adopted.
      while (Metric(&PartitionMetrics::segments_prepared) <=
             Metric(&PartitionMetrics::segments_rolled) -
                 Metric(&PartitionMetrics::rolls_without_spare)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    ConsumerOptions co;
    co.auto_offset_reset = AutoOffsetReset::kLatest;
    co.wait_strategy = wait_;
    auto consumer = store_->NewConsumer(co);
    if (!consumer.ok()) return std::string(consumer.status().message());
    consumer_ = *std::move(consumer);
    if (auto s = consumer_->Assign({{"pipe", PartitionId(0)}}); !s.ok()) {
      return std::string(s.message());
    }
    // The first Poll resolves the position (kLatest) before anything is sent.
    if (auto s = consumer_->Poll(std::chrono::milliseconds(0), &batch_);
        !s.ok()) {
      return std::string(s.message());
    }
    return "";
  }

  bool Send(const Msg& m) {
    if (pending_.size() > 1) {
      pending_[npending_++] = m;
      return npending_ < pending_.size() || Finish();
    }
    Record r;
    r.value = std::string_view(m.bytes, kValueSize);
    auto sent = producer_->Send("pipe", r);
    if (!sent.ok()) {
      SetError(sent.status());
      return false;
    }
    return true;
  }

  // Sends what a batching producer holds.
  bool Finish() {
    if (npending_ == 0) return true;
    auto sent = producer_->SendBatch(
        "pipe", std::span<const Record>(records_.data(), npending_));
    npending_ = 0;
    if (!sent.ok()) {
      SetError(sent.status());
      return false;
    }
    return true;
  }

  template <typename Fn>
  bool Receive(Fn&& fn) {
    do {
      absl::Status s = consumer_->Poll(std::chrono::milliseconds(100), &batch_);
      if (!s.ok()) {
        SetError(s);
        return false;
      }
    } while (batch_.empty());
    for (const ConsumerRecord& r : batch_) fn(r.record.value()->data());
    return true;
  }

  // Ends a Receive waiting for records that will not come (Poll returns
  // kCancelled).
  void Stop() { consumer_->Wakeup(); }

  std::string error() const {
    std::lock_guard<std::mutex> g(error_mu_);
    return error_;
  }

  // A counter of the topic's partition (Store::Metrics).
  int64_t Metric(int64_t PartitionMetrics::*counter) const {
    MetricsSnapshot m = store_->Metrics();
    return m.partitions.empty() ? -1 : m.partitions[0].*counter;
  }

  // Records in the log (they persist in the store's directory).
  int64_t LogEnd() const {
    auto d = store_->DescribeTopic("pipe");
    return d.ok() ? d->partitions[0].end_offset.value() : -1;
  }

 private:
  void SetError(const absl::Status& s) {
    std::lock_guard<std::mutex> g(error_mu_);
    if (error_.empty()) error_ = std::string(s.message());
  }

  const WaitStrategy wait_;
  ScratchDir dir_{"pipeline"};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<Consumer> consumer_;
  PollResult batch_;
  std::vector<Msg> pending_;     // batching producer: records not yet sent
  std::vector<Record> records_;  // views of pending_
  size_t npending_ = 0;
  mutable std::mutex error_mu_;
  std::string error_;
};

enum class Transport {
  kSpsc,
  kMutexCv,
  kEvlogSpin,
  kEvlogBlock,
  kEvlogBusySpin,
  kEvlogSpinBatch64,
};

// ---------------------------------------------------------------------------
// The two scenarios, generic over the transport.
// ---------------------------------------------------------------------------

// The consumer side: receives `total` records, checks their order, and
// calls on_record(index, value) for each. Returns false on a transport error
// or a sequence gap (reported through `error`).
template <typename T, typename OnRecord>
bool ConsumeAll(T& t, int64_t total, OnRecord&& on_record, std::string* error) {
  int64_t received = 0;
  bool in_order = true;
  while (received < total && in_order) {
    bool ok = t.Receive([&](const char* value) {
      uint64_t seq;
      int64_t ts;
      Unstamp(value, &seq, &ts);
      if (seq != static_cast<uint64_t>(received)) in_order = false;
      on_record(received, ts);
      ++received;
    });
    if (!ok) return false;
  }
  if (!in_order) *error = "records out of order";
  return in_order;
}

// Joins the consumer thread once the producer is done (stopping the
// transport first if a send failed, or the consumer would wait for records
// that never come) and reports either side's failure as the benchmark's
// error. `consumer_ok` and `consumer_error` are the consumer thread's, read
// after the join. Returns true if both sides succeeded.
template <typename T>
bool JoinConsumer(benchmark::State& state, T& t, bool producer_ok,
                  std::thread& consumer, const bool& consumer_ok,
                  const std::string& consumer_error) {
  if (!producer_ok) t.Stop();
  consumer.join();
  if (!producer_ok) {
    state.SkipWithError(("send failed: " + t.error()).c_str());
    return false;
  }
  if (!consumer_ok) {
    std::string e = consumer_error.empty() ? t.error() : consumer_error;
    state.SkipWithError(("consumer failed: " + e).c_str());
    return false;
  }
  return true;
}

template <typename T>
void RunThroughput(benchmark::State& state, T& t) {
  const int64_t total = kThroughputRecords;
  Msg m;
  std::memcpy(m.bytes, MakeValue(kValueSize).data(), kValueSize);
  std::atomic<bool> ready{false};
  int64_t last_receive_ns = 0;
  bool consumer_ok = true;
  std::string consumer_error;
  std::thread consumer([&] {
    PinThisThread(Pins().consumer);
    ready.store(true, std::memory_order_release);
    consumer_ok = ConsumeAll(
        t, total, [](int64_t, int64_t) {}, &consumer_error);
    last_receive_ns = NowNs();
  });
  while (!ready.load(std::memory_order_acquire)) CpuRelax();
  if (!PinThisThread(Pins().producer)) {
    state.SkipWithError("EVLOG_BENCH_PIN: cannot pin the producer");
  }
  bool producer_ok = true;
  const int64_t first_send_ns = NowNs();
  for (int64_t i = 0; i < total && producer_ok; ++i) {
    Stamp(m.bytes, static_cast<uint64_t>(i), 0);
    producer_ok = t.Send(m);
  }
  if (producer_ok) producer_ok = t.Finish();
  const int64_t last_send_ns = NowNs();
  if (!JoinConsumer(state, t, producer_ok, consumer, consumer_ok,
                    consumer_error))
    return;
  const double seconds = (last_receive_ns - first_send_ns) * 1e-9;
  state.SetIterationTime(seconds);
  state.SetItemsProcessed(total);
  state.SetBytesProcessed(total * static_cast<int64_t>(kValueSize));
  state.counters["producer_rate"] =
      static_cast<double>(total) / ((last_send_ns - first_send_ns) * 1e-9);
}

template <typename T>
void RunLatency(benchmark::State& state, T& t) {
  const double rate = static_cast<double>(state.range(0));
  const int64_t period_ns = static_cast<int64_t>(1e9 / rate);
  const int64_t warmup = static_cast<int64_t>(rate * kWarmupSeconds);
  const int64_t measured = static_cast<int64_t>(rate * kLatencySeconds);
  const int64_t total = warmup + measured;
  std::vector<int64_t> latencies(static_cast<size_t>(measured));
  Msg m;
  std::memcpy(m.bytes, MakeValue(kValueSize).data(), kValueSize);
  std::atomic<bool> ready{false};
  bool consumer_ok = true;
  std::string consumer_error;
  std::thread consumer([&] {
    PinThisThread(Pins().consumer);
    ready.store(true, std::memory_order_release);
    consumer_ok = ConsumeAll(
        t, total,
        [&](int64_t i, int64_t ts) {
          int64_t now = NowNs();
          if (i >= warmup)
            latencies[static_cast<size_t>(i - warmup)] = now - ts;
        },
        &consumer_error);
  });
  while (!ready.load(std::memory_order_acquire)) CpuRelax();
  if (!PinThisThread(Pins().producer)) {
    state.SkipWithError("EVLOG_BENCH_PIN: cannot pin the producer");
  }
  bool producer_ok = true;
  const int64_t start_ns = NowNs();
  int64_t measure_start_ns = start_ns, late_ns = 0;
  for (int64_t i = 0; i < total && producer_ok; ++i) {
    const int64_t due = start_ns + i * period_ns;
    int64_t now;
    while ((now = NowNs()) < due) CpuRelax();
    if (i == warmup) measure_start_ns = now;
    late_ns = now - due;
    Stamp(m.bytes, static_cast<uint64_t>(i), now);
    producer_ok = t.Send(m);
  }
  const int64_t end_ns = NowNs();
  if (!JoinConsumer(state, t, producer_ok, consumer, consumer_ok,
                    consumer_error))
    return;
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    size_t k =
        static_cast<size_t>(p * static_cast<double>(latencies.size() - 1));
    return static_cast<double>(latencies[k]) * 1e-3;  // microseconds
  };
  state.SetIterationTime((end_ns - measure_start_ns) * 1e-9);
  state.SetItemsProcessed(measured);
  state.counters["p50_us"] = pct(0.50);
  state.counters["p99_us"] = pct(0.99);
  state.counters["p999_us"] = pct(0.999);
  state.counters["max_us"] = static_cast<double>(latencies.back()) * 1e-3;
  state.counters["behind_us"] = static_cast<double>(late_ns) * 1e-3;
}

template <bool kLatency>
void Run(benchmark::State& state, Transport which) {
  auto go = [&](auto& t, const std::string& setup_error) {
    if (!setup_error.empty()) {
      state.SkipWithError(("setup: " + setup_error).c_str());
      return;
    }
    for (auto _ : state) {
      if constexpr (kLatency) {
        RunLatency(state, t);
      } else {
        RunThroughput(state, t);
      }
    }
  };
  auto evlog = [&](WaitStrategy w, size_t batch = 1) {
    EvlogTransport t(w, batch);
    go(t, t.Setup(/*prefill=*/kLatency));
    state.counters["log_records"] = static_cast<double>(t.LogEnd());
    state.counters["rolls_without_spare"] =
        static_cast<double>(t.Metric(&PartitionMetrics::rolls_without_spare));
  };
  switch (which) {
    case Transport::kSpsc: {
      auto t = std::make_unique<SpscTransport>();
      go(*t, t->Setup());
      break;
    }
    case Transport::kMutexCv: {
      auto t = std::make_unique<MutexCvTransport>();
      go(*t, t->Setup());
      break;
    }
    case Transport::kEvlogSpin:
      evlog(WaitStrategy::kSpinThenBlock);
      break;
    case Transport::kEvlogBlock:
      evlog(WaitStrategy::kBlock);
      break;
    case Transport::kEvlogBusySpin:
      evlog(WaitStrategy::kBusySpin);
      break;
    case Transport::kEvlogSpinBatch64:
      evlog(WaitStrategy::kSpinThenBlock, 64);
      break;
  }
}

void BM_Throughput(benchmark::State& state, Transport which) {
  Run<false>(state, which);
}

void BM_Latency(benchmark::State& state, Transport which) {
  Run<true>(state, which);
}

// ---------------------------------------------------------------------------
// Registration: one iteration per repetition, manual time.
// ---------------------------------------------------------------------------

#define PIPELINE_THROUGHPUT(name, which)        \
  BENCHMARK_CAPTURE(BM_Throughput, name, which) \
      ->Iterations(1)                           \
      ->UseManualTime()                         \
      ->Unit(benchmark::kMillisecond)

// 100k/s: spin-then-block (spin_us 50) never gets to block (a record every
// 10 us). 10k/s: a record every 100 us, so it spins 50 us, then sleeps.
#define PIPELINE_LATENCY(name, which)        \
  BENCHMARK_CAPTURE(BM_Latency, name, which) \
      ->ArgName("rate")                      \
      ->Arg(100'000)                         \
      ->Arg(10'000)                          \
      ->Iterations(1)                        \
      ->UseManualTime()                      \
      ->Unit(benchmark::kMillisecond)

PIPELINE_THROUGHPUT(spsc, Transport::kSpsc);
PIPELINE_THROUGHPUT(mutex_cv, Transport::kMutexCv);
PIPELINE_THROUGHPUT(evlog_spin, Transport::kEvlogSpin);
PIPELINE_THROUGHPUT(evlog_block, Transport::kEvlogBlock);
PIPELINE_THROUGHPUT(evlog_busy_spin, Transport::kEvlogBusySpin);
PIPELINE_THROUGHPUT(evlog_spin_batch64, Transport::kEvlogSpinBatch64);

PIPELINE_LATENCY(spsc, Transport::kSpsc);
PIPELINE_LATENCY(mutex_cv, Transport::kMutexCv);
PIPELINE_LATENCY(evlog_spin, Transport::kEvlogSpin);
PIPELINE_LATENCY(evlog_block, Transport::kEvlogBlock);
PIPELINE_LATENCY(evlog_busy_spin, Transport::kEvlogBusySpin);

}  // namespace
}  // namespace evlog::bench

BENCHMARK_MAIN();
