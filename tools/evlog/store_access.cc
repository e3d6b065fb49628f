// tools/evlog/store_access.cc: how commands open the store.
//
// Reading commands open it read-only (StoreOptions::read_only): no lock is
// taken and nothing is written, so they work while an application holds the
// store. They see the log as it was when opened; `consume --follow` reopens
// to see what the owner appended since.

#include "absl/strings/str_cat.h"
#include "cli.h"

namespace evlog::cli {

absl::StatusOr<std::unique_ptr<StoreImpl>> OpenForReading(
    const std::string& dir) {
  StoreOptions options;
  options.read_only = true;
  options.create_if_missing = false;
  options.maintenance_interval_ms = 0;
  return StoreImpl::Open(dir, options, nullptr);
}

absl::StatusOr<std::unique_ptr<StoreImpl>> OpenForWriting(
    const std::string& dir, bool create) {
  StoreOptions options;
  options.create_if_missing = create;
  options.maintenance_interval_ms = 0;  // short-lived: Close() flushes
  auto store = StoreImpl::Open(dir, options, nullptr);
  if (absl::IsUnavailable(store.status())) {
    return absl::UnavailableError(absl::StrCat(
        "store ", dir, " is in use by another process (it holds ", dir,
        "/LOCK); stop it first -- only reading commands work on a store in "
        "use"));
  }
  return store;
}

}  // namespace evlog::cli
