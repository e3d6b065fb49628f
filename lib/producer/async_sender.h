// producer/async_sender.h: the queues and the sender thread behind
// Producer::SendAsync (contract in evlog/producer.h).
//
// Each (topic, partition) with queued records has one Queue: a copy of the
// records' bytes in one buffer, their callbacks, and the time its first
// record arrived. The sender thread takes a queue whole (the map then holds
// only queues with records waiting) once it is ready -- linger_ms old,
// batch_size bytes, or everything is wanted now (Flush, Close, a sender
// blocked on buffer_memory) -- appends it in chunks of at most batch_size
// bytes (one PartitionLog::Append, hence one sync on a kEveryAppend topic,
// per chunk), runs the callbacks and returns the emptied Queue to a free
// list. Records queued meanwhile form the next batch of their partition,
// which is why linger_ms = 0 still batches under load.
//
// Ordering: one sender thread, and a partition's next queue is taken only
// after its previous one was appended, so a partition's records are
// appended in the order Enqueue accepted them.
//
// Flush: the sender counts its passes (one pass = take the ready queues,
// append them, run callbacks). Everything queued when Flush starts is
// taken by the pass after the one in progress, so Flush asks for a forced
// pass and waits until that pass is done.
//
// A queue holds its Topic alive, so a PartitionLog* is valid while its
// records wait; after DeleteTopic or a store Close the appends fail with
// kFailedPrecondition and the callbacks say so.
//
// Thread safety: thread-safe.

#ifndef EVLOG_PRODUCER_ASYNC_SENDER_H_
#define EVLOG_PRODUCER_ASYNC_SENDER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "evlog/producer.h"
#include "topic/topic.h"
#include "util/mutex.h"

namespace evlog {

// `s` (an append's error) with the topic and partition in its message.
absl::Status AtPartition(const Topic& topic, PartitionId p,
                         const absl::Status& s);

class AsyncSender {
 public:
  explicit AsyncSender(const ProducerOptions& options);
  ~AsyncSender();  // Close()
  AsyncSender(const AsyncSender&) = delete;
  AsyncSender& operator=(const AsyncSender&) = delete;

  // Queues a copy of `record` for `partition` of `topic` (validated by the
  // caller). `encoded_size` is format::EncodedRecordSize(record). Blocks
  // up to max_block_ms for room in buffer_memory (never on the sender
  // thread). Errors: kResourceExhausted (no room), kFailedPrecondition
  // (closed).
  absl::Status Enqueue(std::shared_ptr<Topic> topic, PartitionId partition,
                       const Record& record, size_t encoded_size,
                       SendCallback callback);

  // Returns once every record queued before the call has been appended and
  // its callback has returned. kFailedPrecondition on the sender thread.
  absl::Status Flush();

  // Appends what is queued, runs the callbacks, stops the thread; later
  // Enqueues fail. Idempotent. kFailedPrecondition on the sender thread.
  absl::Status Close();

  // True on this sender's thread (inside a callback).
  bool OnSenderThread() const;

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  // One queued record: where its bytes are in Queue::bytes.
  struct Entry {
    size_t key = 0, key_size = 0;
    size_t value = 0, value_size = 0;
    bool has_key = false, has_value = false;
    uint32_t header_count = 0;  // in Queue::headers, from header_begin
    size_t header_begin = 0;
    int64_t timestamp_ms = kNoTimestamp;
    size_t encoded_size = 0;
  };
  struct HeaderEntry {
    size_t key = 0, key_size = 0;
    size_t value = 0, value_size = 0;
    bool has_value = false;
  };
  struct Queue {
    std::shared_ptr<Topic> topic;
    PartitionId partition;
    std::string bytes;  // every key, value and header of the entries
    std::vector<Entry> entries;
    std::vector<HeaderEntry> headers;
    std::vector<SendCallback> callbacks;
    size_t encoded_bytes = 0;
    SteadyTime first_queued;
    void Clear();
  };
  using QueueKey = std::pair<const Topic*, int32_t>;

  void Run();
  // Appends `q` in chunks and runs its callbacks. No lock held.
  void Deliver(Queue& q);
  // True if the sender must take every queue now.
  bool ForcedLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const ProducerOptions options_;

  mutable Mutex mu_;
  CondVar work_cv_{&mu_};  // the sender waits for work
  CondVar done_cv_{&mu_};  // Flush and blocked Enqueues wait for passes
  absl::flat_hash_map<QueueKey, std::unique_ptr<Queue>> queues_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Queue>> free_queues_ ABSL_GUARDED_BY(mu_);
  uint64_t buffered_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t passes_started_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t passes_done_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t forced_until_pass_ ABSL_GUARDED_BY(mu_) = 0;
  int blocked_enqueues_ ABSL_GUARDED_BY(mu_) = 0;
  bool sender_waiting_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);  // started by the first Enqueue

  // The sender's scratch: views of the queue being delivered.
  std::vector<Record> records_;
  std::vector<HeaderView> header_views_;
};

}  // namespace evlog

#endif  // EVLOG_PRODUCER_ASYNC_SENDER_H_
