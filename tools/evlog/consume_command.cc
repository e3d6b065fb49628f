// tools/evlog/consume_command.cc: `evlog consume TOPIC` (kcat -C,
// kafka-console-consumer).
//
// Without --group the partitions are read directly from a read-only view of
// the store (no lock taken), so this works on a store that a running
// application holds. --follow keeps going at the end: when every partition
// is caught up it sleeps briefly and refreshes the read-only view
// (Store::Refresh) to see what the owner appended since, until SIGINT/SIGTERM
// or --count records.

#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <ostream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli.h"
#include "evlog/consumer.h"
#include "partition/log_reader.h"
#include "progress.h"
#include "record_format.h"

namespace evlog::cli {

namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void OnSignal(int) { g_interrupted.store(true); }

// Most records read from one partition before moving to the next, so that
// a busy partition does not starve the others.
constexpr int kRecordsPerTurn = 500;
constexpr auto kFollowPollInterval = std::chrono::milliseconds(200);

struct Cursor {
  PartitionId partition;
  Offset next;
  Offset stop;           // without --follow: the end offset when we started
  bool started = false;  // `next` resolved from --from
  bool done = false;
};

// Resolves --from for one partition: beginning | end | OFFSET | -N (N before
// the end) | @TIMESTAMP_MS. Offsets are clamped into [start, end].
absl::StatusOr<Offset> ResolveFrom(const PartitionLog& log,
                                   const std::string& from) {
  Offset start = log.start_offset(), end = log.end_offset();
  int64_t n;
  if (from == "beginning" || from == "earliest") return start;
  if (from == "end" || from == "latest") return end;
  if (!from.empty() && from[0] == '@') {
    if (!absl::SimpleAtoi(from.substr(1), &n)) {
      return UsageError(absl::StrCat("--from ", from, ": want @TIMESTAMP_MS"));
    }
    return log.OffsetForTimestamp(n);
  }
  if (!absl::SimpleAtoi(from, &n)) {
    return UsageError(
        absl::StrCat("--from ", from,
                     ": want beginning, end, an offset, -N or @TIMESTAMP_MS"));
  }
  Offset o = n < 0 ? end + n : Offset(n);
  return std::clamp(o, start, end);
}

// --group: a real group member on a store opened for writing (commits need
// it). Commits exactly what was printed (auto-commit is off), after every
// batch and at the end.
absl::Status ConsumeInGroup(const Args& args, const std::string& dir,
                            const std::string& topic,
                            const RecordFormat& format, Io& io) {
  const std::string from = args.Get("from").value_or("beginning");
  ConsumerOptions options;
  options.group_id = *args.Get("group");
  options.client_id = "evlog-cli";
  options.enable_auto_commit = false;
  if (from == "beginning" || from == "earliest") {
    options.auto_offset_reset = AutoOffsetReset::kEarliest;
  } else if (from == "end" || from == "latest") {
    options.auto_offset_reset = AutoOffsetReset::kLatest;
  } else {
    return UsageError(
        "with --group, --from is beginning or end (where to start when the "
        "group has no committed offset); move a group with `evlog group "
        "reset`");
  }
  auto count = args.GetInt("count");
  if (!count.ok()) return count.status();
  auto only = args.GetInt("partition");
  if (!only.ok()) return only.status();
  const bool follow = args.Has("follow");
  auto store = OpenForWriting(dir, /*create=*/false);
  if (!store.ok()) return store.status();
  auto consumer = (*store)->NewConsumer(options);
  if (!consumer.ok()) return consumer.status();
  if (only->has_value()) {
    std::vector<TopicPartition> parts = {
        {topic, PartitionId(static_cast<int32_t>(**only))}};
    if (auto st = (*consumer)->Assign(parts); !st.ok()) return st;
  } else {
    std::vector<std::string> topics = {topic};
    absl::Status st = args.Has("pattern") ? (*consumer)->SubscribePattern(topic)
                                          : (*consumer)->Subscribe(topics);
    if (!st.ok()) return st;
  }
  if (follow) {
    g_interrupted.store(false);
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
  }
  const int64_t limit = count->value_or(-1);
  int64_t printed = 0;
  std::map<TopicPartition, Offset> next;  // what to commit
  auto commit = [&]() -> absl::Status {
    if (next.empty()) return absl::OkStatus();
    std::vector<TopicPartitionOffset> offsets;
    for (const auto& [tp, o] : next) offsets.push_back({tp, o});
    return (*consumer)->CommitSync(offsets);
  };
  PollResult batch;
  std::string buf;
  while (!g_interrupted.load() && printed != limit) {
    if (auto st = (*consumer)->Poll(std::chrono::milliseconds(200), &batch);
        !st.ok())
      return st;
    for (const ConsumerRecord& r : batch) {
      buf.clear();
      if (args.json()) {
        buf = Dump(RecordJson(r.topic, r.partition, r.record));
        buf += '\n';
      } else {
        format.Append(r.topic, r.partition, r.record, &buf);
      }
      io.out->write(buf.data(), static_cast<std::streamsize>(buf.size()));
      next[{std::string(r.topic), r.partition}] = r.record.offset() + 1;
      if (++printed == limit) break;
    }
    io.out->flush();
    if (auto st = commit(); !st.ok()) return st;
    if (follow || !batch.empty()) continue;
    // Without --follow: stop once every assigned partition is caught up.
    std::vector<TopicPartition> assigned = (*consumer)->Assignment();
    if (assigned.empty()) {
      // A pattern that matches no topic has nothing to catch up with.
      if ((*consumer)->Subscription().empty()) break;
      continue;  // the rebalance has not given us any yet
    }
    auto ends = (*consumer)->EndOffsets(assigned);
    if (!ends.ok()) return ends.status();
    bool caught_up = true;
    for (const auto& tp : assigned) {
      auto pos = (*consumer)->Position(tp);
      if (!pos.ok()) return pos.status();
      caught_up = caught_up && *pos >= (*ends)[tp];
    }
    if (caught_up) break;
  }
  if (auto st = (*consumer)->Close(); !st.ok()) return st;
  consumer->reset();
  return (*store)->Close();
}

}  // namespace

