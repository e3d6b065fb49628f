// tools/evlog/args.cc: hand-written flag parsing (no dependency, and
// subcommands with their own flags are simpler this way than with a global
// flag registry).

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

bool FindSpec(const std::vector<FlagSpec>& spec, std::string_view name,
              FlagSpec* found) {
  static constexpr FlagSpec kGlobal[] = {{"dir", true}, {"json", false}};
  for (const FlagSpec& f : kGlobal) {
    if (f.name == name) return *found = f, true;
  }
  for (const FlagSpec& f : spec) {
    if (f.name == name) return *found = f, true;
  }
  return false;
}
}  // namespace

absl::Status UsageError(std::string_view message) {
  absl::Status s = absl::InvalidArgumentError(ToAbsl(message));
  s.SetPayload(kUsagePayload, absl::Cord("1"));
  return s;
}

bool IsUsageError(const absl::Status& s) {
  return s.GetPayload(kUsagePayload).has_value();
}

absl::StatusOr<Args> Args::Parse(const std::vector<std::string>& argv,
                                 const std::vector<FlagSpec>& spec) {
  Args args;
  bool flags_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& word = argv[i];
    if (flags_done || word.size() < 3 || !absl::StartsWith(word, "--")) {
      // "-" alone, "-5" (a relative offset) and the like are positional.
      args.positional_.push_back(word);
      continue;
    }
    if (word == "--") {
      flags_done = true;
      continue;
    }
    std::string name = word.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    FlagSpec f;
    if (!FindSpec(spec, name, &f)) {
      return UsageError(absl::StrCat("unknown flag --", name));
    }
    if (f.takes_value && !value) {
      if (i + 1 == argv.size()) {
        return UsageError(absl::StrCat("flag --", name, " needs a value"));
      }
      value = argv[++i];
    } else if (!f.takes_value && value) {
      return UsageError(absl::StrCat("flag --", name, " takes no value"));
    }
    args.flags_.emplace_back(name, value.value_or(""));
  }
  return args;
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
