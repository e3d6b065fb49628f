#include "store/store_impl.h"

#include <algorithm>
#include <chrono>
#include <future>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "consumer/consumer_impl.h"
#include "env/mem_env.h"
#include "evlog/producer.h"
#include "producer/producer_impl.h"
#include "storage/durable_file.h"
#include "topic/topic_name.h"
#include "util/string_view.h"

namespace evlog {

namespace {
constexpr char kTopicsDir[] = "topics";
constexpr char kLockFile[] = "LOCK";
}  // namespace

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

namespace {

// Ids for WithTopic's per-thread cache: a store at a reused address must
// not match another store's cached topic.
uint64_t NextStoreId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

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
      id_(NextStoreId()) {}

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

absl::Status StoreImpl::Load() {
  Env* env = env_;
  std::string meta_path = absl::StrCat(dir_, "/", kStoreMetaFile);
  if (!options_.read_only) {
    if (!env->FileExists(dir_)) {
      if (!options_.create_if_missing) {
        return absl::NotFoundError(
            absl::StrCat("store ", dir_, " does not exist"));
      }
      if (absl::Status s = env->CreateDir(dir_); !s.ok()) return s;
    }
    // At every writable open, not only at creation: an earlier open may have
    // created the directory and failed before this sync.
    size_t slash = dir_.rfind('/');
    std::string parent =
        slash == std::string::npos ? "." : dir_.substr(0, slash);
    if (parent.empty()) parent = "/";
    if (absl::Status s = env->SyncDir(parent); !s.ok()) return s;
    auto lock = env->LockFile(absl::StrCat(dir_, "/", kLockFile));
    if (!lock.ok()) {
      if (absl::IsUnavailable(lock.status())) {
        return absl::UnavailableError(absl::StrCat(
            "store ", dir_, " is held by another owner (lock file ", dir_, "/",
            kLockFile, "): ", lock.status().message()));
      }
      return lock.status();
    }
    lock_ = *std::move(lock);
  }

  StoreMeta meta;
  if (env->FileExists(meta_path)) {
    auto text = env->ReadFile(meta_path);
    if (!text.ok()) return text.status();
    auto decoded = DecodeStoreMeta(*text);
    if (!decoded.ok()) {
      return absl::DataLossError(
          absl::StrCat(meta_path, ": ", decoded.status().message()));
    }
    meta = *std::move(decoded);
  } else if (options_.read_only) {
    return absl::NotFoundError(absl::StrCat("no evlog store at ", dir_, " (",
                                            meta_path, " is missing)"));
  } else {
    if (absl::Status s = CreateDirDurably(env, dir_, kTopicsDir); !s.ok())
      return s;
    if (absl::Status s = ReplaceFileDurably(env, dir_, kStoreMetaFile,
                                            EncodeStoreMeta(meta));
        !s.ok()) {
      return s;
    }
  }
  if (!options_.read_only) {
    env->RemoveFile(meta_path + kTmpSuffix).IgnoreError();
    if (absl::Status s = CreateDirDurably(env, dir_, kTopicsDir); !s.ok())
      return s;
  }

  MutexLock admin(&admin_mu_);
  next_topic_id_ = meta.next_topic_id;
  for (const TopicMeta& tm : meta.topics) {
    auto topic = NewTopic(tm);
    for (int32_t p = 0; p < tm.partitions; ++p) {
      auto log = OpenPartition(*topic, p);
      if (!log.ok()) return log.status();
      topic->AddPartition(*std::move(log));
    }
    WriterLock l(&topics_mu_);
    topics_generation_.fetch_add(1, std::memory_order_release);
    if (!topics_.emplace(tm.name, std::move(topic)).second) {
      return absl::DataLossError(
          absl::StrCat(meta_path, ": topic ", tm.name, " is listed twice"));
    }
  }
  return options_.read_only ? absl::OkStatus() : RemoveOrphans();
}

absl::Status StoreImpl::Refresh() {
  if (!options_.read_only) return absl::OkStatus();
  if (closed())
    return absl::FailedPreconditionError(
        absl::StrCat("store ", dir_, " is closed"));
  std::string meta_path = absl::StrCat(dir_, "/", kStoreMetaFile);
  auto text = env_->ReadFile(meta_path);
  if (!text.ok()) return text.status();
  auto meta = DecodeStoreMeta(*text);
  if (!meta.ok()) {
    return absl::DataLossError(
        absl::StrCat(meta_path, ": ", meta.status().message()));
  }
  MutexLock admin(&admin_mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<Topic>> next;
  for (const TopicMeta& tm : meta->topics) {
    std::shared_ptr<Topic> topic;
    {
      ReaderLock l(&topics_mu_);
      auto it = topics_.find(tm.name);
      if (it != topics_.end() && it->second->id() == tm.id) topic = it->second;
    }
    if (topic == nullptr) {  // new, or deleted and re-created
      topic = NewTopic(tm);
    }
    for (int32_t p = topic->partition_count(); p < tm.partitions; ++p) {
      auto log = OpenPartition(*topic, p);
      if (!log.ok()) return log.status();
      topic->AddPartition(*std::move(log));
    }
    for (int32_t p = 0; p < topic->partition_count(); ++p) {
      if (absl::Status s = topic->partition(PartitionId(p))->Refresh(); !s.ok())
        return s;
    }
    next.emplace(tm.name, std::move(topic));
  }
  WriterLock l(&topics_mu_);
  topics_generation_.fetch_add(1, std::memory_order_release);
  topics_.swap(next);
  return absl::OkStatus();
}

absl::Status StoreImpl::RemoveOrphans() {
  // Directories of topics or partitions that an interrupted create, delete or
  // partition increase left behind: not in META, so unreachable.
  auto entries = env_->ListDir(topics_dir_);
  if (!entries.ok()) return entries.status();
  bool removed = false;
  for (const std::string& name : *entries) {
    std::shared_ptr<Topic> topic;
    {
      ReaderLock l(&topics_mu_);
      for (const auto& [n, t] : topics_) {
        if (absl::StrCat(n, ".", t->id()) == name) topic = t;
      }
    }
    std::string path = absl::StrCat(topics_dir_, "/", name);
    if (topic == nullptr) {
      if (absl::Status s = RemoveTree(env_, path); !s.ok()) return s;
      removed = true;
      continue;
    }
    auto parts = env_->ListDir(path);
    if (!parts.ok()) return parts.status();
    bool removed_part = false;
    for (const std::string& p : *parts) {
      int32_t index;
      if (absl::SimpleAtoi(p, &index) && index >= 0 &&
          index < topic->partition_count() && p == absl::StrCat(index)) {
        continue;
      }
      if (absl::Status s = RemoveTree(env_, absl::StrCat(path, "/", p));
          !s.ok())
        return s;
      removed_part = true;
    }
    if (removed_part) {
      if (absl::Status s = env_->SyncDir(path); !s.ok()) return s;
    }
  }
  return removed ? env_->SyncDir(topics_dir_) : absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<PartitionLog>> StoreImpl::OpenPartition(
    const Topic& topic, int32_t p) {
  std::string dir = absl::StrCat(topic.dir(), "/", p);
  if (!options_.read_only) {
    if (absl::Status s = CreateDirDurably(env_, topic.dir(), absl::StrCat(p));
        !s.ok()) {
      return s;
    }
  }
  RecoveryReport report;
  auto log = PartitionLog::Open(env_, dir, topic.config(), &report,
                                options_.read_only);
  if (!log.ok()) {
    observer_->OnOpenFailed({topic.name(), PartitionId(p)}, log.status());
    return absl::Status(log.status().code(),
                        absl::StrCat("topic ", topic.name(), " partition ", p,
                                     ": ", log.status().message()));
  }
  observer_->OnRecovery({topic.name(), PartitionId(p)},
                        {.segments_scanned = report.segments_scanned,
                         .bytes_scanned = report.bytes_scanned,
                         .bytes_truncated = report.bytes_truncated,
                         .segments_removed = report.segments_removed,
                         .detail = report.detail});
  std::shared_ptr<PartitionLog> shared(std::move(*log));
  shared->SetObserver(
      observer_->AddPartition(topic.name(), topic.id(), PartitionId(p)));
  if (!options_.read_only && options_.maintenance_interval_ms > 0) {
    // Next segments are prepared on the maintenance thread, off the append
    // path (PartitionLog::SetSpareRequester).
    std::weak_ptr<PartitionLog> weak = shared;
    shared->SetSpareRequester([this, weak] {
      MutexLock l(&maintenance_mu_);
      spare_requests_.push_back(weak);
      maintenance_cv_.SignalAll();
    });
  }
  return shared;
}

std::shared_ptr<Topic> StoreImpl::NewTopic(const TopicMeta& tm) const {
  return std::make_shared<Topic>(
      tm.name, tm.id, tm.config,
      absl::StrCat(topics_dir_, "/", TopicDirName(tm)));
}

absl::Status StoreImpl::CheckWritable() const {
  if (closed())
    return absl::FailedPreconditionError(
        absl::StrCat("store ", dir_, " is closed"));
  if (options_.read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat("store ", dir_, " is open read-only"));
  }
  return absl::OkStatus();
}

StoreMeta StoreImpl::CurrentMeta() const {
  StoreMeta meta;
  meta.next_topic_id = next_topic_id_;
  ReaderLock l(&topics_mu_);
  for (const auto& [name, t] : topics_) {
    meta.topics.push_back({t->id(), name, t->partition_count(), t->config()});
  }
  std::sort(meta.topics.begin(), meta.topics.end(),
            [](const TopicMeta& a, const TopicMeta& b) { return a.id < b.id; });
  return meta;
}

absl::Status StoreImpl::CommitMeta(const StoreMeta& meta) {
  return ReplaceFileDurably(env_, dir_, kStoreMetaFile, EncodeStoreMeta(meta));
}

absl::Status StoreImpl::CreateTopic(const std::string& name, int32_t partitions,
                                    const TopicConfig& config) {
  if (absl::Status s = ValidateTopicName(name); !s.ok()) return s;
  if (partitions < 1 || partitions > kMaxPartitions) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition count ", partitions, " is outside [1, ",
                     kMaxPartitions, "]"));
  }
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  MutexLock admin(&admin_mu_);
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  {
    ReaderLock l(&topics_mu_);
    if (topics_.contains(name)) {
      return absl::AlreadyExistsError(
          absl::StrCat("topic ", name, " already exists"));
    }
  }
  TopicMeta tm{next_topic_id_, name, partitions, config};
  auto topic = NewTopic(tm);
  // Directories first: a crash before META is committed leaves an orphan
  // that the next open removes.
  absl::Status s = CreateDirDurably(env_, topics_dir_, TopicDirName(tm));
  for (int32_t p = 0; s.ok() && p < partitions; ++p) {
    auto log = OpenPartition(*topic, p);
    if (log.ok()) {
      topic->AddPartition(*std::move(log));
    } else {
      s = log.status();
    }
  }
  StoreMeta meta = CurrentMeta();
  meta.next_topic_id = tm.id + 1;
  meta.topics.push_back(tm);
  bool meta_tried = false;
  if (s.ok()) {
    meta_tried = true;
    s = CommitMeta(meta);
  }
  if (!s.ok()) {
    for (int32_t p = 0; p < topic->partition_count(); ++p) {
      topic->partition(PartitionId(p))->Close().IgnoreError();
    }
    // The id is never reused, whatever META now says.
    next_topic_id_ = tm.id + 1;
    // A failed META commit may still have renamed the new META into place
    // (only its directory sync failed): the directories must then stay. If
    // META is old, the next open removes them as orphans.
    if (!meta_tried) RemoveTree(env_, topic->dir()).IgnoreError();
    observer_->RetireTopic(tm.id);
    return s;
  }
  next_topic_id_ = tm.id + 1;
  WriterLock l(&topics_mu_);
  topics_generation_.fetch_add(1, std::memory_order_release);
  topics_.emplace(name, std::move(topic));
  return absl::OkStatus();
}

absl::Status StoreImpl::DeleteTopic(const std::string& name) {
  MutexLock admin(&admin_mu_);
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  std::shared_ptr<Topic> topic;
  {
    WriterLock l(&topics_mu_);
    topics_generation_.fetch_add(1, std::memory_order_release);
    auto it = topics_.find(name);
    if (it == topics_.end())
      return absl::NotFoundError(absl::StrCat("unknown topic ", name));
    topic = it->second;
    topics_.erase(it);
  }
  // META without the topic first: from here on a crash leaves an orphan
  // directory, removed at the next open.
  if (absl::Status s = CommitMeta(CurrentMeta()); !s.ok()) {
    WriterLock l(&topics_mu_);
    topics_generation_.fetch_add(1, std::memory_order_release);
    topics_.emplace(name, topic);
    return s;
  }
  for (int32_t p = 0; p < topic->partition_count(); ++p) {
    topic->partition(PartitionId(p))->Close().IgnoreError();
  }
  observer_->RetireTopic(topic->id());
  // Unlinking mapped segments is safe: readers holding views keep the
  // mappings (and the disk space) until they release them.
  if (groups_ != nullptr) groups_->OnTopicDeleted(name);
  if (absl::Status s = RemoveTree(env_, topic->dir()); !s.ok()) return s;
  return env_->SyncDir(topics_dir_);
}

absl::Status StoreImpl::AddPartitions(const std::string& name,
                                      int32_t new_total) {
  MutexLock admin(&admin_mu_);
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  auto found = FindTopic(name);
  if (!found.ok()) return found.status();
  std::shared_ptr<Topic> topic = *std::move(found);
  int32_t current = topic->partition_count();
  if (new_total <= current || new_total > kMaxPartitions) {
    return absl::InvalidArgumentError(absl::StrCat(
        "topic ", name, " has ", current, " partitions; the new count ",
        new_total, " must be larger and at most ", kMaxPartitions));
  }
  std::vector<std::shared_ptr<PartitionLog>> logs;
  for (int32_t p = current; p < new_total; ++p) {
    auto log = OpenPartition(*topic, p);
    if (!log.ok()) return log.status();  // orphans are removed at next open
    logs.push_back(*std::move(log));
  }
  StoreMeta meta = CurrentMeta();
  for (TopicMeta& tm : meta.topics) {
    if (tm.name == name) tm.partitions = new_total;
  }
  if (absl::Status s = CommitMeta(meta); !s.ok()) return s;
  for (auto& log : logs) topic->AddPartition(std::move(log));
  if (groups_ != nullptr) groups_->OnPartitionsAdded(name);
  return absl::OkStatus();
}

std::vector<std::string> StoreImpl::ListTopics() const {
  std::vector<std::string> names;
  {
    ReaderLock l(&topics_mu_);
    for (const auto& [name, t] : topics_) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<std::shared_ptr<Topic>> StoreImpl::FindTopic(
    std::string_view name) const {
  if (closed())
    return absl::FailedPreconditionError(
        absl::StrCat("store ", dir_, " is closed"));
  ReaderLock l(&topics_mu_);
  auto it = topics_.find(ToAbsl(name));
  if (it == topics_.end())
    return absl::NotFoundError(absl::StrCat("unknown topic ", ToAbsl(name)));
  return it->second;
}

namespace {

// The topic a thread sent to last (most producer threads send to one topic).
struct LastTopic {
  uint64_t store_id = 0;
  uint64_t generation = 0;
  std::string name;
  std::weak_ptr<Topic> topic;  // does not keep a deleted topic's files
};
thread_local LastTopic last_topic;

}  // namespace

absl::Status StoreImpl::WithTopic(
    std::string_view name,
    absl::FunctionRef<absl::Status(const std::shared_ptr<Topic>&)> fn) const {
  if (closed())
    return absl::FailedPreconditionError(
        absl::StrCat("store ", dir_, " is closed"));
  LastTopic& last = last_topic;
  std::shared_ptr<Topic> topic;
  if (last.store_id == id_ && last.name == name &&
      last.generation == topics_generation_.load(std::memory_order_acquire)) {
    topic = last.topic.lock();
  }
  if (topic == nullptr) {
    uint64_t generation;
    {
      ReaderLock l(&topics_mu_);
      auto it = topics_.find(ToAbsl(name));
      if (it == topics_.end()) {
        return absl::NotFoundError(
            absl::StrCat("unknown topic ", ToAbsl(name)));
      }
      topic = it->second;
      generation = topics_generation_.load(std::memory_order_relaxed);
    }
    last.store_id = id_;
    last.generation = generation;
    last.name.assign(name);
    last.topic = topic;
  }
  return fn(topic);
}

absl::StatusOr<std::unique_ptr<Producer>> StoreImpl::NewProducer(
    const ProducerOptions& options) {
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  if (absl::Status s = ProducerImpl::Validate(options); !s.ok()) return s;
  return std::unique_ptr<Producer>(new ProducerImpl(this, options));
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
      new ConsumerImpl(this, options, std::move(group)));
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

absl::Status StoreImpl::Flush() {
  if (closed())
    return absl::FailedPreconditionError(
        absl::StrCat("store ", dir_, " is closed"));
  std::vector<std::shared_ptr<Topic>> topics;
  {
    ReaderLock l(&topics_mu_);
    for (const auto& [n, t] : topics_) topics.push_back(t);
  }
  absl::Status first;
  for (const auto& t : topics) {
    for (int32_t p = 0; p < t->partition_count(); ++p) {
      first.Update(t->partition(PartitionId(p))->Flush());
    }
  }
  return first;
}

absl::Status StoreImpl::RunMaintenance() {
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  std::vector<std::shared_ptr<Topic>> topics;
  {
    ReaderLock l(&topics_mu_);
    for (const auto& [n, t] : topics_) topics.push_back(t);
  }
  absl::Status first;
  std::vector<MaintainedPartition> partitions;
  for (const auto& t : topics) {
    for (int32_t p = 0; p < t->partition_count(); ++p) {
      // Tick first: an age roll closes the active segment, which lets time
      // retention free a quiet partition in the same round.
      first.Update(t->partition(PartitionId(p))->Tick());
      partitions.push_back(
          {t->name(), PartitionId(p), t->shared_partition(PartitionId(p))});
    }
  }
  // Consumer-aware retention reads the groups' committed offsets; a group
  // unknown here has committed nothing and holds everything.
  MinCommittedFn min_committed = [this](
                                     const std::string& topic, PartitionId p,
                                     const std::vector<std::string>& groups) {
    std::optional<Offset> min;
    for (const std::string& id : groups) {
      auto group =
          groups_
              ? groups_->GetOrCreate(id)
              : absl::StatusOr<std::shared_ptr<Group>>(absl::NotFoundError(id));
      if (!group.ok()) return std::optional<Offset>();
      auto committed = (*group)->Committed({TopicPartition{topic, p}});
      if (committed.empty() || !committed.begin()->second)
        return std::optional<Offset>();
      min = std::min(min.value_or(*committed.begin()->second),
                     *committed.begin()->second);
    }
    return min;
  };
  first.Update(log_maintainer_.Run(env_, partitions, env_->clock()->NowMs(),
                                   min_committed));
  return first;
}

void StoreImpl::MaintenanceLoop() {
  const auto interval =
      std::chrono::milliseconds(options_.maintenance_interval_ms);
  auto next_round = std::chrono::steady_clock::now() + interval;
  MutexLock l(&maintenance_mu_);
  while (!stop_maintenance_) {
    auto now = std::chrono::steady_clock::now();
    if (spare_requests_.empty() && now < next_round) {
      maintenance_cv_.WaitFor(next_round - now);
      continue;
    }
    std::vector<std::weak_ptr<PartitionLog>> requests;
    requests.swap(spare_requests_);
    bool round_due = now >= next_round;
    maintenance_mu_.Unlock();
    for (const auto& weak : requests) {
      // A failed preparation only means the roll allocates synchronously.
      if (auto log = weak.lock()) {
        if (absl::Status s = log->PrepareSpare();
            !s.ok() && observer_->logging()) {
          observer_->Log(
              LogLevel::kWarning, "store",
              absl::StrCat(log->dir(), ": preparing the next segment failed: ",
                           s.ToString()));
        }
      }
    }
    if (round_due) {
      // Errors are sticky in the partitions and surface to their writers;
      // the observer tells the listener.
      observer_->OnMaintenanceRound(RunMaintenance());
      next_round = std::chrono::steady_clock::now() + interval;
    }
    maintenance_mu_.Lock();
  }
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
  {
    WriterLock l(&topics_mu_);
    topics_generation_.fetch_add(1, std::memory_order_release);
    for (const auto& [n, t] : topics_) {
      for (int32_t p = 0; p < t->partition_count(); ++p) {
        first.Update(t->partition(PartitionId(p))->Close());
      }
    }
  }
  if (groups_ != nullptr) groups_->Close();
  if (!options_.read_only) first.Update(env_->SyncDir(dir_));
  lock_.reset();
  return first;
}

}  // namespace evlog
