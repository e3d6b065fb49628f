#include "producer/partitioner.h"

#include <functional>
#include <optional>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "util/string_view.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace evlog {

uint64_t Xxh3KeyHash(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

int32_t KafkaMurmur2(std::string_view key) {
  // Kafka's variant of MurmurHash2 (32-bit, little-endian 4-byte blocks),
  // written from the algorithm: h = seed ^ len; per block k *= m, k ^= k >>>
  // 24, k *= m, h = h * m ^ k; the 1-3 tail bytes are xor-ed in and h *= m;
  // then h ^= h >>> 13, h *= m, h ^= h >>> 15. Unsigned arithmetic gives
  // Java's wrapping int multiply and its >>> shift.
  constexpr uint32_t kSeed = 0x9747b28c;
  constexpr uint32_t kM = 0x5bd1e995;
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const size_t len = key.size();
  uint32_t h = kSeed ^ static_cast<uint32_t>(len);
  const size_t blocks = len / 4;
  for (size_t i = 0; i < blocks; ++i) {
    const unsigned char* b = data + 4 * i;
    uint32_t k = uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 |
                 uint32_t{b[3]} << 24;
    k *= kM;
    k ^= k >> 24;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const unsigned char* tail = data + 4 * blocks;
  switch (len % 4) {
    case 3:
      h ^= uint32_t{tail[2]} << 16;
      [[fallthrough]];
    case 2:
      h ^= uint32_t{tail[1]} << 8;
      [[fallthrough]];
    case 1:
      h ^= uint32_t{tail[0]};
      h *= kM;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

PartitionId PartitionForKey(std::string_view key, int32_t num_partitions) {
  return PartitionId(static_cast<int32_t>(
      Xxh3KeyHash(key) % static_cast<uint64_t>(num_partitions)));
}

PartitionId KafkaPartitionForKey(std::string_view key, int32_t num_partitions) {
  // The Java client's toPositive(murmur2(key)) % n.
  uint32_t positive = static_cast<uint32_t>(KafkaMurmur2(key)) & 0x7fffffffu;
  return PartitionId(
      static_cast<int32_t>(positive % static_cast<uint32_t>(num_partitions)));
}

namespace {

PartitionId ForKey(KeyHash hash, std::string_view key, int32_t n) {
  return hash == KeyHash::kMurmur2 ? KafkaPartitionForKey(key, n)
                                   : PartitionForKey(key, n);
}

PartitionId Sticky(const ProducerOptions& options, uint64_t sticky_id,
                   int32_t n) {
  if (n == 1) return PartitionId(0);  // no counter to touch
  // Per sending thread: threads share no counter, and start at different
  // partitions so that concurrent senders do not queue on one partition.
  thread_local absl::flat_hash_map<uint64_t, uint64_t> sends;
  auto [it, fresh] = sends.try_emplace(sticky_id, 0);
  if (fresh) {
    it->second = std::hash<std::thread::id>()(std::this_thread::get_id()) %
                 1024 * static_cast<uint64_t>(options.sticky_records);
  }
  uint64_t ticket = it->second++;
  return PartitionId(static_cast<int32_t>(
      (ticket / static_cast<uint64_t>(options.sticky_records)) %
      static_cast<uint64_t>(n)));
}

}  // namespace

absl::StatusOr<PartitionId> ChoosePartition(const ProducerOptions& options,
                                            std::string_view topic,
                                            uint64_t sticky_id, int32_t n,
                                            std::span<const Record> records,
                                            const SendOptions& send_options) {
  // One partition and the default choice: every record maps to it.
  if (n == 1 && !send_options.partition && !options.partitioner) {
    return PartitionId(0);
  }
  if (send_options.partition) {
    if (send_options.partition->value() < 0 ||
        send_options.partition->value() >= n) {
      return absl::OutOfRangeError(
          absl::StrCat("partition ", send_options.partition->value(),
                       " is out of range for topic ", ToAbsl(topic), " (", n,
                       " partitions)"));
    }
    return *send_options.partition;
  }
  std::optional<PartitionId> chosen;
  for (const Record& r : records) {
    if (!r.key && !options.partitioner) continue;
    PartitionId p = options.partitioner ? options.partitioner(topic, r.key, n)
                                        : ForKey(options.key_hash, *r.key, n);
    if (p.value() < 0 || p.value() >= n) {
      return absl::OutOfRangeError(absl::StrCat(
          "the partitioner chose partition ", p.value(), " of topic ",
          ToAbsl(topic), ", which has ", n, " partitions"));
    }
    if (chosen && *chosen != p) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the records of a batch map to partitions ", chosen->value(), " and ",
          p.value(), " of topic ", ToAbsl(topic),
          "; a batch goes to one partition: set SendOptions::partition"));
    }
    chosen = p;
  }
  if (chosen) return *chosen;
  return Sticky(options, sticky_id, n);
}

}  // namespace evlog
