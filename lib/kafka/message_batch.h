// kafka/message_batch.h: what keeps one Poll's zero-copy views alive on the
// Kafka backend.
//
// A PollResult's keys, values and topic names point straight into
// librdkafka's messages; the batch holds those messages (destroying them
// when the last PollResult copy goes) and the consumer's client handle,
// which librdkafka requires to outlive its messages. Headers are the one
// copy: RecordView reads evlog's header encoding (docs/FORMAT.md), so each
// message's headers are encoded once into the batch's own buffer.
//
// Thread safety: filled by one thread; immutable once published.

#ifndef EVLOG_KAFKA_MESSAGE_BATCH_H_
#define EVLOG_KAFKA_MESSAGE_BATCH_H_

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>
#include <vector>

#include "evlog/consumer.h"
#include "kafka/client.h"

namespace evlog::kafka {

class MessageBatch {
 public:
  explicit MessageBatch(std::shared_ptr<Client> client)
      : client_(std::move(client)) {}
  ~MessageBatch();
  MessageBatch(const MessageBatch&) = delete;
  MessageBatch& operator=(const MessageBatch&) = delete;

  // Takes ownership of `m` (a message without error).
  void Add(rd_kafka_message_t* m) { messages_.push_back(m); }
  bool empty() const { return messages_.empty(); }
  size_t size() const { return messages_.size(); }

  // Appends a ConsumerRecord per message to `out`, which then keeps `batch`
  // alive. No more Adds afterwards.
  static void Publish(std::shared_ptr<MessageBatch> batch, PollResult* out);

 private:
  std::shared_ptr<Client> client_;  // destroyed after the messages
  std::vector<rd_kafka_message_t*> messages_;
  std::string headers_;  // evlog-encoded headers of every message
};

}  // namespace evlog::kafka

#endif  // EVLOG_KAFKA_MESSAGE_BATCH_H_
