// evlog/store.h: a store -- the directory that holds topics, their
// partitions and the consumer groups' committed offsets. The entry point.
//
// A Store is to evlog what a database handle is to SQLite: open it, create
// topics, then make producers and consumers from it.
//
//   auto store = evlog::Store::Open("/var/lib/myapp/events");
//   if (!store.ok()) return store.status();
//   absl::Status s = (*store)->CreateTopic("orders", 3);   // 3 partitions
//   auto producer = (*store)->NewProducer();
//   auto sent = (*producer)->Send("orders", {.key = "order-17", .value =
//   "{}"});
//   // sent->partition, sent->offset
//
// For unit tests and pure in-process pipelines, `Store::OpenInMemory()` gives
// the same API and semantics with nothing on disk (and no durability).
//
// Ownership and lifetime: producers and consumers made by a store must be
// destroyed before it. Closing the store (Close() or the destructor) flushes
// every partition per its durability policy, unmaps what no reader holds and
// releases the lock; later calls fail with kFailedPrecondition.
//
// Thread safety: thread-safe. Appends to different partitions never
// serialise; topic administration is serialised store-wide.
//
// Errors (the same table everywhere in evlog):
//   kInvalidArgument    bad name, bad config value (the message names the
//                       field), partition count out of range
//   kNotFound           unknown topic or group; store directory missing
//                       with create_if_missing = false
//   kAlreadyExists      topic exists
//   kOutOfRange         offset outside the log, partition out of range
//   kResourceExhausted  disk full, record or batch too large
//   kFailedPrecondition store or producer closed, partition failed after an
//                       I/O error, read-only store: do not retry until the
//                       state is fixed
//   kAborted            a conflict with a concurrent writer that a retry on
//                       fresh state can resolve: conditional append
//                       mismatch (expected_end_offset), a group commit
//                       fenced off by a rebalance
//   kUnavailable        the store is held by another owner (the message
//                       names the lock file)
//   kDataLoss           corruption found on disk
//   kPermissionDenied   the directory cannot be written

#ifndef EVLOG_STORE_H_
#define EVLOG_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "evlog/consumer.h"
#include "evlog/env.h"
#include "evlog/group.h"
#include "evlog/observability.h"
#include "evlog/options.h"
#include "evlog/types.h"

