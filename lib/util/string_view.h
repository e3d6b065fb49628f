// util/string_view.h: bridges std::string_view (the public API) and
// absl::string_view (Abseil's functions). Debian builds Abseil with its own
// string_view type, so the two do not convert implicitly.

#ifndef EVLOG_UTIL_STRING_VIEW_H_
#define EVLOG_UTIL_STRING_VIEW_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace evlog {

inline absl::string_view ToAbsl(std::string_view s) {
  return {s.data(), s.size()};
}
inline std::string_view ToStd(absl::string_view s) {
  return {s.data(), s.size()};
}

}  // namespace evlog

#endif  // EVLOG_UTIL_STRING_VIEW_H_
