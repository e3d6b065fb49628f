// evlog/record.h: what a record is, going in and coming out.
//
// A record has an offset (assigned by the log), a timestamp in milliseconds
// since the Unix epoch, an optional key, an optional value and an ordered
// list of headers. An absent value (std::nullopt) is a *tombstone*, distinct
// from an empty value: under compaction it deletes its key.
//
//   evlog::HeaderView hdr[] = {{"trace-id", "abc"}};
//   evlog::Record r{.key = "user-42", .value = "{\"clicks\":3}",
//                   .headers = hdr};
//
// `Record` holds views into the caller's memory, which must stay valid for
// the duration of the call that takes it; the log copies the bytes.
// `RecordView` is the zero-copy result of a read: its views point into the
// memory-mapped segment and stay valid as long as the object that returned
// it (a poll result or reader; see its header) is alive.
//
// Thread safety: plain values.

#ifndef EVLOG_RECORD_H_
#define EVLOG_RECORD_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "evlog/types.h"

namespace evlog {

// Timestamp value meaning "let the log assign the current time".
inline constexpr int64_t kNoTimestamp = -1;

// One header: a key and an optional (possibly null) value, as in Kafka.
struct HeaderView {
  std::string_view key;
  std::optional<std::string_view> value;
  friend bool operator==(const HeaderView&, const HeaderView&) = default;
};

// A record to append. Views into caller memory, valid during the call.
struct Record {
  std::optional<std::string_view> key;    // nullopt: no key.
  std::optional<std::string_view> value;  // nullopt: tombstone.
  std::span<const HeaderView> headers = {};  // order is preserved.
  // Create time in ms since the epoch; kNoTimestamp means "now". Ignored
  // (replaced by the append time) for topics with log-append-time.
  int64_t timestamp_ms = kNoTimestamp;
};

// A record read back from a log. Cheap to copy (a few pointers); the views
// it returns live as long as the reader/poll result it came from.
class RecordView {
 public:
  RecordView() = default;

  Offset offset() const { return offset_; }
  int64_t timestamp_ms() const { return timestamp_ms_; }
  std::optional<std::string_view> key() const { return key_; }
  // nullopt for a tombstone.
  std::optional<std::string_view> value() const { return value_; }
  bool is_tombstone() const { return !value_.has_value(); }

  size_t header_count() const { return header_count_; }
  // All headers in order. Allocates the vector; the views are zero-copy.
  std::vector<HeaderView> headers() const;

 private:
  friend class RecordViewBuilder;  // the format layer fills these in
  Offset offset_;
  int64_t timestamp_ms_ = 0;
  std::optional<std::string_view> key_;
  std::optional<std::string_view> value_;
  const char* headers_begin_ = nullptr;  // encoded header section
  const char* headers_end_ = nullptr;
  uint32_t header_count_ = 0;
};

}  // namespace evlog

#endif  // EVLOG_RECORD_H_
