// evlog/options.h: a topic's configuration (TopicConfig) and the enums it
// uses. The options of the other scopes live with their class:
// StoreOptions in evlog/store.h, ProducerOptions and SendOptions in
// evlog/producer.h, ConsumerOptions in evlog/consumer.h.
//
// A topic's config is set at creation (Store::CreateTopic) and can be
// changed later (Store::AlterTopicConfig).
//
// Each field says its default, unit and trade-off. Names follow Kafka's
// topic configs where the meaning is the same (`segment.bytes` ->
// `segment_bytes`, `retention.ms` -> `retention_ms`, ...). Invalid values are
// refused with kInvalidArgument naming the field (see TopicConfig::Validate).
//
// Thread safety: plain values.

#ifndef EVLOG_OPTIONS_H_
#define EVLOG_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace evlog {

// When appended records are made durable (msync) against power loss. A
// process crash never loses an acknowledged record in any mode: the data is
// in the page cache as soon as the append returns.
enum class Durability {
  // Page cache only; data reaches the disk when the kernel writes it back,
  // on segment roll, on Flush() and on close. Fastest.
  kNone,
  // Synced every `flush_messages` records or `flush_ms` milliseconds,
  // whichever comes first (checked on append and by the store's maintenance
  // thread). Bounds what a power loss can take.
  kInterval,
  // Synced before each append returns. Concurrent appenders share one sync
  // (group commit). Nothing acknowledged is ever lost.
  kEveryAppend,
};

// Which timestamp a record keeps.
enum class TimestampType {
  kCreateTime,     // the producer's timestamp (or append time if it gave none)
  kLogAppendTime,  // always the time of the append
};

// Which cleanup a topic gets (Kafka's cleanup.policy).
enum class CleanupPolicy {
  kDelete,            // delete old segments by retention_ms / retention_bytes
  kCompact,           // keep the latest record per key
  kCompactAndDelete,  // both
};

// How a topic's batches are compressed on disk (Kafka's compression.type).
// A batch (one Send or SendBatch) is compressed as a whole; a batch that
// does not shrink is stored uncompressed. Readers decompress a batch once
// per poll into memory the poll result owns (see consumer.h).
enum class Compression {
  kNone,  // default: zero-copy reads straight from the mapping
  kLz4,   // fast, ~2-3x on JSON-like events
  kZstd,  // slower, ~4-5x on JSON-like events; see compression_level
};

// Per-topic configuration; applies to each partition of the topic.
struct TopicConfig {
  // Size of each segment file, preallocated when the segment is created.
  // Default 64 MiB (Kafka: 1 GiB; smaller here because every partition
  // reserves a whole segment up front). Range 4 KiB .. 1 GiB.
  uint64_t segment_bytes = 64ull << 20;
  // Roll the active segment once it is this old, even if not full, so that
  // time retention can free it. Default 7 days. Must be > 0.
  int64_t segment_ms = 7ll * 24 * 3600 * 1000;
  // Delete segments whose newest record is older than this. -1: no limit.
  // Default 7 days.
  int64_t retention_ms = 7ll * 24 * 3600 * 1000;
  // Per partition: delete the oldest segments while the log is larger than
  // this. -1: no limit (default).
  int64_t retention_bytes = -1;
  // Consumer-aware retention (no Kafka equivalent; docs/RETENTION.md): a
  // segment that retention_ms or retention_bytes would delete is kept until
  // every group named here has committed an offset past its last record. A
  // group with no committed offset for a partition holds all of it. With
  // retention_ms = 0 this is queue semantics: a segment goes once it is
  // closed and consumed by every group. Group ids follow the topic-name
  // rule. Empty (default): no hold.
  std::vector<std::string> retention_wait_for_groups{};
  // Cap on the hold above, so that a dead group cannot fill the disk: the
  // oldest segments are deleted while the partition's log is larger than
  // this, consumed or not. -1: no cap (default). Applies only with
  // retention_wait_for_groups and a delete cleanup policy.
  int64_t retention_hard_bytes = -1;
  CleanupPolicy cleanup_policy = CleanupPolicy::kDelete;
  // Compaction: how long a tombstone is kept, counted from its timestamp;
  // compaction removes it (and every older record of its key) once it is
  // older. Lets consumers that read the whole log within this time see the
  // deletion. Default 1 day.
  int64_t delete_retention_ms = 24ll * 3600 * 1000;
  // Compaction: compact a partition once this share of its closed log is
  // superseded records. Default 0.5. Range (0, 1].
  double min_cleanable_dirty_ratio = 0.5;
  // Largest encoded record accepted, counted as: key bytes + value bytes +
  // 28 bytes of framing, plus for each header its key and value bytes + 8
  // (the record encoding of docs/FORMAT.md; a null key or value counts 0
  // bytes). A larger one is refused with kResourceExhausted. Kafka's
  // max.message.bytes limits a whole batch instead; here a batch is limited
  // only by segment_bytes. Default 1 MiB. Must fit in a segment.
  uint32_t max_record_bytes = 1u << 20;
  // One sparse index entry per this many bytes of log. Default 4 KiB:
  // smaller = faster seeks, more memory.
  uint32_t index_interval_bytes = 4096;
  Durability durability = Durability::kNone;
  // kInterval only: sync after this many records. Default 10000.
  int64_t flush_messages = 10000;
  // kInterval only: sync when the oldest unsynced record is this old.
  // Default 1000 ms.
  int64_t flush_ms = 1000;
  TimestampType timestamp_type = TimestampType::kCreateTime;
  // Batch compression (Kafka's compression.type). Default kNone. Applies to
  // batches appended from now on; old batches keep their codec.
  Compression compression = Compression::kNone;
  // kZstd only: the zstd level, 1 (fastest) .. 19; 0 means zstd's default
  // (3). Default 0.
  int32_t compression_level = 0;

  // OK, or kInvalidArgument naming the first invalid field.
  absl::Status Validate() const;
};

}  // namespace evlog

#endif  // EVLOG_OPTIONS_H_
