// store/store_meta.h: the store's metadata file, META.
//
// META lists the topics: for each, its id, name, partition count and full
// config. It is replaced atomically (storage/durable_file.h) on every topic
// create, delete and partition increase, so after a crash it is the old or
// the new state. Topic directories not listed in it are orphans of an
// interrupted operation and are removed at open. Text, one item per line,
// so that it can be read with `cat` (grammar in docs/FORMAT.md):
//
//   evlog-store 2
//   next_topic_id 3
//   topic 1 orders 3 segment_bytes=67108864 segment_ms=... (every field)
//   checksum 0123456789abcdef          <- XXH3-64 of every byte before it

#ifndef EVLOG_STORE_STORE_META_H_
#define EVLOG_STORE_STORE_META_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "evlog/options.h"

namespace evlog {

inline constexpr char kStoreMetaFile[] = "META";
inline constexpr char kStoreMetaMagic[] = "evlog-store";
// 2 since evlog 0.2 (format v2: writer epochs, compression). A META of
// another version is refused with kFailedPrecondition.
inline constexpr int kStoreMetaVersion = 2;

struct TopicMeta {
  uint64_t id = 0;
  std::string name;
  int32_t partitions = 0;
  TopicConfig config;
};

struct StoreMeta {
  uint64_t next_topic_id = 1;
  std::vector<TopicMeta> topics;
};

std::string EncodeStoreMeta(const StoreMeta& meta);

// kDataLoss when the text is not a valid META (bad checksum, bad line), with
// the line number; kFailedPrecondition for a META of another format version.
absl::StatusOr<StoreMeta> DecodeStoreMeta(const std::string& text);

// Directory name of a topic under <store>/topics: "<name>.<id>". Ids are
// never reused, so a re-created topic never meets its predecessor's files.
std::string TopicDirName(const TopicMeta& topic);

}  // namespace evlog

#endif  // EVLOG_STORE_STORE_META_H_
