#include "kafka/kafka_producer.h"

#include <condition_variable>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "kafka/errors.h"
#include "producer/partitioner.h"
#include "util/string_view.h"

namespace evlog::kafka {
namespace {

// What a produced message's opaque points to: its delivery report (on the
// poller thread) goes there.
struct Opaque {
  virtual ~Opaque() = default;
  virtual void Done(const rd_kafka_message_t* m) = 0;
};

// The completion of one SendBatch: each of its records' delivery reports
// counts down `remaining`.
struct Delivery final : Opaque {
  void Done(const rd_kafka_message_t* m) override;
  std::mutex mu;
  std::condition_variable done;
  int64_t remaining = 0;
  rd_kafka_resp_err_t first_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  int64_t base_offset = -1;
  int64_t last_offset = -1;
  int64_t max_timestamp = 0;
};

void Delivery::Done(const rd_kafka_message_t* m) {
  rd_kafka_timestamp_type_t type;
  int64_t ts = rd_kafka_message_timestamp(m, &type);
  std::lock_guard<std::mutex> lock(mu);
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (first_error == RD_KAFKA_RESP_ERR_NO_ERROR) first_error = m->err;
  } else {
    if (base_offset < 0 || m->offset < base_offset) base_offset = m->offset;
    if (m->offset > last_offset) last_offset = m->offset;
    if (ts > max_timestamp) max_timestamp = ts;
  }
  if (--remaining == 0) done.notify_all();
}

// One SendAsync: runs its callback with the record's result and deletes
// itself.
struct AsyncDelivery final : Opaque {
  AsyncDelivery(SendCallback cb, PartitionId p, std::string where)
      : callback(std::move(cb)), partition(p), where(std::move(where)) {}
  void Done(const rd_kafka_message_t* m) override {
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      callback(FromKafka(m->err, absl::StrCat(where, ": delivery failed")));
    } else {
      rd_kafka_timestamp_type_t type;
      callback(SendResult{partition, Offset(m->offset),
                          rd_kafka_message_timestamp(m, &type)});
    }
    delete this;
  }
  SendCallback callback;
  PartitionId partition;
  std::string where;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (auto* o = static_cast<Opaque*>(m->_private)) o->Done(m);
}

// A pointer librdkafka reads as "present" even for an empty view (a null
// pointer would turn an empty value into a tombstone).
const char* Bytes(std::string_view s) {
  return s.data() != nullptr ? s.data() : "";
}

