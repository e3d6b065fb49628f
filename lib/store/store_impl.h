// store/store_impl.h: the implementation of evlog::Store.
//
// Layout of a store directory (docs/FORMAT.md):
//   <dir>/LOCK                       flock'ed by the owner
//   <dir>/META                       topics (store/store_meta.h)
//   <dir>/topics/<name>.<id>/<p>/    one partition log per directory
//
// The store composes the layers below it: the topic registry
// (topic/topic_registry.h: name -> topic, which producers and consumers use
// directly), the group coordinator, the log maintainer and the observer.
// Its code is split by concept: store_impl.cc (open, close, clients,
// groups), store_load.cc (META -> topics at open and Refresh),
// store_topics.cc (topic administration), store_maintenance.cc (flush,
// maintenance rounds and thread), store_describe.cc (DescribeTopic,
// Metrics).
//
// Locking: `admin_mu_` serialises administrative operations (which do slow
// I/O) and every change of the registry; the registry's own reader-writer
// lock keeps appends and lookups from waiting for that I/O.

#ifndef EVLOG_STORE_STORE_IMPL_H_
#define EVLOG_STORE_STORE_IMPL_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "evlog/store.h"
#include "group/group_coordinator.h"
#include "observability/store_observer.h"
#include "retention/log_maintainer.h"
#include "store/store_meta.h"
#include "topic/topic.h"
#include "topic/topic_registry.h"
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
  absl::Status AlterTopicConfig(
      const std::string& name,
      const std::vector<TopicConfigChange>& changes) override;
  absl::StatusOr<std::vector<TopicPartitionOffset>> DeleteRecords(
      const std::vector<TopicPartitionOffset>& before) override;
  std::vector<std::string> ListTopics() const override {
    return registry_.Names();
  }
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

  // The topics; producers and consumers look topics up here.
  const TopicRegistry& registry() const { return registry_; }
  // registry().Find(name): the topic, kept alive by the returned pointer.
  absl::StatusOr<std::shared_ptr<Topic>> FindTopic(
      std::string_view name) const {
    return registry_.Find(name);
  }

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
  // Opens (creating if needed) partition `p` of `topic`. `fresh`: a new
  // partition of CreateTopic, created without syncs; the caller makes the
  // topic's tree durable (Env::SyncTree) before META names it.
  absl::StatusOr<std::shared_ptr<PartitionLog>> OpenPartition(
      const Topic& topic, int32_t p, bool fresh = false);
  absl::Status CommitMeta(const StoreMeta& meta);
  // `topic`'s config with `changes` applied, validated (the message names
  // the key).
  absl::StatusOr<TopicConfig> ApplyChanges(
      const Topic& topic, const std::vector<TopicConfigChange>& changes) const;
  StoreMeta CurrentMeta() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(admin_mu_);
  void MaintenanceLoop();

  // Names in the store directory (docs/FORMAT.md).
  static constexpr char kTopicsDir[] = "topics";
  static constexpr char kLockFile[] = "LOCK";

  const std::string dir_;
  const std::string topics_dir_;
  const StoreOptions options_;
  std::unique_ptr<Env> owned_env_;  // for in-memory stores
  Env* const env_;
  // Metrics, logger and listener (observability/). Declared before the
  // topics so that it outlives every partition's observer calls.
  const std::unique_ptr<StoreObserver> observer_;
  std::unique_ptr<FileLock> lock_;
  uint32_t epoch_ = 0;  // writer epoch of this incarnation (0: read-only)
  std::atomic<bool> closed_{false};

  // Serialises topic administration and registry changes; taken before
  // the registry's lock.
  Mutex admin_mu_;
  uint64_t next_topic_id_ ABSL_GUARDED_BY(admin_mu_) = 1;
  TopicRegistry registry_;

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
