// tools/evlog/topic_commands.cc: `evlog topics` and `evlog topic
// create|describe|delete|alter` (Kafka's kafka-topics tool).

#include <ostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli.h"
#include "topic/topic_config_codec.h"

namespace evlog::cli {

namespace {

int64_t Records(const PartitionDescription& p) {
  return p.end_offset - p.start_offset;
}

Json PartitionJson(const PartitionDescription& p) {
  return JsonObject()
      .Int("partition", p.partition.value())
      .Int("start_offset", p.start_offset.value())
      .Int("end_offset", p.end_offset.value())
      .Int("durable_end_offset", p.durable_end_offset.value())
      .Int("records", Records(p))
      .Int("bytes", static_cast<int64_t>(p.bytes))
      .Int("segments", p.segments)
      .Int("oldest_timestamp_ms", p.oldest_timestamp_ms)
      .Int("newest_timestamp_ms", p.newest_timestamp_ms)
      .json();
}

Json ConfigJson(const TopicConfig& config) {
  JsonObject o;
  for (const auto& [k, v] : TopicConfigToPairs(config)) o.Str(k, v);
  return o.json();
}

absl::StatusOr<int32_t> PartitionsFlag(const Args& args) {
  auto n = args.GetInt("partitions");
  if (!n.ok()) return n.status();
  if (!n->has_value()) return UsageError("--partitions N is required");
  return static_cast<int32_t>(**n);
}

// The description of the topic named by the one positional argument, from
// the store opened for reading.
absl::StatusOr<TopicDescription> DescribeNamed(const Args& args,
                                               std::string_view usage) {
  if (auto s = args.ExpectPositional(1, usage); !s.ok()) return s;
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  auto store = OpenForReading(*dir);
  if (!store.ok()) return store.status();
  return (*store)->DescribeTopic(args.positional()[0]);
}

Json PartitionsJson(const TopicDescription& d) {
  std::vector<Json> parts;
  for (const auto& p : d.partitions) parts.push_back(PartitionJson(p));
  return JsonArray(std::move(parts));
}

}  // namespace

absl::Status RunTopics(const Args& args, Io& io) {
  if (auto s = args.ExpectPositional(0, "topics --dir DIR [--json]"); !s.ok())
    return s;
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  auto store = OpenForReading(*dir);
  if (!store.ok()) return store.status();
  Table table(
      {"TOPIC", "PARTITIONS", "RECORDS", "BYTES", "CLEANUP", "DURABILITY"});
  std::vector<Json> json;
  for (const std::string& name : (*store)->ListTopics()) {
    auto d = (*store)->DescribeTopic(name);
    if (!d.ok()) return d.status();
    int64_t records = 0, bytes = 0;
    for (const auto& p : d->partitions) {
      records += Records(p);
      bytes += static_cast<int64_t>(p.bytes);
    }
    std::string cleanup, durability;
    for (const auto& [k, v] : TopicConfigToPairs(d->config)) {
      if (k == "cleanup_policy") cleanup = v;
      if (k == "durability") durability = v;
    }
    table.AddRow({name, absl::StrCat(d->partitions.size()),
                  absl::StrCat(records), absl::StrCat(bytes), cleanup,
                  durability});
    json.push_back(
        JsonObject()
            .Str("topic", name)
            .Int("partitions", static_cast<int64_t>(d->partitions.size()))
            .Int("records", records)
            .Int("bytes", bytes)
            .Str("cleanup_policy", cleanup)
            .Str("durability", durability));
  }
  if (args.json()) {
    *io.out << Dump(JsonArray(json)) << '\n';
  } else {
    table.Print(*io.out);
  }
  return absl::OkStatus();
}

absl::Status RunTopicCreate(const Args& args, Io& io) {
  constexpr char kUsage[] =
      "topic create NAME --partitions N [--config k=v ...] --dir DIR";
  if (auto s = args.ExpectPositional(1, kUsage); !s.ok()) return s;
  auto partitions = PartitionsFlag(args);
  if (!partitions.ok()) return partitions.status();
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  TopicConfig config = StoreOptions().default_topic_config;
  for (const std::string& kv : args.GetAll("config")) {
    if (auto s = ApplyTopicConfigAssignment(&config, kv); !s.ok()) return s;
  }
  if (auto s = config.Validate(); !s.ok()) return s;  // before creating a store
  auto store = OpenForWriting(*dir, /*create=*/true);
  if (!store.ok()) return store.status();
  const std::string& name = args.positional()[0];
  if (auto s = (*store)->CreateTopic(name, *partitions, config); !s.ok())
    return s;
  if (auto s = (*store)->Close(); !s.ok()) return s;
  if (args.json()) {
    *io.out << JsonObject()
                   .Str("created", name)
                   .Int("partitions", *partitions)
                   .str()
            << '\n';
  } else {
    *io.out << "created topic " << name << " with " << *partitions
            << " partition" << (*partitions == 1 ? "" : "s") << '\n';
  }
  return absl::OkStatus();
}

absl::Status RunTopicDescribe(const Args& args, Io& io) {
  auto d = DescribeNamed(args, "topic describe NAME --dir DIR [--json]");
  if (!d.ok()) return d.status();
  if (args.json()) {
    *io.out << JsonObject()
                   .Str("topic", d->name)
                   .Raw("config", ConfigJson(d->config))
                   .Raw("partitions", PartitionsJson(*d))
                   .str()
            << '\n';
    return absl::OkStatus();
  }
  *io.out << "Topic: " << d->name << "  partitions: " << d->partitions.size()
          << '\n';
  std::string config_line;
  for (const auto& [k, v] : TopicConfigToPairs(d->config)) {
    absl::StrAppend(&config_line, config_line.empty() ? "" : " ", k, "=", v);
  }
  *io.out << "Config: " << config_line << "\n\n";
  Table table({"PARTITION", "START", "END", "DURABLE_END", "RECORDS", "BYTES",
               "SEGMENTS", "OLDEST (UTC)", "NEWEST (UTC)"});
  for (const auto& p : d->partitions) {
    table.AddRow({absl::StrCat(p.partition.value()),
                  absl::StrCat(p.start_offset.value()),
                  absl::StrCat(p.end_offset.value()),
                  absl::StrCat(p.durable_end_offset.value()),
                  absl::StrCat(Records(p)), absl::StrCat(p.bytes),
                  absl::StrCat(p.segments), FormatTime(p.oldest_timestamp_ms),
                  FormatTime(p.newest_timestamp_ms)});
  }
  table.Print(*io.out);
  return absl::OkStatus();
}

absl::Status RunTopicDelete(const Args& args, Io& io) {
  if (auto s = args.ExpectPositional(1, "topic delete NAME --dir DIR"); !s.ok())
    return s;
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  auto store = OpenForWriting(*dir, /*create=*/false);
  if (!store.ok()) return store.status();
  const std::string& name = args.positional()[0];
  if (auto s = (*store)->DeleteTopic(name); !s.ok()) return s;
  if (auto s = (*store)->Close(); !s.ok()) return s;
  if (args.json()) {
    *io.out << JsonObject().Str("deleted", name).str() << '\n';
  } else {
    *io.out << "deleted topic " << name << '\n';
  }
  return absl::OkStatus();
}

absl::Status RunTopicAlter(const Args& args, Io& io) {
  constexpr char kUsage[] =
      "topic alter NAME [--partitions N] [--config k=v ...] "
      "[--delete-config k ...] --dir DIR";
  if (auto s = args.ExpectPositional(1, kUsage); !s.ok()) return s;
  auto partitions = args.GetInt("partitions");
  if (!partitions.ok()) return partitions.status();
  std::vector<TopicConfigChange> changes;
  // Resets first, then the sets: `--delete-config k --config k=v` sets.
  for (const std::string& k : args.GetAll("delete-config")) {
    changes.push_back({k, std::nullopt});
  }
  for (const std::string& kv : args.GetAll("config")) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos) {
      return UsageError(absl::StrCat("--config ", kv, ": want KEY=VALUE"));
    }
    changes.push_back({kv.substr(0, eq), kv.substr(eq + 1)});
  }
  if (!partitions->has_value() && changes.empty()) {
    return UsageError(absl::StrCat(
        "nothing to alter: give --partitions, --config or --delete-config "
        "(usage: evlog ",
        kUsage, ")"));
  }
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  auto store = OpenForWriting(*dir, /*create=*/false);
  if (!store.ok()) return store.status();
  const std::string& name = args.positional()[0];
  if (!changes.empty()) {
    if (auto s = (*store)->AlterTopicConfig(name, changes); !s.ok()) return s;
  }
  if (partitions->has_value()) {
    if (auto s =
            (*store)->AddPartitions(name, static_cast<int32_t>(**partitions));
        !s.ok())
      return s;
  }
  auto d = (*store)->DescribeTopic(name);
  if (!d.ok()) return d.status();
  if (auto s = (*store)->Close(); !s.ok()) return s;
  const int64_t count = static_cast<int64_t>(d->partitions.size());
  if (args.json()) {
    *io.out << JsonObject()
                   .Str("altered", name)
                   .Int("partitions", count)
                   .Raw("config", ConfigJson(d->config))
                   .str()
            << '\n';
  } else {
    if (partitions->has_value()) {
      *io.out << "topic " << name << " now has " << count << " partitions\n";
    }
    for (const TopicConfigChange& c : changes) {
      std::string key = c.key;
      auto canonical = CanonicalTopicConfigKey(c.key);
      std::string value;
      for (const auto& [k, v] : TopicConfigToPairs(d->config)) {
        if (canonical.ok() && k == *canonical) value = v;
      }
      *io.out << "topic " << name << ": " << key << " = " << value
              << (c.value ? "" : " (default)") << '\n';
    }
  }
  return absl::OkStatus();
}

