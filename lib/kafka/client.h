// kafka/client.h: one librdkafka client handle (producer or consumer) made
// from the store's options, and the metadata and offset look-ups every part
// of the backend needs.
//
// A Client is shared (std::shared_ptr): a consumer's PollResults hold its
// handle, because librdkafka's messages -- which their views point into --
// must be destroyed before the handle is.
//
// Thread safety: librdkafka handles are thread-safe; so are these helpers.

#ifndef EVLOG_KAFKA_CLIENT_H_
#define EVLOG_KAFKA_CLIENT_H_

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "evlog/consumer.h"
#include "evlog/kafka.h"

namespace evlog::kafka {

using Settings = std::vector<std::pair<std::string, std::string>>;

class Client {
 public:
  // A handle of `type` configured with, in order: bootstrap.servers,
  // `settings` (evlog's own), then options.config (the user's, which may not
  // override the properties evlog relies on). `setup` may install callbacks
  // on the conf before the handle is made.
  static absl::StatusOr<std::shared_ptr<Client>> New(
      rd_kafka_type_t type, const KafkaStoreOptions& options,
      const Settings& settings,
      const std::function<void(rd_kafka_conf_t*)>& setup = nullptr);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  rd_kafka_t* get() const { return rk_; }

 private:
  explicit Client(rd_kafka_t* rk) : rk_(rk) {}
  rd_kafka_t* const rk_;
};

// Every topic and its partition count, from all-topics metadata (which,
// unlike a request naming a topic, never makes a broker auto-create one).
// Internal topics (names starting with "__") are left out. kUnavailable if
// no broker answered within `timeout_ms`.
absl::StatusOr<std::map<std::string, int32_t>> ListTopicPartitions(
    rd_kafka_t* rk, int64_t timeout_ms);

// The partition count of `topic`; kNotFound if it does not exist.
absl::StatusOr<int32_t> PartitionCount(rd_kafka_t* rk, std::string_view topic,
                                       int64_t timeout_ms);

// kNotFound / kOutOfRange unless every partition exists (one metadata
// request).
absl::Status CheckPartitions(rd_kafka_t* rk,
                             const std::vector<TopicPartition>& partitions,
                             int64_t timeout_ms);

// The log start and end offsets of a partition.
struct Watermarks {
  Offset low;
  Offset high;
};
absl::StatusOr<Watermarks> QueryWatermarks(rd_kafka_t* rk,
                                           const TopicPartition& tp,
                                           int64_t timeout_ms);

// A librdkafka partition list, destroyed with its owner.
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionList =
    std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// A list of `offsets` (an empty optional -> RD_KAFKA_OFFSET_INVALID).
PartitionList ToPartitionList(const std::vector<TopicPartitionOffset>& offsets);
PartitionList ToPartitionList(const std::vector<TopicPartition>& partitions);
std::vector<TopicPartition> FromPartitionList(
    const rd_kafka_topic_partition_list_t* list);

// Monotonic milliseconds, for the backend's own timers (metadata age,
// auto-commit interval): network client timing, not storage, so it does
// not go through evlog's Env clock.
int64_t SteadyNowMs();

}  // namespace evlog::kafka

#endif  // EVLOG_KAFKA_CLIENT_H_
