// KafkaStore: topic administration through the Admin API (or the mock
// cluster's own API, see KafkaStoreOptions::mock_cluster).

#include <algorithm>
#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "evlog/kafka_mock.h"
#include "kafka/admin.h"
#include "kafka/errors.h"
#include "kafka/kafka_store.h"
#include "topic/topic_name.h"
#include "util/string_view.h"

namespace evlog::kafka {
namespace {

constexpr char kMockReason[] =
    "librdkafka 2.0.2's mock cluster does not implement this Admin API request";

// The per-topic error of a CreateTopics/DeleteTopics/CreatePartitions result.
absl::Status TopicResult(const rd_kafka_topic_result_t** results, size_t n,
                         std::string_view what) {
  for (size_t i = 0; i < n; ++i) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* msg = rd_kafka_topic_result_error_string(results[i]);
      absl::Status s =
          FromKafka(err, absl::StrCat(ToAbsl(what), " ",
                                      rd_kafka_topic_result_name(results[i])));
      return absl::Status(
          s.code(),
          absl::StrCat(s.message(), msg ? absl::StrCat(" (", msg, ")") : ""));
    }
  }
  return absl::OkStatus();
}

}  // namespace

template <typename Pred>
absl::Status KafkaStore::AwaitTopic(const std::string& name,
                                    Pred present) const {
  int64_t deadline = SteadyNowMs() + options_.timeout_ms;
  for (;;) {
    auto topics = ListTopicPartitions(admin_->get(), options_.timeout_ms);
    if (topics.ok()) {
      auto it = topics->find(name);
      if (present(it == topics->end() ? -1 : it->second))
        return absl::OkStatus();
    }
    if (SteadyNowMs() >= deadline) {
      return absl::UnavailableError(absl::StrCat(
          "topic ", name,
          ": the cluster's metadata did not show the change within ",
          options_.timeout_ms, " ms"));
    }
    // Metadata propagation is asynchronous on the brokers; there is nothing
    // to wait on but the next look.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

absl::Status KafkaStore::CreateTopic(const std::string& name,
                                     int32_t partitions) {
  return CreateTopic(name, partitions, TopicConfig{});
}

absl::Status KafkaStore::CreateTopic(const std::string& name,
                                     int32_t partitions,
                                     const TopicConfig& config) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (absl::Status s = ValidateTopicName(name); !s.ok()) return s;
  if (partitions < 1 || partitions > 10000) {
    return absl::InvalidArgumentError(
        absl::StrCat("partition count ", partitions, " is outside [1, 10000]"));
  }
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  auto configs = KafkaTopicConfigs(config);
  if (!configs.ok()) return configs.status();
  auto topics = ListTopicPartitions(admin_->get(), options_.timeout_ms);
  if (!topics.ok()) return topics.status();
  if (topics->contains(name)) {
    return absl::AlreadyExistsError(absl::StrCat("topic ", name, " exists"));
  }
  if (options_.mock_cluster != nullptr) {
    if (absl::Status s = options_.mock_cluster->CreateTopic(name, partitions);
        !s.ok()) {
      return s;
    }
  } else {
    char err[512];
    rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(
        name.c_str(), partitions, /*replication_factor=*/-1, err, sizeof err);
    if (nt == nullptr)
      return absl::InvalidArgumentError(
          absl::StrCat("topic ", name, ": ", err));
    for (const auto& [k, v] : *configs) {
      rd_kafka_NewTopic_set_config(nt, k.c_str(), v.c_str());
    }
    auto ev = RunAdmin(admin_->get(), options_.timeout_ms, "creating a topic",
                       [&](rd_kafka_queue_t* q, rd_kafka_AdminOptions_t* o) {
                         rd_kafka_CreateTopics(admin_->get(), &nt, 1, o, q);
                       });
    rd_kafka_NewTopic_destroy(nt);
    if (!ev.ok()) return ev.status();
    size_t n = 0;
    const rd_kafka_topic_result_t** r = rd_kafka_CreateTopics_result_topics(
        rd_kafka_event_CreateTopics_result(ev->get()), &n);
    if (absl::Status s = TopicResult(r, n, "creating topic"); !s.ok()) return s;
  }
  return AwaitTopic(name, [&](int32_t count) { return count == partitions; });
}

absl::Status KafkaStore::DeleteTopic(const std::string& name) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (options_.mock_cluster != nullptr)
    return Unimplemented("DeleteTopic on the mock cluster", kMockReason);
  auto n = PartitionCount(admin_->get(), name, options_.timeout_ms);
  if (!n.ok()) return n.status();
  rd_kafka_DeleteTopic_t* dt = rd_kafka_DeleteTopic_new(name.c_str());
  auto ev = RunAdmin(admin_->get(), options_.timeout_ms, "deleting a topic",
                     [&](rd_kafka_queue_t* q, rd_kafka_AdminOptions_t* o) {
                       rd_kafka_DeleteTopics(admin_->get(), &dt, 1, o, q);
                     });
  rd_kafka_DeleteTopic_destroy(dt);
  if (!ev.ok()) return ev.status();
  size_t count = 0;
  const rd_kafka_topic_result_t** r = rd_kafka_DeleteTopics_result_topics(
      rd_kafka_event_DeleteTopics_result(ev->get()), &count);
  if (absl::Status s = TopicResult(r, count, "deleting topic"); !s.ok())
    return s;
  return AwaitTopic(name, [](int32_t c) { return c < 0; });
}

