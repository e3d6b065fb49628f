#include "topic/topic_name.h"

#include <catch2/catch.hpp>

#include "topic/topic_config_codec.h"

namespace evlog {
namespace {

TEST_CASE("topic names follow Kafka's rule", "[topic]") {
  for (std::string ok :
       {std::string("a"), std::string("orders"), std::string("Orders.v2"),
        std::string("a-b_c.d"), std::string("..."), std::string("..a"),
        std::string(249, 'x')}) {
    INFO(ok);
    CHECK(ValidateTopicName(ok).ok());
  }
  for (std::string bad :
       {std::string(), std::string("."), std::string(".."), std::string("a/b"),
        std::string("/abs"), std::string("../up"), std::string("a\\b"),
        std::string("a b"), std::string("a\0b", 3), std::string("é"),
        std::string(250, 'x'), std::string("a:b")}) {
    INFO(bad);
    CHECK(absl::IsInvalidArgument(ValidateTopicName(bad)));
  }
}

TEST_CASE("topic config text round-trips and names the bad field", "[topic]") {
  TopicConfig c;
  c.segment_bytes = 1 << 20;
  c.cleanup_policy = CleanupPolicy::kCompactAndDelete;
  c.durability = Durability::kEveryAppend;
  c.timestamp_type = TimestampType::kLogAppendTime;
  c.min_cleanable_dirty_ratio = 0.25;
  c.retention_bytes = 12345;
  TopicConfig back;
  for (const auto& [k, v] : TopicConfigToPairs(c)) {
    REQUIRE(SetTopicConfigField(&back, k, v).ok());
  }
  CHECK(TopicConfigToPairs(back) == TopicConfigToPairs(c));

  TopicConfig kafka;
  CHECK(ApplyTopicConfigAssignment(&kafka, "segment.bytes=8192").ok());
  CHECK(ApplyTopicConfigAssignment(&kafka, "cleanup.policy=compact").ok());
  CHECK(
      ApplyTopicConfigAssignment(&kafka, "message.timestamp.type=LogAppendTime")
          .ok());
  CHECK(kafka.segment_bytes == 8192);
  CHECK(kafka.cleanup_policy == CleanupPolicy::kCompact);
  CHECK(kafka.timestamp_type == TimestampType::kLogAppendTime);

  auto unknown = ApplyTopicConfigAssignment(&kafka, "colour=blue");
  CHECK(absl::IsInvalidArgument(unknown));
  CHECK(unknown.message().find("colour") != absl::string_view::npos);
  auto bad_value = ApplyTopicConfigAssignment(&kafka, "segment_bytes=-4");
  CHECK(absl::IsInvalidArgument(bad_value));
  CHECK(bad_value.message().find("segment_bytes") != absl::string_view::npos);
  CHECK(
      absl::IsInvalidArgument(ApplyTopicConfigAssignment(&kafka, "noequals")));
  CHECK(absl::IsInvalidArgument(
      ApplyTopicConfigAssignment(&kafka, "durability=maybe")));

  TopicConfig invalid;
  invalid.segment_bytes = 100;
  auto v = invalid.Validate();
  CHECK(absl::IsInvalidArgument(v));
  CHECK(v.message().find("segment_bytes") != absl::string_view::npos);
  invalid = TopicConfig();
  invalid.min_cleanable_dirty_ratio = 0;
  CHECK(invalid.Validate().message().find("min_cleanable_dirty_ratio") !=
        absl::string_view::npos);
}

}  // namespace
}  // namespace evlog
