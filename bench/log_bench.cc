// bench/log_bench.cc: the partition log's named scenarios, each next to a
// baseline measured in the same run (docs/PERFORMANCE.md explains why and
// how the ratios are read).
//
//   BM_Memcpy_Append         memcpy of key + value into a preallocated buffer:
//                            the speed of light for an append.
//   BM_Memcpy_AppendFreshFile  the same into fresh mmapped files: the speed
//                            of light for an append that persists (page
//                            allocation and zeroing included).
//   BM_Lmdb_AppendOne        LMDB, one MDB_APPEND put per transaction.
//   BM_Lmdb_AppendBatch      LMDB, 1000 MDB_APPEND puts per transaction.
//   BM_Log_AppendOne         PartitionLog::Append of one record per call.
//   BM_Log_AppendBatch       PartitionLog::Append of 1000 records per call.
//   BM_Lmdb_ReadSeq          LMDB cursor, MDB_NEXT over N records.
//   BM_Log_ReadSeq           LogReader::Next over N records appended in
//                            batches of 1000 (a producer's usual shape).
//   BM_Log_ReadSeqUnbatched  the same over N records appended one at a time
//                            (one frame, one checksum per record).
//   BM_Lmdb_AppendOne_Sync   LMDB with default (synced) commits, one put each.
//   BM_Log_AppendOne_Sync    PartitionLog with Durability::kEveryAppend.
//   BM_Lmdb_AppendBatch_Sync LMDB, 1000 puts per synced transaction (the
//                            baseline of producer_bench.cc's synced batches
//                            and asynchronous sends).
//
// Every scenario takes the value size (100 B, 1 KiB) as its argument and
// uses 16-byte keys. Throughput is counted in records (items/s) and in
// key + value bytes (bytes/s), with wall-clock time, so blocking in msync or
// fsync counts. Logs use 64 MiB segments (TopicConfig's default); append runs
// are long enough to roll several times, and the number of segments at the
// end of a run is reported as the "segments" counter.
//
// Data lives in a mkdtemp directory under $TMPDIR (default /tmp), removed at
// the end of each run (appends) or of the process (read data sets, built
// once per value size outside the timed loop and shared by repetitions).

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <lmdb.h>
#include <sys/mman.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bench_util.h"
#include "evlog/env.h"
#include "evlog/options.h"
#include "evlog/record.h"
#include "lmdb_db.h"
#include "partition/log_reader.h"
#include "partition/partition_log.h"

