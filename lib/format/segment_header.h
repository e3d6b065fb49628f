// format/segment_header.h: the 64-byte header at the start of every segment
// file (layout in docs/FORMAT.md, constants in format/format.h).

#ifndef EVLOG_FORMAT_SEGMENT_HEADER_H_
#define EVLOG_FORMAT_SEGMENT_HEADER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "evlog/types.h"

namespace evlog::format {

struct SegmentHeader {
  Offset base_offset;
  int64_t created_ms = 0;
  uint64_t file_bytes = 0;
};

// Writes the header into dst[0, kSegmentHeaderSize).
void EncodeSegmentHeader(const SegmentHeader& header, char* dst);

// Decodes and validates the header at data[0, size). kDataLoss when the
// magic, checksum or values are wrong (the message says which);
// kFailedPrecondition for a valid header of another format version.
absl::StatusOr<SegmentHeader> DecodeSegmentHeader(const char* data,
                                                  size_t size);

// "00000000000000000042.log" for base offset 42 (with the given suffix).
std::string SegmentFileName(Offset base, const char* suffix);

// Parses a file name made by SegmentFileName; false if it is not one.
bool ParseSegmentFileName(const std::string& name, const char* suffix,
                          Offset* base);

}  // namespace evlog::format

#endif  // EVLOG_FORMAT_SEGMENT_HEADER_H_
