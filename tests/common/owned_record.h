// An evlog record that owns its bytes and compares by value: what tests
// read back (OwnedRecord::From a zero-copy RecordView) and compare.

#ifndef EVLOG_TESTS_COMMON_OWNED_RECORD_H_
#define EVLOG_TESTS_COMMON_OWNED_RECORD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "evlog/record.h"

namespace evlog::testing {

struct OwnedRecord {
  std::optional<std::string> key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
  int64_t timestamp_ms = kNoTimestamp;
  int64_t offset = -1;

  friend bool operator==(const OwnedRecord&, const OwnedRecord&) = default;

  static OwnedRecord From(const RecordView& v) {
    OwnedRecord r;
    r.offset = v.offset().value();
    r.timestamp_ms = v.timestamp_ms();
    if (v.key()) r.key = std::string(*v.key());
    if (v.value()) r.value = std::string(*v.value());
    for (const HeaderView& h : v.headers()) {
      r.headers.emplace_back(
          std::string(h.key),
          h.value ? std::optional<std::string>(*h.value) : std::nullopt);
    }
    return r;
  }
};

}  // namespace evlog::testing

#endif  // EVLOG_TESTS_COMMON_OWNED_RECORD_H_