namespace evlog::bench {
namespace {

// Size of every log segment (and of the memcpy buffer): TopicConfig's
// default, so rolls happen at their real frequency.
constexpr uint64_t kSegmentBytes = 64ull << 20;
// Key + value bytes in each read data set; about 4 segments of log.
constexpr size_t kReadDataBytes = 256u << 20;

int64_t ReadRecords(size_t value_size) {
  return static_cast<int64_t>(kReadDataBytes / (kKeySize + value_size));
}

absl::StatusOr<std::unique_ptr<PartitionLog>> OpenLog(const std::string& dir,
                                                      Durability durability) {
  TopicConfig config;
  config.segment_bytes = kSegmentBytes;
  config.durability = durability;
  return PartitionLog::Open(Env::Default(), dir, config);
}

void Fail(benchmark::State& state, const absl::Status& s) {
  state.SkipWithError(std::string(s.message()).c_str());
}

void FailMdb(benchmark::State& state, const char* what, int rc) {
  state.SkipWithError((std::string(what) + ": " + mdb_strerror(rc)).c_str());
}

// 1000 records whose keys live in `keys` (refilled per batch), all with the
// same value.
struct RecordBatch {
  RecordBatch(const std::string& value, int n)
      : keys(static_cast<size_t>(n) * kKeySize), records(n) {
    for (int i = 0; i < n; ++i) {
      records[i].key = std::string_view(&keys[i * kKeySize], kKeySize);
      records[i].value = std::string_view(value);
    }
  }
  void Fill(uint64_t* seq) {
    for (size_t i = 0; i < records.size(); ++i) {
      EncodeKey((*seq)++, &keys[i * kKeySize]);
    }
  }
  std::vector<char> keys;
  std::vector<Record> records;
};

// ---------------------------------------------------------------------------
// Appends
// ---------------------------------------------------------------------------

void BM_Memcpy_Append(benchmark::State& state) {
  const size_t value_size = static_cast<size_t>(state.range(0));
  const std::string value = MakeValue(value_size);
  const size_t record = kKeySize + value_size;
  std::vector<char> buf(kSegmentBytes, 1);  // touched: no page faults timed
  char* const data = buf.data();
  benchmark::DoNotOptimize(data);  // the buffer escapes: stores are observable
  char key[kKeySize];
  size_t pos = 0;
  uint64_t seq = 0;
  for (auto _ : state) {
    if (pos + record > buf.size()) pos = 0;
    EncodeKey(seq++, key);
    std::memcpy(data + pos, key, kKeySize);
    std::memcpy(data + pos + kKeySize, value.data(), value_size);
    pos += record;
    benchmark::ClobberMemory();  // every copy really happens
  }
  SetThroughput(state, state.iterations(), value_size);
}

// The same copies into fresh 64 MiB files (posix_fallocate, mapped shared,
// unlinked when full), as a log that persists must: the kernel allocates and
// zeroes a page-cache page at the first write to each 4 KiB. What persisting
// alone costs per record, whichever thread pays it (evlog prefaults the next
// segment on its maintenance thread).
void BM_Memcpy_AppendFreshFile(benchmark::State& state) {
  const size_t value_size = static_cast<size_t>(state.range(0));
  const std::string value = MakeValue(value_size);
  const size_t record = kKeySize + value_size;
  ScratchDir dir("fresh");
  const std::string path = dir.path() + "/segment";
  char* data = nullptr;
  auto map_fresh = [&]() -> bool {
    if (data != nullptr) ::munmap(data, kSegmentBytes);
    data = nullptr;
    ::unlink(path.c_str());
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return false;
    void* p = MAP_FAILED;
    if (::posix_fallocate(fd, 0, kSegmentBytes) == 0) {
      p = ::mmap(nullptr, kSegmentBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                 0);
    }
    ::close(fd);
    if (p != MAP_FAILED) data = static_cast<char*>(p);
    return data != nullptr;
  };
  if (!dir.ok() || !map_fresh()) {
    state.SkipWithError("cannot map a fresh file");
    return;
  }
  char key[kKeySize];
  size_t pos = 0;
  uint64_t seq = 0;
  int64_t files = 1;
  for (auto _ : state) {
    if (pos + record > kSegmentBytes) {
      if (!map_fresh()) {
        state.SkipWithError("cannot map a fresh file");
        break;
      }
      pos = 0;
      ++files;
    }
    EncodeKey(seq++, key);
    std::memcpy(data + pos, key, kKeySize);
    std::memcpy(data + pos + kKeySize, value.data(), value_size);
    pos += record;
    benchmark::ClobberMemory();
  }
  if (data != nullptr) ::munmap(data, kSegmentBytes);
  state.counters["segments"] = static_cast<double>(files);
  SetThroughput(state, state.iterations(), value_size);
}

void BM_Lmdb_Append(benchmark::State& state, unsigned env_flags,
                    int puts_per_txn) {
  const size_t value_size = static_cast<size_t>(state.range(0));
  const std::string value = MakeValue(value_size);
  ScratchDir dir("lmdb");
  std::string error;
  std::unique_ptr<LmdbDb> db =
      dir.ok() ? LmdbDb::Open(dir.path(), env_flags, &error) : nullptr;
  if (db == nullptr) {
    state.SkipWithError(dir.ok() ? error.c_str() : "mkdtemp failed");
    return;
  }
  char key[kKeySize];
  MDB_val k{kKeySize, key};
  uint64_t seq = 0;
  for (auto _ : state) {
    MDB_txn* txn;
    int rc = mdb_txn_begin(db->env(), nullptr, 0, &txn);
    if (rc != 0) {
      FailMdb(state, "mdb_txn_begin", rc);
      break;
    }
    for (int i = 0; i < puts_per_txn && rc == 0; ++i) {
      EncodeKey(seq++, key);
      MDB_val v{value_size, const_cast<char*>(value.data())};
      rc = mdb_put(txn, db->dbi(), &k, &v, MDB_APPEND);
    }
    if (rc != 0) {
      mdb_txn_abort(txn);
      FailMdb(state, "mdb_put", rc);
      break;
    }
    if ((rc = mdb_txn_commit(txn)) != 0) {
      FailMdb(state, "mdb_txn_commit", rc);
      break;
    }
  }
  SetThroughput(state, state.iterations() * puts_per_txn, value_size);
}

void BM_Lmdb_AppendOne(benchmark::State& state) {
  BM_Lmdb_Append(state, kLmdbNoSyncFlags, 1);
}

void BM_Lmdb_AppendBatch(benchmark::State& state) {
  BM_Lmdb_Append(state, kLmdbNoSyncFlags, kBatchRecords);
}

// Default flags: every commit fsyncs data and meta page.
void BM_Lmdb_AppendOne_Sync(benchmark::State& state) {
  BM_Lmdb_Append(state, 0, 1);
}

// 1000 puts per transaction, each commit fsynced.
void BM_Lmdb_AppendBatch_Sync(benchmark::State& state) {
  BM_Lmdb_Append(state, 0, kBatchRecords);
}

// Mirrors the store's maintenance thread, which prepares (allocates and
// prefaults) the next segment off the append path when the log asks
// (PartitionLog::SetSpareRequester). Without it every roll would allocate
// and fault in a fresh segment on the appending thread.
class SparePreparer {
 public:
  explicit SparePreparer(PartitionLog* log) : log_(log) {
    log_->SetSpareRequester([this] {
      std::lock_guard<std::mutex> g(mu_);
      pending_ = true;
      cv_.notify_one();
    });
    thread_ = std::thread([this] { Run(); });
  }
  ~SparePreparer() {
    {
      std::lock_guard<std::mutex> g(mu_);
      stop_ = true;
      cv_.notify_one();
    }
    thread_.join();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return stop_ || pending_; });
      if (stop_) return;
      pending_ = false;
      lock.unlock();
      log_->PrepareSpare().IgnoreError();
      lock.lock();
    }
  }

  PartitionLog* const log_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool pending_ = false;
  bool stop_ = false;
  std::thread thread_;
};

