// env/io_error.h: the one errno -> absl::Status mapping of the Env seam.
//
// Both the POSIX and the in-memory Env report failures through this function
// so that callers (and tests) see the same codes and the same message shape,
// "<op> <path>: <strerror>", whichever Env they run on.

#ifndef EVLOG_ENV_IO_ERROR_H_
#define EVLOG_ENV_IO_ERROR_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace evlog {

// Maps `err` (an errno value) to a status code:
//   ENOENT               -> kNotFound
//   EEXIST               -> kAlreadyExists
//   ENOSPC, EDQUOT       -> kResourceExhausted
//   EACCES, EPERM, EROFS -> kPermissionDenied
//   anything else        -> kInternal
// The message is "<op> <path>: <strerror(err)>".
absl::Status IoError(absl::string_view op, absl::string_view path, int err);

}  // namespace evlog

#endif  // EVLOG_ENV_IO_ERROR_H_
