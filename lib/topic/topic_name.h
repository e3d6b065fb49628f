// topic/topic_name.h: Kafka's rule for topic names, checked before a name
// ever reaches the file system.

#ifndef EVLOG_TOPIC_TOPIC_NAME_H_
#define EVLOG_TOPIC_TOPIC_NAME_H_

#include <string_view>

#include "absl/status/status.h"

namespace evlog {

inline constexpr size_t kMaxTopicNameLength = 249;

// OK if `name` is 1-249 characters of [A-Za-z0-9._-] and not "." or "..";
// else kInvalidArgument saying why. Path separators, NUL and every other
// byte are refused, so a valid name is always a single safe path component.
absl::Status ValidateTopicName(std::string_view name);

}  // namespace evlog

#endif  // EVLOG_TOPIC_TOPIC_NAME_H_
