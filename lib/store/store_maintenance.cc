// Maintenance: Flush, one maintenance round (syncs, age rolls, retention,
// compaction) and the background thread that runs them.

#include <chrono>

#include "absl/strings/str_cat.h"
#include "store/store_impl.h"

namespace evlog {

absl::Status StoreImpl::Flush() { return registry_.FlushAll(); }

absl::Status StoreImpl::RunMaintenance() {
  if (absl::Status s = CheckWritable(); !s.ok()) return s;
  std::vector<std::shared_ptr<Topic>> topics = registry_.Snapshot();
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
      std::optional<Offset> committed =
          groups_ ? groups_->CommittedOffset(id, TopicPartition{topic, p})
                  : std::nullopt;
      if (!committed) return std::optional<Offset>();
      min = std::min(min.value_or(*committed), *committed);
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

}  // namespace evlog
