#include "compaction/offset_map.h"

#include <algorithm>

namespace evlog {

namespace {

constexpr size_t kInitialSlots = 16;

}  // namespace

OffsetMap::OffsetMap(uint64_t hash_mask)
    : hash_mask_(hash_mask), slots_(kInitialSlots) {}

void OffsetMap::PutAll(std::span<const Entry> entries) {
  hashes_.resize(entries.size());
  const size_t mask = slots_.size() - 1;
  for (size_t i = 0; i < entries.size(); ++i) {
    hashes_[i] = Hash(entries[i].key);
    __builtin_prefetch(&slots_[hashes_[i] & mask]);
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    Put(entries[i].key, hashes_[i], entries[i].offset);
  }
}

void OffsetMap::Grow() {
  std::vector<Slot> old(slots_.size() * 2);
  old.swap(slots_);
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.offset < 0) continue;
    // Keys in the table are distinct: the first empty slot is the place.
    size_t i = s.hash & mask;
    while (slots_[i].offset >= 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
}

void OffsetMap::GrowArena(size_t n) {
  keys_.reserve(std::max(2 * keys_.capacity(), keys_.size() + n));
}

size_t OffsetMap::PeakBytesToPutAll(std::span<const Entry> entries) const {
  // The slot table once every entry is in (Put grows before an insertion
  // that would pass 3/4), and at its last doubling the old half too.
  size_t slots = slots_.size();
  while (4 * (size_ + entries.size()) > 3 * slots) slots *= 2;
  size_t slot_peak = slots == slots_.size() ? slots : slots + slots / 2;
  // The arena, growing as Put does; at each growth the old copy exists too.
  size_t cap = keys_.capacity(), used = keys_.size(), arena_peak = cap;
  for (const Entry& e : entries) {
    used += 4 + e.key.size();
    if (used > cap) {
      size_t grown = std::max(2 * cap, used);
      arena_peak = std::max(arena_peak, cap + grown);
      cap = grown;
    }
  }
  return slot_peak * sizeof(Slot) + arena_peak +
         std::max(hashes_.capacity(), entries.size()) * sizeof(uint64_t);
}

std::vector<int64_t> OffsetMap::SortedOffsets() const {
  std::vector<int64_t> offsets;
  offsets.reserve(size_);
  for (const Slot& s : slots_) {
    if (s.offset >= 0) offsets.push_back(s.offset);
  }
  std::sort(offsets.begin(), offsets.end());
  return offsets;
}

}  // namespace evlog
