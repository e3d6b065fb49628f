#include "format/segment_header.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "format/coding.h"
#include "format/format.h"

namespace evlog::format {

void EncodeSegmentHeader(const SegmentHeader& h, char* dst) {
  std::memset(dst, 0, kSegmentHeaderSize);
  std::memcpy(dst + kSegHdrMagic, kSegmentMagic, sizeof(kSegmentMagic));
  Store<uint32_t>(dst + kSegHdrVersion, kSegmentFormatVersion);
  Store<uint32_t>(dst + kSegHdrHeaderSize, kSegmentHeaderSize);
  Store<int64_t>(dst + kSegHdrBaseOffset, h.base_offset.value());
  Store<int64_t>(dst + kSegHdrCreatedMs, h.created_ms);
  Store<uint64_t>(dst + kSegHdrFileBytes, h.file_bytes);
  Store<uint64_t>(dst + kSegHdrChecksum, Checksum(dst, kSegHdrChecksum));
}

absl::StatusOr<SegmentHeader> DecodeSegmentHeader(const char* data,
                                                  size_t size) {
  if (size < kSegmentHeaderSize) {
    return absl::DataLossError(absl::StrFormat(
        "segment of %u bytes is shorter than its header", size));
  }
  if (std::memcmp(data + kSegHdrMagic, kSegmentMagic, sizeof(kSegmentMagic)) !=
      0) {
    return absl::DataLossError("segment header: bad magic");
  }
  if (Load<uint64_t>(data + kSegHdrChecksum) !=
      Checksum(data, kSegHdrChecksum)) {
    return absl::DataLossError("segment header: checksum mismatch");
  }
  uint32_t version = Load<uint32_t>(data + kSegHdrVersion);
  if (version != kSegmentFormatVersion) {
    // A valid header of another version: not corruption, but a store this
    // evlog cannot read (FORMAT.md, "Versioning policy").
    return absl::FailedPreconditionError(absl::StrFormat(
        "segment format version %u is not supported: this evlog reads and "
        "writes only version %u (there is no conversion; recreate the store "
        "or read it with the evlog that wrote it)",
        version, kSegmentFormatVersion));
  }
  SegmentHeader h;
  h.base_offset = Offset(Load<int64_t>(data + kSegHdrBaseOffset));
  h.created_ms = Load<int64_t>(data + kSegHdrCreatedMs);
  h.file_bytes = Load<uint64_t>(data + kSegHdrFileBytes);
  if (Load<uint32_t>(data + kSegHdrHeaderSize) != kSegmentHeaderSize ||
      h.base_offset.value() < 0 || h.file_bytes != size) {
    return absl::DataLossError(absl::StrFormat(
        "segment header: inconsistent values (base %d, recorded size %u, "
        "actual size %u)",
        h.base_offset.value(), h.file_bytes, size));
  }
  return h;
}

std::string SegmentFileName(Offset base, const char* suffix) {
  return absl::StrFormat("%020d%s", base.value(), suffix);
}

bool ParseSegmentFileName(const std::string& name, const char* suffix,
                          Offset* base) {
  size_t slen = std::strlen(suffix);
  if (name.size() != kFileNameDigits + slen ||
      name.compare(kFileNameDigits, slen, suffix) != 0) {
    return false;
  }
  for (int i = 0; i < kFileNameDigits; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  int64_t v;
  if (!absl::SimpleAtoi(name.substr(0, kFileNameDigits), &v) || v < 0)
    return false;
  *base = Offset(v);
  return true;
}

}  // namespace evlog::format