namespace evlog {

class Producer;
struct ProducerOptions;

// Options for opening a store.
struct StoreOptions {
  // Create the directory (one level) and an empty store when missing.
  // Default true; false gives kNotFound for a missing store.
  bool create_if_missing = true;
  // The OS seam; null means Env::Default(). Not owned; must outlive the
  // store. Pass a MemEnv (NewMemEnv) to keep everything in memory.
  Env* env = nullptr;
  // Config of topics created without an explicit one.
  TopicConfig default_topic_config{};
  // Period of the background maintenance thread (interval syncs, age rolls,
  // retention, compaction), in ms. 0 disables the thread; call
  // RunMaintenance() yourself (tests do, with a FakeClock). Default 1000.
  int64_t maintenance_interval_ms = 1000;
  // CPUs the maintenance thread may run on (it prepares and prefaults the
  // next segment, seals rolled ones with an msync of the whole segment,
  // runs retention and compaction). Empty (default): wherever the OS puts
  // it. For pipelines whose threads are pinned, name the cores they do not
  // use, so that this work never preempts them. Applied by Env::
  // SetThreadAffinity when the thread starts; Open fails with
  // kInvalidArgument if the list names no usable CPU.
  std::vector<int> maintenance_cpus{};
  // Memory limit of one compaction pass (Kafka's
  // log.cleaner.dedupe.buffer.size): its table of the latest offset of each
  // key, which grows with the distinct keys of the log. A pass that fills it
  // compacts the oldest part of the log it indexed whole and leaves the rest
  // to the next passes, of later maintenance rounds. A partition with one
  // segment whose keys alone do not fit is not compacted past that segment;
  // maintenance reports kResourceExhausted naming this option (nothing is
  // removed). Allocated as needed, not up front; passes of different
  // partitions do not overlap. Default 128 MiB. Range 1 MiB .. 2^40.
  uint64_t compaction_buffer_bytes = 128ull << 20;
  // Open without taking the lock and without writing anything: for tools that
  // inspect a store another process holds. Every write fails with
  // kFailedPrecondition. Default false.
  bool read_only = false;
  // Receives log lines (evlog/observability.h: levels, components and the
  // rules for callbacks). Empty (default): nothing is logged or formatted.
  Logger logger{};
  // Told of segment rolls and deletions, compactions, corruption found at
  // open, rebalances and background errors (evlog/observability.h). Not
  // owned; must outlive the store. Null (default): no events, at no cost.
  EventListener* event_listener = nullptr;
};

// State of one partition, as returned by DescribeTopic.
struct PartitionDescription {
  PartitionId partition{};
  Offset start_offset{};        // first offset still in the log
  Offset end_offset{};          // offset the next record gets
  Offset durable_end_offset{};  // every record below it is synced
  uint64_t bytes = 0;           // log bytes (segment data, not preallocation)
  int64_t segments = 0;
  // Timestamp of the first record in the log and largest timestamp; -1 if
  // the partition is empty.
  int64_t oldest_timestamp_ms = -1;
  int64_t newest_timestamp_ms = -1;
};

// One change of AlterTopicConfig (Kafka's AlterConfigOp): set `key` to
// `value`, or, without a value, reset it to
// StoreOptions::default_topic_config (Kafka's DELETE).
struct TopicConfigChange {
  // Kafka's name ("retention.ms", "segment.bytes", "max.message.bytes",
  // "cleanup.policy", ...) or the TopicConfig field name ("retention_ms").
  std::string key{};
  // In the syntax of `evlog topic create --config` (docs/GUIDE.md): numbers,
  // "compact,delete", "every_append", ...
  std::optional<std::string> value{};
};

struct TopicDescription {
  std::string name{};
  TopicConfig config{};
  std::vector<PartitionDescription> partitions{};
};

class Store {
 public:
  // Opens (or creates) the store in directory `dir`, recovering every
  // partition. kUnavailable if another owner (process or Store object) holds
  // it.
  static absl::StatusOr<std::unique_ptr<Store>> Open(
      const std::string& dir, const StoreOptions& options = {});

  // A store kept entirely in memory (its own MemEnv); `options.env` is
  // ignored. Lost when destroyed. Every segment is preallocated in RAM, so
  // the default segment size becomes 4 MiB here unless
  // `options.default_topic_config.segment_bytes` was changed; topics created
  // with an explicit config keep their segment_bytes.
  static absl::StatusOr<std::unique_ptr<Store>> OpenInMemory(
      const StoreOptions& options = {});

  virtual ~Store() = default;

  // Flushes, stops the maintenance thread, releases the lock. Idempotent;
  // returns the first error met.
  virtual absl::Status Close() = 0;

