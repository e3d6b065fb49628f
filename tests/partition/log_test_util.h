// Helpers shared by the partition-log tests: owned copies of records and a
// reader that drains a log.

#ifndef EVLOG_TESTS_PARTITION_LOG_TEST_UTIL_H_
#define EVLOG_TESTS_PARTITION_LOG_TEST_UTIL_H_

#include <optional>
#include <string>
#include <vector>

#include "common/owned_record.h"
#include "evlog/record.h"
#include "partition/log_reader.h"
#include "partition/partition_log.h"

namespace evlog::testing {

// Holds the storage for a Record built from strings.
struct RecordHolder {
  std::optional<std::string> key, value;
  std::vector<std::string> header_storage;
  std::vector<HeaderView> headers;
  int64_t ts = kNoTimestamp;

  Record AsRecord() const {
    Record r;
    if (key) r.key = *key;
    if (value) r.value = *value;
    r.headers = headers;
    r.timestamp_ms = ts;
    return r;
  }
};

inline Record KV(std::string_view key, std::string_view value,
                 int64_t ts = kNoTimestamp) {
  Record r;
  r.key = key;
  r.value = value;
  r.timestamp_ms = ts;
  return r;
}

// Reads every record from `from` to the end; CHECKs that no error occurs.
inline absl::StatusOr<std::vector<OwnedRecord>> ReadAll(
    const PartitionLog& log, Offset from = Offset(0)) {
  std::vector<OwnedRecord> out;
  LogReader reader(&log, from);
  RecordView v;
  while (true) {
    auto got = reader.Next(&v, log.end_offset());
    if (!got.ok()) return got.status();
    if (!*got) break;
    out.push_back(OwnedRecord::From(v));
  }
  return out;
}

// A config with small segments so that tests roll often.
inline TopicConfig SmallSegments(uint64_t segment_bytes = 4096) {
  TopicConfig c;
  c.segment_bytes = segment_bytes;
  c.max_record_bytes = 1024;
  c.index_interval_bytes = 256;
  return c;
}

}  // namespace evlog::testing

#endif  // EVLOG_TESTS_PARTITION_LOG_TEST_UTIL_H_
