// A group's committed offsets: loading its OFFSETS file, commits, resets
// and deletion. Every change is written to the file (replaced atomically
// and durably) before memory changes, under persist_mu_, so Committed()
// never shows an offset that a crash could take back.

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "group/group.h"
#include "storage/durable_file.h"

namespace evlog {

absl::Status Group::Load() {
  std::string path = absl::StrCat(dir(), "/", kOffsetsFile);
  if (!read_only_) env_->RemoveFile(path + kTmpSuffix).IgnoreError();
  if (!env_->FileExists(path)) return absl::OkStatus();
  auto text = env_->ReadFile(path);
  if (!text.ok()) return text.status();
  auto decoded = DecodeGroupOffsets(*text);
  if (!decoded.ok()) {
    return absl::DataLossError(
        absl::StrCat(path, ": ", decoded.status().message()));
  }
  if (decoded->group != name_) {
    return absl::DataLossError(
        absl::StrCat(path, ": names group ", decoded->group));
  }
  MutexLock p(&persist_mu_);
  file_exists_ = true;
  MutexLock l(&mu_);
  for (const CommittedOffsetEntry& e : decoded->offsets) {
    auto topic = lookup_(e.topic);
    // Offsets of a deleted (or deleted and re-created) topic are dropped.
    if (!topic.ok() || (*topic)->id() != e.topic_id ||
        e.partition >= (*topic)->partition_count()) {
      continue;
    }
    committed_[{e.topic, PartitionId(e.partition)}] = {e.topic_id,
                                                       Offset(e.offset)};
  }
  return absl::OkStatus();
}

absl::Status Group::Commit(const MemberHandle* member,
                           const std::vector<TopicPartitionOffset>& offsets) {
  if (read_only_) {
    return absl::FailedPreconditionError(
        "the store is open read-only: cannot commit");
  }
  if (offsets.empty()) return absl::OkStatus();
  // Resolve topic ids first (the store's lock is taken after ours, never
  // while a caller waits on it).
  std::vector<uint64_t> ids;
  for (const TopicPartitionOffset& o : offsets) {
    auto topic = lookup_(o.tp.topic);
    if (!topic.ok()) return topic.status();
    if (o.tp.partition.value() < 0 ||
        o.tp.partition.value() >= (*topic)->partition_count()) {
      return absl::OutOfRangeError(
          absl::StrCat("no partition ", ToString(o.tp)));
    }
    if (o.offset.value() < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("negative offset to commit for ", ToString(o.tp)));
    }
    ids.push_back((*topic)->id());
  }
  // Persist first, memory second: a commit that fails leaves neither the
  // file nor Committed() changed. persist_mu_ orders the commits.
  MutexLock p(&persist_mu_);
  GroupOffsets snapshot;
  {
    MutexLock l(&mu_);
    if (deleted_) {
      return absl::FailedPreconditionError(
          absl::StrCat("group ", name_, " was deleted"));
    }
    if (member == nullptr) {
      if (!members_.empty()) {
        return absl::FailedPreconditionError(absl::StrCat(
            "group ", name_, " has active members (generation ", generation_,
            "); a consumer with a manual assignment cannot commit to it"));
      }
    } else {
      auto it = std::find_if(
          members_.begin(), members_.end(),
          [&](const Member& m) { return m.handle->id == member->id; });
      if (it == members_.end()) {
        return absl::AbortedError(absl::StrCat(
            "member ", member->id, " was removed from group ", name_,
            " (now generation ", generation_, "); its commit is fenced off"));
      }
      for (const TopicPartitionOffset& o : offsets) {
        if (!it->owned.contains(o.tp)) {
          return absl::AbortedError(absl::StrCat(
              "member ", member->id, " does not own ", ToString(o.tp),
              " in group ", name_, " generation ", generation_,
              " (rebalanced away); commit fenced off"));
        }
      }
    }
    std::map<TopicPartition, Committed_> next = committed_;
    for (size_t i = 0; i < offsets.size(); ++i) {
      next[offsets[i].tp] = {ids[i], offsets[i].offset};
    }
    snapshot = SnapshotOf(next);
  }
  if (absl::Status s = WriteLocked(snapshot); !s.ok()) return s;
  MutexLock l(&mu_);
  if (deleted_) return absl::OkStatus();  // cannot happen: Delete takes p
  for (size_t i = 0; i < offsets.size(); ++i) {
    committed_[offsets[i].tp] = {ids[i], offsets[i].offset};
  }
  return absl::OkStatus();
}

