// compaction/offset_map.h: key -> offset, the table of a compaction pass.
//
// An open-addressing hash table (linear probing). Each slot holds a key's
// 64-bit hash, the key's place in an arena where the map copies the bytes of
// every key, one after the other, and its offset. A probe compares the
// bytes of a key only when the hashes are equal, and growing never hashes a
// key again. Equality is always decided on the bytes: two keys whose hashes
// collide are two entries. (Kafka's cleaner keeps only a hash per key, so a
// collision makes it drop the latest record of a key; compaction must never
// lose a record that way.)
//
// Why copies and not views into the segments: a lookup then reads the
// table and the arena, both small and dense (10k 16-byte keys: 384 KiB of
// slots, about 200 KB of arena), instead of one cold cache line of a
// segment per key; a compaction pass over 1M records in memory went from 44
// to 23 ms with it (bench/compaction_bench.cc). Memory: per key, 24 bytes /
// load factor (0.375 to 0.75) plus the key's size + 4 (the arena doubles
// too, so up to twice that). MemoryBytes() tells it and PeakBytesToPutAll()
// what a batch may take, so that a pass can stay within its buffer
// (StoreOptions::compaction_buffer_bytes).
//
// Example:
//   OffsetMap latest;
//   for (each record r, oldest first) latest.Put(*r.key(), r.offset().value());
//   std::vector<int64_t> keep = latest.SortedOffsets();
//
// Thread safety: none; a map belongs to one pass.

#ifndef EVLOG_COMPACTION_OFFSET_MAP_H_
#define EVLOG_COMPACTION_OFFSET_MAP_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "format/coding.h"

namespace evlog {

class OffsetMap {
 public:
  // A key's hash is the format's checksum (XXH3-64) of its bytes, ANDed
  // with `hash_mask`. Only tests pass a mask: a narrow one makes many keys
  // collide.
  explicit OffsetMap(uint64_t hash_mask = ~uint64_t{0});

  // Sets the offset of `key` (>= 0), adding (copying) the key if it is new.
  // Keys are shorter than 4 GiB (the format's keys are).
  void Put(std::string_view key, int64_t offset) {
    Put(key, Hash(key), offset);
  }

  struct Entry {
    std::string_view key;
    int64_t offset;
  };

  // Put() of each entry, in order. Faster than one by one: the slot of
  // every entry is prefetched before the first probe, so that the cache
  // misses of a large table overlap.
  void PutAll(std::span<const Entry> entries);

  // The offset of `key`, or nullopt if it was never put.
  std::optional<int64_t> Get(std::string_view key) const {
    const Slot& s = slots_[Find(key, Hash(key))];
    if (s.offset < 0) return std::nullopt;
    return s.offset;
  }

  // Number of distinct keys.
  size_t size() const { return size_; }

  // Bytes the map holds: slot table, key arena and PutAll's scratch, by
  // capacity (what is allocated, not what is used).
  size_t MemoryBytes() const {
    return slots_.capacity() * sizeof(Slot) + keys_.capacity() +
           hashes_.capacity() * sizeof(uint64_t);
  }

  // An upper bound of MemoryBytes() at any moment of PutAll(entries),
  // counting every key as new and the moment a table grows (its old and new
  // copies both exist then).
  size_t PeakBytesToPutAll(std::span<const Entry> entries) const;

  // The offset of every key, ascending.
  std::vector<int64_t> SortedOffsets() const;

 private:
  struct Slot {
    uint64_t hash = 0;
    size_t key_pos = 0;   // in keys_: its size (u32), then its bytes
    int64_t offset = -1;  // -1: the slot is empty
  };

  uint64_t Hash(std::string_view key) const {
    return format::Checksum(key.data(), key.size()) & hash_mask_;
  }

  std::string_view KeyAt(size_t pos) const {
    return std::string_view(keys_.data() + pos + 4,
                            format::Load<uint32_t>(keys_.data() + pos));
  }

  // The slot that holds `key`, or the empty slot where it would go. Ends:
  // the table always has an empty slot.
  size_t Find(std::string_view key, uint64_t hash) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.offset < 0 || (s.hash == hash && KeyAt(s.key_pos) == key)) {
        return i;
      }
    }
  }

  void Put(std::string_view key, uint64_t hash, int64_t offset) {
    if (4 * (size_ + 1) > 3 * slots_.size()) Grow();
    Slot& s = slots_[Find(key, hash)];
    if (s.offset < 0) {
      s.hash = hash;
      s.key_pos = keys_.size();
      if (keys_.size() + 4 + key.size() > keys_.capacity()) {
        GrowArena(4 + key.size());
      }
      char size[4];
      format::Store<uint32_t>(size, static_cast<uint32_t>(key.size()));
      keys_.append(size, sizeof(size));
      keys_.append(key);
      ++size_;
    }
    s.offset = offset;
  }

  // Doubles the table.
  void Grow();

  // Makes room for `n` more arena bytes: at least doubles the arena, so
  // that PeakBytesToPutAll can tell its growth in advance.
  void GrowArena(size_t n);

  const uint64_t hash_mask_;
  std::vector<Slot> slots_;  // a power of two, at most 3/4 full
  size_t size_ = 0;
  std::string keys_;              // the bytes of every key, one after the other
  std::vector<uint64_t> hashes_;  // PutAll's scratch
};

}  // namespace evlog

#endif  // EVLOG_COMPACTION_OFFSET_MAP_H_
