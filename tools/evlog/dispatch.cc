// tools/evlog/dispatch.cc: the command table, parsed with CLI11
// (subcommands, per-command --help, short flags, one error style), and the
// exit codes.

#include <ostream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli.h"
#include "evlog/version.h"
#include "util/string_view.h"

namespace evlog::cli {

namespace {

using Kind = FlagSpec::Kind;

struct Command {
  std::vector<std::string_view> words;  // "topic", "create"
  std::string_view positional;          // "NAME", "TOPIC"; empty: none
  std::vector<FlagSpec> flags;
  absl::Status (*run)(const Args&, Io&);
  std::string_view help;
};

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {{"topics"}, "", {}, RunTopics, "List topics."},
      {{"topic", "create"},
       "NAME",
       {{"partitions", Kind::kInt, "number of partitions (required)"},
        {"config", Kind::kValue,
         "topic config KEY=VALUE (Kafka names such as retention.ms work), "
         "repeatable",
         'c'}},
       RunTopicCreate,
       "Create a topic."},
      {{"topic", "describe"},
       "NAME",
       {},
       RunTopicDescribe,
       "A topic's config and per-partition state."},
      {{"topic", "delete"},
       "NAME",
       {},
       RunTopicDelete,
       "Delete a topic and its data."},
      {{"topic", "alter"},
       "NAME",
       {{"partitions", Kind::kInt, "add partitions up to this count"},
        {"config", Kind::kValue,
         "set a config KEY=VALUE (Kafka's incrementalAlterConfigs SET), "
         "repeatable",
         'c'},
        {"delete-config", Kind::kValue,
         "reset a config KEY to the default (Kafka's DELETE), repeatable"}},
       RunTopicAlter,
       "Add partitions and/or change a topic's config."},
      {{"topic", "partitions"},
       "NAME",
       {},
       RunTopicPartitions,
       "List a topic's partitions with their offsets."},
      {{"topic", "delete-records"},
       "NAME",
       {{"before", Kind::kValue,
         "delete the records below OFFSET, or below the end with 'end' "
         "(required)"},
        {"partition", Kind::kInt, "only this partition (default: all)", 'p'}},
       RunTopicDeleteRecords,
       "Advance the log start (Kafka's deleteRecords; whole segments)."},
      {{"produce"},
       "TOPIC",
       {{"key-separator", Kind::kValue,
         "split each line into key SEP value at the first SEP", 'k'},
        {"partition", Kind::kInt, "send to this partition", 'p'},
        {"header", Kind::kValue, "header KEY=VALUE, repeatable", 'H'},
        {"sync", Kind::kSwitch, "sync to disk before exiting"},
        {"acks", Kind::kSwitch, "print partition and offset of each record"}},
       RunProduce,
       "Append one record per line of standard input."},
      {{"consume"},
       "TOPIC",
       {{"from", Kind::kValue,
         "beginning|end|OFFSET|-N (N before the end)|@TIMESTAMP_MS"},
        {"partition", Kind::kInt, "only this partition", 'p'},
        {"count", Kind::kInt, "stop after N records", 'n'},
        {"follow", Kind::kSwitch, "keep waiting for new records", 'f'},
        {"group", Kind::kValue, "consume as a member of this group", 'g'},
        {"pattern", Kind::kSwitch,
         "with --group: TOPIC is a regex over topic names (whole-name match)"},
        {"format", Kind::kValue,
         "record format: %t topic %p partition %o offset %T timestamp %k key "
         "%s value %h headers %K key size %S value size"}},
       RunConsume,
       "Print records."},
      {{"groups"}, "", {}, RunGroups, "List consumer groups with their lag."},
      {{"group", "describe"},
       "GROUP",
       {},
       RunGroupDescribe,
       "Committed offset, end offset and lag per partition."},
      {{"group", "reset"},
       "GROUP",
       {{"topic", Kind::kValue, "the topic (required)", 't'},
        {"to-earliest", Kind::kSwitch, "to the log start"},
        {"to-latest", Kind::kSwitch, "to the log end"},
        {"to-offset", Kind::kInt, "to this offset"},
        {"to-datetime", Kind::kInt, "to the first record at or after MS"},
        {"shift-by", Kind::kInt, "move by N (may be negative)"},
        {"dry-run", Kind::kSwitch, "show the new offsets only (default)"},
        {"execute", Kind::kSwitch, "commit the new offsets"}},
       RunGroupReset,
       "Move a group's committed offsets (default: dry run)."},
      {{"group", "delete"},
       "GROUP",
       {},
       RunGroupDelete,
       "Forget a group and its offsets."},
      {{"dump"},
       "PATH",
       {{"print-payload", Kind::kSwitch, "print keys, values and headers"}},
       RunDump,
       "A segment, index file or partition directory, frame by frame."},
      {{"verify"},
       "",
       {{"repair", Kind::kSwitch, "let recovery fix what it can"}},
       RunVerify,
       "Check every file of the store."},
      {{"stats"},
       "",
       {},
       RunStats,
       "Records, bytes and segments per partition."},
#ifdef EVLOG_CLI_WITH_KAFKA
      {{"mirror"},
       "",
       {{"bootstrap", Kind::kValue, "Kafka bootstrap servers, host:port"},
        {"topic", Kind::kValue, "a topic to mirror (repeatable)"},
        {"from-kafka", Kind::kSwitch, "copy from Kafka into the store"},
        {"source-id", Kind::kValue, "the source id in mirrored headers"},
        {"once", Kind::kSwitch, "copy what is there, then exit"},
        {"status", Kind::kSwitch, "print the lag and exit"}},
       RunMirror,
       "Copy topics to Kafka (or back) and report the lag."},
#endif
  };
  return kCommands;
}

