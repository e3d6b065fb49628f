// tools/evlog/group_commands.cc: `evlog groups` and `evlog group
// describe|reset|delete` (Kafka's kafka-consumer-groups tool).
//
// Group membership lives in the process whose consumers joined, so from
// this tool (another process) a running application's group shows its
// committed offsets and lag, read from the OFFSETS file, but no members.

#include <ostream>

#include "absl/strings/str_cat.h"
#include "cli.h"
#include "evlog/group.h"

namespace evlog::cli {

namespace {

std::string OptionalOffset(std::optional<Offset> o) {
  return o ? absl::StrCat(o->value()) : "-";
}

int64_t TotalLag(const GroupDescription& d) {
  int64_t lag = 0;
  for (const auto& p : d.partitions) lag += p.lag.value_or(0);
  return lag;
}

// What a reset would set each partition of `topic` to, computed read-only
// the way Store::ResetGroupOffsets does (clamped to [start, end]).
absl::StatusOr<std::vector<TopicPartitionOffset>> PlanReset(
    StoreImpl& store, const std::string& group, const std::string& topic_name,
    const OffsetReset& reset) {
  auto topic = store.FindTopic(topic_name);
  if (!topic.ok()) return topic.status();
  std::map<int32_t, Offset> committed;
  if (auto d = store.DescribeGroup(group); d.ok()) {
    for (const auto& p : d->partitions) {
      if (p.tp.topic == topic_name && p.committed)
        committed[p.tp.partition.value()] = *p.committed;
    }
  }
  std::vector<TopicPartitionOffset> plan;
  for (int32_t p = 0; p < (*topic)->partition_count(); ++p) {
    const PartitionLog* log = (*topic)->partition(PartitionId(p));
    Offset start = log->start_offset(), end = log->end_offset(), to;
    switch (reset.kind) {
      case OffsetReset::Kind::kEarliest:
        to = start;
        break;
      case OffsetReset::Kind::kLatest:
        to = end;
        break;
      case OffsetReset::Kind::kOffset:
        to = Offset(reset.value);
        break;
      case OffsetReset::Kind::kTime: {
        auto o = log->OffsetForTimestamp(reset.value);
        if (!o.ok()) return o.status();
        to = *o;
        break;
      }
      case OffsetReset::Kind::kShiftBy: {
        auto it = committed.find(p);
        to = (it == committed.end() ? start : it->second) + reset.value;
        break;
      }
    }
    plan.push_back({{topic_name, PartitionId(p)}, std::clamp(to, start, end)});
  }
  return plan;
}

absl::StatusOr<OffsetReset> ResetFlag(const Args& args) {
  std::vector<OffsetReset> chosen;
  if (args.Has("to-earliest")) chosen.push_back(OffsetReset::Earliest());
  if (args.Has("to-latest")) chosen.push_back(OffsetReset::Latest());
  for (auto [flag, make] :
       std::initializer_list<std::pair<const char*, OffsetReset (*)(int64_t)>>{
           {"to-offset", &OffsetReset::ToOffset},
           {"to-datetime", &OffsetReset::ToTime},
           {"shift-by", &OffsetReset::ShiftBy}}) {
    auto v = args.GetInt(flag);
    if (!v.ok()) return v.status();
    if (v->has_value()) chosen.push_back(make(**v));
  }
  if (chosen.size() != 1) {
    return UsageError(
        "group reset wants exactly one of --to-earliest, --to-latest, "
        "--to-offset N, --to-datetime MS, --shift-by N");
  }
  return chosen[0];
}

}  // namespace

absl::Status RunGroups(const Args& args, Io& io) {
  if (auto s = args.ExpectPositional(0, "groups --dir DIR [--json]"); !s.ok())
    return s;
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  auto store = OpenForReading(*dir);
  if (!store.ok()) return store.status();
  Table table({"GROUP", "STATE", "PARTITIONS", "LAG"});
  std::vector<Json> json;
  for (const std::string& g : (*store)->ListGroups()) {
    auto d = (*store)->DescribeGroup(g);
    if (!d.ok()) return d.status();
    table.AddRow({g, d->state, absl::StrCat(d->partitions.size()),
                  absl::StrCat(TotalLag(*d))});
    json.push_back(
        JsonObject()
            .Str("group", g)
            .Str("state", d->state)
            .Int("partitions", static_cast<int64_t>(d->partitions.size()))
            .Int("lag", TotalLag(*d)));
  }
  if (args.json()) {
    *io.out << Dump(JsonArray(json)) << '\n';
  } else {
    table.Print(*io.out);
  }
  return absl::OkStatus();
}

absl::Status RunGroupDescribe(const Args& args, Io& io) {
  if (auto s =
          args.ExpectPositional(1, "group describe GROUP --dir DIR [--json]");
      !s.ok()) {
    return s;
  }
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  auto store = OpenForReading(*dir);
  if (!store.ok()) return store.status();
  auto d = (*store)->DescribeGroup(args.positional()[0]);
  if (!d.ok()) return d.status();
  if (args.json()) {
    std::vector<Json> parts, members;
    for (const auto& p : d->partitions) {
      JsonObject o;
      o.Str("topic", p.tp.topic).Int("partition", p.tp.partition.value());
      if (p.committed)
        o.Int("committed", p.committed->value());
      else
        o.Raw("committed", "null");
      o.Int("end_offset", p.end_offset.value());
      if (p.lag)
        o.Int("lag", *p.lag);
      else
        o.Raw("lag", "null");
      parts.push_back(o.Str("owner", p.owner));
    }
    for (const auto& m : d->members) {
      members.push_back(JsonObject()
                            .Str("member_id", m.member_id)
                            .Str("client_id", m.client_id));
    }
    *io.out << JsonObject()
                   .Str("group", d->group_id)
                   .Str("state", d->state)
                   .Int("generation", d->generation)
                   .Int("lag", TotalLag(*d))
                   .Raw("members", JsonArray(members))
                   .Raw("partitions", JsonArray(parts))
                   .str()
            << '\n';
    return absl::OkStatus();
  }
  *io.out << "Group: " << d->group_id << "  state: " << d->state
          << "  members: " << d->members.size()
          << "  total lag: " << TotalLag(*d) << '\n';
  if (d->members.empty()) {
    *io.out
        << "(members exist only inside the process whose consumers joined)\n";
  }
  *io.out << '\n';
  Table table({"TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "OWNER"});
  for (const auto& p : d->partitions) {
    table.AddRow(
        {p.tp.topic, absl::StrCat(p.tp.partition.value()),
         OptionalOffset(p.committed), absl::StrCat(p.end_offset.value()),
         p.lag ? absl::StrCat(*p.lag) : "-", p.owner.empty() ? "-" : p.owner});
  }
  table.Print(*io.out);
  return absl::OkStatus();
}

absl::Status RunGroupReset(const Args& args, Io& io) {
  constexpr char kUsage[] =
      "group reset GROUP --topic T (--to-earliest|--to-latest|--to-offset "
      "N|--to-datetime MS|"
      "--shift-by N) [--dry-run|--execute] --dir DIR";
  if (auto s = args.ExpectPositional(1, kUsage); !s.ok()) return s;
  const std::string& group = args.positional()[0];
  std::optional<std::string> topic = args.Get("topic");
  if (!topic) return UsageError("group reset needs --topic T");
  auto reset = ResetFlag(args);
  if (!reset.ok()) return reset.status();
  if (args.Has("dry-run") && args.Has("execute")) {
    return UsageError("--dry-run and --execute exclude each other");
  }
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  const bool execute = args.Has("execute");
  std::vector<TopicPartitionOffset> offsets;
  if (execute) {
    auto store = OpenForWriting(*dir, /*create=*/false);
    if (!store.ok()) return store.status();
    auto done = (*store)->ResetGroupOffsets(group, *topic, *reset);
    if (!done.ok()) return done.status();
    offsets = *std::move(done);
    if (auto s = (*store)->Close(); !s.ok()) return s;
  } else {
    auto store = OpenForReading(*dir);
    if (!store.ok()) return store.status();
    auto plan = PlanReset(**store, group, *topic, *reset);
    if (!plan.ok()) return plan.status();
    offsets = *std::move(plan);
  }
  if (args.json()) {
    std::vector<Json> items;
    for (const auto& o : offsets) {
      items.push_back(JsonObject()
                          .Str("topic", o.tp.topic)
                          .Int("partition", o.tp.partition.value())
                          .Int("offset", o.offset.value()));
    }
    *io.out << JsonObject()
                   .Str("group", group)
                   .Bool("executed", execute)
                   .Raw("offsets", JsonArray(items))
                   .str()
            << '\n';
    return absl::OkStatus();
  }
  Table table({"TOPIC", "PARTITION", "NEW_OFFSET"});
  for (const auto& o : offsets) {
    table.AddRow({o.tp.topic, absl::StrCat(o.tp.partition.value()),
                  absl::StrCat(o.offset.value())});
  }
  table.Print(*io.out);
  *io.out << (execute ? "committed for group " + group + "\n"
                      : "dry run: nothing changed (add --execute to commit "
                        "these offsets)\n");
  return absl::OkStatus();
}

absl::Status RunGroupDelete(const Args& args, Io& io) {
  if (auto s = args.ExpectPositional(1, "group delete GROUP --dir DIR");
      !s.ok())
    return s;
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  auto store = OpenForWriting(*dir, /*create=*/false);
  if (!store.ok()) return store.status();
  const std::string& group = args.positional()[0];
  if (auto s = (*store)->DeleteGroup(group); !s.ok()) return s;
  if (auto s = (*store)->Close(); !s.ok()) return s;
  if (args.json()) {
    *io.out << JsonObject().Str("deleted", group).str() << '\n';
  } else {
    *io.out << "deleted group " << group << '\n';
  }
  return absl::OkStatus();
}

}  // namespace evlog::cli