void BM_Log_Append(benchmark::State& state, Durability durability,
                   int records_per_append) {
  const size_t value_size = static_cast<size_t>(state.range(0));
  const std::string value = MakeValue(value_size);
  ScratchDir dir("log");
  if (!dir.ok()) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  auto log = OpenLog(dir.path(), durability);
  if (!log.ok()) {
    Fail(state, log.status());
    return;
  }
  SparePreparer preparer(log->get());
  RecordBatch batch(value, records_per_append);
  uint64_t seq = 0;
  for (auto _ : state) {
    batch.Fill(&seq);
    absl::StatusOr<AppendResult> r = (*log)->Append(batch.records);
    if (!r.ok()) {
      Fail(state, r.status());
      break;
    }
  }
  state.counters["segments"] = static_cast<double>((*log)->Segments().size());
  SetThroughput(state, state.iterations() * records_per_append, value_size);
  if (absl::Status s = (*log)->Close(); !s.ok()) Fail(state, s);
}

void BM_Log_AppendOne(benchmark::State& state) {
  BM_Log_Append(state, Durability::kNone, 1);
}

void BM_Log_AppendBatch(benchmark::State& state) {
  BM_Log_Append(state, Durability::kNone, kBatchRecords);
}

void BM_Log_AppendOne_Sync(benchmark::State& state) {
  BM_Log_Append(state, Durability::kEveryAppend, 1);
}

