// tools/evlog/stats_command.cc: `evlog stats` -- the store's metrics
// snapshot (Store::Metrics, evlog/observability.h) as seen by a read-only
// open, so it works on a store in use: per partition what it holds, per
// group its lag, and what recovery found when this tool opened the store.
// Counters of what the owning process did (appends, syncs and their
// latencies, retention, compaction) live in that process; read them there
// with Store::Metrics().

#include <ostream>

#include "absl/strings/str_cat.h"
#include "cli.h"

namespace evlog::cli {

absl::Status RunStats(const Args& args, Io& io) {
  if (auto s = args.ExpectPositional(0, "stats --dir DIR [--json]"); !s.ok())
    return s;
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  auto store = OpenForReading(*dir);
  if (!store.ok()) return store.status();
  const MetricsSnapshot m = (*store)->Metrics();

  Table table({"TOPIC", "PARTITION", "RECORDS", "BYTES", "SEGMENTS", "START",
               "END", "UNSYNCED", "NEWEST (UTC)"});
  std::vector<Json> json;
  int64_t topics = 0, records = 0, bytes = 0, segments = 0;
  for (size_t i = 0; i < m.partitions.size(); ++i) {
    const PartitionMetrics& p = m.partitions[i];
    if (i == 0 || p.tp.topic != m.partitions[i - 1].tp.topic) ++topics;
    records += p.records;
    bytes += static_cast<int64_t>(p.bytes);
    segments += p.segments;
    const int64_t unsynced = p.end_offset - p.durable_end_offset;
    table.AddRow({p.tp.topic, absl::StrCat(p.tp.partition.value()),
                  absl::StrCat(p.records), absl::StrCat(p.bytes),
                  absl::StrCat(p.segments),
                  absl::StrCat(p.start_offset.value()),
                  absl::StrCat(p.end_offset.value()), absl::StrCat(unsynced),
                  FormatTime(p.newest_timestamp_ms)});
    json.push_back(JsonObject()
                       .Str("topic", p.tp.topic)
                       .Int("partition", p.tp.partition.value())
                       .Int("records", p.records)
                       .Int("bytes", static_cast<int64_t>(p.bytes))
                       .Int("segments", p.segments)
                       .Int("start_offset", p.start_offset.value())
                       .Int("end_offset", p.end_offset.value())
                       .Int("durable_end_offset", p.durable_end_offset.value())
                       .Int("newest_timestamp_ms", p.newest_timestamp_ms));
  }
  Table groups(
      {"GROUP", "STATE", "MEMBERS", "GENERATION", "PARTITIONS", "LAG"});
  std::vector<Json> groups_json;
  for (const GroupMetrics& g : m.groups) {
    groups.AddRow({g.group_id, g.state, absl::StrCat(g.members),
                   absl::StrCat(g.generation), absl::StrCat(g.partitions),
                   absl::StrCat(g.lag)});
    groups_json.push_back(
        JsonObject()
            .Str("group", g.group_id)
            .Str("state", g.state)
            .Int("members", g.members)
            .Int("generation", g.generation)
            .Int("partitions", g.partitions)
            .Int("lag", g.lag)
            .Int("partitions_without_commit", g.partitions_without_commit));
  }
  const StoreCounters& c = m.counters;
  if (args.json()) {
    *io.out << JsonObject()
                   .Int("topics", topics)
                   .Int("partitions", static_cast<int64_t>(m.partitions.size()))
                   .Int("records", records)
                   .Int("bytes", bytes)
                   .Int("segments", segments)
                   .Raw("partition_stats", JsonArray(json))
                   .Raw("groups", JsonArray(groups_json))
                   .Raw("recovery",
                        JsonObject()
                            .Int("partitions", c.recoveries)
                            .Int("bytes_scanned", c.recovery_bytes_scanned)
                            .json())
                   .str()
            << '\n';
    return absl::OkStatus();
  }
  *io.out << "store " << *dir << ": " << topics << " topics, "
          << m.partitions.size() << " partitions, " << records << " records, "
          << bytes << " bytes in " << segments << " segments\n\n";
  table.Print(*io.out);
  if (!m.groups.empty()) {
    *io.out << '\n';
    groups.Print(*io.out);
  }
  *io.out << "\nrecovery at open: " << c.recoveries << " partitions, "
          << c.recovery_bytes_scanned
          << " bytes scanned (a read-only open repairs nothing)\n";
  return absl::OkStatus();
}

}  // namespace evlog::cli
