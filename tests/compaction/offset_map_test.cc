// OffsetMap: put/get against a std::map model, growth, and keys whose
// hashes collide (forced with a hash mask), which must stay distinct.

#include "compaction/offset_map.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace evlog {
namespace {

// Puts random keys (short, some of them prefixes of others or with zero
// bytes, the empty key too) with increasing offsets into a map with
// `hash_mask` and into a model, then checks that both agree. Keys go in one
// by one and in batches (PutAll), a key sometimes twice in one batch.
void CheckAgainstModel(uint64_t hash_mask, int keys, int puts) {
  INFO("hash mask " << hash_mask << ", " << keys << " keys");
  std::mt19937_64 rng(hash_mask ^ keys);
  OffsetMap map(hash_mask);
  std::map<std::string, int64_t> model;
  std::vector<std::string> batch_keys;  // owns what a batch views
  std::vector<OffsetMap::Entry> batch;
  for (int64_t offset = 0; offset < puts;) {
    const int n = static_cast<int>(rng() % 40);  // 0: one Put
    batch_keys.clear();
    for (int i = 0; i < std::max(n, 1); ++i) {
      uint64_t k = rng() % keys;
      std::string key = std::to_string(k);
      if (k % 3 == 0) key.push_back('\0');
      if (k % 5 == 0) key.resize(k % 4);
      batch_keys.push_back(key);
    }
    batch.clear();
    for (const std::string& key : batch_keys) {
      batch.push_back({key, offset});
      model[key] = offset++;
    }
    if (n == 0) {
      map.Put(batch[0].key, batch[0].offset);
    } else {
      map.PutAll(batch);
    }
  }
  CHECK(map.size() == model.size());
  std::vector<int64_t> offsets;
  for (const auto& [key, offset] : model) {
    INFO("key of size " << key.size());
    CHECK(map.Get(key) == offset);
    offsets.push_back(offset);
  }
  std::sort(offsets.begin(), offsets.end());
  CHECK(map.SortedOffsets() == offsets);
  CHECK_FALSE(map.Get("not a key").has_value());
}

TEST_CASE("an offset map keeps the last offset put for each key",
          "[compaction]") {
  OffsetMap map;
  CHECK(map.size() == 0);
  CHECK_FALSE(map.Get("a").has_value());
  CHECK(map.SortedOffsets().empty());
  map.Put("a", 7);
  map.Put("ab", 3);
  map.Put("", 5);
  map.Put("a", 9);
  CHECK(map.size() == 3);
  CHECK(map.Get("a") == 9);
  CHECK(map.Get("ab") == 3);
  CHECK(map.Get("") == 5);
  CHECK_FALSE(map.Get("b").has_value());
  CHECK_FALSE(map.Get(std::string("a\0", 2)).has_value());
  CHECK(map.SortedOffsets() == std::vector<int64_t>{3, 5, 9});

  SECTION("growing keeps every key") {
    CheckAgainstModel(~uint64_t{0}, 20000, 60000);
  }
}

TEST_CASE("keys whose hashes collide are distinct entries", "[compaction]") {
  // A mask of 0 gives every key the same hash: only the bytes tell keys
  // apart. A narrow mask gives long probe chains with some equal hashes.
  CheckAgainstModel(0, 200, 1000);
  CheckAgainstModel(0xF, 500, 3000);
  CheckAgainstModel(0xF0F0, 3000, 10000);
}

}  // namespace
}  // namespace evlog
