// tools/evlog/topic_commands.cc: `evlog topics` and `evlog topic
// create|describe|delete|alter` (Kafka's kafka-topics tool).

#include <ostream>

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
  if (auto s =
          args.ExpectPositional(1, "topic describe NAME --dir DIR [--json]");
      !s.ok()) {
    return s;
  }
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  auto store = OpenForReading(*dir);
  if (!store.ok()) return store.status();
  auto d = (*store)->DescribeTopic(args.positional()[0]);
  if (!d.ok()) return d.status();
  if (args.json()) {
    std::vector<Json> parts;
    for (const auto& p : d->partitions) parts.push_back(PartitionJson(p));
    *io.out << JsonObject()
                   .Str("topic", d->name)
                   .Raw("config", ConfigJson(d->config))
                   .Raw("partitions", JsonArray(parts))
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
  if (auto s =
          args.ExpectPositional(1, "topic alter NAME --partitions N --dir DIR");
      !s.ok()) {
    return s;
  }
  auto partitions = PartitionsFlag(args);
  if (!partitions.ok()) return partitions.status();
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  auto store = OpenForWriting(*dir, /*create=*/false);
  if (!store.ok()) return store.status();
  const std::string& name = args.positional()[0];
  if (auto s = (*store)->AddPartitions(name, *partitions); !s.ok()) return s;
  if (auto s = (*store)->Close(); !s.ok()) return s;
  if (args.json()) {
    *io.out << JsonObject()
                   .Str("altered", name)
                   .Int("partitions", *partitions)
                   .str()
            << '\n';
  } else {
    *io.out << "topic " << name << " now has " << *partitions
            << " partitions\n";
  }
  return absl::OkStatus();
}

}  // namespace evlog::cli
