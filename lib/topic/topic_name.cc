#include "topic/topic_name.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "util/string_view.h"

namespace evlog {

absl::Status ValidateTopicName(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("topic name is empty");
  if (name.size() > kMaxTopicNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("topic name is ", name.size(),
                     " characters long; the limit is ", kMaxTopicNameLength));
  }
  if (name == "." || name == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("topic name cannot be \"", ToAbsl(name), "\""));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "topic name has an illegal character 0x%02x at position %d; "
          "allowed: [A-Za-z0-9._-]",
          c, i));
    }
  }
  return absl::OkStatus();
}

}  // namespace evlog
