#include "kafka/message_batch.h"

#include <cstring>
#include <optional>

#include "consumer/poll_result_filler.h"
#include "format/batch_codec.h"
#include "format/coding.h"
#include "format/format.h"

namespace evlog::kafka {
namespace {

// Calls fn(name, value or null, size) for each header of `hdrs`.
template <typename Fn>
void ForEachHeader(rd_kafka_headers_t* hdrs, Fn fn) {
  const char* name;
  const void* value;
  size_t size;
  for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) ==
                     RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    fn(name, value, size);
  }
}

// Bytes of the evlog encoding of a message's headers (per header: int32 key
// length, key, int32 value length or kNullLength, value).
size_t EncodedHeaderBytes(rd_kafka_headers_t* hdrs) {
  size_t n = 0;
  ForEachHeader(hdrs, [&](const char* name, const void* value, size_t size) {
    n += 8 + std::strlen(name) + (value != nullptr ? size : 0);
  });
  return n;
}

char* EncodeHeaders(rd_kafka_headers_t* hdrs, char* p) {
  ForEachHeader(hdrs, [&](const char* name, const void* value, size_t size) {
    size_t klen = std::strlen(name);
    format::Store<int32_t>(p, static_cast<int32_t>(klen));
    std::memcpy(p + 4, name, klen);
    p += 4 + klen;
    if (value == nullptr) {
      format::Store<int32_t>(p, format::kNullLength);
      p += 4;
    } else {
      format::Store<int32_t>(p, static_cast<int32_t>(size));
      if (size > 0) std::memcpy(p + 4, value, size);
      p += 4 + size;
    }
  });
  return p;
}

std::optional<std::string_view> View(const void* data, size_t len) {
  if (data == nullptr) return std::nullopt;
  return std::string_view(static_cast<const char*>(data), len);
}

}  // namespace

MessageBatch::~MessageBatch() {
  for (rd_kafka_message_t* m : messages_) rd_kafka_message_destroy(m);
}

void MessageBatch::Publish(std::shared_ptr<MessageBatch> batch,
                           PollResult* out) {
  // Size the header buffer once, so that the views into it stay put.
  std::vector<rd_kafka_headers_t*> hdrs(batch->messages_.size(), nullptr);
  size_t bytes = 0;
  for (size_t i = 0; i < batch->messages_.size(); ++i) {
    if (rd_kafka_message_headers(batch->messages_[i], &hdrs[i]) !=
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      hdrs[i] = nullptr;
    } else {
      bytes += EncodedHeaderBytes(hdrs[i]);
    }
  }
  batch->headers_.resize(bytes);
  char* p = batch->headers_.data();
  for (size_t i = 0; i < batch->messages_.size(); ++i) {
    const rd_kafka_message_t* m = batch->messages_[i];
    const char* hbegin = p;
    uint32_t hcount = 0;
    if (hdrs[i] != nullptr) {
      hcount = static_cast<uint32_t>(rd_kafka_header_cnt(hdrs[i]));
      p = EncodeHeaders(hdrs[i], p);
    }
    ConsumerRecord r;
    r.topic = rd_kafka_topic_name(m->rkt);
    r.partition = PartitionId(m->partition);
    rd_kafka_timestamp_type_t type;
    RecordViewBuilder::Set(
        &r.record, Offset(m->offset), rd_kafka_message_timestamp(m, &type),
        View(m->key, m->key_len), View(m->payload, m->len), hbegin, p, hcount);
    PollResultFiller::Add(out, r);
  }
  PollResultFiller::KeepAlive(out, std::move(batch));
}

}  // namespace evlog::kafka
