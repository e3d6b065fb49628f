// topic/topic.h: a topic -- a name, a config and its partition logs.
//
// Thread safety: partition lookups are lock-free and may run concurrently
// with AddPartition (which the store serialises). A partition, once added,
// stays until the Topic is destroyed, so a PartitionLog* obtained from a live
// Topic is valid for the Topic's lifetime; after DeleteTopic its logs are
// closed (appends fail with kFailedPrecondition) but still readable. The
// config may change (UpdateConfig, from Store::AlterTopicConfig); config()
// returns a copy, taken under a lock.

#ifndef EVLOG_TOPIC_TOPIC_H_
#define EVLOG_TOPIC_TOPIC_H_

#include <atomic>
#include <memory>
#include <string>

#include "evlog/options.h"
#include "evlog/types.h"
#include "partition/partition_log.h"
#include "util/mutex.h"

namespace evlog {

inline constexpr int32_t kMaxPartitions = 10000;

class Topic {
 public:
  Topic(std::string name, uint64_t id, TopicConfig config, std::string dir)
      : name_(std::move(name)),
        id_(id),
        config_(config),
        dir_(std::move(dir)) {}
  Topic(const Topic&) = delete;
  Topic& operator=(const Topic&) = delete;

  const std::string& name() const { return name_; }
  uint64_t id() const { return id_; }
  // Unique among the Topic objects of this process (ids are unique only in
  // a store, addresses are reused): for per-thread caches keyed by topic.
  uint64_t serial() const { return serial_; }
  TopicConfig config() const {
    MutexLock l(&config_mu_);
    return config_;
  }
  // Sets the config of the topic and of each of its partitions
  // (PartitionLog::UpdateConfig). The store validates it and commits it to
  // META first; externally serialised with AddPartition.
  absl::Status UpdateConfig(const TopicConfig& config) {
    {
      MutexLock l(&config_mu_);
      config_ = config;
    }
    absl::Status first;
    for (int32_t p = 0; p < partition_count(); ++p) {
      first.Update(partition(PartitionId(p))->UpdateConfig(config));
    }
    return first;
  }
  // Directory holding one sub-directory per partition ("0", "1", ...).
  const std::string& dir() const { return dir_; }

  int32_t partition_count() const {
    return count_.load(std::memory_order_acquire);
  }

  // The partition's log, or null if `p` is out of range.
  PartitionLog* partition(PartitionId p) const {
    if (p.value() < 0 || p.value() >= partition_count()) return nullptr;
    return chunks_[p.value() / kChunk]->logs[p.value() % kChunk].get();
  }
  std::shared_ptr<PartitionLog> shared_partition(PartitionId p) const {
    if (p.value() < 0 || p.value() >= partition_count()) return nullptr;
    return chunks_[p.value() / kChunk]->logs[p.value() % kChunk];
  }

  // Appends the next partition. Externally serialised; at most
  // kMaxPartitions.
  void AddPartition(std::shared_ptr<PartitionLog> log) {
    int32_t n = count_.load(std::memory_order_relaxed);
    if (chunks_[n / kChunk] == nullptr)
      chunks_[n / kChunk] = std::make_unique<Chunk>();
    chunks_[n / kChunk]->logs[n % kChunk] = std::move(log);
    count_.store(n + 1, std::memory_order_release);
  }

 private:
  static constexpr int32_t kChunk = 128;
  struct Chunk {
    std::shared_ptr<PartitionLog> logs[kChunk];
  };

  const std::string name_;
  static uint64_t NextSerial() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

  const uint64_t id_;
  const uint64_t serial_ = NextSerial();
  mutable Mutex config_mu_;
  TopicConfig config_ ABSL_GUARDED_BY(config_mu_);
  const std::string dir_;
  // Chunks are written before count_ is published and never change after.
  std::unique_ptr<Chunk> chunks_[(kMaxPartitions + kChunk - 1) / kChunk];
  std::atomic<int32_t> count_{0};
};

}  // namespace evlog

#endif  // EVLOG_TOPIC_TOPIC_H_
