// Topic administration a Kafka user expects: AlterTopicConfig
// (incrementalAlterConfigs), DeleteRecords (deleteRecords), pattern
// subscriptions, Subscription() and PartitionsFor().

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "consumer/consumer_test_util.h"
#include "evlog/store.h"

namespace evlog {
namespace {

using testing::Drain;
using testing::GroupOptions;
using testing::StoreFixture;

TopicPartition TP(const std::string& t, int p) { return {t, PartitionId(p)}; }

bool Contains(const absl::Status& s, const std::string& text) {
  return std::string(s.message()).find(text) != std::string::npos;
}

TEST_CASE("AlterTopicConfig changes, validates and persists a topic's config",
          "[store][admin]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 2).ok());
  // Kafka's names and evlog's, applied in order.
  REQUIRE(f.store
              ->AlterTopicConfig("t", {{"retention.ms", "1000"},
                                       {"cleanup.policy", "compact,delete"},
                                       {"max_record_bytes", "2000"}})
              .ok());
  auto d = f.store->DescribeTopic("t");
  REQUIRE(d.ok());
  CHECK(d->config.retention_ms == 1000);
  CHECK(d->config.cleanup_policy == CleanupPolicy::kCompactAndDelete);
  CHECK(d->config.max_record_bytes == 2000);

  // Live: the partitions refuse what the new limit refuses.
  std::string big(3000, 'x');
  CHECK(absl::IsResourceExhausted(
      f.producer->Send("t", {.value = big}, {.partition = PartitionId(1)})
          .status()));

  // Errors name the key or field, and change nothing.
  absl::Status bad = f.store->AlterTopicConfig("t", {{"retention.ms", "soon"}});
  CHECK(absl::IsInvalidArgument(bad));
  CHECK(Contains(bad, "retention.ms"));
  absl::Status unknown = f.store->AlterTopicConfig("t", {{"colour", "blue"}});
  CHECK(absl::IsInvalidArgument(unknown));
  CHECK(Contains(unknown, "colour"));
  absl::Status invalid =
      f.store->AlterTopicConfig("t", {{"segment.bytes", "1"}});
  CHECK(absl::IsInvalidArgument(invalid));
  CHECK(Contains(invalid, "segment_bytes"));
  CHECK(absl::IsNotFound(f.store->AlterTopicConfig("nope", {})));
  CHECK(f.store->DescribeTopic("t")->config.retention_ms == 1000);

  // Survives a reopen and a power loss (META is replaced durably).
  f.CrashAndReopen();
  d = f.store->DescribeTopic("t");
  REQUIRE(d.ok());
  CHECK(d->config.retention_ms == 1000);
  CHECK(d->config.max_record_bytes == 2000);

  // No value: back to the store's default (Kafka's DELETE).
  REQUIRE(
      f.store->AlterTopicConfig("t", {{"retention.ms", std::nullopt}}).ok());
  CHECK(f.store->DescribeTopic("t")->config.retention_ms ==
        testing::MemStoreOptions(nullptr).default_topic_config.retention_ms);
}

TEST_CASE("AlterTopicConfig of segment.bytes applies from the next segment",
          "[store][admin]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 1).ok());
  f.Send("t", 0, 10);
  // Alone it is refused: the record limit (16 KiB) must fit in a segment.
  CHECK(absl::IsInvalidArgument(
      f.store->AlterTopicConfig("t", {{"segment.bytes", "8192"}})));
  REQUIRE(f.store
              ->AlterTopicConfig("t", {{"max.message.bytes", "1024"},
                                       {"segment.bytes", "8192"}})
              .ok());
  f.Send("t", 0, 2000, 10);  // enough to roll
  auto d = f.store->DescribeTopic("t");
  REQUIRE(d.ok());
  CHECK(d->partitions[0].segments > 2);
  CHECK(d->partitions[0].end_offset == Offset(2010));
}

TEST_CASE("DeleteRecords advances the log start; readers below it reset",
          "[store][admin]") {
  StoreFixture f;
  TopicConfig config = testing::MemStoreOptions(nullptr).default_topic_config;
  config.segment_bytes = 8192;
  config.max_record_bytes = 1024;
  REQUIRE(f.store->CreateTopic("t", 1, config).ok());
  f.Send("t", 0, 1000);
  auto before = f.store->DescribeTopic("t");
  REQUIRE(before.ok());
  REQUIRE(before->partitions[0].segments > 3);

  ConsumerOptions o;
  o.auto_offset_reset = AutoOffsetReset::kEarliest;
  auto reader = f.NewConsumer(o);
  REQUIRE(reader->Assign({TP("t", 0)}).ok());
  REQUIRE(reader->Seek(TP("t", 0), Offset(5)).ok());

  auto result = f.store->DeleteRecords({{TP("t", 0), Offset(600)}});
  REQUIRE(result.ok());
  REQUIRE(result->size() == 1);
  Offset start = (*result)[0].offset;
  // Segment granularity: the start is the base of the segment holding 600.
  CHECK(start > Offset(0));
  CHECK(start <= Offset(600));
  auto after = f.store->DescribeTopic("t");
  REQUIRE(after.ok());
  CHECK(after->partitions[0].start_offset == start);
  CHECK(after->partitions[0].segments < before->partitions[0].segments);

  // The reader at 5 is below the log start: auto_offset_reset (earliest).
  auto got = testing::PollOnce(*reader);
  REQUIRE(!got.empty());
  CHECK(got[0].offset == start.value());

  // Past the end, unknown topic, unknown partition: nothing is deleted.
  CHECK(absl::IsOutOfRange(
      f.store->DeleteRecords({{TP("t", 0), Offset(5000)}}).status()));
  CHECK(absl::IsNotFound(
      f.store->DeleteRecords({{TP("nope", 0), Offset(1)}}).status()));
  CHECK(absl::IsOutOfRange(
      f.store->DeleteRecords({{TP("t", 3), Offset(1)}}).status()));
  CHECK(f.store->DescribeTopic("t")->partitions[0].start_offset == start);
}

TEST_CASE("a pattern subscription picks up topics created later",
          "[store][admin][group]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("orders-eu", 1).ok());
  REQUIRE(f.store->CreateTopic("payments", 1).ok());
  f.Send("orders-eu", 0, 3);
  f.Send("payments", 0, 3);
  auto c = f.NewConsumer(GroupOptions("g"));
  REQUIRE(c->SubscribePattern("orders-.*").ok());
  CHECK(c->Subscription() == std::vector<std::string>{"orders-eu"});
  CHECK(Drain(*c).size() == 3);
  REQUIRE(c->CommitSync().ok());  // the rebalance below revokes orders-eu

  REQUIRE(f.store->CreateTopic("orders-us", 2).ok());
  f.Send("orders-us", 1, 4);
  auto got = Drain(*c);
  CHECK(got.size() == 4);
  for (const auto& g : got) CHECK(g.topic == "orders-us");
  CHECK(c->Subscription() ==
        std::vector<std::string>{"orders-eu", "orders-us"});
  CHECK(c->Assignment().size() == 3);

  // A deleted topic leaves the subscription; a whole-name match only.
  REQUIRE(f.store->DeleteTopic("orders-eu").ok());
  REQUIRE(f.store->CreateTopic("x-orders-1", 1).ok());
  Drain(*c);
  CHECK(c->Subscription() == std::vector<std::string>{"orders-us"});

  CHECK(absl::IsInvalidArgument(c->SubscribePattern("orders-(")));
  auto lone = f.NewConsumer(ConsumerOptions());
  CHECK(absl::IsInvalidArgument(lone->SubscribePattern(".*")));
  CHECK(lone->Subscription().empty());

  // Subscribe by name replaces the pattern.
  REQUIRE(c->Subscribe({"payments"}).ok());
  REQUIRE(f.store->CreateTopic("orders-asia", 1).ok());
  Drain(*c);
  CHECK(c->Subscription() == std::vector<std::string>{"payments"});
  REQUIRE(c->Close().ok());
}

TEST_CASE("PartitionsFor lists a topic's partitions", "[store][admin]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 3).ok());
  auto c = f.NewConsumer(ConsumerOptions());
  auto parts = c->PartitionsFor("t");
  REQUIRE(parts.ok());
  CHECK(*parts ==
        std::vector<TopicPartition>{TP("t", 0), TP("t", 1), TP("t", 2)});
  CHECK(absl::IsNotFound(c->PartitionsFor("nope").status()));
}

}  // namespace
}  // namespace evlog
