// tools/evlog/stats_command.cc: `evlog stats` -- what a store holds, per
// partition and in total, read from disk (read-only, so it works on a store
// in use). Counters of what a process did (appends, syncs, latencies) live
// in that process; this command shows the state those operations left.

#include <ostream>

#include "absl/strings/str_cat.h"
#include "cli.h"

namespace evlog::cli {

absl::Status RunStats(const Args& args, Io& io) {
  if (auto s = args.ExpectPositional(0, "stats --dir DIR [--json]"); !s.ok()) return s;
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  auto store = OpenForReading(*dir);
  if (!store.ok()) return store.status();
  Table table({"TOPIC", "PARTITION", "RECORDS", "BYTES", "SEGMENTS", "START", "END",
               "UNSYNCED", "NEWEST (UTC)"});
  std::vector<std::string> json;
  int64_t topics = 0, partitions = 0, records = 0, bytes = 0, segments = 0;
  for (const std::string& name : (*store)->ListTopics()) {
    auto d = (*store)->DescribeTopic(name);
    if (!d.ok()) return d.status();
    ++topics;
    for (const PartitionDescription& p : d->partitions) {
      ++partitions;
      const int64_t n = p.end_offset - p.start_offset;
      records += n;
      bytes += static_cast<int64_t>(p.bytes);
      segments += p.segments;
      const int64_t unsynced = p.end_offset - p.durable_end_offset;
      table.AddRow({name, absl::StrCat(p.partition.value()), absl::StrCat(n),
                    absl::StrCat(p.bytes), absl::StrCat(p.segments),
                    absl::StrCat(p.start_offset.value()), absl::StrCat(p.end_offset.value()),
                    absl::StrCat(unsynced), FormatTime(p.newest_timestamp_ms)});
      json.push_back(JsonObject()
                         .Str("topic", name)
                         .Int("partition", p.partition.value())
                         .Int("records", n)
                         .Int("bytes", static_cast<int64_t>(p.bytes))
                         .Int("segments", p.segments)
                         .Int("start_offset", p.start_offset.value())
                         .Int("end_offset", p.end_offset.value())
                         .Int("durable_end_offset", p.durable_end_offset.value())
                         .Int("newest_timestamp_ms", p.newest_timestamp_ms)
                         .str());
    }
  }
  if (args.json()) {
    *io.out << JsonObject()
                   .Int("topics", topics)
                   .Int("partitions", partitions)
                   .Int("records", records)
                   .Int("bytes", bytes)
                   .Int("segments", segments)
                   .Raw("partition_stats", JsonArray(json))
                   .str()
            << '\n';
    return absl::OkStatus();
  }
  *io.out << "store " << *dir << ": " << topics << " topics, " << partitions
          << " partitions, " << records << " records, " << bytes << " bytes in " << segments
          << " segments\n\n";
  table.Print(*io.out);
  return absl::OkStatus();
}

}  // namespace evlog::cli
