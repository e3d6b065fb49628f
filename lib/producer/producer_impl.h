// producer/producer_impl.h: the implementation of evlog::Producer.
//
// A send finds the topic under the store's reader lock, chooses the
// partition (ChoosePartition in producer/partitioner.h, the rule every
// backend shares) and appends to that partition's log; the only exclusive
// lock on the path is the partition's own append mutex.
//
// Thread safety: thread-safe.

#ifndef EVLOG_PRODUCER_PRODUCER_IMPL_H_
#define EVLOG_PRODUCER_PRODUCER_IMPL_H_

#include <atomic>

#include "evlog/producer.h"

namespace evlog {

class StoreImpl;
class Topic;

class ProducerImpl final : public Producer {
 public:
  // `store` must outlive the producer.
  ProducerImpl(StoreImpl* store, const ProducerOptions& options)
      : store_(store), options_(options) {}

  absl::StatusOr<SendResult> Send(std::string_view topic, const Record& record,
                                  const SendOptions& options) override;
  absl::StatusOr<BatchSendResult> SendBatch(std::string_view topic,
                                            std::span<const Record> records,
                                            const SendOptions& options) override;
  absl::Status Flush() override;
  absl::Status Close() override;

 private:
  // Picks the partition for `records` (all must agree; see producer.h).
  absl::StatusOr<PartitionId> Choose(Topic& topic, std::span<const Record> records,
                                     const SendOptions& options) const;

  StoreImpl* const store_;
  const ProducerOptions options_;
  std::atomic<bool> closed_{false};
};

}  // namespace evlog

#endif  // EVLOG_PRODUCER_PRODUCER_IMPL_H_
