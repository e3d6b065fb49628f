// Topic administration: create, delete, add partitions, alter config,
// delete records. Each change is committed to META (replaced atomically and
// durably) before it shows in the registry, under admin_mu_.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "storage/durable_file.h"
#include "store/store_impl.h"
#include "topic/topic_config_codec.h"
#include "topic/topic_name.h"

namespace evlog {

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
  for (const auto& t : registry_.Snapshot()) {
    meta.topics.push_back(
        {t->id(), t->name(), t->partition_count(), t->config()});
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
  if (registry_.Find(name).ok()) {
    return absl::AlreadyExistsError(
        absl::StrCat("topic ", name, " already exists"));
  }
  TopicMeta tm{next_topic_id_, name, partitions, config};
  auto topic = NewTopic(tm);
  // Directories first: a crash before META is committed leaves an orphan
  // that the next open removes.
  absl::Status s = CreateDirDurably(env_, topics_dir_, TopicDirName(tm));
  for (int32_t p = 0; s.ok() && p < partitions; ++p) {
    auto log = OpenPartition(*topic, p, /*fresh=*/true);
    if (log.ok()) {
      topic->AddPartition(*std::move(log));
    } else {
      s = log.status();
    }
  }
  // The partitions were created without a sync each; one flush of the
  // topic's tree makes them durable before META names the topic.
  if (s.ok()) s = env_->SyncTree(topic->dir());
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
  registry_.Insert(std::move(topic));
  return absl::OkStatus();
}

absl::Status StoreImpl::DeleteTopic(const std::string& name) {
  MutexLock admin(&admin_mu_);
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  std::shared_ptr<Topic> topic = registry_.Erase(name);
  if (topic == nullptr)
    return absl::NotFoundError(absl::StrCat("unknown topic ", name));
  // META without the topic first: from here on a crash leaves an orphan
  // directory, removed at the next open.
  if (absl::Status s = CommitMeta(CurrentMeta()); !s.ok()) {
    registry_.Insert(topic);
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

absl::StatusOr<TopicConfig> StoreImpl::ApplyChanges(
    const Topic& topic, const std::vector<TopicConfigChange>& changes) const {
  TopicConfig config = topic.config();
  for (const TopicConfigChange& c : changes) {
    absl::Status s = c.value
                         ? SetTopicConfigField(&config, c.key, *c.value)
                         : ResetTopicConfigField(&config, c.key,
                                                 options_.default_topic_config);
    if (!s.ok()) return s;
  }
  if (absl::Status s = config.Validate(); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("topic ", topic.name(), ": ", s.message()));
  }
  return config;
}

absl::Status StoreImpl::AlterTopicConfig(
    const std::string& name, const std::vector<TopicConfigChange>& changes) {
  MutexLock admin(&admin_mu_);
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  auto found = registry_.Find(name);
  if (!found.ok()) return found.status();
  std::shared_ptr<Topic> topic = *std::move(found);
  auto config = ApplyChanges(*topic, changes);
  if (!config.ok()) return config.status();
  // META first, as for a creation: a crash before the commit leaves the old
  // config everywhere, after it the new one (the partitions read it from
  // META at the next open).
  StoreMeta meta = CurrentMeta();
  for (TopicMeta& tm : meta.topics) {
    if (tm.name == name) tm.config = *config;
  }
  if (absl::Status s = CommitMeta(meta); !s.ok()) return s;
  return topic->UpdateConfig(*config);
}

absl::StatusOr<std::vector<TopicPartitionOffset>> StoreImpl::DeleteRecords(
    const std::vector<TopicPartitionOffset>& before) {
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  // Check everything first, so that a bad entry deletes nothing.
  std::vector<std::shared_ptr<PartitionLog>> logs;
  for (const TopicPartitionOffset& o : before) {
    auto topic = registry_.Find(o.tp.topic);
    if (!topic.ok()) return topic.status();
    std::shared_ptr<PartitionLog> log =
        (*topic)->shared_partition(o.tp.partition);
    if (log == nullptr) {
      return absl::OutOfRangeError(
          absl::StrCat("no partition ", ToString(o.tp)));
    }
    if (o.offset < Offset(0) || o.offset > log->end_offset()) {
      return absl::OutOfRangeError(absl::StrCat(
          "cannot delete records of ", ToString(o.tp), " below ",
          o.offset.value(), ": outside the log [", log->start_offset().value(),
          ", ", log->end_offset().value(), "]"));
    }
    logs.push_back(std::move(log));
  }
  std::vector<TopicPartitionOffset> out;
  for (size_t i = 0; i < before.size(); ++i) {
    auto removed = logs[i]->DeleteSegmentsBefore(before[i].offset);
    if (!removed.ok()) {
      return absl::Status(removed.status().code(),
                          absl::StrCat(ToString(before[i].tp), ": ",
                                       removed.status().message()));
    }
    out.push_back({before[i].tp, logs[i]->start_offset()});
  }
  return out;
}

}  // namespace evlog
