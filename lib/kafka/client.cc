#include "kafka/client.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "kafka/errors.h"
#include "util/string_view.h"

namespace evlog::kafka {
namespace {

// What the backend's contract rests on; the user's config may not change it.
constexpr std::string_view kReserved[] = {
    "acks", "request.required.acks", "enable.idempotence", "enable.auto.commit",
    "enable.auto.offset.store"};

absl::Status Set(rd_kafka_conf_t* conf, const std::string& key,
                 const std::string& value) {
  char err[512];
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) !=
      RD_KAFKA_CONF_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("Kafka config ", key, "=", value, ": ", err));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::shared_ptr<Client>> Client::New(
    rd_kafka_type_t type, const KafkaStoreOptions& options,
    const Settings& settings,
    const std::function<void(rd_kafka_conf_t*)>& setup) {
  if (options.bootstrap_servers.empty()) {
    return absl::InvalidArgumentError(
        "KafkaStoreOptions::bootstrap_servers is empty");
  }
  if (options.timeout_ms <= 0) {
    return absl::InvalidArgumentError(
        "KafkaStoreOptions::timeout_ms must be > 0");
  }
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  absl::Status s = Set(conf, "bootstrap.servers", options.bootstrap_servers);
  for (const auto& [k, v] : settings) {
    if (s.ok()) s = Set(conf, k, v);
  }
  for (const auto& [k, v] : options.config) {
    if (!s.ok()) break;
    if (std::find(std::begin(kReserved), std::end(kReserved), k) !=
        std::end(kReserved)) {
      s = absl::InvalidArgumentError(absl::StrCat(
          "Kafka config ", k,
          " is set by evlog's Kafka backend (acks=all, "
          "idempotence, evlog-driven commits) and cannot be overridden"));
      break;
    }
    s = Set(conf, k, v);
  }
  if (!s.ok()) {
    rd_kafka_conf_destroy(conf);
    return s;
  }
  if (setup) setup(conf);
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (rk == nullptr) {  // conf is still ours
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("Kafka client: ", err));
  }
  return std::shared_ptr<Client>(new Client(rk));
}

Client::~Client() { rd_kafka_destroy(rk_); }

absl::StatusOr<std::map<std::string, int32_t>> ListTopicPartitions(
    rd_kafka_t* rk, int64_t timeout_ms) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(
      rk, /*all_topics=*/1, nullptr, &md, static_cast<int>(timeout_ms));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return FromKafka(err, "fetching the cluster's metadata");
  }
  std::map<std::string, int32_t> topics;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const rd_kafka_metadata_topic_t& t = md->topics[i];
    std::string_view name(t.topic);
    if (name.substr(0, 2) == "__" || t.err != RD_KAFKA_RESP_ERR_NO_ERROR)
      continue;
    topics.emplace(name, t.partition_cnt);
  }
  rd_kafka_metadata_destroy(md);
  return topics;
}

absl::StatusOr<int32_t> PartitionCount(rd_kafka_t* rk, std::string_view topic,
                                       int64_t timeout_ms) {
  auto topics = ListTopicPartitions(rk, timeout_ms);
  if (!topics.ok()) return topics.status();
  auto it = topics->find(std::string(topic));
  if (it == topics->end()) {
    return absl::NotFoundError(absl::StrCat("unknown topic ", ToAbsl(topic)));
  }
  return it->second;
}

absl::Status CheckPartitions(rd_kafka_t* rk,
                             const std::vector<TopicPartition>& partitions,
                             int64_t timeout_ms) {
  if (partitions.empty()) return absl::OkStatus();
  auto topics = ListTopicPartitions(rk, timeout_ms);
  if (!topics.ok()) return topics.status();
  for (const TopicPartition& tp : partitions) {
    auto it = topics->find(tp.topic);
    if (it == topics->end())
      return absl::NotFoundError(absl::StrCat("unknown topic ", tp.topic));
    if (tp.partition.value() < 0 || tp.partition.value() >= it->second) {
      return absl::OutOfRangeError(absl::StrCat(
          "partition ", tp.partition.value(), " is out of range for topic ",
          tp.topic, " (", it->second, " partitions)"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Watermarks> QueryWatermarks(rd_kafka_t* rk,
                                           const TopicPartition& tp,
                                           int64_t timeout_ms) {
  int64_t low = 0, high = 0;
  rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
      rk, tp.topic.c_str(), tp.partition.value(), &low, &high,
      static_cast<int>(timeout_ms));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return FromKafka(err, absl::StrCat("offsets of ", ToString(tp)));
  }
  return Watermarks{Offset(low), Offset(high)};
}

PartitionList ToPartitionList(
    const std::vector<TopicPartitionOffset>& offsets) {
  PartitionList list(
      rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const TopicPartitionOffset& o : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), o.tp.topic.c_str(),
                                      o.tp.partition.value())
        ->offset = o.offset.value();
  }
  return list;
}

PartitionList ToPartitionList(const std::vector<TopicPartition>& partitions) {
  PartitionList list(
      rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const TopicPartition& tp : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(),
                                      tp.partition.value());
  }
  return list;
}

std::vector<TopicPartition> FromPartitionList(
    const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  if (list == nullptr) return out;
  out.reserve(list->cnt);
  for (int i = 0; i < list->cnt; ++i) {
    out.push_back(
        {list->elems[i].topic, PartitionId(list->elems[i].partition)});
  }
  std::sort(out.begin(), out.end());
  return out;
}

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace evlog::kafka
