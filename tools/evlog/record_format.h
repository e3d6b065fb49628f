// tools/evlog/record_format.h: how `evlog consume` prints one record --
// either a kcat-style --format string or one JSON object per line.
//
// Placeholders: %t topic, %p partition, %o offset, %T timestamp (ms),
// %k key, %s value, %h headers (k=v,k2=v2), %K key length, %S value length
// (-1 when absent), %% a percent sign; escapes \n \t \\ . A missing key or
// value prints as nothing (JSON: null). A newline is added if the format has
// none.
//
// Thread safety: immutable after construction.

#ifndef EVLOG_TOOLS_EVLOG_RECORD_FORMAT_H_
#define EVLOG_TOOLS_EVLOG_RECORD_FORMAT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cli.h"
#include "evlog/record.h"

namespace evlog::cli {

// The default of `evlog consume`: partition, offset, timestamp, key, value.
inline constexpr char kDefaultRecordFormat[] = "%p\\t%o\\t%T\\t%k\\t%s\\n";

class RecordFormat {
 public:
  // Usage error for an unknown placeholder.
  static absl::StatusOr<RecordFormat> Parse(std::string_view format);
  // Appends the formatted record to *out.
  void Append(std::string_view topic, PartitionId partition,
              const RecordView& r, std::string* out) const;

 private:
  std::string format_;  // unescaped; placeholders kept as %x
};

// One JSON object: topic, partition, offset, timestamp, key, value, headers
// ([{"key":..,"value":..}]). Keys, values and headers that are not valid
// UTF-8 are written in base64 with a sibling "<field>_encoding": "base64"
// (JsonObject::Bytes).
Json RecordJson(std::string_view topic, PartitionId partition,
                const RecordView& r);

}  // namespace evlog::cli

#endif  // EVLOG_TOOLS_EVLOG_RECORD_FORMAT_H_
