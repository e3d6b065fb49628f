// What campaign 1's parent (process_crash_test.cc) and its child
// (crash_child.cc) agree on: the store layout they use and the
// acknowledgement message sent through the pipe.

#ifndef EVLOG_TESTS_RELIABILITY_CRASH_PROTOCOL_H_
#define EVLOG_TESTS_RELIABILITY_CRASH_PROTOCOL_H_

#include <array>
#include <cstdint>
#include <string>

#include "evlog/options.h"
#include "evlog/store.h"

namespace evlog::reliability {

// One topic per durability mode, in this order.
inline const std::array<std::string, 3> kCrashTopics = {"none", "interval",
                                                        "every"};
inline constexpr int kCrashPartitions = 3;
inline constexpr char kCrashGroup[] = "g";

inline TopicConfig CrashTopicConfig(int topic) {
  TopicConfig c;
  c.segment_bytes = 32 << 10;  // rolls every ~150 records
  c.max_record_bytes = 4096;
  c.index_interval_bytes = 1024;
  c.durability = topic == 0   ? Durability::kNone
                 : topic == 1 ? Durability::kInterval
                              : Durability::kEveryAppend;
  c.flush_messages = 40;
  c.flush_ms = 5;
  return c;
}

inline StoreOptions CrashStoreOptions() {
  StoreOptions o;
  // A busy maintenance thread: interval syncs and spare segments race with
  // the appends, so kills land inside them too.
  o.maintenance_interval_ms = 3;
  return o;
}

// Record ids: run (31 bits) | producer thread (8 bits) | sequence (24 bits).
inline uint64_t CrashUid(uint64_t run, int thread, uint64_t seq) {
  return (run << 32) | (static_cast<uint64_t>(thread) << 24) | (seq & 0xffffff);
}

// One acknowledgement, written with a single write(2) (< PIPE_BUF bytes).
struct Ack {
  enum Kind : uint8_t {
    kRecord = 1,       // Send/SendBatch returned: record `uid` is at `offset`
    kCommit = 2,       // CommitSync returned: committed offset is `offset`
    kCorruptSeen = 3,  // the child's consumer got a record that does not check
    kReady = 4,        // the store is open and its topics exist
  };
  uint32_t magic = 0x45564b41;  // "AKVE"
  uint8_t kind = 0;
  uint8_t topic = 0;  // index into kCrashTopics
  uint16_t partition = 0;
  int64_t offset = 0;
  uint64_t uid = 0;
  uint64_t reserved = 0;
};
static_assert(sizeof(Ack) == 32);

}  // namespace evlog::reliability

#endif  // EVLOG_TESTS_RELIABILITY_CRASH_PROTOCOL_H_
