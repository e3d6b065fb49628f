#include "topic/topic_config_codec.h"

#include <functional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "util/string_view.h"

namespace evlog {
namespace {

std::string DurabilityName(Durability d) {
  switch (d) {
    case Durability::kNone:
      return "none";
    case Durability::kInterval:
      return "interval";
    case Durability::kEveryAppend:
      return "every_append";
  }
  return "none";
}

std::string CleanupName(CleanupPolicy p) {
  switch (p) {
    case CleanupPolicy::kDelete:
      return "delete";
    case CleanupPolicy::kCompact:
      return "compact";
    case CleanupPolicy::kCompactAndDelete:
      return "compact,delete";
  }
  return "delete";
}

std::string CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone:
      return "none";
    case Compression::kLz4:
      return "lz4";
    case Compression::kZstd:
      return "zstd";
  }
  return "none";
}

std::string TimestampName(TimestampType t) {
  return t == TimestampType::kLogAppendTime ? "log_append_time" : "create_time";
}

absl::Status Bad(std::string_view key, std::string_view value) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid value '", ToAbsl(value), "' for topic config ", ToAbsl(key)));
}

template <typename T>
absl::Status ParseNumber(std::string_view key, std::string_view value, T* out) {
  if constexpr (std::is_floating_point_v<T>) {
    double d;
    if (!absl::SimpleAtod(ToAbsl(value), &d)) return Bad(key, value);
    *out = d;
  } else {
    int64_t v;
    if (!absl::SimpleAtoi(ToAbsl(value), &v) ||
        v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        static_cast<uint64_t>(std::max<int64_t>(v, 0)) >
            static_cast<uint64_t>(std::numeric_limits<T>::max())) {
      return Bad(key, value);
    }
    *out = static_cast<T>(v);
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> TopicConfigToPairs(
    const TopicConfig& c) {
  return {
      {"segment_bytes", absl::StrCat(c.segment_bytes)},
      {"segment_ms", absl::StrCat(c.segment_ms)},
      {"retention_ms", absl::StrCat(c.retention_ms)},
      {"retention_bytes", absl::StrCat(c.retention_bytes)},
      {"retention_wait_for_groups",
       absl::StrJoin(c.retention_wait_for_groups, ",")},
      {"retention_hard_bytes", absl::StrCat(c.retention_hard_bytes)},
      {"cleanup_policy", CleanupName(c.cleanup_policy)},
      {"delete_retention_ms", absl::StrCat(c.delete_retention_ms)},
      {"min_cleanable_dirty_ratio", absl::StrCat(c.min_cleanable_dirty_ratio)},
      {"max_record_bytes", absl::StrCat(c.max_record_bytes)},
      {"index_interval_bytes", absl::StrCat(c.index_interval_bytes)},
      {"durability", DurabilityName(c.durability)},
      {"flush_messages", absl::StrCat(c.flush_messages)},
      {"flush_ms", absl::StrCat(c.flush_ms)},
      {"timestamp_type", TimestampName(c.timestamp_type)},
      {"compression", CompressionName(c.compression)},
      {"compression_level", absl::StrCat(c.compression_level)},
  };
}

absl::Status SetTopicConfigField(TopicConfig* c, std::string_view key,
                                 std::string_view value) {
  std::string k(key);
  for (char& ch : k) {
    if (ch == '.') ch = '_';
  }
  if (k == "segment_bytes") return ParseNumber(key, value, &c->segment_bytes);
  if (k == "segment_ms") return ParseNumber(key, value, &c->segment_ms);
  if (k == "retention_ms") return ParseNumber(key, value, &c->retention_ms);
  if (k == "retention_bytes")
    return ParseNumber(key, value, &c->retention_bytes);
  if (k == "retention_hard_bytes")
    return ParseNumber(key, value, &c->retention_hard_bytes);
  if (k == "retention_wait_for_groups") {
    c->retention_wait_for_groups.clear();
    for (absl::string_view g :
         absl::StrSplit(ToAbsl(value), ',', absl::SkipEmpty())) {
      c->retention_wait_for_groups.emplace_back(g);
    }
    return absl::OkStatus();
  }
  if (k == "delete_retention_ms")
    return ParseNumber(key, value, &c->delete_retention_ms);
  if (k == "min_cleanable_dirty_ratio") {
    return ParseNumber(key, value, &c->min_cleanable_dirty_ratio);
  }
  if (k == "max_record_bytes" || k == "max_message_bytes") {
    return ParseNumber(key, value, &c->max_record_bytes);
  }
  if (k == "index_interval_bytes")
    return ParseNumber(key, value, &c->index_interval_bytes);
  if (k == "flush_messages") return ParseNumber(key, value, &c->flush_messages);
  if (k == "flush_ms") return ParseNumber(key, value, &c->flush_ms);
  if (k == "durability") {
    if (value == "none")
      c->durability = Durability::kNone;
    else if (value == "interval")
      c->durability = Durability::kInterval;
    else if (value == "every_append")
      c->durability = Durability::kEveryAppend;
    else
      return Bad(key, value);
    return absl::OkStatus();
  }
  if (k == "cleanup_policy") {
    if (value == "delete")
      c->cleanup_policy = CleanupPolicy::kDelete;
    else if (value == "compact")
      c->cleanup_policy = CleanupPolicy::kCompact;
    else if (value == "compact,delete" || value == "delete,compact") {
      c->cleanup_policy = CleanupPolicy::kCompactAndDelete;
    } else {
      return Bad(key, value);
    }
    return absl::OkStatus();
  }
  if (k == "compression" || k == "compression_type") {
    if (value == "none" || value == "uncompressed")
      c->compression = Compression::kNone;
    else if (value == "lz4")
      c->compression = Compression::kLz4;
    else if (value == "zstd")
      c->compression = Compression::kZstd;
    else
      return Bad(key, value);
    return absl::OkStatus();
  }
  if (k == "compression_level" || k == "compression_zstd_level") {
    return ParseNumber(key, value, &c->compression_level);
  }
  if (k == "timestamp_type" || k == "message_timestamp_type") {
    if (value == "create_time" || value == "CreateTime") {
      c->timestamp_type = TimestampType::kCreateTime;
    } else if (value == "log_append_time" || value == "LogAppendTime") {
      c->timestamp_type = TimestampType::kLogAppendTime;
    } else {
      return Bad(key, value);
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown topic config '", ToAbsl(key), "'"));
}

absl::Status ApplyTopicConfigAssignment(TopicConfig* config,
                                        std::string_view assignment) {
  size_t eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "topic config '", ToAbsl(assignment), "' is not key=value"));
  }
  return SetTopicConfigField(config, assignment.substr(0, eq),
                             assignment.substr(eq + 1));
}

}  // namespace evlog

namespace evlog {

absl::StatusOr<std::string> CanonicalTopicConfigKey(std::string_view key) {
  std::string k(key);
  for (char& ch : k) {
    if (ch == '.') ch = '_';
  }
  if (k == "max_message_bytes") k = "max_record_bytes";
  if (k == "message_timestamp_type") k = "timestamp_type";
  for (const auto& [name, value] : TopicConfigToPairs(TopicConfig())) {
    if (name == k) return k;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown topic config ", ToAbsl(key)));
}

absl::Status ResetTopicConfigField(TopicConfig* config, std::string_view key,
                                   const TopicConfig& defaults) {
  auto canonical = CanonicalTopicConfigKey(key);
  if (!canonical.ok()) return canonical.status();
  for (const auto& [name, value] : TopicConfigToPairs(defaults)) {
    if (name == *canonical) return SetTopicConfigField(config, name, value);
  }
  return absl::InternalError("unreachable");
}

}  // namespace evlog