// ---------------------------------------------------------------------------
// Sequential reads
// ---------------------------------------------------------------------------
//
// Each data set is written once per (value size, batch) and kept for the
// whole process, so repetitions read the same, page-cache-resident bytes.

struct LogData {
  ScratchDir dir{"log_read"};  // declared first: removed after the log closes
  std::unique_ptr<PartitionLog> log;
};

struct LmdbData {
  ScratchDir dir{"lmdb_read"};
  std::unique_ptr<LmdbDb> db;
};

absl::StatusOr<const LogData*> GetLogData(size_t value_size, int batch) {
  static auto* cache =
      new std::map<std::pair<size_t, int>, std::unique_ptr<LogData>>;
  static struct Cleanup {  // closes logs and removes their dirs at exit
    ~Cleanup() { delete cache; }
  } cleanup;
  auto& slot = (*cache)[{value_size, batch}];
  if (slot != nullptr) return slot.get();
  auto data = std::make_unique<LogData>();
  if (!data->dir.ok()) return absl::InternalError("mkdtemp failed");
  auto log = OpenLog(data->dir.path(), Durability::kNone);
  if (!log.ok()) return log.status();
  const std::string value = MakeValue(value_size);
  RecordBatch records(value, batch);
  uint64_t seq = 0;
  for (int64_t n = ReadRecords(value_size); n > 0; n -= batch) {
    records.Fill(&seq);
    if (auto r = (*log)->Append(records.records); !r.ok()) return r.status();
  }
  data->log = *std::move(log);
  slot = std::move(data);
  return slot.get();
}

absl::StatusOr<const LmdbData*> GetLmdbData(size_t value_size) {
  static auto* cache = new std::map<size_t, std::unique_ptr<LmdbData>>;
  static struct Cleanup {
    ~Cleanup() { delete cache; }
  } cleanup;
  auto& slot = (*cache)[value_size];
  if (slot != nullptr) return slot.get();
  auto data = std::make_unique<LmdbData>();
  if (!data->dir.ok()) return absl::InternalError("mkdtemp failed");
  std::string error;
  data->db = LmdbDb::Open(data->dir.path(), kLmdbNoSyncFlags, &error);
  if (data->db == nullptr) return absl::InternalError(error);
  const std::string value = MakeValue(value_size);
  char key[kKeySize];
  MDB_val k{kKeySize, key};
  uint64_t seq = 0;
  const uint64_t total = static_cast<uint64_t>(ReadRecords(value_size));
  while (seq < total) {
    MDB_txn* txn;
    int rc = mdb_txn_begin(data->db->env(), nullptr, 0, &txn);
    for (int i = 0; rc == 0 && i < kBatchRecords && seq < total; ++i) {
      EncodeKey(seq++, key);
      MDB_val v{value_size, const_cast<char*>(value.data())};
      rc = mdb_put(txn, data->db->dbi(), &k, &v, MDB_APPEND);
    }
    if (rc == 0) rc = mdb_txn_commit(txn);
    if (rc != 0) return absl::InternalError(mdb_strerror(rc));
  }
  slot = std::move(data);
  return slot.get();
}

