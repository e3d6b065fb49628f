#include "storage/index_file.h"

#include <cstring>

#include "absl/status/status.h"
#include "format/coding.h"
#include "format/format.h"

namespace evlog {

using format::Load;
using format::Store;

std::string EncodeIndexFile(const IndexFileContents& c) {
  std::string out(
      kIndexFileHeaderSize + c.entries.size() * kIndexFileEntrySize + 8, '\0');
  char* p = out.data();
  std::memcpy(p + format::kIdxMagic, format::kIndexMagic, 8);
  Store<uint32_t>(p + format::kIdxVersion, format::kIndexFormatVersion);
  Store<uint32_t>(p + format::kIdxEntryCount,
                  static_cast<uint32_t>(c.entries.size()));
  Store<int64_t>(p + format::kIdxBaseOffset, c.base_offset.value());
  Store<int64_t>(p + format::kIdxNextOffset, c.next_offset.value());
  Store<uint64_t>(p + format::kIdxEndPosition, c.end_position);
  Store<int64_t>(p + format::kIdxMaxTimestamp, c.max_timestamp);
  Store<uint32_t>(p + format::kIdxFlags,
                  c.sealed ? format::kIndexFlagSealed : 0);
  char* e = p + kIndexFileHeaderSize;
  for (const IndexEntry& entry : c.entries) {
    Store<uint32_t>(e, entry.relative_offset);
    Store<uint32_t>(e + 4, entry.position);
    Store<int64_t>(e + 8, entry.max_timestamp);
    e += kIndexFileEntrySize;
  }
  Store<uint64_t>(e, format::Checksum(p, e - p));
  return out;
}

absl::StatusOr<IndexFileContents> DecodeIndexFile(const std::string& bytes) {
  const char* p = bytes.data();
  if (bytes.size() < kIndexFileHeaderSize + 8 ||
      std::memcmp(p, format::kIndexMagic, 8) != 0) {
    return absl::DataLossError("index file: too short or bad magic");
  }
  uint32_t count = Load<uint32_t>(p + format::kIdxEntryCount);
  if (Load<uint32_t>(p + format::kIdxVersion) != format::kIndexFormatVersion ||
      bytes.size() !=
          kIndexFileHeaderSize + uint64_t{count} * kIndexFileEntrySize + 8) {
    return absl::DataLossError("index file: bad version or size");
  }
  size_t body = bytes.size() - 8;
  if (Load<uint64_t>(p + body) != format::Checksum(p, body)) {
    return absl::DataLossError("index file: checksum mismatch");
  }
  IndexFileContents c;
  c.base_offset = Offset(Load<int64_t>(p + format::kIdxBaseOffset));
  c.next_offset = Offset(Load<int64_t>(p + format::kIdxNextOffset));
  c.end_position = Load<uint64_t>(p + format::kIdxEndPosition);
  c.max_timestamp = Load<int64_t>(p + format::kIdxMaxTimestamp);
  const uint32_t flags = Load<uint32_t>(p + format::kIdxFlags);
  if ((flags & ~format::kIndexFlagSealed) != 0 || Load<uint32_t>(p + 52) != 0) {
    return absl::DataLossError("index file: unknown flags");
  }
  c.sealed = (flags & format::kIndexFlagSealed) != 0;
  c.entries.reserve(count);
  const char* e = p + kIndexFileHeaderSize;
  for (uint32_t i = 0; i < count; ++i, e += kIndexFileEntrySize) {
    c.entries.push_back(IndexEntry{Load<uint32_t>(e), Load<uint32_t>(e + 4),
                                   Load<int64_t>(e + 8)});
  }
  return c;
}

}  // namespace evlog
