// producer/partitioner.h: how a producer picks a record's partition -- the
// key hashes and the rule of evlog/producer.h ("Partition choice"), shared
// by every backend (the embedded store's ProducerImpl and the Kafka
// backend's producer) so that a key lands in the same partition on both.
//
// The key hashes are their own functions, not the on-disk checksum of
// lib/format: the format's checksum may change without moving any key.
//
// Thread safety: stateless, except the sticky spread's per-thread counters
// (thread_local, so no locking).

#ifndef EVLOG_PRODUCER_PARTITIONER_H_
#define EVLOG_PRODUCER_PARTITIONER_H_

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/statusor.h"
#include "evlog/producer.h"
#include "evlog/record.h"
#include "evlog/types.h"

namespace evlog {

// XXH3-64 of the key bytes with seed 0: evlog's default key hash. Part of
// the placement contract (pinned by tests/producer): changing it moves keys.
uint64_t Xxh3KeyHash(std::string_view key);

// Kafka's murmur2 (the Java client's Utils.murmur2, seed 0x9747b28c), as a
// signed 32-bit value like Java's int. Pinned by tests against Kafka's own
// test vectors and librdkafka's murmur2 partitioner.
int32_t KafkaMurmur2(std::string_view key);

// Picks the partition of `records` (all must agree) of a topic with
// `num_partitions` partitions, by the rule of evlog/producer.h.
// `sticky_id` names the topic for the per-thread sticky spread of keyless
// records: unique in the process for the topic's life (Topic::serial() on
// the embedded store; the address of the backend's topic record on Kafka).
// kOutOfRange for a bad SendOptions::partition or partitioner result,
// kInvalidArgument when keyed records map to different partitions.
absl::StatusOr<PartitionId> ChoosePartition(const ProducerOptions& options,
                                            std::string_view topic,
                                            uint64_t sticky_id,
                                            int32_t num_partitions,
                                            std::span<const Record> records,
                                            const SendOptions& send_options);

}  // namespace evlog

#endif  // EVLOG_PRODUCER_PARTITIONER_H_