// The librdkafka headers of a record (null for none); produce takes them.
rd_kafka_headers_t* MakeHeaders(std::span<const HeaderView> in) {
  if (in.empty()) return nullptr;
  rd_kafka_headers_t* headers = rd_kafka_headers_new(in.size());
  for (const HeaderView& h : in) {
    rd_kafka_header_add(headers, Bytes(h.key),
                        static_cast<ssize_t>(h.key.size()),
                        h.value ? Bytes(*h.value) : nullptr,
                        h.value ? static_cast<ssize_t>(h.value->size()) : 0);
  }
  return headers;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaProducer>> KafkaProducer::New(
    const KafkaStoreOptions& store_options, const ProducerOptions& options) {
  if (options.sticky_records < 1) {
    return absl::InvalidArgumentError(
        "ProducerOptions::sticky_records must be >= 1");
  }
  std::unique_ptr<KafkaProducer> p(new KafkaProducer(store_options, options));
  Settings settings = {
      {"acks", "all"},
      {"enable.idempotence", "true"},
      {"message.timeout.ms", std::to_string(store_options.timeout_ms)},
  };
  auto client = Client::New(RD_KAFKA_PRODUCER, store_options, settings,
                            [](rd_kafka_conf_t* conf) {
                              rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
                            });
  if (!client.ok()) return client.status();
  p->client_ = *std::move(client);
  p->poller_ = std::thread([raw = p.get()] { raw->ServeDeliveryReports(); });
  return p;
}

KafkaProducer::KafkaProducer(const KafkaStoreOptions& store_options,
                             const ProducerOptions& options)
    : store_options_(store_options), options_(options) {}

KafkaProducer::~KafkaProducer() {
  Close().IgnoreError();
  stop_.store(true);
  if (poller_.joinable()) poller_.join();
}

void KafkaProducer::ServeDeliveryReports() {
  while (!stop_.load(std::memory_order_relaxed))
    rd_kafka_poll(client_->get(), 50);
}

absl::StatusOr<const KafkaProducer::TopicInfo*> KafkaProducer::Topic(
    std::string_view topic) {
  int64_t now = SteadyNowMs();
  {
    MutexLock lock(&mu_);
    auto it = topics_.find(topic);
    if (it != topics_.end() &&
        now - it->second.fetched_ms < kMetadataMaxAgeMs) {
      return &it->second;
    }
  }
  auto n = PartitionCount(client_->get(), topic, store_options_.timeout_ms);
  if (!n.ok()) return n.status();
  MutexLock lock(&mu_);
  TopicInfo& info = topics_[std::string(topic)];
  info.partitions = *n;
  info.fetched_ms = now;
  return &info;
}

absl::StatusOr<BatchSendResult> KafkaProducer::SendBatch(
    std::string_view topic, std::span<const Record> records,
    const SendOptions& options) {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("producer is closed");
  }
  if (records.empty()) return absl::InvalidArgumentError("empty batch");
  if (options.expected_end_offset) {
    return Unimplemented(
        "conditional append (SendOptions::expected_end_offset)",
        "Kafka's produce request has no end-offset condition");
  }
  auto partition = Choose(topic, records, options);
  if (!partition.ok()) return partition.status();

  const std::string topic_name(topic);
  Delivery d;
  d.remaining = static_cast<int64_t>(records.size());
  rd_kafka_resp_err_t enqueue_error = RD_KAFKA_RESP_ERR_NO_ERROR;
  size_t enqueued = 0;
  for (const Record& r : records) {
    rd_kafka_headers_t* headers = MakeHeaders(r.headers);
    // Null pointers mean "no key" and "tombstone" to librdkafka.
    void* key = r.key ? const_cast<char*>(Bytes(*r.key)) : nullptr;
    size_t key_len = r.key ? r.key->size() : 0;
    void* value = r.value ? const_cast<char*>(Bytes(*r.value)) : nullptr;
    size_t value_len = r.value ? r.value->size() : 0;
    int64_t timestamp = r.timestamp_ms == kNoTimestamp ? 0 : r.timestamp_ms;
    rd_kafka_resp_err_t err = rd_kafka_producev(
        client_->get(), RD_KAFKA_V_TOPIC(topic_name.c_str()),
        RD_KAFKA_V_PARTITION(partition->value()),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY | RD_KAFKA_MSG_F_BLOCK),
        RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, value_len),
        RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_HEADERS(headers),
        RD_KAFKA_V_OPAQUE(static_cast<Opaque*>(&d)), RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (headers != nullptr) rd_kafka_headers_destroy(headers);
      enqueue_error = err;
      break;
    }
    ++enqueued;
  }
  {
    // Wait for the reports of what was enqueued (message.timeout.ms bounds
    // it), so that `d` outlives every callback that refers to it.
    std::unique_lock<std::mutex> lock(d.mu);
    d.remaining -= static_cast<int64_t>(records.size() - enqueued);
    d.done.wait(lock, [&] { return d.remaining == 0; });
  }
  std::string where =
      absl::StrCat("topic ", ToAbsl(topic), " partition ", partition->value());
  if (enqueue_error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return FromKafka(
        enqueue_error,
        absl::StrCat(where, ": record ", enqueued, " of ", records.size(),
                     " not produced (", enqueued, " before it were)"));
  }
  if (d.first_error != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (rd_kafka_fatal_error(client_->get(), nullptr, 0) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::FailedPreconditionError(absl::StrCat(
          where, ": the idempotent producer hit a fatal error (",
          rd_kafka_err2name(d.first_error), "); make a new producer"));
    }
    return FromKafka(d.first_error, absl::StrCat(where, ": delivery failed"));
  }
  return BatchSendResult{*partition, Offset(d.base_offset),
                         Offset(d.last_offset), d.max_timestamp};
}