void BM_Lmdb_ReadSeq(benchmark::State& state) {
  const size_t value_size = static_cast<size_t>(state.range(0));
  auto data = GetLmdbData(value_size);
  if (!data.ok()) {
    Fail(state, data.status());
    return;
  }
  MDB_txn* txn;
  MDB_cursor* cursor;
  int rc = mdb_txn_begin((*data)->db->env(), nullptr, MDB_RDONLY, &txn);
  if (rc != 0) {
    FailMdb(state, "mdb_txn_begin", rc);
    return;
  }
  if ((rc = mdb_cursor_open(txn, (*data)->db->dbi(), &cursor)) != 0) {
    mdb_txn_abort(txn);
    FailMdb(state, "mdb_cursor_open", rc);
    return;
  }
  MDB_val k, v;
  uint64_t sink = 0;
  for (auto _ : state) {
    rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT);
    if (rc == MDB_NOTFOUND) rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST);
    if (rc != 0) {
      FailMdb(state, "mdb_cursor_get", rc);
      break;
    }
    sink += k.mv_size + v.mv_size;
    benchmark::DoNotOptimize(sink);
  }
  mdb_cursor_close(cursor);
  mdb_txn_abort(txn);
  SetThroughput(state, state.iterations(), value_size);
}

void BM_Log_Read(benchmark::State& state, int batch) {
  const size_t value_size = static_cast<size_t>(state.range(0));
  auto data = GetLogData(value_size, batch);
  if (!data.ok()) {
    Fail(state, data.status());
    return;
  }
  const PartitionLog* log = (*data)->log.get();
  const Offset start = log->start_offset();
  const Offset end = log->end_offset();
  LogReader reader(log, start);
  RecordView record;
  uint64_t sink = 0;
  for (auto _ : state) {
    absl::StatusOr<bool> more = reader.Next(&record, end);
    if (more.ok() && !*more) {  // wrapped: start over (once per N records)
      reader.Seek(start);
      more = reader.Next(&record, end);
    }
    if (!more.ok() || !*more) {
      Fail(state, more.ok() ? absl::InternalError("empty log") : more.status());
      break;
    }
    sink += record.key()->size() + record.value()->size();
    benchmark::DoNotOptimize(sink);
  }
  SetThroughput(state, state.iterations(), value_size);
}

void BM_Log_ReadSeq(benchmark::State& state) {
  BM_Log_Read(state, kBatchRecords);
}

void BM_Log_ReadSeqUnbatched(benchmark::State& state) { BM_Log_Read(state, 1); }

// ---------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------

void ValueSizes(benchmark::internal::Benchmark* b) {
  b->ArgName("value")->Arg(100)->Arg(1024)->UseRealTime();
}

// Long enough for 100 B appends to roll 64 MiB segments several times.
constexpr double kAppendMinSeconds = 1.0;
// Synced appends cost milliseconds each on a disk; a fixed count keeps the
// run short.
constexpr int kSyncedAppends = 200;

BENCHMARK(BM_Memcpy_Append)->Apply(ValueSizes);
BENCHMARK(BM_Memcpy_AppendFreshFile)
    ->Apply(ValueSizes)
    ->MinTime(kAppendMinSeconds);
BENCHMARK(BM_Lmdb_AppendOne)->Apply(ValueSizes)->MinTime(kAppendMinSeconds);
BENCHMARK(BM_Lmdb_AppendBatch)->Apply(ValueSizes)->MinTime(kAppendMinSeconds);
BENCHMARK(BM_Log_AppendOne)->Apply(ValueSizes)->MinTime(kAppendMinSeconds);
BENCHMARK(BM_Log_AppendBatch)->Apply(ValueSizes)->MinTime(kAppendMinSeconds);
BENCHMARK(BM_Lmdb_ReadSeq)->Apply(ValueSizes);
BENCHMARK(BM_Log_ReadSeq)->Apply(ValueSizes);
BENCHMARK(BM_Log_ReadSeqUnbatched)->Apply(ValueSizes);
BENCHMARK(BM_Lmdb_AppendOne_Sync)
    ->Apply(ValueSizes)
    ->Iterations(kSyncedAppends);
BENCHMARK(BM_Log_AppendOne_Sync)->Apply(ValueSizes)->Iterations(kSyncedAppends);
BENCHMARK(BM_Lmdb_AppendBatch_Sync)->Apply(ValueSizes)->MinTime(1.0);

}  // namespace
}  // namespace evlog::bench

BENCHMARK_MAIN();