constexpr char kFooter[] =
    "--dir DIR defaults to $EVLOG_DIR. Tables by default, JSON with --json.\n"
    "Reading commands (topics, topic describe|partitions, consume, dump, "
    "verify, stats)\nwork on a store an application holds open; writing "
    "commands need it to themselves.\nLong-running commands show progress on "
    "standard error when it is a terminal.\nExit status: 0 success, 1 failure "
    "(one line on stderr), 2 usage error.";

// Where CLI11 stores one command's arguments.
struct Parsed {
  const Command* command = nullptr;
  CLI::App* app = nullptr;
  std::vector<std::string> positional;
  std::vector<std::vector<std::string>> values;  // per flag, in order given
  std::vector<int> counts;                       // per switch
  std::string dir;
  bool json = false;
};

std::string OneLine(std::string msg) {
  for (char& ch : msg) {
    if (ch == '\n') ch = ' ';
  }
  while (!msg.empty() && msg.back() == ' ') msg.pop_back();
  return msg;
}

void AddCommand(CLI::App& root, const Command& c, Parsed& p) {
  CLI::App* parent = &root;
  for (size_t i = 0; i + 1 < c.words.size(); ++i) {
    std::string word(c.words[i]);
    CLI::App* group = nullptr;
    for (CLI::App* sub : parent->get_subcommands({})) {
      if (sub->get_name() == word) group = sub;
    }
    if (group == nullptr) {
      group = parent->add_subcommand(word, absl::StrCat(word, " commands"));
      group->require_subcommand(1);
    }
    parent = group;
  }
  CLI::App* app =
      parent->add_subcommand(std::string(c.words.back()), std::string(c.help));
  p.command = &c;
  p.app = app;
  if (!c.positional.empty()) {
    app->add_option(std::string(c.positional), p.positional)
        ->required()
        ->expected(1);
  }
  p.values.resize(c.flags.size());
  p.counts.resize(c.flags.size());
  for (size_t i = 0; i < c.flags.size(); ++i) {
    const FlagSpec& f = c.flags[i];
    std::string names = absl::StrCat("--", ToAbsl(f.name));
    if (f.short_name != 0)
      names = absl::StrCat("-", std::string(1, f.short_name), ",", names);
    if (f.kind == Kind::kSwitch) {
      app->add_flag(names, p.counts[i], std::string(f.help));
    } else {
      CLI::Option* o = app->add_option(names, p.values[i], std::string(f.help))
                           ->allow_extra_args(false)
                           ->take_all();
      if (f.kind == Kind::kInt) {
        o->check(CLI::TypeValidator<int64_t>())->type_name("INT");
      } else {
        o->type_name("VALUE");
      }
    }
  }
  app->add_option("-d,--dir", p.dir,
                  "the store directory (default $EVLOG_DIR)");
  app->add_flag("-j,--json", p.json, "JSON output");
  app->footer(kFooter);
}

