// compaction/compactor.h: log compaction of one partition (Kafka's log
// cleaner), for topics whose cleanup_policy includes compact.
//
// A pass keeps, in the closed segments, the latest record of every key and
// removes the older ones; the active segment is never touched. Offsets never
// change: the records that stay keep theirs and readers skip the gaps.
// Rules (docs/RETENTION.md has the reasoning):
//
//   * the "latest" record of a key is its last one in the closed segments;
//     a record superseded only by one in the active segment stays for now;
//   * a tombstone (absent value) that is the latest of its key is removed
//     once `now - timestamp >= delete_retention_ms`, together with every
//     older record of the key;
//   * records without a key are kept (Kafka refuses them on compacted
//     topics; here they are only subject to the delete policy);
//   * the last record of every segment is kept, superseded or not, so that a
//     compacted segment still ends where the next one begins (recovery
//     checks that); a tombstone of a key with such a kept record stays too,
//     or the older value would come back. At most one stale record per
//     segment therefore survives; "at least the latest record of each key"
//     holds, as in Kafka.
//
// Each segment with something to remove is rewritten to
// `<base>.log.cleaned` outside every log lock and swapped in by
// PartitionLog::ReplaceSegment (crash-safe, see there). Segments are
// processed oldest first and a pass stops at the first error, so a crash or
// an error between two swaps never lets a removed tombstone uncover an
// older value.
//
// Memory (Kafka's dedupe buffer, log.cleaner.dedupe.buffer.size): the
// key table of a pass grows with the distinct keys it indexes, so it is
// bounded by CompactionOptions::buffer_bytes. A pass indexes only the dirty
// segments (from the clean_end of the previous pass on), oldest first, and
// stops before a batch that could take the table past the limit. It then
// cleans only the segments below the last one it indexed whole and reports
// that boundary as clean_end; the next pass indexes from there. Segments
// below the previous clean_end are not indexed: a record there goes only if
// its key is in the table, i.e. has a later record in the indexed range
// (these segments were compacted already, so a record there whose key is
// not in the table is the latest of its key below the boundary). Records at
// or above the boundary are untouched. If not even the first dirty segment
// fits, the pass fails with kResourceExhausted and removes nothing.
//
// Thread safety: a pass may run while the log is appended to and read; two
// passes over the same log must not overlap (the store's LogMaintainer
// serialises them).

#ifndef EVLOG_COMPACTION_COMPACTOR_H_
#define EVLOG_COMPACTION_COMPACTOR_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "evlog/env.h"
#include "evlog/types.h"
#include "partition/partition_log.h"
#include "storage/segment.h"

namespace evlog {

// What one pass did.
struct CompactionStats {
  int64_t segments_scanned = 0;    // closed segments read
  int64_t segments_rewritten = 0;  // swapped for a compacted copy
  int64_t records_read = 0;
  int64_t records_removed = 0;
  int64_t tombstones_removed = 0;
  uint64_t bytes_before = 0;  // data bytes of the rewritten segments
  uint64_t bytes_after = 0;
  // Every closed segment below this offset was compacted by the pass; the
  // end of the closed log unless the buffer filled up (then the base of the
  // first segment the pass did not index whole).
  Offset clean_end;
  // Earliest time at which a kept tombstone becomes removable; -1 if none.
  int64_t next_tombstone_expiry_ms = -1;
  // The buffer filled up: clean_end is short of the closed log's end.
  bool buffer_full = false;
};

// The default of CompactionOptions::buffer_bytes and of
// StoreOptions::compaction_buffer_bytes: 128 MiB, as Kafka's dedupe buffer.
inline constexpr uint64_t kDefaultCompactionBufferBytes = 128ull << 20;

// What a pass is told besides the log.
struct CompactionOptions {
  // The clean_end of the previous pass over the log: the closed segments
  // that end at or below it were compacted by it (or by earlier ones) and
  // are not indexed again. Default 0: the whole log is dirty. Passing a
  // value no pass returned breaks the rules above.
  Offset clean_end = Offset(0);
  // Limit of the pass's tables (key table, its sorted offsets, the keys of
  // segment-final records), in bytes; the rest of a pass's memory is one
  // batch and one rewritten segment.
  uint64_t buffer_bytes = kDefaultCompactionBufferBytes;
};

// Runs one compaction pass over the closed segments of `log` with its
// config, at time `now_ms`. `env` must be the log's Env. Errors: kDataLoss
// for a corrupt frame (nothing is rewritten from that segment on), I/O
// errors, those of PartitionLog::ReplaceSegment (kNotFound when a segment
// was deleted meanwhile), and kResourceExhausted when the keys of the first
// dirty segment do not fit in `options.buffer_bytes` (nothing is removed).
absl::StatusOr<CompactionStats> CompactLog(
    Env* env, PartitionLog* log, int64_t now_ms,
    const CompactionOptions& options = {});

// True for CompactLog's error "the first dirty segment does not fit in the
// buffer" (a kResourceExhausted, told apart from a full disk).
bool IsCompactionBufferTooSmall(const absl::Status& status);

// What the scheduler remembers of a partition between passes (in memory
// only: after a restart the first pass treats the whole log as dirty).
struct CompactionState {
  Offset clean_end;                       // from the last pass
  int64_t next_tombstone_expiry_ms = -1;  // from the last pass
  bool buffer_full = false;               // from the last pass
};

// Share of the closed log's bytes at or above `clean_end` (written since
// the last pass), in [0, 1]; 0 for a log without closed segments.
// `segments` is a snapshot whose last element is the active segment.
double DirtyRatio(const std::vector<std::shared_ptr<Segment>>& segments,
                  Offset clean_end);

// True when a pass is worth running: the dirty ratio reached
// min_cleanable_dirty_ratio, a kept tombstone has expired, or the last pass
// stopped at the buffer (the passes go on until they reach the end of the
// closed log, as one pass with a larger buffer would have).
bool CompactionDue(const PartitionLog& log, const CompactionState& state,
                   int64_t now_ms);

}  // namespace evlog

#endif  // EVLOG_COMPACTION_COMPACTOR_H_
