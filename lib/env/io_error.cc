#include "env/io_error.h"

#include <errno.h>
#include <string.h>

#include "absl/strings/str_cat.h"

namespace evlog {
namespace {

absl::StatusCode CodeForErrno(int err) {
  switch (err) {
    case ENOENT:
      return absl::StatusCode::kNotFound;
    case EEXIST:
      return absl::StatusCode::kAlreadyExists;
    case ENOSPC:
    case EDQUOT:
      return absl::StatusCode::kResourceExhausted;
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::StatusCode::kPermissionDenied;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

absl::Status IoError(absl::string_view op, absl::string_view path, int err) {
  // strerrordesc_np is thread-safe (strerror is not guaranteed to be) and
  // returns null for unknown values.
  const char* text = strerrordesc_np(err);
  std::string message = text != nullptr
                            ? absl::StrCat(op, " ", path, ": ", text)
                            : absl::StrCat(op, " ", path, ": errno ", err);
  return absl::Status(CodeForErrno(err), message);
}

}  // namespace evlog
