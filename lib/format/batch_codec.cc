#include "format/batch_codec.h"

#include <cstring>
#include <limits>

#include "absl/strings/str_format.h"
#include "format/coding.h"
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

// Writes the frame and batch headers around records already written at
// dst + kFrameHeaderSize + kBatchHeaderSize, then the checksum.
size_t FinishFrame(char* dst, char* end, Offset base, uint32_t count,
                   uint32_t last_delta, int64_t first_ts, int64_t max_ts,
                   uint16_t attributes) {
  char* body = dst + kFrameHeaderSize;
  Store<int64_t>(body + kBatchBaseOffset, base.value());
  Store<uint32_t>(body + kBatchRecordCount, count);
  Store<uint32_t>(body + kBatchLastOffsetDelta, last_delta);
  Store<int64_t>(body + kBatchFirstTimestamp, first_ts);
  Store<int64_t>(body + kBatchMaxTimestamp, max_ts);
  Store<uint16_t>(body + kBatchAttributes, attributes);
  Store<uint16_t>(body + kBatchReserved, 0);
  size_t body_len = static_cast<size_t>(end - body);
  Store<uint64_t>(dst + kFrameLengthSize, Checksum(body, body_len));
  Store<uint32_t>(dst, static_cast<uint32_t>(body_len));
  return kFrameHeaderSize + body_len;
}

}  // namespace

size_t EncodedRecordSize(const Record& r) {
  size_t n = kRecordFixedSize - 8 + OptionalSize(r.key) + OptionalSize(r.value);
  for (const HeaderView& h : r.headers) {
    n += 4 + h.key.size() + OptionalSize(h.value);
  }
  return n;
}

size_t EncodedFrameSize(std::span<const Record> records) {
  size_t n = kFrameHeaderSize + kBatchHeaderSize;
  for (const Record& r : records) n += EncodedRecordSize(r);
  return n;
}

EncodedFrame EncodeFrame(std::span<const Record> records, Offset base,
                         int64_t now_ms, bool log_append_time, char* dst) {
  char* p = dst + kFrameHeaderSize + kBatchHeaderSize;
  EncodedFrame out;
  out.max_timestamp = std::numeric_limits<int64_t>::min();
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    int64_t ts = (log_append_time || r.timestamp_ms == kNoTimestamp)
                     ? now_ms
                     : r.timestamp_ms;
    if (i == 0) out.first_timestamp = ts;
    if (ts > out.max_timestamp) out.max_timestamp = ts;
    p = PutRecord(p, r, static_cast<uint32_t>(i), ts);
  }
  uint32_t count = static_cast<uint32_t>(records.size());
  out.size =
      FinishFrame(dst, p, base, count, count - 1, out.first_timestamp,
                  out.max_timestamp, log_append_time ? kAttrLogAppendTime : 0);
  return out;
}

EncodedFrame EncodeFrameWithOffsets(std::span<const Record> records,
                                    std::span<const Offset> offsets,
                                    uint16_t attributes, char* dst) {
  char* p = dst + kFrameHeaderSize + kBatchHeaderSize;
  EncodedFrame out;
  out.max_timestamp = std::numeric_limits<int64_t>::min();
  Offset base = offsets.front();
  for (size_t i = 0; i < records.size(); ++i) {
    int64_t ts = records[i].timestamp_ms;
    if (i == 0) out.first_timestamp = ts;
    if (ts > out.max_timestamp) out.max_timestamp = ts;
    p = PutRecord(p, records[i], static_cast<uint32_t>(offsets[i] - base), ts);
  }
  out.size = FinishFrame(dst, p, base, static_cast<uint32_t>(records.size()),
                         static_cast<uint32_t>(offsets.back() - base),
                         out.first_timestamp, out.max_timestamp, attributes);
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
  f.base_offset = Offset(Load<int64_t>(body + kBatchBaseOffset));
  f.record_count = Load<uint32_t>(body + kBatchRecordCount);
  f.last_offset_delta = Load<uint32_t>(body + kBatchLastOffsetDelta);
  f.first_timestamp = Load<int64_t>(body + kBatchFirstTimestamp);
  f.max_timestamp = Load<int64_t>(body + kBatchMaxTimestamp);
  f.attributes = Load<uint16_t>(body + kBatchAttributes);
  f.frame_size = kFrameHeaderSize + body_len;
  f.records = body + kBatchHeaderSize;
  f.records_end = body + body_len;
  if (f.base_offset.value() < 0 || f.record_count == 0 ||
      f.last_offset_delta < f.record_count - 1 ||
      f.base_offset.value() > std::numeric_limits<int64_t>::max() -
                                  int64_t{f.last_offset_delta} - 1 ||
      (f.attributes & ~kAttrKnownMask) != 0 ||
      Load<uint16_t>(body + kBatchReserved) != 0) {
    *why = "invalid batch header";
    return FrameStatus::kCorrupt;
  }
  // Walk every record so that iteration later needs no bounds checks.
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
    p = rec_end;
  }
  if (p != f.records_end || max_ts != f.max_timestamp) {
    *why = "batch body does not match its header";
    return FrameStatus::kCorrupt;
  }
  *info = f;
  return FrameStatus::kOk;
}

void ParseTrustedFrame(const char* data, FrameInfo* f) {
  uint32_t body_len = Load<uint32_t>(data);
  const char* body = data + kFrameHeaderSize;
  f->base_offset = Offset(Load<int64_t>(body + kBatchBaseOffset));
  f->record_count = Load<uint32_t>(body + kBatchRecordCount);
  f->last_offset_delta = Load<uint32_t>(body + kBatchLastOffsetDelta);
  f->first_timestamp = Load<int64_t>(body + kBatchFirstTimestamp);
  f->max_timestamp = Load<int64_t>(body + kBatchMaxTimestamp);
  f->attributes = Load<uint16_t>(body + kBatchAttributes);
  f->frame_size = kFrameHeaderSize + body_len;
  f->records = body + kBatchHeaderSize;
  f->records_end = body + body_len;
}

}  // namespace format
}  // namespace evlog
