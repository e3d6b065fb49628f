// Helpers shared by the compaction tests: a model of what was appended and
// the checks every compacted log must pass against it.

#ifndef EVLOG_TESTS_COMPACTION_COMPACTION_TEST_UTIL_H_
#define EVLOG_TESTS_COMPACTION_COMPACTION_TEST_UTIL_H_

#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "partition/log_test_util.h"
#include "partition/partition_log.h"

namespace evlog::testing {

// A compacted topic of 4 KiB segments whose tombstones live 10 minutes.
inline TopicConfig Compacted() {
  TopicConfig c = SmallSegments(4096);
  c.cleanup_policy = CleanupPolicy::kCompact;
  c.delete_retention_ms = 10 * 60 * 1000;
  return c;
}

// Every record appended, indexed by offset (the logs in these tests start
// at 0 and are never trimmed).
struct History {
  std::vector<OwnedRecord> records;

  // Appends `batch` to `log` and remembers it.
  void Append(PartitionLog* log, const std::vector<RecordHolder>& batch) {
    std::vector<Record> rs;
    for (const RecordHolder& h : batch) rs.push_back(h.AsRecord());
    auto res = log->Append(rs);
    REQUIRE(res.ok());
    REQUIRE(res->base_offset.value() == static_cast<int64_t>(records.size()));
    for (size_t i = 0; i < batch.size(); ++i) {
      OwnedRecord o;
      o.offset = res->base_offset.value() + static_cast<int64_t>(i);
      o.timestamp_ms = batch[i].ts;
      o.key = batch[i].key;
      o.value = batch[i].value;
      for (size_t j = 0; j < batch[i].headers.size(); ++j) {
        const HeaderView& hv = batch[i].headers[j];
        o.headers.emplace_back(
            std::string(hv.key),
            hv.value ? std::optional<std::string>(*hv.value) : std::nullopt);
      }
      records.push_back(std::move(o));
    }
  }
};

// Replays records into the key -> value table they describe.
inline std::map<std::string, std::string> Replay(
    const std::vector<OwnedRecord>& rs) {
  std::map<std::string, std::string> t;
  for (const OwnedRecord& r : rs) {
    if (!r.key) continue;
    if (r.value) {
      t[*r.key] = *r.value;
    } else {
      t.erase(*r.key);
    }
  }
  return t;
}

// What every compacted log must satisfy against the history:
//   * its records are history records, unchanged, at their offsets, in order,
//     without duplicates;
//   * replaying it gives the same table as replaying the history;
//   * the latest record of every key is there, unless it is a tombstone and
//     no record of the key is left at all;
//   * records without a key and records at or after `untouched_from` are all
//     there.
inline void CheckAgainstHistory(const History& h,
                                const std::vector<OwnedRecord>& got,
                                int64_t untouched_from) {
  int64_t prev = -1;
  std::map<std::string, int64_t> latest;
  for (const OwnedRecord& r : h.records) {
    if (r.key) latest[*r.key] = r.offset;
  }
  std::map<std::string, int> count;
  std::vector<bool> present(h.records.size());
  for (const OwnedRecord& r : got) {
    REQUIRE(r.offset > prev);
    prev = r.offset;
    REQUIRE(r.offset < static_cast<int64_t>(h.records.size()));
    REQUIRE(r == h.records[r.offset]);
    present[r.offset] = true;
    if (r.key) ++count[*r.key];
  }
  CHECK(Replay(got) == Replay(h.records));
  for (const auto& [key, off] : latest) {
    INFO("key " << key << " latest offset " << off);
    const OwnedRecord& l = h.records[off];
    if (!present[off]) {
      CHECK_FALSE(l.value.has_value());
      CHECK(count[key] == 0);
    }
  }
  for (const OwnedRecord& r : h.records) {
    if (!r.key || r.offset >= untouched_from) {
      INFO("offset " << r.offset);
      CHECK(present[r.offset]);
    }
  }
}

}  // namespace evlog::testing

#endif  // EVLOG_TESTS_COMPACTION_COMPACTION_TEST_UTIL_H_
