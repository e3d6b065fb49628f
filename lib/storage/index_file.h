// storage/index_file.h: the persisted form of a segment's index.
//
// `<base>.index` is written when a segment is sealed (rolled; flag
// "sealed"), and for the active segment as a checkpoint every
// kIndexCheckpointBytes of synced data and at a clean close (no flag),
// always after the data it describes is synced. It
// records the segment's end position, next offset and max timestamp, so that
// opening a log does not scan sealed segments, plus the index entries. It is
// derived data: when missing, unreadable or inconsistent with its segment it
// is ignored and the segment is scanned instead. Layout in docs/FORMAT.md:
//
//   0  char[8] "EVLOGIDX"     8  u32 version (2)     12 u32 entry_count
//   16 i64 base_offset        24 i64 next_offset     32 u64 end_position
//   40 i64 max_timestamp      48 u32 flags (bit 0: sealed)  52 u32 reserved
//   56 entries: entry_count x {u32 relative_offset, u32 position, i64 max_ts}
//   then u64 XXH3 of every byte before it.

#ifndef EVLOG_STORAGE_INDEX_FILE_H_
#define EVLOG_STORAGE_INDEX_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "evlog/types.h"
#include "format/format.h"
#include "storage/segment_index.h"

namespace evlog {

inline constexpr size_t kIndexFileHeaderSize = format::kIndexHeaderSize;
inline constexpr size_t kIndexFileEntrySize = format::kIndexEntrySize;

struct IndexFileContents {
  Offset base_offset;
  Offset next_offset;
  uint64_t end_position = 0;
  int64_t max_timestamp = 0;
  // The whole segment (sealed) or a synced prefix of the active one.
  bool sealed = false;
  std::vector<IndexEntry> entries;
};

std::string EncodeIndexFile(const IndexFileContents& contents);

// kDataLoss when the bytes are not a valid index file.
absl::StatusOr<IndexFileContents> DecodeIndexFile(const std::string& bytes);

}  // namespace evlog

#endif  // EVLOG_STORAGE_INDEX_FILE_H_
