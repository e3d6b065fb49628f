// retention/log_maintainer.h: the cleanup part of a store's maintenance
// round -- retention, then compaction when due, for every partition.
//
// StoreImpl::RunMaintenance (the background thread, or tests with a
// FakeClock) first Tick()s every partition (interval syncs, age rolls) and
// then hands the partitions to Run(). Per partition, by cleanup_policy:
//   delete          ApplyRetention
//   compact         CompactLog when CompactionDue
//   compact,delete  retention first (no point compacting what goes), then
//                   compaction
// Errors of one partition do not stop the round; the first is returned.
//
// Thread safety: thread-safe; rounds are serialised (a round started while
// another runs waits for it), which also keeps a partition's retention and
// compaction from overlapping.

#ifndef EVLOG_RETENTION_LOG_MAINTAINER_H_
#define EVLOG_RETENTION_LOG_MAINTAINER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "compaction/compactor.h"
#include "evlog/env.h"
#include "evlog/types.h"
#include "partition/partition_log.h"
#include "retention/retention.h"
#include "util/mutex.h"

namespace evlog {

// One partition to maintain.
struct MaintainedPartition {
  std::string topic;
  PartitionId partition;
  std::shared_ptr<PartitionLog> log;
};

class LogMaintainer {
 public:
  // One round over `partitions` at `now_ms`, with `env` (the logs' Env).
  // `min_committed` is the committed-offset source of consumer-aware
  // retention; without one, partitions of topics with
  // retention_wait_for_groups are held whole (only retention_hard_bytes
  // deletes). Forgets the compaction state of partitions not listed
  // (deleted topics).
  absl::Status Run(Env* env, const std::vector<MaintainedPartition>& partitions,
                   int64_t now_ms, const MinCommittedFn& min_committed = nullptr);

  // Totals since construction, for tests and monitoring.
  struct Counters {
    int64_t segments_deleted = 0;
    int64_t compaction_passes = 0;
    int64_t records_compacted_away = 0;
  };
  Counters counters() const;

 private:
  absl::Status RunOne(Env* env, const MaintainedPartition& p, int64_t now_ms,
                      const MinCommittedFn& min_committed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  // Keyed by partition directory (unique: topic dirs carry the topic id).
  absl::flat_hash_map<std::string, CompactionState> compaction_ ABSL_GUARDED_BY(mu_);
  Counters counters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evlog

#endif  // EVLOG_RETENTION_LOG_MAINTAINER_H_
