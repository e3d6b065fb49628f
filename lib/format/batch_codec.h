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
#include "format/format.h"

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

// Bytes of the records section (all records back to back, uncompressed).
size_t EncodedRecordsSize(std::span<const Record> records);

// Bytes of the whole frame, uncompressed (frame header + batch header +
// records).
size_t EncodedFrameSize(std::span<const Record> records);

// How a batch is written: the fields of the batch header that do not come
// from the records (FORMAT.md, section 4).
struct FrameOptions {
  // The writer's epoch (>= 1): the log's incarnation, bumped at every
  // writable open (FORMAT.md, "Writer epochs").
  uint32_t writer_epoch = 1;
  // Every record gets the append time (kAttrLogAppendTime).
  bool log_append_time = false;
  // kCodecNone, kCodecLz4 or kCodecZstd. A batch that does not shrink is
  // stored uncompressed whatever this says.
  uint16_t codec = kCodecNone;
  // zstd only: the level (0 = zstd's default).
  int compression_level = 0;
  // Transactions: the producer's id and epoch (-1: not transactional) and
  // whether this is a control batch (a commit or abort marker).
  int64_t producer_id = -1;
  int32_t producer_epoch = -1;
  bool control = false;
};

// The options that reproduce `frame`'s batch header fields (epoch,
// timestamp type, codec, transaction fields): what a rewrite of some of its
// records (compaction) encodes with.
FrameOptions FrameOptionsOf(const struct FrameInfo& frame);

// Largest frame EncodeFrame may write for `records_bytes` bytes of records
// with `codec` (compression may need more than the input in the worst case,
// although the encoder then stores the batch uncompressed).
size_t MaxFrameSize(size_t records_bytes, uint16_t codec);

// What the encoder decided about timestamps, offsets and compression.
struct EncodedFrame {
  size_t size = 0;              // bytes written
  int64_t first_timestamp = 0;  // of the first record
  int64_t max_timestamp = 0;    // largest record timestamp
  uint16_t codec = 0;           // the codec actually used
  size_t records_bytes = 0;     // uncompressed size of the records section
};

// Writes the frame for `records` (non-empty) to `dst`, which must have room
// for MaxFrameSize(EncodedRecordsSize(records), options.codec) bytes.
// Records get offsets base, base+1, ... Records whose timestamp is
// kNoTimestamp get `now_ms`; with `log_append_time` every record gets
// `now_ms`.
EncodedFrame EncodeFrame(std::span<const Record> records, Offset base,
                         int64_t now_ms, const FrameOptions& options,
                         char* dst);

// Like EncodeFrame for records that already carry offsets and timestamps
// (compaction rewrites): record i gets offset `offsets[i]` and keeps its
// timestamp. Offsets must be strictly increasing. `options.log_append_time`
// only sets the attribute bit.
EncodedFrame EncodeFrameWithOffsets(std::span<const Record> records,
                                    std::span<const Offset> offsets,
                                    const FrameOptions& options, char* dst);

// A validated frame. For a compressed frame, ParseFrame validates the frame
// header, batch header and checksum, and leaves `records` null: the records
// are reached through DecodeRecords, which decompresses and validates them.
struct FrameInfo {
  Offset base_offset;
  uint32_t record_count = 0;
  uint32_t last_offset_delta = 0;
  int64_t first_timestamp = 0;
  int64_t max_timestamp = 0;
  uint16_t attributes = 0;
  uint32_t writer_epoch = 0;
  int64_t producer_id = -1;
  int32_t producer_epoch = -1;
  uint32_t records_bytes = 0;     // uncompressed size of the records
  size_t frame_size = 0;          // header + body, the distance to the next
  const char* payload = nullptr;  // stored records section (maybe compressed)
  const char* payload_end = nullptr;
  const char* records = nullptr;  // first record's length prefix, or null
  const char* records_end = nullptr;

  Offset last_offset() const { return base_offset + last_offset_delta; }
  Offset next_offset() const { return last_offset() + 1; }
  uint16_t codec() const {
    return (attributes & kAttrCodecMask) >> kAttrCodecShift;
  }
  bool compressed() const { return codec() != kCodecNone; }
  bool transactional() const { return attributes & kAttrTransactional; }
  bool control() const { return attributes & kAttrControl; }
};

enum class FrameStatus {
  kOk,         // `*info` describes a valid frame
  kEnd,        // a zero length field: no more frames (preallocated space)
  kTruncated,  // the frame claims more bytes than are available
  kCorrupt,    // bad checksum or bad structure; `*why` says what
};

// Parses and validates the frame at data[0, available): every check of
// FORMAT.md section 6, and for an uncompressed frame the structure of every
// record. Never reads outside that range, whatever the bytes are.
FrameStatus ParseFrame(const char* data, size_t available, FrameInfo* info,
                       std::string* why);

// Makes the records of a frame ParseFrame accepted iterable. Uncompressed:
// nothing to do (returns kOk). Compressed: decompresses the payload into
// `*buffer` (resized to records_bytes), validates every record there and
// points info->records into it; kCorrupt (with `*why`) if the payload does
// not decompress to exactly records_bytes bytes of valid records. The views
// of the records then live as long as `*buffer` is neither destroyed nor
// modified.
FrameStatus DecodeRecords(FrameInfo* info, std::string* buffer,
                          std::string* why);

// Reads the header of a frame that is known valid (validated before by
// ParseFrame, or written by this process) without checking it again. For a
// compressed frame, `records` stays null (DecodeRecords still has to run;
// it validates what it decompresses).
void ParseTrustedFrame(const char* data, FrameInfo* info);

// Iterates over the records of a validated frame. Unchecked: only use on a
// FrameInfo whose records ParseFrame (uncompressed) or DecodeRecords
// validated.
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
