// group/offsets_file.h: a group's committed offsets file, OFFSETS.
//
// <store>/groups/<group>/OFFSETS holds every committed offset of the group.
// It is replaced atomically and durably (storage/durable_file.h: tmp, fsync,
// rename, fsync dir) at every commit, so after a crash it is the state of
// the last commit that returned OK (or of a later one in flight), never a
// torn or older one. Text, one item per line, readable with `cat`; the
// grammar (part of the persistent format, pinned by a golden test and
// documented in docs/CONSUMERS.md):
//
//   evlog-offsets 1
//   group billing
//   offset 1 orders 0 42        <- topic id, topic, partition, offset
//   offset 1 orders 1 17
//   checksum 0123456789abcdef    <- XXH3-64 of every byte before it, hex
//
// The topic id (store/store_meta.h) tells a re-created topic of the same
// name from its predecessor: offsets of a topic id that no longer exists are
// dropped when the group is loaded.

#ifndef EVLOG_GROUP_OFFSETS_FILE_H_
#define EVLOG_GROUP_OFFSETS_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace evlog {

// Part of the persistent format.
inline constexpr char kOffsetsFile[] = "OFFSETS";
inline constexpr char kOffsetsMagic[] = "evlog-offsets";
inline constexpr int kOffsetsVersion = 1;

struct CommittedOffsetEntry {
  uint64_t topic_id = 0;
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  friend bool operator==(const CommittedOffsetEntry&,
                         const CommittedOffsetEntry&) = default;
};

struct GroupOffsets {
  std::string group;
  std::vector<CommittedOffsetEntry> offsets;  // sorted by (topic, partition)
  friend bool operator==(const GroupOffsets&, const GroupOffsets&) = default;
};

std::string EncodeGroupOffsets(const GroupOffsets& offsets);

// kDataLoss (naming the line) when `text` is not a valid OFFSETS file.
absl::StatusOr<GroupOffsets> DecodeGroupOffsets(const std::string& text);

}  // namespace evlog

#endif  // EVLOG_GROUP_OFFSETS_FILE_H_
