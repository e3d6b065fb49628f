#include "producer/async_sender.h"

#include <algorithm>
#include <span>

#include "absl/strings/str_cat.h"
#include "format/format.h"

namespace evlog {

namespace {

// The sender whose thread this is, for OnSenderThread.
thread_local const AsyncSender* current_sender = nullptr;

// noexcept: a callback that throws terminates here, as documented, instead
// of unwinding through the sender thread.
void Invoke(const SendCallback& callback,
            const absl::StatusOr<SendResult>& result) noexcept {
  if (callback) callback(result);
}

size_t Append(std::string& bytes, std::string_view s) {
  size_t at = bytes.size();
  bytes.append(s.data(), s.size());
  return at;
}

}  // namespace

absl::Status AtPartition(const Topic& topic, PartitionId p,
                         const absl::Status& s) {
  return absl::Status(
      s.code(), absl::StrCat("topic ", topic.name(), " partition ", p.value(),
                             ": ", s.message()));
}

void AsyncSender::Queue::Clear() {
  topic.reset();
  bytes.clear();
  entries.clear();
  headers.clear();
  callbacks.clear();
  encoded_bytes = 0;
}

AsyncSender::AsyncSender(const ProducerOptions& options) : options_(options) {}

AsyncSender::~AsyncSender() { Close().IgnoreError(); }

bool AsyncSender::OnSenderThread() const { return current_sender == this; }

bool AsyncSender::ForcedLocked() const {
  return closing_ || blocked_enqueues_ > 0 || passes_done_ < forced_until_pass_;
}

absl::Status AsyncSender::Enqueue(std::shared_ptr<Topic> topic,
                                  PartitionId partition, const Record& record,
                                  size_t encoded_size, SendCallback callback) {
  if (encoded_size > options_.buffer_memory) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "record of ", encoded_size, " encoded bytes exceeds ",
        "ProducerOptions::buffer_memory (", options_.buffer_memory, ")"));
  }
  MutexLock l(&mu_);
  if (closing_) return absl::FailedPreconditionError("producer is closed");
  if (buffered_bytes_ + encoded_size > options_.buffer_memory) {
    if (OnSenderThread() || options_.max_block_ms == 0) {
      return absl::ResourceExhaustedError(
          absl::StrCat("ProducerOptions::buffer_memory (",
                       options_.buffer_memory, " bytes) is full",
                       OnSenderThread() ? " (send from a callback)" : ""));
    }
    const SteadyTime deadline =
        std::chrono::steady_clock::now() +
        std::chrono::milliseconds(options_.max_block_ms);
    ++blocked_enqueues_;  // makes the sender take every queue
    if (sender_waiting_) work_cv_.Signal();
    while (!closing_ &&
           buffered_bytes_ + encoded_size > options_.buffer_memory) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      done_cv_.WaitFor(deadline - now);
    }
    --blocked_enqueues_;
    if (closing_) return absl::FailedPreconditionError("producer is closed");
    if (buffered_bytes_ + encoded_size > options_.buffer_memory) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "ProducerOptions::buffer_memory (", options_.buffer_memory,
          " bytes) stayed full for max_block_ms (", options_.max_block_ms,
          " ms)"));
    }
  }
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });

  auto [it, fresh] =
      queues_.try_emplace(QueueKey(topic.get(), partition.value()));
  if (fresh) {
    if (free_queues_.empty()) {
      it->second = std::make_unique<Queue>();
    } else {
      it->second = std::move(free_queues_.back());
      free_queues_.pop_back();
    }
    it->second->topic = std::move(topic);
    it->second->partition = partition;
    it->second->first_queued = std::chrono::steady_clock::now();
  }
  Queue& q = *it->second;
  Entry e;
  e.has_key = record.key.has_value();
  if (e.has_key) {
    e.key = Append(q.bytes, *record.key);
    e.key_size = record.key->size();
  }
  e.has_value = record.value.has_value();
  if (e.has_value) {
    e.value = Append(q.bytes, *record.value);
    e.value_size = record.value->size();
  }
  e.header_begin = q.headers.size();
  e.header_count = static_cast<uint32_t>(record.headers.size());
  for (const HeaderView& h : record.headers) {
    HeaderEntry he;
    he.key = Append(q.bytes, h.key);
    he.key_size = h.key.size();
    he.has_value = h.value.has_value();
    if (he.has_value) {
      he.value = Append(q.bytes, *h.value);
      he.value_size = h.value->size();
    }
    q.headers.push_back(he);
  }
  e.timestamp_ms = record.timestamp_ms;
  e.encoded_size = encoded_size;
  q.entries.push_back(e);
  q.callbacks.push_back(std::move(callback));
  const bool was_full = q.encoded_bytes >= options_.batch_size;
  q.encoded_bytes += encoded_size;
  buffered_bytes_ += encoded_size;
  // The sender rescans after each pass; it only needs waking while asleep,
  // for a new queue (a new deadline) or one that just filled a batch.
  if (sender_waiting_ &&
      (fresh || (!was_full && q.encoded_bytes >= options_.batch_size))) {
    work_cv_.Signal();
  }
  return absl::OkStatus();
}

