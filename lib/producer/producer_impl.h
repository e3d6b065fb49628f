// producer/producer_impl.h: the implementation of evlog::Producer.
//
// A send finds the topic under the store's reader lock, chooses the
// partition (producer/partitioner.h) and appends to that partition's log; the
// only exclusive lock on the path is the partition's own append mutex.
//
// Thread safety: thread-safe.

#ifndef EVLOG_PRODUCER_PRODUCER_IMPL_H_
#define EVLOG_PRODUCER_PRODUCER_IMPL_H_

#include <atomic>

#include "evlog/producer.h"

namespace evlog {

class TopicRegistry;
class Topic;

class ProducerImpl final : public Producer {
 public:
  // `store` must outlive the producer.
  // `topics` (the store's registry) must outlive the producer.
  ProducerImpl(const TopicRegistry* topics, const ProducerOptions& options)
      : topics_(topics), options_(options) {}

  absl::StatusOr<SendResult> Send(std::string_view topic, const Record& record,
                                  const SendOptions& options) override;
  absl::StatusOr<BatchSendResult> SendBatch(
      std::string_view topic, std::span<const Record> records,
      const SendOptions& options) override;
  absl::Status Flush() override;
  absl::Status Close() override;

 private:
  // Picks the partition for `records` (all must agree; see producer.h).
  absl::StatusOr<PartitionId> Choose(Topic& topic,
                                     std::span<const Record> records,
                                     const SendOptions& options) const;

  const TopicRegistry* const topics_;
  const ProducerOptions options_;
  std::atomic<bool> closed_{false};
};

}  // namespace evlog

#endif  // EVLOG_PRODUCER_PRODUCER_IMPL_H_
