#include "producer/producer_impl.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "producer/partitioner.h"
#include "store/store_impl.h"
#include "topic/topic.h"

namespace evlog {

absl::StatusOr<PartitionId> ProducerImpl::Choose(
    Topic& topic, std::span<const Record> records,
    const SendOptions& options) const {
  return ChoosePartition(options_, topic.name(), &topic,
                         topic.partition_count(), records, options);
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
      store_->WithTopic(topic_name, [&](Topic& topic) -> absl::Status {
        auto p = Choose(topic, records, options);
        if (!p.ok()) return p.status();
        PartitionLog* log = topic.partition(*p);
        auto appended = log->Append(records, options.expected_end_offset);
        if (!appended.ok()) {
          return absl::Status(
              appended.status().code(),
              absl::StrCat("topic ", topic.name(), " partition ", p->value(),
                           ": ", appended.status().message()));
        }
        result = {*p, appended->base_offset, appended->last_offset,
                  appended->timestamp_ms};
        return absl::OkStatus();
      });
  if (!s.ok()) return s;
  return result;
}

absl::StatusOr<SendResult> ProducerImpl::Send(std::string_view topic,
                                              const Record& record,
                                              const SendOptions& options) {
  auto r = SendBatch(topic, {&record, 1}, options);
  if (!r.ok()) return r.status();
  return SendResult{r->partition, r->base_offset, r->timestamp_ms};
}

absl::Status ProducerImpl::Flush() {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("producer is closed");
  }
  return store_->Flush();
}

absl::Status ProducerImpl::Close() {
  closed_.store(true, std::memory_order_release);
  return absl::OkStatus();
}

}  // namespace evlog
