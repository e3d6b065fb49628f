// evlog/types.h: the value types -- offsets, partition ids, topic-partitions.
//
// An `Offset` is the position of a record in its partition's log: 64-bit,
// contiguous from 0 within a partition (compaction may leave gaps, never
// reorders). A `PartitionId` numbers the partitions of a topic from 0. Both
// are distinct types so that one cannot be passed for the other. A
// `TopicPartition` names one partition of one topic.
//
// Thread safety: plain values.

#ifndef EVLOG_TYPES_H_
#define EVLOG_TYPES_H_

#include <compare>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

namespace evlog {

// A thin wrapper that keeps integers of different meanings apart.
template <typename Tag, typename T>
class StrongInt {
 public:
  using ValueType = T;
  constexpr StrongInt() = default;
  constexpr explicit StrongInt(T v) : v_(v) {}
  constexpr T value() const { return v_; }
  constexpr auto operator<=>(const StrongInt&) const = default;

  template <typename H>
  friend H AbslHashValue(H h, StrongInt s) {
    return H::combine(std::move(h), s.v_);
  }

 private:
  T v_ = 0;
};

struct OffsetTag {};
struct PartitionIdTag {};

// Position of a record in a partition. Offset arithmetic: `offset + n`
// moves forward n records, `a - b` is the distance in records.
using Offset = StrongInt<OffsetTag, int64_t>;
using PartitionId = StrongInt<PartitionIdTag, int32_t>;

constexpr Offset operator+(Offset o, int64_t n) {
  return Offset(o.value() + n);
}
constexpr Offset operator-(Offset o, int64_t n) {
  return Offset(o.value() - n);
}
constexpr int64_t operator-(Offset a, Offset b) {
  return a.value() - b.value();
}

// One partition of one topic. Ordered by topic, then partition.
struct TopicPartition {
  std::string topic{};
  PartitionId partition{};

  friend auto operator<=>(const TopicPartition&,
                          const TopicPartition&) = default;
  friend bool operator==(const TopicPartition&,
                         const TopicPartition&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const TopicPartition& tp) {
    return H::combine(std::move(h), tp.topic, tp.partition);
  }
};

// "topic-3", for messages.
inline std::string ToString(const TopicPartition& tp) {
  return tp.topic + "-" + std::to_string(tp.partition.value());
}

}  // namespace evlog

template <typename Tag, typename T>
struct std::hash<evlog::StrongInt<Tag, T>> {
  size_t operator()(evlog::StrongInt<Tag, T> s) const noexcept {
    return std::hash<T>()(s.value());
  }
};

#endif  // EVLOG_TYPES_H_