absl::Status RunConsume(const Args& args, Io& io) {
  constexpr char kUsage[] =
      "consume TOPIC --dir DIR [--from beginning|end|OFFSET|-N|@TS_MS] "
      "[--partition P] "
      "[--count N] [--follow] [--group G] [--format FMT | --json]";
  if (auto s = args.ExpectPositional(1, kUsage); !s.ok()) return s;
  const std::string& topic_name = args.positional()[0];
  auto count = args.GetInt("count");
  if (!count.ok()) return count.status();
  auto only = args.GetInt("partition");
  if (!only.ok()) return only.status();
  const std::string from = args.Get("from").value_or("beginning");
  const bool follow = args.Has("follow");
  auto format =
      RecordFormat::Parse(args.Get("format").value_or(kDefaultRecordFormat));
  if (!format.ok()) return format.status();
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  if (args.Has("group"))
    return ConsumeInGroup(args, *dir, topic_name, *format, io);
  if (args.Has("pattern")) {
    return UsageError("--pattern subscribes a group: it needs --group G");
  }

  std::unique_ptr<StoreImpl> store;
  std::shared_ptr<Topic> topic;
  auto open = [&]() -> absl::Status {
    topic = nullptr;
    store = nullptr;
    auto opened = OpenForReading(*dir);
    if (!opened.ok()) return opened.status();
    store = *std::move(opened);
    auto found = store->FindTopic(topic_name);
    if (!found.ok()) return found.status();
    topic = *std::move(found);
    return absl::OkStatus();
  };
  if (auto s = open(); !s.ok()) return s;

  std::vector<Cursor> cursors;
  auto add_partitions = [&]() -> absl::Status {
    if (only->has_value()) {
      if (!cursors.empty()) return absl::OkStatus();
      if (**only < 0 || **only >= topic->partition_count()) {
        return absl::OutOfRangeError(
            absl::StrCat("topic ", topic_name, " has no partition ", **only));
      }
      Cursor c;
      c.partition = PartitionId(static_cast<int32_t>(**only));
      cursors.push_back(c);
      return absl::OkStatus();
    }
    for (int32_t p = static_cast<int32_t>(cursors.size());
         p < topic->partition_count(); ++p) {
      Cursor c;
      c.partition = PartitionId(p);
      cursors.push_back(c);
    }
    return absl::OkStatus();
  };
  if (auto s = add_partitions(); !s.ok()) return s;
  for (Cursor& c : cursors) {
    const PartitionLog* log = topic->partition(c.partition);
    auto next = ResolveFrom(*log, from);
    if (!next.ok()) return next.status();
    c.next = *next;
    c.stop = log->end_offset();
    c.started = true;
  }

  if (follow) {
    g_interrupted.store(false);
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
  }
  const int64_t limit = count->value_or(-1);
  int64_t printed = 0;
  int64_t total = 0;  // known without --follow: up to the end offsets now
  for (const Cursor& c : cursors)
    total += std::max<int64_t>(0, c.stop - c.next);
  if (limit >= 0) total = std::min(total, limit);
  Progress progress_line(io.progress_out(), "records", follow ? 0 : total);
  std::string buf;
  while (!g_interrupted.load()) {
    bool progress = false;
    for (Cursor& c : cursors) {
      const PartitionLog* log = topic->partition(c.partition);
      if (!c.started) {  // a partition added while following: from its start
        c.next = log->start_offset();
        c.started = true;
      }
      if (c.done) continue;
      LogReader reader(log, c.next);
      RecordView r;
      const Offset bound = follow ? log->end_offset() : c.stop;
      for (int n = 0; n < kRecordsPerTurn; ++n) {
        auto got = reader.Next(&r, bound);
        if (!got.ok()) return got.status();
        if (!*got) {
          if (!follow) c.done = true;
          break;
        }
        buf.clear();
        if (args.json()) {
          buf = Dump(RecordJson(topic_name, c.partition, r));
          buf += '\n';
        } else {
          format->Append(topic_name, c.partition, r, &buf);
        }
        io.out->write(buf.data(), static_cast<std::streamsize>(buf.size()));
        progress_line.Add(1, static_cast<int64_t>(buf.size()));
        progress = true;
        if (++printed == limit) {
          io.out->flush();
          return absl::OkStatus();
        }
      }
      c.next = reader.position();
    }
    if (!follow) {
      bool all_done = true;
      for (const Cursor& c : cursors) all_done = all_done && c.done;
      if (all_done) break;
      continue;
    }
    io.out->flush();
    if (!*io.out) break;  // the reader went away
    if (progress) continue;
    std::this_thread::sleep_for(kFollowPollInterval);
    if (g_interrupted.load()) break;
    // Pick up what the owner appended (new records, rolls, partitions).
    if (auto s = store->Refresh(); !s.ok()) return s;
    auto found = store->FindTopic(topic_name);
    if (!found.ok()) return found.status();  // deleted meanwhile
    topic = *std::move(found);
    if (auto s = add_partitions(); !s.ok()) return s;
  }
  io.out->flush();
  return absl::OkStatus();
}

}  // namespace evlog::cli
