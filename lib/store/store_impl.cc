#include "store/store_impl.h"

#include <algorithm>
#include <chrono>
#include <future>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "consumer/consumer_impl.h"
#include "env/mem_env.h"
#include "evlog/producer.h"
#include "producer/producer_impl.h"

namespace evlog {

absl::StatusOr<std::unique_ptr<Store>> Store::Open(
    const std::string& dir, const StoreOptions& options) {
  auto store = StoreImpl::Open(dir, options, nullptr);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

absl::StatusOr<std::unique_ptr<Store>> Store::OpenInMemory(
    const StoreOptions& options) {
  StoreOptions o = options;
  o.create_if_missing = true;
  o.read_only = false;
  // Memory holds every preallocated segment whole: use 4 MiB segments unless
  // the caller chose a size.
  if (o.default_topic_config.segment_bytes == TopicConfig().segment_bytes) {
    o.default_topic_config.segment_bytes = 4 << 20;
  }
  auto store = StoreImpl::Open("/evlog", o, NewMemEnv(nullptr));
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

StoreImpl::StoreImpl(std::string dir, const StoreOptions& options,
                     std::unique_ptr<Env> owned_env)
    : dir_(std::move(dir)),
      topics_dir_(absl::StrCat(dir_, "/", kTopicsDir)),
      options_(options),
      owned_env_(std::move(owned_env)),
      env_(owned_env_ ? owned_env_.get()
                      : (options.env ? options.env : Env::Default())),
      observer_(std::make_unique<StoreObserver>(options.logger,
                                                options.event_listener)),
      registry_(dir_) {}

absl::StatusOr<std::unique_ptr<StoreImpl>> StoreImpl::Open(
    const std::string& dir, const StoreOptions& options,
    std::unique_ptr<Env> owned_env) {
  if (dir.empty())
    return absl::InvalidArgumentError("store directory is empty");
  if (absl::Status s = options.default_topic_config.Validate(); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("default_topic_config: ", s.message()));
  }
  if (options.maintenance_interval_ms < 0) {
    return absl::InvalidArgumentError("maintenance_interval_ms must be >= 0");
  }
  if (options.compaction_buffer_bytes < (1ull << 20) ||
      options.compaction_buffer_bytes > (1ull << 40)) {
    return absl::InvalidArgumentError(
        "compaction_buffer_bytes must be in [1 MiB, 2^40]");
  }
  std::unique_ptr<StoreImpl> store(
      new StoreImpl(dir, options, std::move(owned_env)));
  store->log_maintainer_.set_compaction_buffer_bytes(
      options.compaction_buffer_bytes);
  if (absl::Status s = store->Load(); !s.ok()) {
    store->closed_.store(true);
    return s;
  }
  store->groups_ = std::make_unique<GroupCoordinator>(
      store->env_, store->dir_, options.read_only,
      [s = store.get()](std::string_view name) { return s->FindTopic(name); });
  store->groups_->SetObserver(store->observer_.get());
  if (absl::Status s = store->groups_->Open(); !s.ok()) {
    store->closed_.store(true);
    return s;
  }
  if (options.maintenance_interval_ms > 0 && !options.read_only) {
    // The thread pins itself before its first round; Open reports a
    // refused CPU list.
    std::promise<absl::Status> pinned;
    std::future<absl::Status> pin_status = pinned.get_future();
    store->maintenance_thread_ =
        std::thread([s = store.get(), pinned = std::move(pinned),
                     cpus = options.maintenance_cpus]() mutable {
          absl::Status p = cpus.empty() ? absl::OkStatus()
                                        : s->env_->SetThreadAffinity(cpus);
          const bool ok = p.ok();
          pinned.set_value(std::move(p));
          if (ok) s->MaintenanceLoop();
        });
    if (absl::Status s = pin_status.get(); !s.ok()) {
      store->maintenance_thread_.join();
      store->Close().IgnoreError();
      return absl::InvalidArgumentError(
          absl::StrCat("StoreOptions::maintenance_cpus: ", s.message()));
    }
  }
  return store;
}

StoreImpl::~StoreImpl() { Close().IgnoreError(); }

absl::StatusOr<std::unique_ptr<Producer>> StoreImpl::NewProducer(
    const ProducerOptions& options) {
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  if (absl::Status s = ProducerImpl::Validate(options); !s.ok()) return s;
  return std::unique_ptr<Producer>(
      new ProducerImpl(&registry_, env_->clock(), options));
}

absl::StatusOr<std::unique_ptr<Producer>> StoreImpl::NewProducer() {
  return NewProducer(ProducerOptions());
}

absl::StatusOr<std::unique_ptr<Consumer>> StoreImpl::NewConsumer(
    const ConsumerOptions& options) {
  if (closed())
    return absl::FailedPreconditionError(
        absl::StrCat("store ", dir_, " is closed"));
  if (absl::Status s = ConsumerImpl::Validate(options); !s.ok()) return s;
  std::shared_ptr<Group> group;
  if (!options.group_id.empty()) {
    auto g = groups_->GetOrCreate(options.group_id);
    if (!g.ok()) return g.status();
    group = *std::move(g);
  }
  return std::unique_ptr<Consumer>(
      new ConsumerImpl(&registry_, env_->clock(), options, std::move(group)));
}

std::vector<std::string> StoreImpl::ListGroups() const {
  return groups_->ListGroups();
}

absl::StatusOr<GroupDescription> StoreImpl::DescribeGroup(
    const std::string& group_id) const {
  if (closed())
    return absl::FailedPreconditionError(
        absl::StrCat("store ", dir_, " is closed"));
  return groups_->DescribeGroup(group_id);
}

absl::StatusOr<std::vector<TopicPartitionOffset>> StoreImpl::ResetGroupOffsets(
    const std::string& group_id, const std::string& topic,
    const OffsetReset& reset) {
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  return groups_->ResetGroupOffsets(group_id, topic, reset);
}

absl::Status StoreImpl::DeleteGroup(const std::string& group_id) {
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  return groups_->DeleteGroup(group_id);
}

absl::Status StoreImpl::Close() {
  {
    MutexLock l(&maintenance_mu_);
    stop_maintenance_ = true;
    maintenance_cv_.SignalAll();
  }
  if (maintenance_thread_.joinable()) maintenance_thread_.join();
  MutexLock admin(&admin_mu_);
  if (closed_.exchange(true)) return absl::OkStatus();
  absl::Status first;
  for (const auto& t : registry_.Close()) {
    for (int32_t p = 0; p < t->partition_count(); ++p) {
      first.Update(t->partition(PartitionId(p))->Close());
    }
  }
  if (groups_ != nullptr) groups_->Close();
  if (!options_.read_only) first.Update(env_->SyncDir(dir_));
  lock_.reset();
  return first;
}

}  // namespace evlog
