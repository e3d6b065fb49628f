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
// options.h). Batch explicitly with SendBatch, or let the producer batch:
//
// Asynchronous sends (Kafka's producer model): SendAsync queues a copy of
// the record and returns at once; a sender thread owned by the producer
// appends each partition's queued records as one batch, and on a
// Durability::kEveryAppend topic one sync covers the whole batch (group
// commit from a single application thread). The callback then runs on that
// sender thread with the record's SendResult or the error.
//
//   evlog::ProducerOptions po{.linger_ms = 1};
//   auto producer = store->NewProducer(po);
//   for (const std::string& line : lines) {
//     absl::Status queued = (*producer)->SendAsync(
//         "audit", {.value = line},
//         [](const absl::StatusOr<evlog::SendResult>& r) {
//           if (!r.ok()) LogError(r.status());  // on the sender thread
//         });
//     if (!queued.ok()) ...;  // not queued: the callback will not run
//   }
//   (*producer)->Flush();  // every callback above has returned
//
// Contract of SendAsync (both backends):
//   * an OK return means the record was queued and its callback will run
//     exactly once; an error return means it was not queued and the
//     callback never runs;
//   * callbacks run on a thread the producer owns, never inside SendAsync,
//     one at a time, and for the records of one partition in send order;
//   * an OK result acknowledges the record exactly as Send would (in the
//     log, visible, and as durable as the topic's Durability says: synced
//     on a kEveryAppend topic);
//   * records of one partition are appended in the order SendAsync accepted
//     them (for one sending thread, its call order). There is no order
//     between Send/SendBatch and SendAsync: Flush in between if it matters;
//   * a failed batch does not stop later ones: each callback sees its own
//     record's outcome;
//   * a record without a timestamp gets the time of the SendAsync call
//     (Kafka's create time), unless the topic uses log-append time;
//   * callbacks must be quick and must not throw: one that throws
//     terminates the process (std::terminate). A callback may call
//     SendAsync (which then never blocks: a full buffer fails it with
//     kResourceExhausted); Flush and Close from a callback fail with
//     kFailedPrecondition (they would wait for the callback itself); the
//     producer must not be destroyed from one of its callbacks.
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
// (producer or store closed, partition failed), kAborted (expected offset
// mismatch -- the message carries the actual end offset; re-read and retry),
// kInvalidArgument (empty batch, batch whose keys map to different
// partitions).

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
  Partitioner partitioner{};
  // The key hash when no partitioner is set. Default kXxh3 on every backend
  // (the Kafka backend too: evlog/kafka.h), so that switching backends
  // keeps each key's partition; choose kMurmur2 to agree with Java clients.
  KeyHash key_hash = KeyHash::kXxh3;
  // Records without a key stick to one partition for this many sends before
  // moving to the next. Default 64. Must be >= 1.
  int32_t sticky_records = 64;

  // ---- Asynchronous sends (SendAsync); Kafka's names and meanings ----
  // How long a partition's queued records may wait for more to join their
  // batch before the sender appends them (Kafka's linger.ms). Default 0:
  // append as soon as the sender thread is free; records queued while it
  // appends (and syncs) the previous batch form the next batch, so batches
  // grow with the load without adding latency. > 0 trades that much
  // latency for fewer, larger batches under light load. Must be >= 0.
  int64_t linger_ms = 0;
  // A partition's queue is sent without waiting for linger_ms once it
  // holds this many bytes, and no appended batch is larger (one Append, one
  // sync each; a segment's size also caps it). Counted as encoded records
  // (key + value + headers + 24 bytes of framing). Default 1 MiB (Kafka's
  // batch.size is 16 KiB: here a batch costs no network round trip but one
  // sync, so larger batches pay off). Must be >= 1.
  uint64_t batch_size = 1ull << 20;
  // Bound on the bytes queued and not yet acknowledged, over all partitions
  // (Kafka's buffer.memory; counted as for batch_size). When a record does
  // not fit, SendAsync makes the sender append everything queued and waits
  // up to max_block_ms for room, then fails with kResourceExhausted. A
  // record larger than buffer_memory always fails so. Default 32 MiB.
  // Must be >= 1.
  uint64_t buffer_memory = 32ull << 20;
  // How long SendAsync may block for room in buffer_memory (Kafka's
  // max.block.ms). 0: never block, fail at once. Default 60000. Must be
  // >= 0.
  int64_t max_block_ms = 60000;
};

struct SendOptions {
  // Send to this partition instead of choosing one.
  std::optional<PartitionId> partition{};
  // Conditional append (optimistic concurrency): write only if the chosen
  // partition's end offset equals this; otherwise nothing is written and
  // kAborted says the actual end offset.
  std::optional<Offset> expected_end_offset{};
};

// Where a record landed.
struct SendResult {
  PartitionId partition{};
  Offset offset{};
  int64_t timestamp_ms = 0;
};

// Where a batch landed: offsets base_offset .. base_offset + count - 1.
struct BatchSendResult {
  PartitionId partition{};
  Offset base_offset{};
  Offset last_offset{};
  int64_t timestamp_ms = 0;  // largest record timestamp in the batch
};

// The hash partitioner's function, exposed so that applications can predict
// a key's partition: XXH3-64(key, seed 0) mod num_partitions.
PartitionId PartitionForKey(std::string_view key, int32_t num_partitions);

// The outcome of one asynchronous send, given to its callback.
using SendCallback = std::function<void(const absl::StatusOr<SendResult>&)>;

// KeyHash::kMurmur2's function: Kafka's toPositive(murmur2(key)) %
// num_partitions, as the Java client's default partitioner computes it.
PartitionId KafkaPartitionForKey(std::string_view key, int32_t num_partitions);

class Producer {
 public:
  // Closes (see Close); destroying the producer from one of its own
  // callbacks is not allowed.
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

  // Queues a copy of `record` (its bytes are copied before the call
  // returns) for an asynchronous append; see "Asynchronous sends" above for
  // the contract. The partition is chosen now, as for Send. `callback` gets
  // the record's SendResult or its error (e.g. kFailedPrecondition when the
  // partition failed or the store was closed meanwhile); it may be empty,
  // and the outcome is then not reported.
  // Errors (the record was not queued, the callback will not run):
  // kFailedPrecondition (producer or store closed), kNotFound (unknown
  // topic), kOutOfRange (partition out of range), kInvalidArgument
  // (SendOptions::expected_end_offset: conditional appends are synchronous
  // only), kResourceExhausted (record larger than the topic's
  // max_record_bytes or than buffer_memory, or no room in buffer_memory
  // within max_block_ms).
  virtual absl::Status SendAsync(std::string_view topic, const Record& record,
                                 SendCallback callback,
                                 const SendOptions& options = {}) = 0;

  // Waits until every SendAsync accepted before the call has completed
  // (its callback has returned; linger_ms is not waited for), then returns
  // once every record sent so far through this producer is synced to disk
  // (whatever the topic's durability policy). Failed asynchronous sends are
  // reported to their callbacks, not here. kFailedPrecondition if the
  // producer is closed or when called from a SendAsync callback.
  virtual absl::Status Flush() = 0;

  // Completes every outstanding SendAsync (each is appended as if flushed
  // and its callback runs before Close returns; none is dropped), stops the
  // sender thread, and makes later sends fail with kFailedPrecondition.
  // Idempotent. kFailedPrecondition, doing nothing, when called from a
  // SendAsync callback.
  virtual absl::Status Close() = 0;
};

}  // namespace evlog

#endif  // EVLOG_PRODUCER_H_
