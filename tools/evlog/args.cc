// tools/evlog/args.cc: the parsed arguments of one command (CLI11 parses
// them in dispatch.cc) and usage errors.

#include <cstdlib>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli.h"
#include "util/string_view.h"

namespace evlog::cli {

namespace {
// Payload key that marks a usage error.
constexpr char kUsagePayload[] = "evlog.cli/usage";

}  // namespace

absl::Status UsageError(std::string_view message) {
  absl::Status s = absl::InvalidArgumentError(ToAbsl(message));
  s.SetPayload(kUsagePayload, absl::Cord("1"));
  return s;
}

bool IsUsageError(const absl::Status& s) {
  return s.GetPayload(kUsagePayload).has_value();
}

bool Args::Has(std::string_view name) const {
  for (const auto& [n, v] : flags_) {
    if (n == name) return true;
  }
  return false;
}

std::optional<std::string> Args::Get(std::string_view name) const {
  std::optional<std::string> last;
  for (const auto& [n, v] : flags_) {
    if (n == name) last = v;
  }
  return last;
}

std::vector<std::string> Args::GetAll(std::string_view name) const {
  std::vector<std::string> all;
  for (const auto& [n, v] : flags_) {
    if (n == name) all.push_back(v);
  }
  return all;
}

absl::StatusOr<std::optional<int64_t>> Args::GetInt(
    std::string_view name) const {
  std::optional<std::string> v = Get(name);
  if (!v) return std::optional<int64_t>();
  int64_t n;
  if (!absl::SimpleAtoi(*v, &n)) {
    return UsageError(absl::StrCat("--", ToAbsl(name),
                                   " wants an integer, not \"", *v, "\""));
  }
  return std::optional<int64_t>(n);
}

absl::StatusOr<std::string> Args::Dir() const {
  if (std::optional<std::string> d = Get("dir"); d && !d->empty()) return *d;
  if (const char* d = std::getenv("EVLOG_DIR"); d != nullptr && *d != '\0') {
    return std::string(d);
  }
  return UsageError("no store given: pass --dir DIR (or set EVLOG_DIR)");
}

absl::Status Args::ExpectPositional(size_t n, std::string_view usage) const {
  if (positional_.size() == n) return absl::OkStatus();
  return UsageError(absl::StrCat("usage: evlog ", ToAbsl(usage)));
}

}  // namespace evlog::cli
