// KafkaStore: consumer-group administration. Members and state come from
// the Admin API (DescribeConsumerGroups); committed offsets are read and
// reset through a consumer handle of the group that never joins it
// (OffsetFetch / OffsetCommit with no generation, as Kafka's
// kafka-consumer-groups tool does for an empty group).

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "group/group.h"
#include "kafka/admin.h"
#include "kafka/errors.h"
#include "kafka/kafka_store.h"
#include "util/string_view.h"

namespace evlog::kafka {
namespace {

std::string StateName(rd_kafka_consumer_group_state_t s) {
  switch (s) {
    case RD_KAFKA_CONSUMER_GROUP_STATE_STABLE:
      return "Stable";
    case RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY:
    case RD_KAFKA_CONSUMER_GROUP_STATE_DEAD:
      return "Empty";
    default:
      return "Rebalancing";
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<Client>> KafkaStore::GroupClient(
    const std::string& group_id) const {
  return Client::New(RD_KAFKA_CONSUMER, options_,
                     {{"group.id", group_id},
                      {"enable.auto.commit", "false"},
                      {"allow.auto.create.topics", "false"}});
}

std::vector<std::string> KafkaStore::ListGroups() const {
  std::vector<std::string> out;
  auto ev = RunAdmin(admin_->get(), options_.timeout_ms, "listing groups",
                     [&](rd_kafka_queue_t* q, rd_kafka_AdminOptions_t* o) {
                       rd_kafka_ListConsumerGroups(admin_->get(), o, q);
                     });
  if (!ev.ok()) return out;  // no error channel in the interface
  const rd_kafka_ListConsumerGroups_result_t* r =
      rd_kafka_event_ListConsumerGroups_result(ev->get());
  size_t n = 0;
  const rd_kafka_ConsumerGroupListing_t** groups =
      rd_kafka_ListConsumerGroups_result_valid(r, &n);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(rd_kafka_ConsumerGroupListing_group_id(groups[i]));
  }
  std::sort(out.begin(), out.end());
  return out;
}

absl::StatusOr<GroupDescription> KafkaStore::DescribeGroup(
    const std::string& group_id) const {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (absl::Status s = ValidateGroupId(group_id); !s.ok()) return s;
  GroupDescription d;
  d.group_id = group_id;
  d.state = "Empty";
  std::map<TopicPartition, std::string> owners;
  const char* id = group_id.c_str();
  // librdkafka 2.0.2's mock has no DescribeGroups: the request leaves the
  // admin handle's metadata requests timing out, so it is not sent there.
  absl::StatusOr<Event> ev =
      absl::UnimplementedError("DescribeGroups on the mock cluster");
  if (options_.mock_cluster == nullptr)
    ev =
        RunAdmin(admin_->get(), options_.timeout_ms, "describing a group",
                 [&](rd_kafka_queue_t* q, rd_kafka_AdminOptions_t* o) {
                   rd_kafka_DescribeConsumerGroups(admin_->get(), &id, 1, o, q);
                 });
  if (ev.ok()) {
    size_t n = 0;
    const rd_kafka_ConsumerGroupDescription_t** groups =
        rd_kafka_DescribeConsumerGroups_result_groups(
            rd_kafka_event_DescribeConsumerGroups_result(ev->get()), &n);
    // A cluster without DescribeGroups (the mock) gives a per-group error:
    // the description then has the committed offsets only.
    if (n == 1 &&
        rd_kafka_ConsumerGroupDescription_error(groups[0]) == nullptr) {
      const rd_kafka_ConsumerGroupDescription_t* g = groups[0];
      d.state = StateName(rd_kafka_ConsumerGroupDescription_state(g));
      for (size_t i = 0; i < rd_kafka_ConsumerGroupDescription_member_count(g);
           ++i) {
        const rd_kafka_MemberDescription_t* m =
            rd_kafka_ConsumerGroupDescription_member(g, i);
        GroupMemberDescription md;
        md.member_id = rd_kafka_MemberDescription_consumer_id(m);
        md.client_id = rd_kafka_MemberDescription_client_id(m);
        const rd_kafka_MemberAssignment_t* a =
            rd_kafka_MemberDescription_assignment(m);
        md.assignment =
            FromPartitionList(rd_kafka_MemberAssignment_partitions(a));
        for (const TopicPartition& tp : md.assignment) {
          owners[tp] = md.member_id;
          if (std::find(md.subscription.begin(), md.subscription.end(),
                        tp.topic) == md.subscription.end()) {
            md.subscription.push_back(
                tp.topic);  // Kafka reports assignments only
          }
        }
        std::sort(md.subscription.begin(), md.subscription.end());
        d.members.push_back(std::move(md));
      }
    }
  }
  auto client = GroupClient(group_id);
  if (!client.ok()) return client.status();
  auto topics = ListTopicPartitions(admin_->get(), options_.timeout_ms);
  if (!topics.ok()) return topics.status();
  std::vector<TopicPartition> all;
  for (const auto& [t, n] : *topics) {
    for (int32_t p = 0; p < n; ++p) all.push_back({t, PartitionId(p)});
  }
  PartitionList list = ToPartitionList(all);
  absl::Status s =
      FromKafka(rd_kafka_committed((*client)->get(), list.get(),
                                   static_cast<int>(options_.timeout_ms)),
                absl::StrCat("committed offsets of group ", group_id));
  if (!s.ok()) return s;
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& e = list->elems[i];
    TopicPartition tp{e.topic, PartitionId(e.partition)};
    auto owner = owners.find(tp);
    if (e.offset < 0 && owner == owners.end()) continue;
    GroupPartitionDescription pd;
    pd.tp = tp;
    auto w = QueryWatermarks(admin_->get(), tp, options_.timeout_ms);
    if (!w.ok()) return w.status();
    pd.end_offset = w->high;
    if (e.offset >= 0) {
      pd.committed = Offset(e.offset);
      pd.lag = std::max<int64_t>(0, w->high - Offset(e.offset));
    }
    if (owner != owners.end()) pd.owner = owner->second;
    d.partitions.push_back(pd);
  }
  if (d.members.empty() && d.partitions.empty()) {
    return absl::NotFoundError(absl::StrCat("unknown group ", group_id));
  }
  return d;
}

absl::StatusOr<std::vector<TopicPartitionOffset>> KafkaStore::ResetGroupOffsets(
    const std::string& group_id, const std::string& topic,
    const OffsetReset& reset) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (absl::Status s = ValidateGroupId(group_id); !s.ok()) return s;
  auto n = PartitionCount(admin_->get(), topic, options_.timeout_ms);
  if (!n.ok()) return n.status();
  auto described = DescribeGroup(group_id);
  if (described.ok() && !described->members.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("group ", group_id, " has ", described->members.size(),
                     " members; stop them before resetting its offsets"));
  }
  auto client = GroupClient(group_id);
  if (!client.ok()) return client.status();
  rd_kafka_t* rk = (*client)->get();
  std::vector<TopicPartition> partitions;
  for (int32_t p = 0; p < *n; ++p)
    partitions.push_back({topic, PartitionId(p)});
  PartitionList committed = ToPartitionList(partitions);
  absl::Status s =
      FromKafka(rd_kafka_committed(rk, committed.get(),
                                   static_cast<int>(options_.timeout_ms)),
                "reading committed offsets");
  if (!s.ok()) return s;
  PartitionList times(nullptr);
  if (reset.kind == OffsetReset::Kind::kTime) {
    times = ToPartitionList(partitions);
    for (int i = 0; i < times->cnt; ++i) times->elems[i].offset = reset.value;
    s = FromKafka(rd_kafka_offsets_for_times(
                      rk, times.get(), static_cast<int>(options_.timeout_ms)),
                  "offsets for time");
    if (!s.ok()) return s;
  }
  std::vector<TopicPartitionOffset> out;
  for (int32_t p = 0; p < *n; ++p) {
    TopicPartition tp{topic, PartitionId(p)};
    auto w = QueryWatermarks(rk, tp, options_.timeout_ms);
    if (!w.ok()) return w.status();
    int64_t target = 0;
    switch (reset.kind) {
      case OffsetReset::Kind::kEarliest:
        target = w->low.value();
        break;
      case OffsetReset::Kind::kLatest:
        target = w->high.value();
        break;
      case OffsetReset::Kind::kOffset:
        target = reset.value;
        break;
      case OffsetReset::Kind::kTime:
        target = times->elems[p].offset >= 0 ? times->elems[p].offset
                                             : w->high.value();
        break;
      case OffsetReset::Kind::kShiftBy: {
        int64_t base = committed->elems[p].offset;
        target = (base >= 0 ? base : w->low.value()) + reset.value;
        break;
      }
    }
    target = std::clamp(target, w->low.value(), w->high.value());
    out.push_back({tp, Offset(target)});
  }
  PartitionList list = ToPartitionList(out);
  s = FromKafka(rd_kafka_commit(rk, list.get(), /*async=*/0),
                absl::StrCat("resetting the offsets of group ", group_id));
  if (!s.ok()) return s;
  return out;
}