Args ToArgs(const Parsed& p) {
  std::vector<std::pair<std::string, std::string>> flags;
  for (size_t i = 0; i < p.command->flags.size(); ++i) {
    std::string name(p.command->flags[i].name);
    for (const std::string& v : p.values[i]) flags.emplace_back(name, v);
    if (p.counts[i] > 0) flags.emplace_back(name, "");
  }
  if (!p.dir.empty()) flags.emplace_back("dir", p.dir);
  if (p.json) flags.emplace_back("json", "");
  return Args(p.positional, std::move(flags));
}

}  // namespace

int Main(const std::vector<std::string>& argv, Io& io) {
  CLI::App root(absl::StrCat("evlog ", ToAbsl(kVersionString),
                             " -- inspect and administer an evlog store "
                             "(Kafka's log semantics, in process)"),
                "evlog");
  root.set_version_flag("--version",
                        absl::StrCat("evlog ", ToAbsl(kVersionString)));
  root.require_subcommand(1);
  const std::vector<Command>& commands = Commands();
  // The root's help lists every command, nested ones included.
  std::string list = "Commands (evlog COMMAND --help for each one's flags):\n";
  for (const Command& c : commands) {
    std::string usage;
    for (std::string_view w : c.words) absl::StrAppend(&usage, ToAbsl(w), " ");
    absl::StrAppend(&usage, ToAbsl(c.positional));
    absl::StrAppend(&list, "  ", usage,
                    std::string(usage.size() < 28 ? 28 - usage.size() : 1, ' '),
                    ToAbsl(c.help), "\n");
  }
  root.footer(absl::StrCat(list, "\n", kFooter));
  std::vector<Parsed> parsed(commands.size());
  for (size_t i = 0; i < commands.size(); ++i)
    AddCommand(root, commands[i], parsed[i]);

  std::vector<std::string> args = argv;
  if (!args.empty() && args[0] == "help") args[0] = "--help";
  if (!args.empty() && args[0] == "version") args[0] = "--version";
  if (args.empty()) {
    *io.err << root.help();
    return 2;
  }
  auto known = [&](const std::string& word) {
    for (CLI::App* sub : root.get_subcommands({}))
      if (sub->get_name() == word) return true;
    return false;
  };
  if (!args[0].starts_with("-") && !known(args[0])) {
    *io.err << "evlog: unknown command \"" << args[0]
            << "\" (see evlog --help)\n";
    return 2;
  }
  // CLI11 wants the arguments last-first.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    root.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    *io.out << root.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    *io.out << root.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion&) {
    *io.out << "evlog " << kVersionString << '\n';
    return 0;
  } catch (const CLI::ParseError& e) {
    *io.err << "evlog: " << OneLine(e.what()) << " (see evlog "
            << (args[0].starts_with("-") ? "" : args[0] + " ") << "--help)\n";
    return 2;
  }
  for (const Parsed& p : parsed) {
    if (!p.app->parsed()) continue;
    absl::Status s = p.command->run(ToArgs(p), io);
    if (s.ok()) return 0;
    io.out->flush();
    *io.err << "evlog: " << OneLine(std::string(s.message())) << '\n';
    return IsUsageError(s) ? 2 : 1;
  }
  *io.err << root.help();
  return 2;
}

}  // namespace evlog::cli