  // ---- Topics ----
  // Names: 1-249 characters of [A-Za-z0-9._-], not "." or ".." (Kafka's
  // rule). `partitions` in [1, 10000]. The config is validated.
  virtual absl::Status CreateTopic(const std::string& name, int32_t partitions,
                                   const TopicConfig& config) = 0;
  // Same with StoreOptions::default_topic_config.
  virtual absl::Status CreateTopic(const std::string& name,
                                   int32_t partitions) = 0;
  // Deletes the topic and its data. Readers holding zero-copy views keep
  // them valid until they release them. kNotFound if unknown.
  virtual absl::Status DeleteTopic(const std::string& name) = 0;
  // Increases the partition count (never decreases: kInvalidArgument).
  virtual absl::Status AddPartitions(const std::string& name,
                                     int32_t new_total) = 0;
  // Changes the config of an existing topic (Kafka's
  // incrementalAlterConfigs): the changes are applied in order to its
  // current config, the result is validated (kInvalidArgument naming the
  // key or field; nothing changes), committed to META atomically and
  // durably like a creation, then applied to every partition: appends,
  // syncs and maintenance follow the new values from their next decision on;
  // a new segment_bytes or index_interval_bytes applies from the next
  // segment. kNotFound for an unknown topic.
  virtual absl::Status AlterTopicConfig(
      const std::string& name,
      const std::vector<TopicConfigChange>& changes) = 0;
  // Deletes the records below the given offsets (Kafka's deleteRecords):
  // advances each partition's log start offset, at segment granularity --
  // every segment entirely below the offset is removed, so the new log start
  // is the base offset of the segment holding that offset (the active
  // segment is never removed: records at or above its base stay). Returns
  // the new log start offset of each partition (Kafka's low watermark), which
  // may be below the one asked for. Consumers positioned below it follow
  // their auto_offset_reset at their next Poll. An offset past the end is
  // kOutOfRange; kNotFound for an unknown topic.
  virtual absl::StatusOr<std::vector<TopicPartitionOffset>> DeleteRecords(
      const std::vector<TopicPartitionOffset>& before) = 0;
  // Sorted topic names.
  virtual std::vector<std::string> ListTopics() const = 0;
  virtual absl::StatusOr<TopicDescription> DescribeTopic(
      const std::string& name) const = 0;

  // ---- Clients ----
  virtual absl::StatusOr<std::unique_ptr<Producer>> NewProducer(
      const ProducerOptions& options) = 0;
  virtual absl::StatusOr<std::unique_ptr<Producer>> NewProducer() = 0;
  // A consumer (evlog/consumer.h). kInvalidArgument for bad options (the
  // message names the field), kFailedPrecondition if the store is closed.
  virtual absl::StatusOr<std::unique_ptr<Consumer>> NewConsumer(
      const ConsumerOptions& options) = 0;

  // ---- Consumer groups (evlog/group.h) ----
  // Groups with members or committed offsets, sorted.
  virtual std::vector<std::string> ListGroups() const = 0;
  // kNotFound for an unknown group.
  virtual absl::StatusOr<GroupDescription> DescribeGroup(
      const std::string& group_id) const = 0;
  // Sets the committed offset of every partition of `topic` for the group
  // (creating the group if needed) and returns the new offsets.
  // kFailedPrecondition while the group has members (stop them first, as
  // with Kafka); kNotFound for an unknown topic; kInvalidArgument for a bad
  // group id.
  virtual absl::StatusOr<std::vector<TopicPartitionOffset>> ResetGroupOffsets(
      const std::string& group_id, const std::string& topic,
      const OffsetReset& reset) = 0;
  // Forgets the group and its committed offsets. kNotFound if unknown,
  // kFailedPrecondition while it has members.
  virtual absl::Status DeleteGroup(const std::string& group_id) = 0;

  // ---- Maintenance ----
  // Syncs every partition.
  virtual absl::Status Flush() = 0;
  // Runs one round of maintenance now (interval syncs, age-based rolls,
  // retention, compaction) using the Env's clock.
  virtual absl::Status RunMaintenance() = 0;

  // Read-only stores (StoreOptions::read_only) only: picks up what the
  // owning process wrote since open or the last Refresh -- new records and
  // segments, new topics and partitions; topics it deleted disappear (views
  // into them stay valid). Consumers made from this store are woken when
  // their partitions grew. A no-op for a writable store, which is always
  // current. kDataLoss if META cannot be read.
  virtual absl::Status Refresh() = 0;

  // ---- Observability (evlog/observability.h) ----
  // A snapshot of the store's metrics: per partition its state (the numbers
  // DescribeTopic gives) and counters, per group its lag, store-wide
  // counters since open and the sync-latency histogram. Costs a walk over
  // every partition's segment list and group; meant for periodic scraping,
  // not for every append. After Close the counters are final.
  virtual MetricsSnapshot Metrics() const = 0;

  virtual const std::string& dir() const = 0;
  virtual Env* env() const = 0;
};

}  // namespace evlog

#endif  // EVLOG_STORE_H_