absl::StatusOr<PartitionId> KafkaProducer::Choose(
    std::string_view topic, std::span<const Record> records,
    const SendOptions& options) {
  auto info = Topic(topic);
  if (!info.ok()) return info.status();
  int32_t n;
  {
    MutexLock lock(&mu_);
    n = (*info)->partitions;
  }
  return ChoosePartition(options_, topic, reinterpret_cast<uintptr_t>(*info), n,
                         records, options);
}

absl::StatusOr<SendResult> KafkaProducer::Send(std::string_view topic,
                                               const Record& record,
                                               const SendOptions& options) {
  auto r = SendBatch(topic, {&record, 1}, options);
  if (!r.ok()) return r.status();
  return SendResult{r->partition, r->base_offset, r->timestamp_ms};
}

absl::Status KafkaProducer::SendAsync(std::string_view topic, const Record& r,
                                      SendCallback callback,
                                      const SendOptions& options) {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("producer is closed");
  }
  if (!callback)
    return absl::InvalidArgumentError("SendAsync without a callback");
  if (options.expected_end_offset) {
    return absl::InvalidArgumentError(
        "SendOptions::expected_end_offset is not supported by SendAsync");
  }
  auto partition = Choose(topic, {&r, 1}, options);
  if (!partition.ok()) return partition.status();
  const std::string topic_name(topic);
  rd_kafka_headers_t* headers = MakeHeaders(r.headers);
  void* key = r.key ? const_cast<char*>(Bytes(*r.key)) : nullptr;
  const size_t key_len = r.key ? r.key->size() : 0;
  void* value = r.value ? const_cast<char*>(Bytes(*r.value)) : nullptr;
  const size_t value_len = r.value ? r.value->size() : 0;
  const int64_t timestamp = r.timestamp_ms == kNoTimestamp ? 0 : r.timestamp_ms;
  auto* d = new AsyncDelivery(
      std::move(callback), *partition,
      absl::StrCat("topic ", topic_name, " partition ", partition->value()));
  // Copied (RD_KAFKA_MSG_F_COPY): the record's views need not outlive the
  // call. librdkafka's queue bound (queue.buffering.max.*) blocks here
  // (RD_KAFKA_MSG_F_BLOCK) like buffer_memory/max_block_ms.
  rd_kafka_resp_err_t err = rd_kafka_producev(
      client_->get(), RD_KAFKA_V_TOPIC(topic_name.c_str()),
      RD_KAFKA_V_PARTITION(partition->value()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY | RD_KAFKA_MSG_F_BLOCK),
      RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE(value, value_len),
      RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_HEADERS(headers),
      RD_KAFKA_V_OPAQUE(static_cast<Opaque*>(d)), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (headers != nullptr) rd_kafka_headers_destroy(headers);
    delete d;  // not queued: the callback never runs
    return FromKafka(err, absl::StrCat("topic ", topic_name, ": not queued"));
  }
  return absl::OkStatus();
}

absl::Status KafkaProducer::Flush() {
  if (closed_.load(std::memory_order_acquire)) {
    return absl::FailedPreconditionError("producer is closed");
  }
  // Every send already waited for its acknowledgement (acks=all): nothing
  // is outstanding. Flush anyway for records of interrupted sends.
  return FromKafka(rd_kafka_flush(client_->get(),
                                  static_cast<int>(store_options_.timeout_ms)),
                   "flushing the producer");
}

absl::Status KafkaProducer::Close() {
  if (closed_.exchange(true)) return absl::OkStatus();
  return FromKafka(rd_kafka_flush(client_->get(),
                                  static_cast<int>(store_options_.timeout_ms)),
                   "closing the producer");
}

}  // namespace evlog::kafka
