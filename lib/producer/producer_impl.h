// producer/producer_impl.h: the implementation of evlog::Producer.
//
// A send finds the topic under the store's reader lock, chooses the
// partition (ChoosePartition in producer/partitioner.h, the rule every
// backend shares) and appends to that partition's log; the only exclusive
// lock on the path is the partition's own append mutex.
// SendAsync chooses the partition the same way, then queues a copy of the
// record for the sender thread (producer/async_sender.h), created by the
// first SendAsync.
//
// Thread safety: thread-safe.

#ifndef EVLOG_PRODUCER_PRODUCER_IMPL_H_
#define EVLOG_PRODUCER_PRODUCER_IMPL_H_

#include <atomic>
#include <memory>

#include "evlog/env.h"
#include "evlog/producer.h"
#include "producer/async_sender.h"

namespace evlog {

class TopicRegistry;
class Topic;

class ProducerImpl final : public Producer {
 public:
  // `topics` (the store's registry) and `clock` (the store's Env's) must
  // outlive the producer.
  ProducerImpl(const TopicRegistry* topics, Clock* clock,
               const ProducerOptions& options)
      : topics_(topics), clock_(clock), options_(options), sender_(options) {}
  ~ProducerImpl() override { Close().IgnoreError(); }

  // OK, or kInvalidArgument naming the first invalid field.
  static absl::Status Validate(const ProducerOptions& options);

  absl::StatusOr<SendResult> Send(std::string_view topic, const Record& record,
                                  const SendOptions& options) override;
  absl::StatusOr<BatchSendResult> SendBatch(
      std::string_view topic, std::span<const Record> records,
      const SendOptions& options) override;
  absl::Status SendAsync(std::string_view topic, const Record& record,
                         SendCallback callback,
                         const SendOptions& options) override;
  absl::Status Flush() override;
  absl::Status Close() override;

 private:
  // Chooses the partition and appends `records` there as one batch.
  absl::Status AppendTo(Topic& topic, std::span<const Record> records,
                        const SendOptions& options,
                        BatchSendResult* result) const;
  // Picks the partition for `records` (all must agree; see producer.h).
  absl::StatusOr<PartitionId> Choose(Topic& topic,
                                     std::span<const Record> records,
                                     const SendOptions& options) const;

  const TopicRegistry* const topics_;
  Clock* const clock_;
  const ProducerOptions options_;
  std::atomic<bool> closed_{false};
  AsyncSender sender_;
};

}  // namespace evlog

#endif  // EVLOG_PRODUCER_PRODUCER_IMPL_H_