absl::Status RunTopicPartitions(const Args& args, Io& io) {
  auto d = DescribeNamed(args, "topic partitions NAME --dir DIR [--json]");
  if (!d.ok()) return d.status();
  if (args.json()) {
    *io.out << Dump(PartitionsJson(*d)) << '\n';
    return absl::OkStatus();
  }
  Table table({"PARTITION", "START", "END", "RECORDS"});
  for (const auto& p : d->partitions) {
    table.AddRow({absl::StrCat(p.partition.value()),
                  absl::StrCat(p.start_offset.value()),
                  absl::StrCat(p.end_offset.value()),
                  absl::StrCat(Records(p))});
  }
  table.Print(*io.out);
  return absl::OkStatus();
}

absl::Status RunTopicDeleteRecords(const Args& args, Io& io) {
  constexpr char kUsage[] =
      "topic delete-records NAME --before OFFSET|end [--partition P] --dir DIR";
  if (auto s = args.ExpectPositional(1, kUsage); !s.ok()) return s;
  std::optional<std::string> before = args.Get("before");
  if (!before) return UsageError("--before OFFSET (or end) is required");
  auto only = args.GetInt("partition");
  if (!only.ok()) return only.status();
  int64_t offset = -1;
  if (*before != "end" && (!absl::SimpleAtoi(*before, &offset) || offset < 0)) {
    return UsageError(
        absl::StrCat("--before ", *before, ": want an offset >= 0 or end"));
  }
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  auto store = OpenForWriting(*dir, /*create=*/false);
  if (!store.ok()) return store.status();
  const std::string& name = args.positional()[0];
  auto d = (*store)->DescribeTopic(name);
  if (!d.ok()) return d.status();
  std::vector<TopicPartitionOffset> wanted;
  for (const auto& p : d->partitions) {
    if (only->has_value() && p.partition.value() != **only) continue;
    wanted.push_back(
        {{name, p.partition}, offset < 0 ? p.end_offset : Offset(offset)});
  }
  if (wanted.empty()) {
    return absl::OutOfRangeError(
        absl::StrCat("topic ", name, " has no partition ", only->value_or(-1)));
  }
  auto result = (*store)->DeleteRecords(wanted);
  if (!result.ok()) return result.status();
  if (auto s = (*store)->Close(); !s.ok()) return s;
  if (args.json()) {
    std::vector<Json> items;
    for (const auto& r : *result) {
      items.push_back(JsonObject()
                          .Int("partition", r.tp.partition.value())
                          .Int("start_offset", r.offset.value()));
    }
    *io.out << Dump(JsonArray(items)) << '\n';
    return absl::OkStatus();
  }
  Table table({"PARTITION", "START"});
  for (const auto& r : *result) {
    table.AddRow(
        {absl::StrCat(r.tp.partition.value()), absl::StrCat(r.offset.value())});
  }
  table.Print(*io.out);
  return absl::OkStatus();
}

}  // namespace evlog::cli
