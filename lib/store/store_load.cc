// The store's topics from META: Load at open, Refresh of a read-only store,
// the removal of orphans of interrupted topic operations, and the opening of
// one partition's log.

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "storage/durable_file.h"
#include "storage/epoch_file.h"
#include "store/store_impl.h"

namespace evlog {

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

  // One writer epoch for every partition of this incarnation, durable
  // before any of them appends (FORMAT.md, "Writer epochs"). Bumped after
  // META is known to be readable (a store of another version is refused
  // untouched), and before a new store's META exists (so that a store with
  // META always has an EPOCH: one missing then is refused, not restarted).
  auto bump_epoch = [&](bool must_exist) {
    auto epoch = BumpEpoch(env, dir_, must_exist);
    if (!epoch.ok()) return epoch.status();
    epoch_ = *epoch;
    return absl::OkStatus();
  };
  StoreMeta meta;
  if (env->FileExists(meta_path)) {
    auto text = env->ReadFile(meta_path);
    if (!text.ok()) return text.status();
    auto decoded = DecodeStoreMeta(*text);
    if (!decoded.ok()) {
      // kFailedPrecondition (another format version) keeps its code.
      return absl::Status(
          decoded.status().code(),
          absl::StrCat(meta_path, ": ", decoded.status().message()));
    }
    meta = *std::move(decoded);
    if (!options_.read_only) {
      if (absl::Status s = bump_epoch(/*must_exist=*/true); !s.ok()) return s;
    }
  } else if (options_.read_only) {
    return absl::NotFoundError(absl::StrCat("no evlog store at ", dir_, " (",
                                            meta_path, " is missing)"));
  } else {
    if (absl::Status s = bump_epoch(/*must_exist=*/false); !s.ok()) return s;
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
    if (!registry_.Insert(std::move(topic))) {
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
  std::vector<std::shared_ptr<Topic>> next;
  for (const TopicMeta& tm : meta->topics) {
    std::shared_ptr<Topic> topic;
    if (auto found = registry_.Find(tm.name);
        found.ok() && (*found)->id() == tm.id) {
      topic = *std::move(found);
      // The owner may have altered its config (AlterTopicConfig).
      if (absl::Status s = topic->UpdateConfig(tm.config); !s.ok()) return s;
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
    next.push_back(std::move(topic));
  }
  registry_.Replace(std::move(next));
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
    for (const auto& t : registry_.Snapshot()) {
      if (absl::StrCat(t->name(), ".", t->id()) == name) topic = t;
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
    const Topic& topic, int32_t p, bool fresh) {
  std::string dir = absl::StrCat(topic.dir(), "/", p);
  if (!options_.read_only) {
    // A fresh partition's directory is made durable by the caller
    // (CreateTopic's SyncTree); an existing one's here.
    absl::Status s = fresh
                         ? env_->CreateDir(dir)
                         : CreateDirDurably(env_, topic.dir(), absl::StrCat(p));
    if (!s.ok()) return s;
  }
  RecoveryReport report;
  auto log = PartitionLog::Open(env_, dir, topic.config(), &report,
                                options_.read_only, epoch_, fresh);
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

}  // namespace evlog