GroupOffsets Group::SnapshotOf(
    const std::map<TopicPartition, Committed_>& committed) const {
  GroupOffsets snapshot;
  snapshot.group = name_;
  for (const auto& [tp, c] : committed) {
    snapshot.offsets.push_back(
        {c.topic_id, tp.topic, tp.partition.value(), c.offset.value()});
  }
  return snapshot;
}

absl::Status Group::WriteLocked(const GroupOffsets& snapshot) {
  if (!file_exists_) {
    if (absl::Status s = CreateDirDurably(env_, groups_dir_, name_); !s.ok())
      return s;
  }
  absl::Status s = ReplaceFileDurably(env_, dir(), kOffsetsFile,
                                      EncodeGroupOffsets(snapshot));
  if (!s.ok()) return s;  // the old file is intact
  file_exists_ = true;
  return absl::OkStatus();
}

std::map<TopicPartition, std::optional<Offset>> Group::Committed(
    const std::vector<TopicPartition>& partitions) const {
  std::map<TopicPartition, std::optional<Offset>> out;
  MutexLock l(&mu_);
  for (const TopicPartition& tp : partitions) {
    auto it = committed_.find(tp);
    out[tp] = it == committed_.end() ? std::nullopt
                                     : std::optional(it->second.offset);
  }
  return out;
}

absl::StatusOr<std::vector<TopicPartitionOffset>> Group::ResetOffsets(
    const std::string& topic_name, const OffsetReset& reset) {
  if (read_only_) {
    return absl::FailedPreconditionError("the store is open read-only");
  }
  auto topic = lookup_(topic_name);
  if (!topic.ok()) return topic.status();
  std::vector<TopicPartitionOffset> out;
  // As Commit: the file first, then memory.
  MutexLock p(&persist_mu_);
  std::map<TopicPartition, Committed_> next;
  {
    MutexLock l(&mu_);
    next = committed_;
    if (deleted_)
      return absl::NotFoundError(absl::StrCat("unknown group ", name_));
    if (!members_.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "group ", name_, " has ", members_.size(),
          " active members; stop them before resetting its offsets"));
    }
    for (int32_t p = 0; p < (*topic)->partition_count(); ++p) {
      TopicPartition tp{topic_name, PartitionId(p)};
      const PartitionLog* log = (*topic)->partition(tp.partition);
      int64_t start = log->start_offset().value(),
              end = log->end_offset().value();
      int64_t target = start;
      switch (reset.kind) {
        case OffsetReset::Kind::kEarliest:
          target = start;
          break;
        case OffsetReset::Kind::kLatest:
          target = end;
          break;
        case OffsetReset::Kind::kOffset:
          target = reset.value;
          break;
        case OffsetReset::Kind::kTime: {
          auto o = log->OffsetForTimestamp(reset.value);
          if (!o.ok()) return o.status();
          target = o->value();
          break;
        }
        case OffsetReset::Kind::kShiftBy: {
          auto c = committed_.find(tp);
          target = (c == committed_.end() ? start : c->second.offset.value()) +
                   reset.value;
          break;
        }
      }
      target = std::clamp(target, start, end);
      next[tp] = {(*topic)->id(), Offset(target)};
      out.push_back({tp, Offset(target)});
    }
  }
  if (absl::Status s = WriteLocked(SnapshotOf(next)); !s.ok()) return s;
  MutexLock l(&mu_);
  for (const TopicPartitionOffset& o : out) {
    committed_[o.tp] = {(*topic)->id(), o.offset};
  }
  return out;
}

absl::Status Group::Delete() {
  MutexLock p(&persist_mu_);
  {
    MutexLock l(&mu_);
    if (deleted_)
      return absl::NotFoundError(absl::StrCat("unknown group ", name_));
    if (!members_.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("group ", name_, " has ", members_.size(),
                       " active members; cannot delete it"));
    }
    deleted_ = true;
    committed_.clear();
  }
  if (read_only_ || !file_exists_) return absl::OkStatus();
  // Removing OFFSETS first makes the deletion take effect; an empty
  // directory left by a crash is removed at the next open.
  if (absl::Status s = RemoveTree(env_, dir()); !s.ok()) return s;
  return env_->SyncDir(groups_dir_);
}

}  // namespace evlog
