// store/store_impl.h: the implementation of evlog::Store.
//
// Layout of a store directory (docs/FORMAT.md):
//   <dir>/LOCK                       flock'ed by the owner
//   <dir>/META                       topics (store/store_meta.h)
//   <dir>/topics/<name>.<id>/<p>/    one partition log per directory
//
// Locking: `topics_mu_` (reader-writer) guards the name -> topic map.
// Appends take it shared only when their thread's cached topic is stale
// (WithTopic); topic administration takes it exclusively. `admin_mu_`
// serialises administrative operations (which do slow I/O) without blocking
// appends for their whole duration.

#ifndef EVLOG_STORE_STORE_IMPL_H_
#define EVLOG_STORE_STORE_IMPL_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "evlog/store.h"
#include "group/group_coordinator.h"
#include "observability/store_observer.h"
#include "retention/log_maintainer.h"
#include "store/store_meta.h"
#include "topic/topic.h"
#include "util/mutex.h"

namespace evlog {

class StoreImpl final : public Store {
 public:
  static absl::StatusOr<std::unique_ptr<StoreImpl>> Open(
      const std::string& dir, const StoreOptions& options,
      std::unique_ptr<Env> owned_env);
  ~StoreImpl() override;

  absl::Status Close() override;
  absl::Status CreateTopic(const std::string& name, int32_t partitions,
                           const TopicConfig& config) override;
  absl::Status CreateTopic(const std::string& name,
                           int32_t partitions) override {
    return CreateTopic(name, partitions, options_.default_topic_config);
  }
  absl::Status DeleteTopic(const std::string& name) override;
  absl::Status AddPartitions(const std::string& name,
                             int32_t new_total) override;
  std::vector<std::string> ListTopics() const override;
  absl::StatusOr<TopicDescription> DescribeTopic(
      const std::string& name) const override;
  absl::StatusOr<std::unique_ptr<Producer>> NewProducer(
      const ProducerOptions& options) override;
  absl::StatusOr<std::unique_ptr<Producer>> NewProducer() override;
  absl::StatusOr<std::unique_ptr<Consumer>> NewConsumer(
      const ConsumerOptions& options) override;
  std::vector<std::string> ListGroups() const override;
  absl::StatusOr<GroupDescription> DescribeGroup(
      const std::string& group_id) const override;
  absl::StatusOr<std::vector<TopicPartitionOffset>> ResetGroupOffsets(
      const std::string& group_id, const std::string& topic,
      const OffsetReset& reset) override;
  absl::Status DeleteGroup(const std::string& group_id) override;
  absl::Status Flush() override;
  absl::Status RunMaintenance() override;
  absl::Status Refresh() override;
  MetricsSnapshot Metrics() const override;
  const std::string& dir() const override { return dir_; }
  Env* env() const override { return env_; }

  // Runs `fn` on the named topic, kept alive meanwhile (a concurrent
  // DeleteTopic closes its partitions, so `fn`'s appends fail with
  // kFailedPrecondition). kNotFound if unknown, kFailedPrecondition if the
  // store is closed. The send path: each thread remembers the last topic it
  // used, valid while topics_generation_ has not moved, so a producer
  // sending to one topic takes no store-wide lock and hashes no name.
  absl::Status WithTopic(
      std::string_view name,
      absl::FunctionRef<absl::Status(const std::shared_ptr<Topic>&)> fn) const;

  // The topic, kept alive by the returned pointer even if deleted later.
  absl::StatusOr<std::shared_ptr<Topic>> FindTopic(std::string_view name) const;

  bool read_only() const { return options_.read_only; }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

 private:
  StoreImpl(std::string dir, const StoreOptions& options,
            std::unique_ptr<Env> owned_env);
  absl::Status Load();
  absl::Status RemoveOrphans();
  absl::Status CheckWritable() const;
  // The (empty) Topic object of `tm`, in its directory under topics_dir_.
  std::shared_ptr<Topic> NewTopic(const TopicMeta& tm) const;
  // Opens (creating if needed) partition `p` of `topic`.
  absl::StatusOr<std::shared_ptr<PartitionLog>> OpenPartition(
      const Topic& topic, int32_t p);
  absl::Status CommitMeta(const StoreMeta& meta);
  StoreMeta CurrentMeta() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(admin_mu_);
  void MaintenanceLoop();

  const std::string dir_;
  const std::string topics_dir_;
  const StoreOptions options_;
  std::unique_ptr<Env> owned_env_;  // for in-memory stores
  Env* const env_;
  // Metrics, logger and listener (observability/). Declared before the
  // topics so that it outlives every partition's observer calls.
  const std::unique_ptr<StoreObserver> observer_;
  std::unique_ptr<FileLock> lock_;
  std::atomic<bool> closed_{false};

  Mutex admin_mu_;  // serialises topic administration; taken before topics_mu_
  uint64_t next_topic_id_ ABSL_GUARDED_BY(admin_mu_) = 1;

  const uint64_t id_;  // unique in the process, for WithTopic's cache
  mutable SharedMutex topics_mu_;
  // Moves on every change of topics_, under its writer lock.
  std::atomic<uint64_t> topics_generation_{0};
  absl::flat_hash_map<std::string, std::shared_ptr<Topic>> topics_
      ABSL_GUARDED_BY(topics_mu_);

  Mutex maintenance_mu_;
  CondVar maintenance_cv_{&maintenance_mu_};
  bool stop_maintenance_ ABSL_GUARDED_BY(maintenance_mu_) = false;
  // Partitions that asked for a spare segment
  // (PartitionLog::SetSpareRequester).
  std::vector<std::weak_ptr<PartitionLog>> spare_requests_
      ABSL_GUARDED_BY(maintenance_mu_);
  std::thread maintenance_thread_;
  // Retention and compaction, run by RunMaintenance (retention/).
  LogMaintainer log_maintainer_;

  // Consumer groups and their committed offsets (<dir>/groups/); created
  // by Open after Load.
  std::unique_ptr<GroupCoordinator> groups_;
};

}  // namespace evlog

#endif  // EVLOG_STORE_STORE_IMPL_H_
