// tools/evlog/cli.h: the pieces every `evlog` command shares -- parsed
// arguments, where output goes, how a store is opened, and how results are
// printed (aligned tables by default, JSON with --json).
//
// Each command is a function `absl::Status RunX(const Args&, Io&)`. A
// non-OK status is printed by main() as one line, "evlog: <message>", and
// turned into the exit code (2 for usage errors, 1 for everything else).
// Commands write only to `io`, so tests can run them in-process.
//
// Thread safety: single-threaded, like the tool.

#ifndef EVLOG_TOOLS_EVLOG_CLI_H_
#define EVLOG_TOOLS_EVLOG_CLI_H_

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/store_impl.h"

namespace evlog::cli {

// Where a command reads and writes.
struct Io {
  std::istream* in;
  std::ostream* out;
  std::ostream* err;
};

// A flag a command accepts: `--name VALUE` (or `--name=VALUE`) when
// `takes_value`, else a bare `--name`. Flags may repeat; positional
// arguments and flags may be mixed. "--" ends the flags.
struct FlagSpec {
  std::string_view name;  // without the leading "--"
  bool takes_value;
};

// Marks a usage error (exit code 2) rather than a failure of the operation.
absl::Status UsageError(std::string_view message);
bool IsUsageError(const absl::Status& s);

class Args {
 public:
  // Parses `argv` (the words after the command name) against `spec` plus the
  // global flags --dir DIR and --json. Usage error for an unknown flag or a
  // missing value.
  static absl::StatusOr<Args> Parse(const std::vector<std::string>& argv,
                                    const std::vector<FlagSpec>& spec);

  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(std::string_view name) const;
  // The last value given for `name`.
  std::optional<std::string> Get(std::string_view name) const;
  std::vector<std::string> GetAll(std::string_view name) const;
  // The value of `name` as an integer; usage error if it is not one.
  absl::StatusOr<std::optional<int64_t>> GetInt(std::string_view name) const;

  bool json() const { return Has("json"); }
  // --dir, else $EVLOG_DIR; usage error if neither is set.
  absl::StatusOr<std::string> Dir() const;

  // Usage error unless exactly `n` positional arguments were given.
  absl::Status ExpectPositional(size_t n, std::string_view usage) const;

 private:
  std::vector<std::string> positional_;
  std::vector<std::pair<std::string, std::string>> flags_;
};

// ---- Opening the store ----
// Read-only, without the lock: works while an application holds the store.
absl::StatusOr<std::unique_ptr<StoreImpl>> OpenForReading(const std::string& dir);
// Exclusive; fails with a message saying the store is in use if it is held.
// `create` creates a missing store (topic create); otherwise kNotFound.
absl::StatusOr<std::unique_ptr<StoreImpl>> OpenForWriting(const std::string& dir,
                                                          bool create);

// ---- Output ----
// Left-aligned columns separated by two spaces, with a header row.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// A JSON string literal for arbitrary bytes (control characters escaped;
// other bytes passed through).
std::string JsonQuote(std::string_view s);

// Builds one JSON object, fields in insertion order.
class JsonObject {
 public:
  JsonObject& Str(std::string_view key, std::string_view value);
  JsonObject& OptStr(std::string_view key, std::optional<std::string_view> value);
  JsonObject& Int(std::string_view key, int64_t value);
  JsonObject& Num(std::string_view key, double value);
  JsonObject& Bool(std::string_view key, bool value);
  // `json` is already valid JSON (an object, an array, null).
  JsonObject& Raw(std::string_view key, std::string_view json);
  std::string str() const { return body_.empty() ? "{}" : "{" + body_ + "}"; }

 private:
  void Key(std::string_view key);
  std::string body_;
};

// "[a,b,c]" from already-encoded JSON values.
std::string JsonArray(const std::vector<std::string>& items);

// "2024-05-01 12:00:00.123" (UTC) for a timestamp in ms; "-" for < 0.
std::string FormatTime(int64_t ms);

// ---- Commands (one file each or per group) ----
absl::Status RunTopics(const Args& args, Io& io);
absl::Status RunTopicCreate(const Args& args, Io& io);
absl::Status RunTopicDescribe(const Args& args, Io& io);
absl::Status RunTopicDelete(const Args& args, Io& io);
absl::Status RunTopicAlter(const Args& args, Io& io);
absl::Status RunProduce(const Args& args, Io& io);
absl::Status RunConsume(const Args& args, Io& io);
absl::Status RunDump(const Args& args, Io& io);
absl::Status RunVerify(const Args& args, Io& io);
absl::Status RunStats(const Args& args, Io& io);
absl::Status RunGroups(const Args& args, Io& io);
absl::Status RunGroupDescribe(const Args& args, Io& io);
absl::Status RunGroupReset(const Args& args, Io& io);
absl::Status RunGroupDelete(const Args& args, Io& io);
// Only with the Kafka backend (EVLOG_CLI_WITH_KAFKA): mirror_command.cc.
absl::Status RunMirror(const Args& args, Io& io);

// Runs the command named by argv[0..] (argv excludes the program name) and
// returns the process exit code, having printed any error to io.err.
int Main(const std::vector<std::string>& argv, Io& io);

}  // namespace evlog::cli

#endif  // EVLOG_TOOLS_EVLOG_CLI_H_
