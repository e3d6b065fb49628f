// format/format.h: the constants of evlog's binary on-disk files: segment,
// frame, batch, record, index and epoch files, and their file names.
// (META, a text file, has its grammar in store/store_meta.h and FORMAT.md;
// a group's offsets file in group/offsets_file.h.)
//
// Everything in this file is part of the PERSISTENT FORMAT (version 2)
// specified in docs/FORMAT.md; changing any value breaks existing stores. The
// golden-bytes test (tests/format/golden_test.cc) pins these values and the
// layout.
//
// All integers are little-endian; all checksums are XXH3-64 (seed 0).

#ifndef EVLOG_FORMAT_FORMAT_H_
#define EVLOG_FORMAT_FORMAT_H_

#include <bit>
#include <cstddef>
#include <cstdint>

namespace evlog::format {

static_assert(std::endian::native == std::endian::little,
              "evlog's format code assumes a little-endian host");

// ---- Segment file: <base offset, 20 digits>.log ---------------------------
// [segment header: kSegmentHeaderSize bytes][frame]*[zeros to end of file]
inline constexpr char kSegmentMagic[8] = {'E', 'V', 'L', 'O',
                                          'G', 'S', 'E', 'G'};
// Version 2 since evlog 0.2 (writer epochs, compression, transaction fields).
// Version 1 segments are refused with kFailedPrecondition (FORMAT.md,
// "Versioning policy").
inline constexpr uint32_t kSegmentFormatVersion = 2;
inline constexpr size_t kSegmentHeaderSize = 64;
// Byte positions inside the segment header.
inline constexpr size_t kSegHdrMagic = 0;        // char[8]
inline constexpr size_t kSegHdrVersion = 8;      // u32
inline constexpr size_t kSegHdrHeaderSize = 12;  // u32, = 64
inline constexpr size_t kSegHdrBaseOffset = 16;  // i64
inline constexpr size_t kSegHdrCreatedMs = 24;   // i64
inline constexpr size_t kSegHdrFileBytes = 32;   // u64, file size at creation
// bytes 40..55 reserved, zero
inline constexpr size_t kSegHdrChecksum = 56;  // u64, XXH3 of bytes 0..55

// ---- Frame: one appended batch ---------------------------------------------
// [u32 body_length][u64 checksum = XXH3(body)][body: body_length bytes]
// A body_length of 0 marks the end of the data (preallocated zeros).
inline constexpr size_t kFrameLengthSize = 4;
inline constexpr size_t kFrameChecksumSize = 8;
inline constexpr size_t kFrameHeaderSize =
    kFrameLengthSize + kFrameChecksumSize;

// Batch header at the start of a frame body.
inline constexpr size_t kBatchBaseOffset = 0;        // i64
inline constexpr size_t kBatchRecordCount = 8;       // u32, >= 1
inline constexpr size_t kBatchLastOffsetDelta = 12;  // u32, >= count - 1
inline constexpr size_t kBatchFirstTimestamp = 16;   // i64
inline constexpr size_t kBatchMaxTimestamp = 24;     // i64
inline constexpr size_t kBatchAttributes = 32;       // u16
inline constexpr size_t kBatchReserved = 34;         // u16, zero
inline constexpr size_t kBatchWriterEpoch = 36;      // u32, >= 1
inline constexpr size_t kBatchProducerId = 40;       // i64, -1 = none
inline constexpr size_t kBatchProducerEpoch = 48;    // i32, -1 = none
inline constexpr size_t kBatchRecordsBytes = 52;     // u32, uncompressed size
inline constexpr size_t kBatchHeaderSize = 56;
// Attribute bits.
inline constexpr uint16_t kAttrLogAppendTime = 1u << 0;
// Bits 1-2: the codec of the records section (Codec below).
inline constexpr uint16_t kAttrCodecShift = 1;
inline constexpr uint16_t kAttrCodecMask = 3u << kAttrCodecShift;
// The batch belongs to a transaction (producer id and epoch are set).
inline constexpr uint16_t kAttrTransactional = 1u << 3;
// A control batch: one transaction marker record (commit or abort).
inline constexpr uint16_t kAttrControl = 1u << 4;
inline constexpr uint16_t kAttrKnownMask =
    kAttrLogAppendTime | kAttrCodecMask | kAttrTransactional | kAttrControl;
// Codec values (attribute bits 1-2). 3 is invalid.
inline constexpr uint16_t kCodecNone = 0;
inline constexpr uint16_t kCodecLz4 = 1;
inline constexpr uint16_t kCodecZstd = 2;
// Largest uncompressed records section of a compressed batch accepted by the
// reader (it bounds the buffer a corrupt size field could ask for).
inline constexpr uint32_t kMaxRecordsBytes = 1u << 30;
// Control record key: u16 version (0), u16 type.
inline constexpr size_t kControlKeySize = 4;
inline constexpr uint16_t kControlAbort = 0;
inline constexpr uint16_t kControlCommit = 1;

// Record inside a batch body:
//   u32 record_length (bytes after this field)
//   u32 offset_delta (offset - batch base offset)
//   i64 timestamp_ms
//   i32 key_length (-1: no key)      key bytes
//   i32 value_length (-1: tombstone) value bytes
//   u32 header_count
//   per header: i32 key_length (>= 0) key bytes, i32 value_length (-1: null)
//               value bytes
inline constexpr size_t kRecordFixedSize = 4 + 4 + 8 + 4 + 4 + 4;
inline constexpr int32_t kNullLength = -1;

// ---- Index file: <base offset, 20 digits>.index ----------------------------
// Derived data, rebuilt from the segment on any doubt (see FORMAT.md):
// [header: kIndexHeaderSize][entry: kIndexEntrySize]*[u64 XXH3 of all before]
inline constexpr char kIndexMagic[8] = {'E', 'V', 'L', 'O', 'G', 'I', 'D', 'X'};
// Version 2 (format v2): the flags field at 48.
inline constexpr uint32_t kIndexFormatVersion = 2;
inline constexpr size_t kIdxMagic = 0;          // char[8]
inline constexpr size_t kIdxVersion = 8;        // u32
inline constexpr size_t kIdxEntryCount = 12;    // u32
inline constexpr size_t kIdxBaseOffset = 16;    // i64
inline constexpr size_t kIdxNextOffset = 24;    // i64
inline constexpr size_t kIdxEndPosition = 32;   // u64
inline constexpr size_t kIdxMaxTimestamp = 40;  // i64
inline constexpr size_t kIdxFlags = 48;         // u32, kIndexFlag*
// bytes 52..55 reserved, zero
// The segment was sealed: the file describes all of it. Without the flag it
// is a checkpoint of the active segment, describing a synced prefix.
inline constexpr uint32_t kIndexFlagSealed = 1u << 0;
inline constexpr size_t kIndexHeaderSize = 56;
// Entry: u32 relative_offset, u32 position, i64 running max timestamp.
inline constexpr size_t kIndexEntrySize = 16;
inline constexpr size_t kIndexChecksumSize = 8;

// ---- Epoch file: <dir>/EPOCH ---------------------------------------------
// [magic: 8][u32 version = 1][u32 epoch][u64 XXH3 of bytes 0..15]
// The writer epoch: bumped durably at every writable open, before any frame
// of the new epoch is written (FORMAT.md, "Writer epochs").
inline constexpr char kEpochMagic[8] = {'E', 'V', 'L', 'O', 'G', 'E', 'P', 'O'};
inline constexpr uint32_t kEpochFileVersion = 1;
inline constexpr size_t kEpochFileSize = 24;
inline constexpr char kEpochFileName[] = "EPOCH";

// File name suffixes.
inline constexpr char kSegmentSuffix[] = ".log";
inline constexpr char kIndexSuffix[] = ".index";
// A compacted segment being built (<base>.log.cleaned); garbage after a crash.
inline constexpr char kCleanedSuffix[] = ".cleaned";
inline constexpr int kFileNameDigits = 20;

}  // namespace evlog::format

#endif  // EVLOG_FORMAT_FORMAT_H_
