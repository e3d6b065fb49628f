#include "producer/producer_impl.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "format/batch_codec.h"
#include "format/coding.h"
#include "producer/partitioner.h"
#include "topic/topic.h"
#include "topic/topic_registry.h"

namespace evlog {

absl::StatusOr<PartitionId> ProducerImpl::Choose(
    Topic& topic, std::span<const Record> records,
    const SendOptions& options) const {
  return ChoosePartition(options_, topic.name(), topic.serial(),
                         topic.partition_count(), records, options);
}

absl::Status ProducerImpl::AppendTo(Topic& topic,
                                    std::span<const Record> records,
                                    const SendOptions& options,
                                    BatchSendResult* result) const {
  auto p = Choose(topic, records, options);
  if (!p.ok()) return p.status();
  auto appended =
      topic.partition(*p)->Append(records, options.expected_end_offset);
  if (!appended.ok()) return AtPartition(topic, *p, appended.status());
  *result = {*p, appended->base_offset, appended->last_offset,
             appended->timestamp_ms};
  return absl::OkStatus();
}

absl::StatusOr<BatchSendResult> ProducerImpl::SendBatch(
    std::string_view topic_name, std::span<const Record> records,
    const SendOptions& options) {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("producer is closed");
  }
  if (records.empty()) return absl::InvalidArgumentError("empty batch");
  BatchSendResult result;
  absl::Status s =
      topics_->WithTopic(topic_name, [&](const std::shared_ptr<Topic>& t) {
        return AppendTo(*t, records, options, &result);
      });
  if (!s.ok()) return s;
  return result;
}

absl::StatusOr<SendResult> ProducerImpl::Send(std::string_view topic_name,
                                              const Record& record,
                                              const SendOptions& options) {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("producer is closed");
  }
  BatchSendResult result;
  absl::Status s =
      topics_->WithTopic(topic_name, [&](const std::shared_ptr<Topic>& t) {
        return AppendTo(*t, {&record, 1}, options, &result);
      });
  if (!s.ok()) return s;
  return SendResult{result.partition, result.base_offset, result.timestamp_ms};
}

absl::Status ProducerImpl::Validate(const ProducerOptions& options) {
  const struct {
    bool invalid;
    const char* rule;
  } checks[] = {
      {options.sticky_records < 1, "sticky_records must be >= 1"},
      {options.linger_ms < 0, "linger_ms must be >= 0"},
      {options.batch_size < 1, "batch_size must be >= 1"},
      {options.buffer_memory < 1, "buffer_memory must be >= 1"},
      {options.max_block_ms < 0, "max_block_ms must be >= 0"},
  };
  for (const auto& c : checks) {
    if (c.invalid) {
      return absl::InvalidArgumentError(
          absl::StrCat("ProducerOptions::", c.rule));
    }
  }
  return absl::OkStatus();
}

absl::Status ProducerImpl::SendAsync(std::string_view topic_name,
                                     const Record& record,
                                     SendCallback callback,
                                     const SendOptions& options) {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("producer is closed");
  }
  if (options.expected_end_offset) {
    return absl::InvalidArgumentError(
        "SendOptions::expected_end_offset is not supported by SendAsync "
        "(conditional appends are synchronous: use Send)");
  }
  return topics_->WithTopic(
      topic_name, [&](const std::shared_ptr<Topic>& topic) -> absl::Status {
        auto p = Choose(*topic, {&record, 1}, options);
        if (!p.ok()) return p.status();
        const size_t size = format::EncodedRecordSize(record);
        // One copy of the config (it is taken under the topic's lock).
        const uint32_t limit = topic->config().max_record_bytes;
        if (size > limit) {
          return absl::ResourceExhaustedError(absl::StrCat(
              "record of ", size, " encoded bytes exceeds max_record_bytes (",
              limit, ") of topic ", topic->name()));
        }
        Record copy = record;
        if (copy.timestamp_ms == kNoTimestamp) {
          copy.timestamp_ms = clock_->NowMs();
        }
        return sender_.Enqueue(topic, *p, copy, size, std::move(callback));
      });
}

absl::Status ProducerImpl::Flush() {
  if (sender_.OnSenderThread()) return sender_.Flush();  // the error
  if (closed_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("producer is closed");
  }
  if (absl::Status s = sender_.Flush(); !s.ok()) return s;
  return topics_->FlushAll();
}

absl::Status ProducerImpl::Close() {
  if (sender_.OnSenderThread()) return sender_.Close();  // the error
  closed_.store(true, std::memory_order_release);
  return sender_.Close();
}

}  // namespace evlog
