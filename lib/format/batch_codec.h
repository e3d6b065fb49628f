// format/batch_codec.h: encoding and decoding of frames (one appended batch).
//
// The layout is specified in docs/FORMAT.md and its constants live in
// format/format.h. The encoder writes straight into the destination (the
// memory-mapped segment); the decoder validates a frame completely -- length,
// checksum and the structure of every record -- before any record of it is
// handed out, so a corrupt frame is never partially returned.
//
// Thread safety: stateless functions; a FrameInfo is a plain value.

#ifndef EVLOG_FORMAT_BATCH_CODEC_H_
#define EVLOG_FORMAT_BATCH_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "evlog/record.h"
#include "evlog/types.h"
#include "format/coding.h"

namespace evlog {

// Fills RecordView's private fields; the only writer of them.
class RecordViewBuilder {
 public:
  static void Set(RecordView* v, Offset offset, int64_t ts,
                  std::optional<std::string_view> key,
                  std::optional<std::string_view> value, const char* hbegin,
                  const char* hend, uint32_t hcount) {
    v->offset_ = offset;
    v->timestamp_ms_ = ts;
    v->key_ = key;
    v->value_ = value;
    v->headers_begin_ = hbegin;
    v->headers_end_ = hend;
    v->header_count_ = hcount;
  }
  static const char* HeadersBegin(const RecordView& v) {
    return v.headers_begin_;
  }
};

}  // namespace evlog

namespace evlog::format {

// Bytes one record takes inside a batch body, including its length prefix.
size_t EncodedRecordSize(const Record& record);

// Bytes of the whole frame (frame header + batch header + records).
size_t EncodedFrameSize(std::span<const Record> records);

// What the encoder decided about timestamps and offsets.
struct EncodedFrame {
  size_t size = 0;              // bytes written
  int64_t first_timestamp = 0;  // of the first record
  int64_t max_timestamp = 0;    // largest record timestamp
};

// Writes the frame for `records` (non-empty) to `dst`, which must have room
// for EncodedFrameSize(records) bytes. Records get offsets base, base+1, ...
// Records whose timestamp is kNoTimestamp get `now_ms`; with
// `log_append_time` every record gets `now_ms`.
EncodedFrame EncodeFrame(std::span<const Record> records, Offset base,
                         int64_t now_ms, bool log_append_time, char* dst);

// Like EncodeFrame for records that already carry offsets and timestamps
// (compaction rewrites): record i gets offset `offsets[i]` and keeps its
// timestamp. Offsets must be strictly increasing.
EncodedFrame EncodeFrameWithOffsets(std::span<const Record> records,
                                    std::span<const Offset> offsets,
                                    uint16_t attributes, char* dst);

// A validated frame.
struct FrameInfo {
  Offset base_offset;
  uint32_t record_count = 0;
  uint32_t last_offset_delta = 0;
  int64_t first_timestamp = 0;
  int64_t max_timestamp = 0;
  uint16_t attributes = 0;
  size_t frame_size = 0;          // header + body, the distance to the next
  const char* records = nullptr;  // first record's length prefix
  const char* records_end = nullptr;

  Offset last_offset() const { return base_offset + last_offset_delta; }
  Offset next_offset() const { return last_offset() + 1; }
};

enum class FrameStatus {
  kOk,         // `*info` describes a valid frame
  kEnd,        // a zero length field: no more frames (preallocated space)
  kTruncated,  // the frame claims more bytes than are available
  kCorrupt,    // bad checksum or bad structure; `*why` says what
};

// Parses and fully validates the frame at data[0, available). Never reads
// outside that range, whatever the bytes are.
FrameStatus ParseFrame(const char* data, size_t available, FrameInfo* info,
                       std::string* why);

// Reads the header of a frame that is known valid (validated before by
// ParseFrame, or written by this process) without checking it again.
void ParseTrustedFrame(const char* data, FrameInfo* info);

// Iterates over the records of a validated frame. Unchecked: only use on a
// FrameInfo returned with kOk by ParseFrame.
class RecordIterator {
 public:
  explicit RecordIterator(const FrameInfo& frame)
      : pos_(frame.records),
        end_(frame.records_end),
        base_(frame.base_offset) {}
  bool Done() const { return pos_ >= end_; }
  // Decodes the current record into *out and advances. Inline: it is the
  // per-record step of every read and Poll.
  void Next(RecordView* out) {
    const char* p = pos_;
    const char* end = p + 4 + Load<uint32_t>(p);
    const Offset offset = base_ + Load<uint32_t>(p + 4);
    const int64_t ts = Load<int64_t>(p + 8);
    p += 16;
    std::optional<std::string_view> key = Field(&p);
    std::optional<std::string_view> value = Field(&p);
    const uint32_t hcount = Load<uint32_t>(p);
    RecordViewBuilder::Set(out, offset, ts, key, value, p + 4, end, hcount);
    pos_ = end;
  }
  // Offset of the current record without decoding the rest.
  Offset PeekOffset() const { return base_ + Load<uint32_t>(pos_ + 4); }

 private:
  // A length-prefixed field (negative length: absent); advances *p.
  static std::optional<std::string_view> Field(const char** p) {
    const int32_t len = Load<int32_t>(*p);
    *p += 4;
    if (len < 0) return std::nullopt;
    std::string_view f(*p, static_cast<size_t>(len));
    *p += len;
    return f;
  }

  const char* pos_;
  const char* end_;
  Offset base_;
};

}  // namespace evlog::format

#endif  // EVLOG_FORMAT_BATCH_CODEC_H_
