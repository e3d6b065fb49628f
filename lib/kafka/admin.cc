#include "kafka/admin.h"

#include "absl/strings/str_cat.h"
#include "kafka/errors.h"
#include "util/string_view.h"

namespace evlog::kafka {

absl::StatusOr<Event> RunAdmin(
    rd_kafka_t* rk, int64_t timeout_ms, std::string_view what,
    const std::function<void(rd_kafka_queue_t*, rd_kafka_AdminOptions_t*)>&
        start) {
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY);
  char err[256];
  rd_kafka_AdminOptions_set_request_timeout(
      options, static_cast<int>(timeout_ms), err, sizeof err);
  rd_kafka_AdminOptions_set_operation_timeout(
      options, static_cast<int>(timeout_ms), err, sizeof err);
  start(queue, options);
  // librdkafka fails the request itself after the request timeout; the
  // margin only covers its scheduling.
  Event ev(rd_kafka_queue_poll(queue, static_cast<int>(timeout_ms) + 5000));
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_queue_destroy(queue);
  if (!ev)
    return absl::UnavailableError(
        absl::StrCat(ToAbsl(what), ": no answer from the cluster"));
  if (absl::Status s = FromKafka(rd_kafka_event_error(ev.get()), what);
      !s.ok()) {
    return absl::Status(
        s.code(), absl::StrCat(s.message(), " (",
                               rd_kafka_event_error_string(ev.get()), ")"));
  }
  return ev;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
KafkaTopicConfigs(const TopicConfig& c) {
  if (!c.retention_wait_for_groups.empty() || c.retention_hard_bytes != -1) {
    return Unimplemented(
        "consumer-aware retention (TopicConfig::retention_wait_for_groups, "
        "retention_hard_bytes)",
        "Kafka brokers delete segments by time and size only");
  }
  const TopicConfig d;
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&](const char* name, auto value) {
    out.emplace_back(name, absl::StrCat(value));
  };
  if (c.segment_bytes != d.segment_bytes) add("segment.bytes", c.segment_bytes);
  if (c.segment_ms != d.segment_ms) add("segment.ms", c.segment_ms);
  if (c.retention_ms != d.retention_ms) add("retention.ms", c.retention_ms);
  if (c.retention_bytes != d.retention_bytes)
    add("retention.bytes", c.retention_bytes);
  if (c.cleanup_policy != d.cleanup_policy) {
    out.emplace_back("cleanup.policy",
                     c.cleanup_policy == CleanupPolicy::kCompact ? "compact"
                     : c.cleanup_policy == CleanupPolicy::kDelete
                         ? "delete"
                         : "compact,delete");
  }
  if (c.delete_retention_ms != d.delete_retention_ms) {
    add("delete.retention.ms", c.delete_retention_ms);
  }
  if (c.min_cleanable_dirty_ratio != d.min_cleanable_dirty_ratio) {
    add("min.cleanable.dirty.ratio", c.min_cleanable_dirty_ratio);
  }
  if (c.max_record_bytes != d.max_record_bytes)
    add("max.message.bytes", c.max_record_bytes);
  if (c.index_interval_bytes != d.index_interval_bytes) {
    add("index.interval.bytes", c.index_interval_bytes);
  }
  if (c.durability == Durability::kEveryAppend) {
    add("flush.messages", 1);
  } else if (c.durability == Durability::kInterval) {
    add("flush.messages", c.flush_messages);
    add("flush.ms", c.flush_ms);
  }
  if (c.timestamp_type != d.timestamp_type) {
    out.emplace_back("message.timestamp.type", "LogAppendTime");
  }
  return out;
}

}  // namespace evlog::kafka
