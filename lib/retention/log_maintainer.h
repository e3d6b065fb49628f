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
// Compaction passes are bounded by the compaction buffer
// (set_compaction_buffer_bytes): a pass that fills it cleans a prefix of the
// dirty log and the next passes go on from its clean_end. A partition whose
// first dirty segment alone does not fit fails with kResourceExhausted; the
// maintainer then returns that error each round without another pass until
// the log's start moves (retention deleted segments) -- the compacted part
// stays readable and intact, later segments are not compacted.
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
                   int64_t now_ms,
                   const MinCommittedFn& min_committed = nullptr);

  // Totals since construction, for tests and monitoring.
  struct Counters {
    int64_t segments_deleted = 0;
    int64_t compaction_passes = 0;
    int64_t records_compacted_away = 0;
  };
  Counters counters() const;

  // Limit of each compaction pass's tables (CompactionOptions::buffer_bytes),
  // from StoreOptions::compaction_buffer_bytes. Default
  // kDefaultCompactionBufferBytes. Applies from the next pass.
  void set_compaction_buffer_bytes(uint64_t bytes);

 private:
  absl::Status RunOne(Env* env, const MaintainedPartition& p, int64_t now_ms,
                      const MinCommittedFn& min_committed)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // A partition's scheduling state, and the error of a pass whose first
  // dirty segment did not fit in the buffer (with the log start then: the
  // pass is not retried before it moves).
  struct PartitionState {
    CompactionState compaction;
    absl::Status too_large;
    Offset too_large_start;
  };

  mutable Mutex mu_;
  // Keyed by partition directory (unique: topic dirs carry the topic id).
  absl::flat_hash_map<std::string, PartitionState> compaction_
      ABSL_GUARDED_BY(mu_);
  Counters counters_ ABSL_GUARDED_BY(mu_);
  uint64_t compaction_buffer_bytes_ ABSL_GUARDED_BY(mu_) =
      kDefaultCompactionBufferBytes;
};

}  // namespace evlog

#endif  // EVLOG_RETENTION_LOG_MAINTAINER_H_
