// evlog/producer.h: appending records to topics.
//
//   auto producer = store->NewProducer();
//   evlog::HeaderView headers[] = {{"source", "web"}};
//   auto sent = (*producer)->Send("clicks", {.key = "user-9", .value = "42",
//                                            .headers = headers});
//   if (!sent.ok()) ...;  // sent->partition, sent->offset, sent->timestamp_ms
//
// A send is acknowledged when it returns: the record is in the log, visible
// to consumers, and as durable as the topic's Durability says (see
// options.h). There is no background batching: batch explicitly with
// SendBatch.
//
// Partition choice, in order: SendOptions::partition if set; else the
// ProducerOptions::partitioner if set; else, for a record with a key, the
// ProducerOptions::key_hash of the key modulo the partition count (default
// XXH3-64(key bytes, seed 0); KeyHash::kMurmur2 is Kafka's Java client's
// placement. Stable across runs, versions and backends: the same key always
// lands in the same partition while the count is unchanged); else a sticky
// spread: records without a key sent by one thread go to one partition for
// `sticky_records` of that thread's sends, then to the next (each thread keeps
// its own count and starts at its own partition, so concurrent senders spread
// over the partitions).
//
// Thread safety: thread-safe; any number of threads may send through one
// producer at once, to the same or different partitions.
//
// Errors: kNotFound (unknown topic), kOutOfRange (partition out of range),
// kResourceExhausted (record too large, disk full), kFailedPrecondition
// (producer or store closed, partition failed, or expected offset
// mismatch -- the message carries the actual end offset), kInvalidArgument
// (empty batch, batch whose keys map to different partitions).

#ifndef EVLOG_PRODUCER_H_
#define EVLOG_PRODUCER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "evlog/record.h"
#include "evlog/types.h"

namespace evlog {

// Chooses a partition in [0, num_partitions) for a record of `topic`.
using Partitioner = std::function<PartitionId(
    std::string_view topic, std::optional<std::string_view> key,
    int32_t num_partitions)>;

// The hash that places a keyed record (see "Partition choice" above).
enum class KeyHash {
  // XXH3-64(key, seed 0) mod n (PartitionForKey). evlog's default.
  kXxh3,
  // toPositive(murmur2(key)) % n (KafkaPartitionForKey): where Kafka's Java
  // client and librdkafka's murmur2 / murmur2_random partitioners put the
  // key, so that records written by evlog and by those clients agree.
  kMurmur2,
};

struct ProducerOptions {
  // Overrides the default key-hash/sticky choice when set.
  Partitioner partitioner;
  // The key hash when no partitioner is set. Default kXxh3 on every backend
  // (the Kafka backend too: evlog/kafka.h), so that switching backends
  // keeps each key's partition; choose kMurmur2 to agree with Java clients.
  KeyHash key_hash = KeyHash::kXxh3;
  // Records without a key stick to one partition for this many sends before
  // moving to the next. Default 64. Must be >= 1.
  int32_t sticky_records = 64;
};

struct SendOptions {
  // Send to this partition instead of choosing one.
  std::optional<PartitionId> partition;
  // Conditional append (optimistic concurrency): write only if the chosen
  // partition's end offset equals this; otherwise nothing is written and
  // kFailedPrecondition says the actual end offset.
  std::optional<Offset> expected_end_offset;
};

// Where a record landed.
struct SendResult {
  PartitionId partition;
  Offset offset;
  int64_t timestamp_ms = 0;
};

// Where a batch landed: offsets base_offset .. base_offset + count - 1.
struct BatchSendResult {
  PartitionId partition;
  Offset base_offset;
  Offset last_offset;
  int64_t timestamp_ms = 0;  // largest record timestamp in the batch
};

// The hash partitioner's function, exposed so that applications can predict
// a key's partition: XXH3-64(key, seed 0) mod num_partitions.
PartitionId PartitionForKey(std::string_view key, int32_t num_partitions);

// KeyHash::kMurmur2's function: Kafka's toPositive(murmur2(key)) %
// num_partitions, as the Java client's default partitioner computes it.
PartitionId KafkaPartitionForKey(std::string_view key, int32_t num_partitions);

class Producer {
 public:
  virtual ~Producer() = default;

  // Appends one record.
  virtual absl::StatusOr<SendResult> Send(std::string_view topic,
                                          const Record& record,
                                          const SendOptions& options = {}) = 0;

  // Appends `records` to ONE partition as one atomic batch: after a crash
  // either all or none of it is there. The partition is options.partition,
  // else the one every keyed record maps to (kInvalidArgument if they
  // disagree), else the sticky choice.
  virtual absl::StatusOr<BatchSendResult> SendBatch(
      std::string_view topic, std::span<const Record> records,
      const SendOptions& options = {}) = 0;

  // Returns once every record sent so far through this producer is synced to
  // disk (whatever the topic's durability policy).
  virtual absl::Status Flush() = 0;

  // Later sends fail with kFailedPrecondition. Idempotent.
  virtual absl::Status Close() = 0;
};

}  // namespace evlog

#endif  // EVLOG_PRODUCER_H_