absl::Status AsyncSender::Flush() {
  if (OnSenderThread()) {
    return absl::FailedPreconditionError(
        "Producer::Flush called from a SendAsync callback");
  }
  MutexLock l(&mu_);
  // Queued records are taken by the pass after the one in progress (if
  // none is in progress, by the next one).
  if (queues_.empty() && passes_started_ == passes_done_) {
    return absl::OkStatus();
  }
  const uint64_t target = passes_started_ + 1;
  forced_until_pass_ = std::max(forced_until_pass_, target);
  if (sender_waiting_) work_cv_.Signal();
  while (passes_done_ < target) done_cv_.Wait();
  return absl::OkStatus();
}

absl::Status AsyncSender::Close() {
  if (OnSenderThread()) {
    return absl::FailedPreconditionError(
        "Producer::Close called from a SendAsync callback");
  }
  std::thread thread;
  {
    MutexLock l(&mu_);
    closing_ = true;
    work_cv_.SignalAll();
    done_cv_.SignalAll();  // blocked Enqueues give up
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
  return absl::OkStatus();
}

void AsyncSender::Run() {
  current_sender = this;
  std::vector<std::unique_ptr<Queue>> taken;
  MutexLock l(&mu_);
  while (true) {
    const bool forced = ForcedLocked();
    const SteadyTime now = std::chrono::steady_clock::now();
    const auto linger = std::chrono::milliseconds(options_.linger_ms);
    SteadyTime wake = SteadyTime::max();
    for (auto it = queues_.begin(); it != queues_.end();) {
      Queue& q = *it->second;
      if (forced || q.encoded_bytes >= options_.batch_size ||
          now - q.first_queued >= linger) {
        taken.push_back(std::move(it->second));
        queues_.erase(it++);
      } else {
        wake = std::min(wake, q.first_queued + linger);
        ++it;
      }
    }
    if (taken.empty() && closing_) break;  // everything delivered
    // An empty pass still completes a Flush's pass; otherwise sleep.
    if (taken.empty() && passes_done_ >= forced_until_pass_) {
      sender_waiting_ = true;
      if (wake == SteadyTime::max()) {
        work_cv_.Wait();
      } else {
        work_cv_.WaitFor(wake - now);
      }
      sender_waiting_ = false;
      continue;
    }
    ++passes_started_;
    mu_.Unlock();
    uint64_t delivered = 0;
    for (const auto& q : taken) {
      Deliver(*q);
      delivered += q->encoded_bytes;
      q->Clear();
    }
    mu_.Lock();
    buffered_bytes_ -= delivered;
    // Reuse keeps a hot partition's buffers; a queue that grew past a few
    // batches (a burst) is dropped instead, so idle memory stays bounded.
    for (auto& q : taken) {
      if (free_queues_.size() < 8 &&
          q->bytes.capacity() <= 4 * options_.batch_size) {
        free_queues_.push_back(std::move(q));
      }
    }
    taken.clear();
    ++passes_done_;
    done_cv_.SignalAll();
  }
  // Closing with nothing left: every pass a Flush waits for is complete.
  passes_done_ = passes_started_ = std::max(passes_done_, forced_until_pass_);
  done_cv_.SignalAll();
}

void AsyncSender::Deliver(Queue& q) {
  const char* bytes = q.bytes.data();
  header_views_.clear();
  for (const HeaderEntry& h : q.headers) {
    HeaderView v;
    v.key = std::string_view(bytes + h.key, h.key_size);
    if (h.has_value) v.value = std::string_view(bytes + h.value, h.value_size);
    header_views_.push_back(v);
  }
  records_.clear();
  for (const Entry& e : q.entries) {
    Record r;
    if (e.has_key) r.key = std::string_view(bytes + e.key, e.key_size);
    if (e.has_value) r.value = std::string_view(bytes + e.value, e.value_size);
    r.headers = std::span<const HeaderView>(
        header_views_.data() + e.header_begin, e.header_count);
    r.timestamp_ms = e.timestamp_ms;
    records_.push_back(r);
  }
  const TopicConfig& config = q.topic->config();
  // A chunk is one frame: it must fit in a segment as well as in a batch.
  const size_t overhead = format::kFrameHeaderSize + format::kBatchHeaderSize;
  const size_t limit = std::min<uint64_t>(
      options_.batch_size, config.segment_bytes - format::kSegmentHeaderSize);
  PartitionLog* log = q.topic->partition(q.partition);
  const bool append_time =
      config.timestamp_type == TimestampType::kLogAppendTime;
  for (size_t i = 0; i < records_.size();) {
    size_t j = i, bytes_in_chunk = overhead;
    while (j < records_.size() &&
           (j == i || bytes_in_chunk + q.entries[j].encoded_size <= limit)) {
      bytes_in_chunk += q.entries[j++].encoded_size;
    }
    absl::StatusOr<AppendResult> appended =
        log->Append(std::span<const Record>(records_.data() + i, j - i));
    if (!appended.ok()) {
      absl::StatusOr<SendResult> error =
          AtPartition(*q.topic, q.partition, appended.status());
      for (size_t k = i; k < j; ++k) Invoke(q.callbacks[k], error);
    } else {
      for (size_t k = i; k < j; ++k) {
        SendResult r{
            q.partition, appended->base_offset + static_cast<int64_t>(k - i),
            append_time ? appended->timestamp_ms : q.entries[k].timestamp_ms};
        Invoke(q.callbacks[k], r);
      }
    }
    i = j;
  }
}

}  // namespace evlog
