// Fuzz target: compressed frames (format v2, codecs lz4 and zstd). The input
// is a compressed payload: byte 0 picks the codec (bit 0: lz4 or zstd) and
// how records_bytes is chosen (bits 1-7: 0 = the u32 in bytes 1..4, else
// that many times record_count * 28); bytes 5..6 are the record count (u16,
// 0 = 1); the rest is the payload. Timestamps in the header are 0 (seeds
// use 0), retried once with the first record's. It is wrapped
// in a valid batch header and checksum so that the fuzzer works on the
// decompressor and the record checks behind it, not on the checksum.
// ParseFrame + DecodeRecords must never crash or read outside the frame; an
// accepted frame must iterate to exactly record_count records whose views
// lie in the decompressed buffer. Seeds: fuzz/corpus/compressed_frame_fuzz
// (real lz4 and zstd payloads, fuzz/make_seed_corpus.cc).

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "evlog/record.h"
#include "format/batch_codec.h"
#include "format/coding.h"
#include "format/format.h"
#include "frame_check.h"

namespace {

using namespace evlog;

// Reads the record count the seed encoded after records_bytes (bytes 5..6),
// 1 when absent.
uint32_t RecordCount(const uint8_t* data, size_t size) {
  if (size < 7) return 1;
  uint32_t n = data[5] | (uint32_t{data[6]} << 8);
  return n == 0 ? 1 : n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 7 || size > (1 << 20)) return 0;
  const uint16_t codec = (data[0] & 1) ? format::kCodecZstd : format::kCodecLz4;
  const uint32_t count = RecordCount(data, size);
  uint32_t records_bytes = 0;
  std::memcpy(&records_bytes, data + 1, 4);
  if ((data[0] >> 1) != 0)
    records_bytes = count * format::kRecordFixedSize * (data[0] >> 1);
  // Keep allocations small: a fuzzer-chosen size may be up to 2^30.
  if (records_bytes > (16u << 20)) records_bytes %= (16u << 20);
  const size_t payload = size - 7;
  const size_t frame_size =
      format::kFrameHeaderSize + format::kBatchHeaderSize + payload;
  char* frame = static_cast<char*>(std::malloc(frame_size));
  char* body = frame + format::kFrameHeaderSize;
  std::memset(body, 0, format::kBatchHeaderSize);
  format::Store<uint32_t>(
      frame, static_cast<uint32_t>(frame_size - format::kFrameHeaderSize));
  format::Store<int64_t>(body + format::kBatchBaseOffset, 0);
  format::Store<uint32_t>(body + format::kBatchRecordCount, count);
  format::Store<uint32_t>(body + format::kBatchLastOffsetDelta, count - 1);
  format::Store<uint16_t>(
      body + format::kBatchAttributes,
      static_cast<uint16_t>(codec << format::kAttrCodecShift));
  format::Store<uint32_t>(body + format::kBatchWriterEpoch, 1);
  format::Store<int64_t>(body + format::kBatchProducerId, -1);
  format::Store<int32_t>(body + format::kBatchProducerEpoch, -1);
  format::Store<uint32_t>(body + format::kBatchRecordsBytes, records_bytes);
  std::memcpy(body + format::kBatchHeaderSize, data + 7, payload);
  // The timestamps are unknown: take them from the decompressed records when
  // a first decode gets that far, so that the record checks are reached.
  for (int attempt = 0; attempt < 2; ++attempt) {
    format::Store<uint64_t>(
        frame + format::kFrameLengthSize,
        format::Checksum(body, frame_size - format::kFrameHeaderSize));
    format::FrameInfo info;
    std::string why;
    format::FrameStatus st = format::ParseFrame(frame, frame_size, &info, &why);
    if (st != format::FrameStatus::kOk) break;
    if (info.records != nullptr) std::abort();  // compressed: records left null
    std::string buffer;
    st = format::DecodeRecords(&info, &buffer, &why);
    if (st != format::FrameStatus::kOk) {
      if (buffer.size() != records_bytes) std::abort();
      if (attempt > 0 || buffer.size() < format::kRecordFixedSize) break;
      // Retry with the first record's timestamp as the first and the max
      // (right when no later record has a larger one).
      int64_t first = format::Load<int64_t>(buffer.data() + 8);
      format::Store<int64_t>(body + format::kBatchFirstTimestamp, first);
      format::Store<int64_t>(body + format::kBatchMaxTimestamp, first);
      continue;
    }
    if (info.records != buffer.data() || buffer.size() != info.records_bytes)
      std::abort();
    fuzz::CheckAcceptedRecords(info);
    break;
  }
  std::free(frame);
  return 0;
}
