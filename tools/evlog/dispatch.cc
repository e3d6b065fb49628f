// tools/evlog/dispatch.cc: the command table, help text and exit codes.

#include <ostream>

#include "absl/strings/str_cat.h"
#include "cli.h"
#include "evlog/version.h"
#include "util/string_view.h"

namespace evlog::cli {

namespace {

struct Command {
  std::vector<std::string_view> words;  // "topic", "create"
  std::vector<FlagSpec> flags;
  absl::Status (*run)(const Args&, Io&);
  std::string_view help;
};

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {{"topics"}, {}, RunTopics, "list topics"},
      {{"topic", "create"},
       {{"partitions", true}, {"config", true}},
       RunTopicCreate,
       "NAME --partitions N [--config k=v ...]   create a topic"},
      {{"topic", "describe"}, {}, RunTopicDescribe, "NAME   config and per-partition state"},
      {{"topic", "delete"}, {}, RunTopicDelete, "NAME   delete a topic and its data"},
      {{"topic", "alter"},
       {{"partitions", true}},
       RunTopicAlter,
       "NAME --partitions N   add partitions"},
      {{"produce"},
       {{"key-separator", true}, {"partition", true}, {"header", true}, {"sync", false},
        {"acks", false}},
       RunProduce,
       "TOPIC [--key-separator SEP] [--partition P] [--header k=v ...] [--sync] [--acks]\n"
       "        append one record per line of standard input"},
      {{"consume"},
       {{"from", true}, {"partition", true}, {"count", true}, {"follow", false},
        {"group", true}, {"format", true}},
       RunConsume,
       "TOPIC [--from beginning|end|OFFSET|-N|@TS_MS] [--partition P] [--count N]\n"
       "        [--follow] [--group G] [--format FMT]   print records (FMT: %t %p %o %T %k %s %h %K %S)"},
      {{"groups"}, {}, RunGroups, "list consumer groups with their lag"},
      {{"group", "describe"}, {}, RunGroupDescribe,
       "GROUP   committed offset, end offset and lag per partition"},
      {{"group", "reset"},
       {{"topic", true}, {"to-earliest", false}, {"to-latest", false}, {"to-offset", true},
        {"to-datetime", true}, {"shift-by", true}, {"dry-run", false}, {"execute", false}},
       RunGroupReset,
       "GROUP --topic T (--to-earliest|--to-latest|--to-offset N|--to-datetime MS|\n"
       "        --shift-by N) [--dry-run|--execute]   move committed offsets (default dry run)"},
      {{"group", "delete"}, {}, RunGroupDelete, "GROUP   forget a group and its offsets"},
      {{"dump"},
       {{"print-payload", false}},
       RunDump,
       "PATH [--print-payload]   a segment, index file or partition directory, frame by frame"},
      {{"verify"}, {{"repair", false}}, RunVerify,
       "[--repair]   check every file; --repair lets recovery fix what it can"},
      {{"stats"}, {}, RunStats, "records, bytes and segments per partition"},
#ifdef EVLOG_CLI_WITH_KAFKA
      {{"mirror"},
       {{"bootstrap", true}, {"topic", true}, {"from-kafka", false}, {"source-id", true},
        {"once", false}, {"status", false}},
       RunMirror,
       "--bootstrap H:P --topic T [--topic T2 ...] [--from-kafka] [--source-id ID]\n"
       "        [--once|--status]   copy topics to Kafka (or back) and report the lag"},
#endif
  };
  return kCommands;
}

void PrintHelp(std::ostream& out) {
  out << "evlog " << kVersionString
      << " -- inspect and administer an evlog store (Kafka's log semantics, in process)\n\n"
         "usage: evlog COMMAND [ARGS] --dir DIR [--json]\n\n";
  for (const Command& c : Commands()) {
    std::string words;
    for (std::string_view w : c.words) {
      absl::StrAppend(&words, words.empty() ? "" : " ", ToAbsl(w));
    }
    out << "  " << words << " " << c.help << "\n";
  }
  out << "\n--dir DIR defaults to $EVLOG_DIR. Tables by default, JSON with --json.\n"
         "Reading commands (topics, topic describe, consume, dump, verify, stats) work on a\n"
         "store an application holds open; writing commands need it to themselves.\n"
         "Exit status: 0 success, 1 failure (one line on stderr), 2 usage error.\n";
}

}  // namespace

int Main(const std::vector<std::string>& argv, Io& io) {
  // Command words are the first words that are not flags (nor the value of
  // --dir, the one global flag with a value).
  std::vector<std::string> words, rest;
  bool help = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "--help" || a == "-h" || a == "help") {
      help = true;
    } else if (a == "--version" || a == "version") {
      *io.out << "evlog " << kVersionString << '\n';
      return 0;
    } else if (!a.starts_with("-") &&
               (words.empty() || (words.size() == 1 && (words[0] == "topic" ||
                                                        words[0] == "group")))) {
      words.push_back(a);
    } else {
      rest.push_back(a);
      if (a == "--dir" && i + 1 < argv.size()) rest.push_back(argv[++i]);
    }
  }
  if (help || words.empty()) {
    PrintHelp(help ? *io.out : *io.err);
    return help ? 0 : 2;
  }
  for (const Command& c : Commands()) {
    if (c.words.size() != words.size()) continue;
    bool match = true;
    for (size_t i = 0; i < words.size(); ++i) match = match && c.words[i] == words[i];
    if (!match) continue;
    absl::Status s;
    auto args = Args::Parse(rest, c.flags);
    if (!args.ok()) {
      s = args.status();
    } else {
      s = c.run(*args, io);
    }
    if (s.ok()) return 0;
    io.out->flush();
    std::string msg(s.message());
    for (char& ch : msg) {
      if (ch == '\n') ch = ' ';
    }
    *io.err << "evlog: " << msg << '\n';
    return IsUsageError(s) ? 2 : 1;
  }
  std::string words_str;
  for (const std::string& w : words) absl::StrAppend(&words_str, words_str.empty() ? "" : " ", w);
  *io.err << "evlog: unknown command \"" << words_str << "\" (see evlog --help)\n";
  return 2;
}

}  // namespace evlog::cli
