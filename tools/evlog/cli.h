// tools/evlog/cli.h: the pieces every `evlog` command shares -- parsed
// arguments, where output goes, how a store is opened, and how results are
// printed (aligned tables by default, JSON with --json).
//
// Each command is a function `absl::Status RunX(const Args&, Io&)`; the
// command line is parsed by CLI11 (subcommands, per-command --help, short
// flags) and JSON is written with nlohmann::json. A non-OK status is printed
// by Main as one line, "evlog: <message>", and turned into the exit code (2
// for usage errors, 1 for everything else).
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
#include "nlohmann/json.hpp"
#include "store/store_impl.h"

namespace evlog::cli {

// Where a command reads and writes.
struct Io {
  std::istream* in = nullptr;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // Long-running commands draw a progress line on `err` (progress.h). main
  // sets it when standard error is a terminal; tests leave it off.
  bool progress = false;
  std::ostream* progress_out() const { return progress ? err : nullptr; }
};

// A flag a command accepts, declared in dispatch.cc's command table and
// parsed by CLI11: `--name VALUE` / `--name=VALUE` (or `-c VALUE` with a
// short name) when it takes a value, else a bare `--name`. Flags may repeat
// (every value is kept) and may be mixed with positional arguments; "--"
// ends the flags.
struct FlagSpec {
  enum class Kind { kSwitch, kValue, kInt };
  std::string_view name;  // without the leading "--"
  Kind kind = Kind::kSwitch;
  std::string_view help;
  char short_name = 0;  // e.g. 'f' for -f; 0 for none
};

// Marks a usage error (exit code 2) rather than a failure of the operation.
absl::Status UsageError(std::string_view message);
bool IsUsageError(const absl::Status& s);

// What CLI11 parsed for one command: its positional arguments and the flags
// given (in order), as the commands read them.
class Args {
 public:
  Args(std::vector<std::string> positional,
       std::vector<std::pair<std::string, std::string>> flags)
      : positional_(std::move(positional)), flags_(std::move(flags)) {}

  const std::vector<std::string>& positional() const { return positional_; }
  bool Has(std::string_view name) const;
  // The last value given for `name`.
  std::optional<std::string> Get(std::string_view name) const;
  std::vector<std::string> GetAll(std::string_view name) const;
  // The value of `name` as an integer (CLI11 checked it is one).
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
absl::StatusOr<std::unique_ptr<StoreImpl>> OpenForReading(
    const std::string& dir);
// Exclusive; fails with a message saying the store is in use if it is held.
// `create` creates a missing store (topic create); otherwise kNotFound.
absl::StatusOr<std::unique_ptr<StoreImpl>> OpenForWriting(
    const std::string& dir, bool create);

// ---- Output ----
// Left-aligned columns separated by two spaces, with a header row.
class Table {
 public:
  explicit Table(std::vector<std::string> header)
      : header_(std::move(header)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

// JSON values (nlohmann::json, keys in insertion order). Write them with
// Dump, never with operator<<: Dump cannot throw on bytes that are not UTF-8.
using Json = nlohmann::ordered_json;
std::string Dump(const Json& json);

// Builds one JSON object, fields in insertion order.
class JsonObject {
 public:
  // A text field. Names, config values and messages are text; for a
  // record's key, value or header use Bytes.
  JsonObject& Str(std::string_view key, std::string_view value);
  // A field holding arbitrary bytes (a record's key, value, header): a JSON
  // string of them if they are valid UTF-8, else their base64 and a sibling
  // field "<key>_encoding": "base64". Nullopt is null.
  JsonObject& Bytes(std::string_view key,
                    std::optional<std::string_view> value);
  JsonObject& Int(std::string_view key, int64_t value);
  JsonObject& Num(std::string_view key, double value);
  JsonObject& Bool(std::string_view key, bool value);
  JsonObject& Raw(std::string_view key, Json value);
  const Json& json() const { return j_; }
  operator Json() const { return j_; }  // NOLINT: a builder of Json
  std::string str() const { return Dump(j_); }

 private:
  Json j_ = Json::object();
};

// An array of values.
Json JsonArray(std::vector<Json> items);

// "2024-05-01 12:00:00.123" (UTC) for a timestamp in ms; "-" for < 0.
std::string FormatTime(int64_t ms);

// ---- Commands (one file each or per group) ----
absl::Status RunTopics(const Args& args, Io& io);
absl::Status RunTopicCreate(const Args& args, Io& io);
absl::Status RunTopicDescribe(const Args& args, Io& io);
absl::Status RunTopicDelete(const Args& args, Io& io);
absl::Status RunTopicAlter(const Args& args, Io& io);
absl::Status RunTopicPartitions(const Args& args, Io& io);
absl::Status RunTopicDeleteRecords(const Args& args, Io& io);
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
