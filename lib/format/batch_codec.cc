#include "format/batch_codec.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "format/coding.h"
#include "format/compression.h"
#include "format/format.h"

namespace evlog {

std::vector<HeaderView> RecordView::headers() const {
  std::vector<HeaderView> out;
  out.reserve(header_count_);
  const char* p = headers_begin_;
  for (uint32_t i = 0; i < header_count_; ++i) {
    HeaderView h;
    int32_t klen = format::Load<int32_t>(p);
    p += 4;
    h.key = std::string_view(p, klen);
    p += klen;
    int32_t vlen = format::Load<int32_t>(p);
    p += 4;
    if (vlen >= 0) {
      h.value = std::string_view(p, vlen);
      p += vlen;
    }
    out.push_back(h);
  }
  return out;
}

namespace format {
namespace {

size_t OptionalSize(const std::optional<std::string_view>& s) {
  return 4 + (s ? s->size() : 0);
}

char* PutOptional(char* p, const std::optional<std::string_view>& s) {
  if (!s) {
    Store<int32_t>(p, kNullLength);
    return p + 4;
  }
  Store<int32_t>(p, static_cast<int32_t>(s->size()));
  if (!s->empty()) std::memcpy(p + 4, s->data(), s->size());
  return p + 4 + s->size();
}

// Writes one record; returns the position after it.
char* PutRecord(char* p, const Record& r, uint32_t delta, int64_t ts) {
  size_t size = EncodedRecordSize(r);
  Store<uint32_t>(p, static_cast<uint32_t>(size - 4));
  Store<uint32_t>(p + 4, delta);
  Store<int64_t>(p + 8, ts);
  p = PutOptional(p + 16, r.key);
  p = PutOptional(p, r.value);
  Store<uint32_t>(p, static_cast<uint32_t>(r.headers.size()));
  p += 4;
  for (const HeaderView& h : r.headers) {
    p = PutOptional(p, std::optional<std::string_view>(h.key));
    p = PutOptional(p, h.value);
  }
  return p;
}

// Per-thread scratch for the uncompressed records of a batch being
// compressed (it only grows, to the largest batch the thread compressed).
std::string& Scratch() {
  thread_local std::string scratch;
  return scratch;
}

// The shared tail of both encoders: `put(out)` writes the records section at
// `out` and returns its end. Compressed batches are built in the scratch
// buffer and compressed into place; a batch that does not shrink is stored
// as it is. Then the batch header and the checksum.
// `put` may fill in out's timestamps: the header is written after it.
template <typename PutRecords>
void Encode(Offset base, uint32_t count, uint32_t last_delta,
            size_t records_bytes, const FrameOptions& o, char* dst,
            EncodedFrame& out, PutRecords put) {
  char* body = dst + kFrameHeaderSize;
  char* payload = body + kBatchHeaderSize;
  // A control batch is never compressed (FORMAT.md, section 4).
  uint16_t codec = o.control ? kCodecNone : o.codec;
  size_t stored = records_bytes;
  if (codec == kCodecNone) {
    put(payload);
  } else {
    std::string& scratch = Scratch();
    if (scratch.size() < records_bytes) scratch.resize(records_bytes);
    put(scratch.data());
    size_t n =
        Compress(codec, o.compression_level, scratch.data(), records_bytes,
                 payload, CompressBound(codec, records_bytes));
    if (n == 0 || n >= records_bytes) {
      codec = kCodecNone;
      std::memcpy(payload, scratch.data(), records_bytes);
    } else {
      stored = n;
    }
  }
  uint16_t attributes = static_cast<uint16_t>(codec << kAttrCodecShift);
  if (o.log_append_time) attributes |= kAttrLogAppendTime;
  if (o.producer_id >= 0) attributes |= kAttrTransactional;
  if (o.control) attributes |= kAttrControl;
  Store<int64_t>(body + kBatchBaseOffset, base.value());
  Store<uint32_t>(body + kBatchRecordCount, count);
  Store<uint32_t>(body + kBatchLastOffsetDelta, last_delta);
  Store<int64_t>(body + kBatchFirstTimestamp, out.first_timestamp);
  Store<int64_t>(body + kBatchMaxTimestamp, out.max_timestamp);
  Store<uint16_t>(body + kBatchAttributes, attributes);
  Store<uint16_t>(body + kBatchReserved, 0);
  Store<uint32_t>(body + kBatchWriterEpoch, o.writer_epoch);
  Store<int64_t>(body + kBatchProducerId, o.producer_id);
  Store<int32_t>(body + kBatchProducerEpoch, o.producer_epoch);
  Store<uint32_t>(body + kBatchRecordsBytes,
                  static_cast<uint32_t>(records_bytes));
  size_t body_len = kBatchHeaderSize + stored;
  Store<uint64_t>(dst + kFrameLengthSize, Checksum(body, body_len));
  Store<uint32_t>(dst, static_cast<uint32_t>(body_len));
  out.size = kFrameHeaderSize + body_len;
  out.codec = codec;
  out.records_bytes = records_bytes;
}

}  // namespace

size_t EncodedRecordSize(const Record& r) {
  size_t n = kRecordFixedSize - 8 + OptionalSize(r.key) + OptionalSize(r.value);
  for (const HeaderView& h : r.headers) {
    n += 4 + h.key.size() + OptionalSize(h.value);
  }
  return n;
}

size_t EncodedRecordsSize(std::span<const Record> records) {
  size_t n = 0;
  for (const Record& r : records) n += EncodedRecordSize(r);
  return n;
}

size_t EncodedFrameSize(std::span<const Record> records) {
  return kFrameHeaderSize + kBatchHeaderSize + EncodedRecordsSize(records);
}

FrameOptions FrameOptionsOf(const FrameInfo& f) {
  FrameOptions o;
  o.writer_epoch = f.writer_epoch;
  o.log_append_time = (f.attributes & kAttrLogAppendTime) != 0;
  o.codec = f.codec();
  o.producer_id = f.producer_id;
  o.producer_epoch = f.producer_epoch;
  o.control = f.control();
  return o;
}

size_t MaxFrameSize(size_t records_bytes, uint16_t codec) {
  size_t payload = records_bytes;
  if (codec != kCodecNone) {
    payload = std::max(payload, CompressBound(codec, records_bytes));
  }
  return kFrameHeaderSize + kBatchHeaderSize + payload;
}

EncodedFrame EncodeFrame(std::span<const Record> records, Offset base,
                         int64_t now_ms, const FrameOptions& options,
                         char* dst) {
  EncodedFrame out;
  out.max_timestamp = std::numeric_limits<int64_t>::min();
  const bool append_time = options.log_append_time;
  const uint32_t count = static_cast<uint32_t>(records.size());
  Encode(base, count, count - 1, EncodedRecordsSize(records), options, dst, out,
         [&](char* p) {
           for (size_t i = 0; i < records.size(); ++i) {
             const Record& r = records[i];
             int64_t ts = (append_time || r.timestamp_ms == kNoTimestamp)
                              ? now_ms
                              : r.timestamp_ms;
             if (i == 0) out.first_timestamp = ts;
             if (ts > out.max_timestamp) out.max_timestamp = ts;
             p = PutRecord(p, r, static_cast<uint32_t>(i), ts);
           }
           return p;
         });
  return out;
}

EncodedFrame EncodeFrameWithOffsets(std::span<const Record> records,
                                    std::span<const Offset> offsets,
                                    const FrameOptions& options, char* dst) {
  EncodedFrame out;
  out.max_timestamp = std::numeric_limits<int64_t>::min();
  const Offset base = offsets.front();
  // The timestamps are known before the records are written: the header
  // needs them whatever the order of the work.
  for (size_t i = 0; i < records.size(); ++i) {
    int64_t ts = records[i].timestamp_ms;
    if (i == 0) out.first_timestamp = ts;
    if (ts > out.max_timestamp) out.max_timestamp = ts;
  }
  Encode(base, static_cast<uint32_t>(records.size()),
         static_cast<uint32_t>(offsets.back() - base),
         EncodedRecordsSize(records), options, dst, out, [&](char* p) {
           for (size_t i = 0; i < records.size(); ++i) {
             p = PutRecord(p, records[i],
                           static_cast<uint32_t>(offsets[i] - base),
                           records[i].timestamp_ms);
           }
           return p;
         });
  return out;
}

namespace {

// Validates an optional byte string at p within [p, end); advances p.
bool SkipOptional(const char*& p, const char* end, bool allow_null) {
  if (end - p < 4) return false;
  int32_t len = Load<int32_t>(p);
  p += 4;
  if (len == kNullLength) return allow_null;
  if (len < 0 || end - p < len) return false;
  p += len;
  return true;
}

}  // namespace

namespace {

// Reads the batch header fields of the frame at `data` (body length known).
void ReadHeader(const char* data, uint32_t body_len, FrameInfo* f) {
  const char* body = data + kFrameHeaderSize;
  f->base_offset = Offset(Load<int64_t>(body + kBatchBaseOffset));
  f->record_count = Load<uint32_t>(body + kBatchRecordCount);
  f->last_offset_delta = Load<uint32_t>(body + kBatchLastOffsetDelta);
  f->first_timestamp = Load<int64_t>(body + kBatchFirstTimestamp);
  f->max_timestamp = Load<int64_t>(body + kBatchMaxTimestamp);
  f->attributes = Load<uint16_t>(body + kBatchAttributes);
  f->writer_epoch = Load<uint32_t>(body + kBatchWriterEpoch);
  f->producer_id = Load<int64_t>(body + kBatchProducerId);
  f->producer_epoch = Load<int32_t>(body + kBatchProducerEpoch);
  f->records_bytes = Load<uint32_t>(body + kBatchRecordsBytes);
  f->frame_size = kFrameHeaderSize + body_len;
  f->payload = body + kBatchHeaderSize;
  f->payload_end = body + body_len;
  if (f->compressed()) {
    f->records = nullptr;
    f->records_end = nullptr;
  } else {
    f->records = f->payload;
    f->records_end = f->payload_end;
  }
}

// The batch header rules of FORMAT.md section 6, check 7; null if they hold.
const char* HeaderError(const FrameInfo& f, uint16_t reserved) {
  if (f.base_offset.value() < 0) return "negative base offset";
  if (f.record_count == 0) return "no records";
  if (f.last_offset_delta < f.record_count - 1 ||
      f.base_offset.value() > std::numeric_limits<int64_t>::max() -
                                  int64_t{f.last_offset_delta} - 1) {
    return "bad last offset delta";
  }
  if ((f.attributes & ~kAttrKnownMask) != 0 || reserved != 0) {
    return "unknown attribute bits or non-zero reserved field";
  }
  if (f.codec() > kCodecZstd) return "unknown codec";
  if (f.writer_epoch == 0) return "writer epoch 0";
  if (f.transactional() ? (f.producer_id < 0 || f.producer_epoch < 0)
                        : (f.producer_id != -1 || f.producer_epoch != -1)) {
    return "producer id and epoch do not match the transactional bit";
  }
  if (f.control() &&
      (!f.transactional() || f.compressed() || f.record_count != 1)) {
    return "a control batch must be one uncompressed transactional record";
  }
  if (f.compressed()) {
    if (f.records_bytes > kMaxRecordsBytes ||
        f.records_bytes < uint64_t{f.record_count} * kRecordFixedSize) {
      return "bad uncompressed size";
    }
  } else if (f.records_bytes !=
             static_cast<size_t>(f.payload_end - f.payload)) {
    return "records size does not match the body length";
  }
  return nullptr;
}

// Walks every record of f.records .. f.records_end (FORMAT.md section 6,
// checks 8 and 9) so that iteration later needs no bounds checks.
FrameStatus ValidateRecords(const FrameInfo& f, std::string* why) {
  const char* p = f.records;
  int64_t prev_delta = -1;
  int64_t max_ts = std::numeric_limits<int64_t>::min();
  for (uint32_t i = 0; i < f.record_count; ++i) {
    if (f.records_end - p < static_cast<ptrdiff_t>(kRecordFixedSize)) {
      *why = absl::StrFormat("record %u truncated", i);
      return FrameStatus::kCorrupt;
    }
    uint32_t rec_len = Load<uint32_t>(p);
    if (rec_len < kRecordFixedSize - 4 ||
        rec_len > static_cast<size_t>(f.records_end - p - 4)) {
      *why = absl::StrFormat("record %u has a bad length", i);
      return FrameStatus::kCorrupt;
    }
    const char* rec_end = p + 4 + rec_len;  // in bounds: checked above
    uint32_t delta = Load<uint32_t>(p + 4);
    int64_t ts = Load<int64_t>(p + 8);
    if (static_cast<int64_t>(delta) <= prev_delta ||
        delta > f.last_offset_delta ||
        (i + 1 == f.record_count && delta != f.last_offset_delta)) {
      *why = absl::StrFormat("record %u has offset delta %u out of order", i,
                             delta);
      return FrameStatus::kCorrupt;
    }
    prev_delta = delta;
    if (i == 0 && ts != f.first_timestamp) {
      *why = "first timestamp does not match the batch header";
      return FrameStatus::kCorrupt;
    }
    if (ts > max_ts) max_ts = ts;
    const char* q = p + 16;
    const char* key = q;
    bool ok = SkipOptional(q, rec_end, true) &&
              SkipOptional(q, rec_end, true) && rec_end - q >= 4;
    if (ok) {
      uint32_t hcount = Load<uint32_t>(q);
      q += 4;
      for (uint32_t h = 0; ok && h < hcount; ++h) {
        ok = SkipOptional(q, rec_end, false) && SkipOptional(q, rec_end, true);
      }
      ok = ok && q == rec_end;
    }
    if (!ok) {
      *why = absl::StrFormat("record %u has malformed fields", i);
      return FrameStatus::kCorrupt;
    }
    if (f.control()) {
      // The marker: a 4-byte key, version 0, type abort or commit.
      if (Load<int32_t>(key) != static_cast<int32_t>(kControlKeySize) ||
          Load<uint16_t>(key + 4) != 0 ||
          Load<uint16_t>(key + 6) > kControlCommit) {
        *why = "control record with a bad marker key";
        return FrameStatus::kCorrupt;
      }
    }
    p = rec_end;
  }
  if (p != f.records_end || max_ts != f.max_timestamp) {
    *why = "batch body does not match its header";
    return FrameStatus::kCorrupt;
  }
  return FrameStatus::kOk;
}

}  // namespace

FrameStatus ParseFrame(const char* data, size_t available, FrameInfo* info,
                       std::string* why) {
  if (available < kFrameLengthSize) {
    // Not even a length field: only zeros (or nothing) may follow.
    for (size_t i = 0; i < available; ++i) {
      if (data[i] != 0) {
        *why = "partial length field at the end of the segment";
        return FrameStatus::kCorrupt;
      }
    }
    return FrameStatus::kEnd;
  }
  uint32_t body_len = Load<uint32_t>(data);
  if (body_len == 0) return FrameStatus::kEnd;
  if (body_len < kBatchHeaderSize) {
    *why = absl::StrFormat(
        "frame body length %u is below the batch header size", body_len);
    return FrameStatus::kCorrupt;
  }
  if (available < kFrameHeaderSize || body_len > available - kFrameHeaderSize) {
    *why = absl::StrFormat("frame of %u bytes runs past the end (%u available)",
                           body_len, available);
    return FrameStatus::kTruncated;
  }
  const char* body = data + kFrameHeaderSize;
  uint64_t stored = Load<uint64_t>(data + kFrameLengthSize);
  uint64_t actual = Checksum(body, body_len);
  if (stored != actual) {
    *why = absl::StrFormat("checksum mismatch (stored %016x, computed %016x)",
                           stored, actual);
    return FrameStatus::kCorrupt;
  }
  FrameInfo f;
  ReadHeader(data, body_len, &f);
  if (const char* e = HeaderError(f, Load<uint16_t>(body + kBatchReserved))) {
    *why = absl::StrCat("invalid batch header: ", e);
    return FrameStatus::kCorrupt;
  }
  if (!f.compressed()) {
    if (FrameStatus st = ValidateRecords(f, why); st != FrameStatus::kOk) {
      return st;
    }
  }
  *info = f;
  return FrameStatus::kOk;
}

FrameStatus DecodeRecords(FrameInfo* info, std::string* buffer,
                          std::string* why) {
  if (!info->compressed()) return FrameStatus::kOk;
  const size_t stored = static_cast<size_t>(info->payload_end - info->payload);
  // Before allocating: a records size the stored bytes cannot decompress to
  // is corruption (it would otherwise ask for up to kMaxRecordsBytes).
  if (!PlausibleSize(info->codec(), info->payload, stored,
                     info->records_bytes)) {
    *why = absl::StrFormat(
        "compressed batch of %u stored bytes cannot hold %u bytes of records",
        stored, info->records_bytes);
    return FrameStatus::kCorrupt;
  }
  buffer->resize(info->records_bytes);
  if (!Decompress(info->codec(), info->payload, stored, buffer->data(),
                  buffer->size())) {
    *why = absl::StrFormat(
        "compressed batch (codec %u, %u stored bytes) does not decompress to "
        "its %u bytes of records",
        info->codec(), stored, info->records_bytes);
    return FrameStatus::kCorrupt;
  }
  FrameInfo f = *info;
  f.records = buffer->data();
  f.records_end = buffer->data() + buffer->size();
  if (FrameStatus st = ValidateRecords(f, why); st != FrameStatus::kOk) {
    return st;
  }
  *info = f;
  return FrameStatus::kOk;
}

void ParseTrustedFrame(const char* data, FrameInfo* f) {
  ReadHeader(data, Load<uint32_t>(data), f);
}

}  // namespace format
}  // namespace evlog