absl::Status KafkaStore::DeleteGroup(const std::string& group_id) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (absl::Status s = ValidateGroupId(group_id); !s.ok()) return s;
  if (options_.mock_cluster != nullptr) {
    return Unimplemented(
        "DeleteGroup on the mock cluster",
        "librdkafka 2.0.2's mock cluster does not implement DeleteGroups");
  }
  rd_kafka_DeleteGroup_t* g = rd_kafka_DeleteGroup_new(group_id.c_str());
  auto ev = RunAdmin(admin_->get(), options_.timeout_ms, "deleting a group",
                     [&](rd_kafka_queue_t* q, rd_kafka_AdminOptions_t* o) {
                       rd_kafka_DeleteGroups(admin_->get(), &g, 1, o, q);
                     });
  rd_kafka_DeleteGroup_destroy(g);
  if (!ev.ok()) return ev.status();
  size_t n = 0;
  const rd_kafka_group_result_t** r = rd_kafka_DeleteGroups_result_groups(
      rd_kafka_event_DeleteGroups_result(ev->get()), &n);
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_error_t* e = rd_kafka_group_result_error(r[i]);
    if (e != nullptr) {
      rd_kafka_resp_err_t code = rd_kafka_error_code(e);
      if (code == RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP) {
        return absl::FailedPreconditionError(
            absl::StrCat("group ", group_id, " has members; stop them first"));
      }
      return FromKafka(code, absl::StrCat("deleting group ", group_id));
    }
  }
  return absl::OkStatus();
}

}  // namespace evlog::kafka
