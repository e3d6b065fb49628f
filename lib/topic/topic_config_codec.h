// topic/topic_config_codec.h: TopicConfig as text key/value pairs.
//
// Used by the store's metadata file and by the command-line tool's
// `--config k=v`. Keys are the TopicConfig field names (`segment_bytes`);
// Kafka's dotted names (`segment.bytes`, `cleanup.policy`,
// `message.timestamp.type`, `max.message.bytes`, `flush.messages`,
// `flush.ms`, ...) are accepted as aliases. Values:
//   durability       none | interval | every_append
//   cleanup_policy   delete | compact | compact,delete
//   timestamp_type   create_time | log_append_time (also CreateTime,
//   LogAppendTime) retention_wait_for_groups  comma-separated group ids (may be
//   empty)
// and decimal numbers for the rest.

#ifndef EVLOG_TOPIC_TOPIC_CONFIG_CODEC_H_
#define EVLOG_TOPIC_TOPIC_CONFIG_CODEC_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "evlog/options.h"

namespace evlog {

// Every field, in a fixed order, with canonical names and values.
std::vector<std::pair<std::string, std::string>> TopicConfigToPairs(
    const TopicConfig& config);

// Sets one field. kInvalidArgument naming the key for an unknown key or a
// value that does not parse. Does not run TopicConfig::Validate.
absl::Status SetTopicConfigField(TopicConfig* config, std::string_view key,
                                 std::string_view value);

// The canonical field name ("retention_ms") of `key`, which may be a
// Kafka alias ("retention.ms", "max.message.bytes"); kInvalidArgument naming
// the key if it is none.
absl::StatusOr<std::string> CanonicalTopicConfigKey(std::string_view key);

// Sets the field `key` names to its value in `defaults`. Errors as
// CanonicalTopicConfigKey.
absl::Status ResetTopicConfigField(TopicConfig* config, std::string_view key,
                                   const TopicConfig& defaults);

// Parses "key=value"; same errors.
absl::Status ApplyTopicConfigAssignment(TopicConfig* config,
                                        std::string_view assignment);

}  // namespace evlog

#endif  // EVLOG_TOPIC_TOPIC_CONFIG_CODEC_H_
