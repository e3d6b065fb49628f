#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "evlog/options.h"
#include "format/format.h"

namespace evlog {

absl::Status TopicConfig::Validate() const {
  auto bad = [](const char* field, const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", field, ": ", why));
  };
  if (segment_bytes < 4096 || segment_bytes > (1ull << 30)) {
    return bad("segment_bytes",
               absl::StrCat(segment_bytes, " is outside [4096, 1 GiB]"));
  }
  if (segment_ms <= 0) return bad("segment_ms", "must be > 0");
  if (retention_ms < -1) return bad("retention_ms", "must be >= -1");
  if (retention_bytes < -1) return bad("retention_bytes", "must be >= -1");
  if (retention_hard_bytes < -1)
    return bad("retention_hard_bytes", "must be >= -1");
  for (const std::string& g : retention_wait_for_groups) {
    // The topic-name rule, which group ids follow.
    bool ok = !g.empty() && g.size() <= 249 && g != "." && g != "..";
    for (char ch : g) {
      ok = ok &&
           ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-');
    }
    if (!ok) {
      return bad("retention_wait_for_groups",
                 absl::StrCat("'", g, "' is not a valid group id"));
    }
  }
  if (delete_retention_ms < 0)
    return bad("delete_retention_ms", "must be >= 0");
  if (!(min_cleanable_dirty_ratio > 0 && min_cleanable_dirty_ratio <= 1)) {
    return bad("min_cleanable_dirty_ratio", "must be in (0, 1]");
  }
  size_t min_frame = format::kFrameHeaderSize + format::kBatchHeaderSize;
  if (max_record_bytes < format::kRecordFixedSize) {
    return bad("max_record_bytes",
               absl::StrCat("must be >= ", format::kRecordFixedSize));
  }
  if (max_record_bytes >
      segment_bytes - format::kSegmentHeaderSize - min_frame) {
    return bad("max_record_bytes",
               "a record of that size would not fit in a segment");
  }
  if (index_interval_bytes == 0)
    return bad("index_interval_bytes", "must be > 0");
  if (flush_messages <= 0) return bad("flush_messages", "must be > 0");
  if (flush_ms <= 0) return bad("flush_ms", "must be > 0");
  if (compression != Compression::kNone && compression != Compression::kLz4 &&
      compression != Compression::kZstd) {
    return bad("compression", "unknown codec");
  }
  if (compression_level < 0 || compression_level > 19) {
    return bad("compression_level", "must be in [0, 19]");
  }
  return absl::OkStatus();
}

}  // namespace evlog