absl::Status KafkaStore::AddPartitions(const std::string& name,
                                       int32_t new_total) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (options_.mock_cluster != nullptr) {
    return Unimplemented("AddPartitions on the mock cluster", kMockReason);
  }
  auto n = PartitionCount(admin_->get(), name, options_.timeout_ms);
  if (!n.ok()) return n.status();
  if (new_total < *n || new_total > 10000) {
    return absl::InvalidArgumentError(absl::StrCat(
        "topic ", name, " has ", *n, " partitions; the new total ", new_total,
        " must be in [", *n, ", 10000] (partitions are never removed)"));
  }
  if (new_total == *n) return absl::OkStatus();
  char err[512];
  rd_kafka_NewPartitions_t* np = rd_kafka_NewPartitions_new(
      name.c_str(), static_cast<size_t>(new_total), err, sizeof err);
  if (np == nullptr) return absl::InvalidArgumentError(err);
  auto ev = RunAdmin(admin_->get(), options_.timeout_ms, "adding partitions",
                     [&](rd_kafka_queue_t* q, rd_kafka_AdminOptions_t* o) {
                       rd_kafka_CreatePartitions(admin_->get(), &np, 1, o, q);
                     });
  rd_kafka_NewPartitions_destroy(np);
  if (!ev.ok()) return ev.status();
  size_t count = 0;
  const rd_kafka_topic_result_t** r = rd_kafka_CreatePartitions_result_topics(
      rd_kafka_event_CreatePartitions_result(ev->get()), &count);
  if (absl::Status s = TopicResult(r, count, "adding partitions to"); !s.ok())
    return s;
  return AwaitTopic(name, [&](int32_t c) { return c == new_total; });
}

std::vector<std::string> KafkaStore::ListTopics() const {
  std::vector<std::string> out;
  auto topics = ListTopicPartitions(admin_->get(), options_.timeout_ms);
  if (!topics.ok()) return out;  // the interface has no error channel here
  for (const auto& [name, n] : *topics) out.push_back(name);
  return out;  // std::map order: sorted
}

absl::StatusOr<TopicDescription> KafkaStore::DescribeTopic(
    const std::string& name) const {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  auto n = PartitionCount(admin_->get(), name, options_.timeout_ms);
  if (!n.ok()) return n.status();
  TopicDescription d;
  d.name = name;
  for (int32_t p = 0; p < *n; ++p) {
    auto w = QueryWatermarks(admin_->get(), {name, PartitionId(p)},
                             options_.timeout_ms);
    if (!w.ok()) return w.status();
    PartitionDescription pd;
    pd.partition = PartitionId(p);
    pd.start_offset = w->low;
    pd.end_offset = w->high;
    pd.durable_end_offset = w->high;  // acknowledged = replicated (acks=all)
    d.partitions.push_back(pd);
  }
  return d;
}

}  // namespace evlog::kafka
