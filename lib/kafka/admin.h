// kafka/admin.h: running one Kafka Admin API request and waiting for its
// result, and the TopicConfig -> Kafka topic config mapping.
//
// Thread safety: stateless; librdkafka handles are thread-safe.

#ifndef EVLOG_KAFKA_ADMIN_H_
#define EVLOG_KAFKA_ADMIN_H_

#include <librdkafka/rdkafka.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "evlog/options.h"

namespace evlog::kafka {

struct EventDeleter {
  void operator()(rd_kafka_event_t* ev) const { rd_kafka_event_destroy(ev); }
};
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

// Calls `start(queue, admin_options)` -- which issues one Admin API request
// (rd_kafka_CreateTopics, ...) on `rk` -- and returns its result event,
// whose request-level error is already checked. kUnavailable if no result
// within `timeout_ms` (the request and operation timeouts are set to it).
absl::StatusOr<Event> RunAdmin(
    rd_kafka_t* rk, int64_t timeout_ms, std::string_view what,
    const std::function<void(rd_kafka_queue_t*, rd_kafka_AdminOptions_t*)>&
        start);

// The Kafka topic configs for `config`: only the fields that differ from
// evlog's defaults (TopicConfig{}), so that the cluster's own defaults apply
// to the others. Durability kEveryAppend is flush.messages=1, kInterval its
// flush.messages / flush.ms. kUnimplemented for what Kafka has no config
// for (retention_wait_for_groups, retention_hard_bytes).
absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
KafkaTopicConfigs(const TopicConfig& config);

}  // namespace evlog::kafka

#endif  // EVLOG_KAFKA_ADMIN_H_
