// The conformance suite: the same cases on every backend (backends.h). What
// a backend cannot do is asserted to be kUnimplemented, never skipped.

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <thread>

#include "backends.h"
#include "evlog/producer.h"

namespace evlog::kafka_test {
namespace {

ConsumerOptions Earliest(const std::string& group = "") {
  ConsumerOptions o;
  o.group_id = group;
  o.auto_offset_reset = AutoOffsetReset::kEarliest;
  return o;
}

TEMPLATE_TEST_CASE("round trip of every record field", "[conformance]",
                   MemoryBackend, KafkaBackend) {
  TestType b;
  std::string topic = Unique("fields");
  REQUIRE(b.store->CreateTopic(topic, 1).ok());
  auto producer = b.store->NewProducer();
  REQUIRE(producer.ok());
  HeaderView headers[] = {{"h1", "v1"}, {"empty", ""}, {"null", std::nullopt}};
  REQUIRE((*producer)
              ->Send(topic, {.key = "k",
                             .value = "v",
                             .headers = headers,
                             .timestamp_ms = 1700000000123})
              .ok());
  REQUIRE((*producer)
              ->Send(topic, {.key = std::nullopt, .value = std::nullopt})
              .ok());
  REQUIRE((*producer)->Send(topic, {.key = "", .value = ""}).ok());
  auto consumer = b.store->NewConsumer(Earliest());
  REQUIRE(consumer.ok());
  REQUIRE((*consumer)->Assign({{topic, PartitionId(0)}}).ok());
  std::vector<Got> got = PollAtLeast(**consumer, 3);
  REQUIRE(got.size() == 3);
  CHECK(got[0].offset == 0);
  CHECK(got[0].key == "k");
  CHECK(got[0].value == "v");
  CHECK(got[0].timestamp_ms == 1700000000123);
  REQUIRE(got[0].headers.size() == 3);
  CHECK(got[0].headers[0] ==
        std::make_pair(std::string("h1"), std::optional<std::string>("v1")));
  CHECK(got[0].headers[1].second == std::optional<std::string>(""));
  CHECK(got[0].headers[2].second == std::nullopt);
  CHECK(got[1].offset == 1);
  CHECK(!got[1].key.has_value());
  CHECK(!got[1].value.has_value());  // tombstone
  CHECK(got[1].timestamp_ms > 0);
  CHECK(got[2].key == std::optional<std::string>(""));
  CHECK(got[2].value ==
        std::optional<std::string>(""));  // empty, not a tombstone
  CHECK(got[2].topic == topic);
}

TEMPLATE_TEST_CASE("the views of a PollResult outlive the consumer",
                   "[conformance]", MemoryBackend, KafkaBackend) {
  TestType b;
  std::string topic = Unique("views");
  REQUIRE(b.store->CreateTopic(topic, 1).ok());
  auto producer = b.store->NewProducer();
  REQUIRE((*producer)->Send(topic, {.key = "key", .value = "value"}).ok());
  PollResult kept;
  {
    auto consumer = b.store->NewConsumer(Earliest());
    REQUIRE((*consumer)->Assign({{topic, PartitionId(0)}}).ok());
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (kept.empty() && std::chrono::steady_clock::now() < end) {
      REQUIRE((*consumer)->Poll(std::chrono::milliseconds(200), &kept).ok());
    }
    REQUIRE(kept.size() == 1);
  }  // consumer closed and destroyed
  CHECK(*kept[0].record.value() == "value");
  CHECK(*kept[0].record.key() == "key");
  CHECK(kept[0].topic == topic);
}

TEMPLATE_TEST_CASE("keyed placement agrees across backends", "[conformance]",
                   MemoryBackend, KafkaBackend) {
  TestType b;
  std::string topic = Unique("keys");
  REQUIRE(b.store->CreateTopic(topic, 5).ok());
  for (KeyHash hash : {KeyHash::kXxh3, KeyHash::kMurmur2}) {
    ProducerOptions o;
    o.key_hash = hash;
    auto producer = b.store->NewProducer(o);
    REQUIRE(producer.ok());
    for (int i = 0; i < 20; ++i) {
      std::string key = "user-" + std::to_string(i);
      auto sent = (*producer)->Send(topic, {.key = key, .value = "x"});
      REQUIRE(sent.ok());
      CHECK(sent->partition == (hash == KeyHash::kXxh3
                                    ? PartitionForKey(key, 5)
                                    : KafkaPartitionForKey(key, 5)));
    }
  }
}

TEMPLATE_TEST_CASE("a batch lands in one partition, in order", "[conformance]",
                   MemoryBackend, KafkaBackend) {
  TestType b;
  std::string topic = Unique("batch");
  REQUIRE(b.store->CreateTopic(topic, 3).ok());
  auto producer = b.store->NewProducer();
  std::vector<std::string> values;
  for (int i = 0; i < 100; ++i) values.push_back("v" + std::to_string(i));
  std::vector<Record> records;
  for (const std::string& v : values)
    records.push_back({.key = "same", .value = v});
  auto sent = (*producer)->SendBatch(topic, records);
  REQUIRE(sent.ok());
  CHECK(sent->partition == PartitionForKey("same", 3));
  CHECK(sent->last_offset - sent->base_offset == 99);
  auto consumer = b.store->NewConsumer(Earliest());
  REQUIRE((*consumer)->Assign({{topic, sent->partition}}).ok());
  std::vector<Got> got = PollAtLeast(**consumer, 100);
  for (int i = 0; i < 100; ++i) {
    CHECK(got[i].value == values[i]);
    CHECK(got[i].offset == sent->base_offset.value() + i);
  }
  // Keys mapping to different partitions are refused on every backend.
  Record mixed[] = {{.key = "a", .value = "1"}, {.key = "b", .value = "2"}};
  if (PartitionForKey("a", 3) != PartitionForKey("b", 3)) {
    CHECK(
        absl::IsInvalidArgument((*producer)->SendBatch(topic, mixed).status()));
  }
  CHECK(absl::IsInvalidArgument((*producer)->SendBatch(topic, {}).status()));
}

TEMPLATE_TEST_CASE("errors of the common table", "[conformance]", MemoryBackend,
                   KafkaBackend) {
  TestType b;
  std::string topic = Unique("errs");
  REQUIRE(b.store->CreateTopic(topic, 2).ok());
  CHECK(absl::IsAlreadyExists(b.store->CreateTopic(topic, 2)));
  CHECK(absl::IsInvalidArgument(b.store->CreateTopic("bad/name", 1)));
  CHECK(absl::IsInvalidArgument(b.store->CreateTopic(Unique("zero"), 0)));
  auto producer = b.store->NewProducer();
  CHECK(absl::IsNotFound(
      (*producer)->Send(Unique("nosuch"), {.value = "x"}).status()));
  SendOptions far;
  far.partition = PartitionId(7);
  CHECK(absl::IsOutOfRange(
      (*producer)->Send(topic, {.value = "x"}, far).status()));
  CHECK(absl::IsNotFound(b.store->DescribeTopic(Unique("nosuch")).status()));
  auto consumer = b.store->NewConsumer(Earliest());
  CHECK(absl::IsNotFound(
      (*consumer)->Assign({{Unique("nosuch"), PartitionId(0)}})));
  CHECK(absl::IsOutOfRange((*consumer)->Assign({{topic, PartitionId(2)}})));
  CHECK(
      absl::IsInvalidArgument((*consumer)->Subscribe({topic})));  // no group_id
  CHECK(absl::IsFailedPrecondition(
      (*consumer)->Seek({topic, PartitionId(0)}, Offset(0))));
  REQUIRE((*producer)->Close().ok());
  CHECK(absl::IsFailedPrecondition(
      (*producer)->Send(topic, {.value = "x"}).status()));
}

TEMPLATE_TEST_CASE("what a backend cannot do is kUnimplemented",
                   "[conformance]", MemoryBackend, KafkaBackend) {
  TestType b;
  std::string topic = Unique("unimpl");
  REQUIRE(b.store->CreateTopic(topic, 1).ok());
  auto producer = b.store->NewProducer();
  SendOptions cond;
  cond.expected_end_offset = Offset(0);
  absl::Status s = (*producer)->Send(topic, {.value = "x"}, cond).status();
  ConsumerOptions durable;
  durable.read_durable_only = true;
  absl::Status d = b.store->NewConsumer(durable).status();
  TopicConfig held;
  held.retention_wait_for_groups = {"g"};
  absl::Status r = b.store->CreateTopic(Unique("held"), 1, held);
  if constexpr (TestType::kKafka) {
    CHECK(absl::IsUnimplemented(s));
    CHECK(absl::IsUnimplemented(d));
    CHECK(absl::IsUnimplemented(r));
    CHECK(absl::IsUnimplemented(b.store->Refresh()));
    CHECK(s.message().find("conditional append") != std::string::npos);
  } else {
    CHECK(s.ok());
    CHECK(d.ok());
    CHECK(r.ok());
    CHECK(b.store->Refresh().ok());
  }
}

TEMPLATE_TEST_CASE("admin: list and describe topics with offsets",
                   "[conformance]", MemoryBackend, KafkaBackend) {
  TestType b;
  std::string topic = Unique("admin");
  REQUIRE(b.store->CreateTopic(topic, 3).ok());
  std::vector<std::string> topics = b.store->ListTopics();
  CHECK(std::find(topics.begin(), topics.end(), topic) != topics.end());
  CHECK(std::is_sorted(topics.begin(), topics.end()));
  auto producer = b.store->NewProducer();
  SendOptions p1;
  p1.partition = PartitionId(1);
  for (int i = 0; i < 4; ++i)
    REQUIRE((*producer)->Send(topic, {.value = "x"}, p1).ok());
  auto d = b.store->DescribeTopic(topic);
  REQUIRE(d.ok());
  REQUIRE(d->partitions.size() == 3);
  CHECK(d->partitions[1].start_offset == Offset(0));
  CHECK(d->partitions[1].end_offset == Offset(4));
  CHECK(d->partitions[0].end_offset == Offset(0));
  // Adding and deleting: the mock cluster has no such requests.
  absl::Status add = b.store->AddPartitions(topic, 4);
  absl::Status del = b.store->DeleteTopic(topic);
  if (TestType::kKafka && std::getenv("EVLOG_KAFKA_BOOTSTRAP") == nullptr) {
    CHECK(absl::IsUnimplemented(add));
    CHECK(absl::IsUnimplemented(del));
  } else {
    CHECK(add.ok());
    CHECK(del.ok());
    CHECK(absl::IsNotFound(b.store->DescribeTopic(topic).status()));
  }
}

TEMPLATE_TEST_CASE("seeks, positions and OffsetsForTimes", "[conformance]",
                   MemoryBackend, KafkaBackend) {
  TestType b;
  std::string topic = Unique("seek");
  REQUIRE(b.store->CreateTopic(topic, 1).ok());
  auto producer = b.store->NewProducer();
  for (int i = 0; i < 10; ++i) {
    REQUIRE((*producer)
                ->Send(topic, {.value = std::to_string(i),
                               .timestamp_ms = 1000000 + i * 1000})
                .ok());
  }
  TopicPartition tp{topic, PartitionId(0)};
  auto consumer = b.store->NewConsumer(Earliest());
  REQUIRE((*consumer)->Assign({tp}).ok());
  CHECK(*(*consumer)->Position(tp) == Offset(0));
  auto begin = (*consumer)->BeginningOffsets({tp});
  auto end = (*consumer)->EndOffsets({tp});
  REQUIRE(begin.ok());
  REQUIRE(end.ok());
  CHECK(begin->at(tp) == Offset(0));
  CHECK(end->at(tp) == Offset(10));
  auto times = (*consumer)->OffsetsForTimes({{tp, 1003500}});
  REQUIRE(times.ok());
  if (OnMock<TestType>()) {
    // The 2.0.2 mock answers a timestamp ListOffsets with -1 ("none").
    CHECK(times->at(tp) == std::nullopt);
  } else {
    CHECK(times->at(tp) == std::optional<Offset>(Offset(4)));
  }
  auto none = (*consumer)->OffsetsForTimes({{tp, 9999999}});
  REQUIRE(none.ok());
  CHECK(none->at(tp) == std::nullopt);

  REQUIRE((*consumer)->Seek(tp, Offset(6)).ok());
  CHECK(*(*consumer)->Position(tp) == Offset(6));
  std::vector<Got> got = PollAtLeast(**consumer, 4);
  CHECK(got.front().offset == 6);
  CHECK(got.back().offset == 9);
  CHECK(*(*consumer)->Position(tp) == Offset(10));
  REQUIRE((*consumer)->SeekToBeginning({}).ok());
  got = PollAtLeast(**consumer, 1);
  CHECK(got.front().offset == 0);
  REQUIRE((*consumer)->SeekToEnd({tp}).ok());
  CHECK(*(*consumer)->Position(tp) == Offset(10));
  // Pause: Poll skips the partition; Resume continues at the position.
  REQUIRE((*consumer)->Seek(tp, Offset(8)).ok());
  REQUIRE((*consumer)->Pause({tp}).ok());
  CHECK((*consumer)->Paused() == std::vector<TopicPartition>{tp});
  auto paused = (*consumer)->Poll(std::chrono::milliseconds(300));
  REQUIRE(paused.ok());
  CHECK(paused->empty());
  REQUIRE((*consumer)->Resume({tp}).ok());
  got = PollAtLeast(**consumer, 2);
  CHECK(got.front().offset == 8);
}

TEMPLATE_TEST_CASE("Wakeup ends a Poll with kCancelled", "[conformance]",
                   MemoryBackend, KafkaBackend) {
  TestType b;
  std::string topic = Unique("wake");
  REQUIRE(b.store->CreateTopic(topic, 1).ok());
  auto consumer = b.store->NewConsumer(Earliest());
  REQUIRE((*consumer)->Assign({{topic, PartitionId(0)}}).ok());
  (*consumer)->Wakeup();  // before the Poll: the next Poll returns at once
  CHECK(
      absl::IsCancelled((*consumer)->Poll(std::chrono::seconds(60)).status()));
  std::thread waker([&] { (*consumer)->Wakeup(); });
  // Either during the wait or before it: kCancelled, well before 60 s.
  CHECK(
      absl::IsCancelled((*consumer)->Poll(std::chrono::seconds(60)).status()));
  waker.join();
}

TEMPLATE_TEST_CASE("commits survive a consumer restart", "[conformance]",
                   MemoryBackend, KafkaBackend) {
  TestType b;
  std::string topic = Unique("commit");
  std::string group = Unique("g");
  REQUIRE(b.store->CreateTopic(topic, 2).ok());
  auto producer = b.store->NewProducer();
  for (int i = 0; i < 10; ++i) {
    SendOptions o;
    o.partition = PartitionId(i % 2);
    REQUIRE((*producer)->Send(topic, {.value = std::to_string(i)}, o).ok());
  }
  std::vector<TopicPartition> tps = {{topic, PartitionId(0)},
                                     {topic, PartitionId(1)}};
  {
    ConsumerOptions o = Earliest(group);
    o.enable_auto_commit = false;
    auto consumer = b.store->NewConsumer(o);
    REQUIRE((*consumer)->Assign(tps).ok());
    PollAtLeast(**consumer, 10);
    REQUIRE((*consumer)
                ->CommitSync({{tps[0], Offset(3)}, {tps[1], Offset(2)}})
                .ok());
    auto committed = (*consumer)->Committed(tps);
    REQUIRE(committed.ok());
    CHECK(committed->at(tps[0]) == std::optional<Offset>(Offset(3)));
    CHECK(committed->at(tps[1]) == std::optional<Offset>(Offset(2)));
    REQUIRE((*consumer)->Close().ok());
  }
  ConsumerOptions o = Earliest(group);
  auto consumer = b.store->NewConsumer(o);
  REQUIRE((*consumer)->Assign(tps).ok());
  CHECK(*(*consumer)->Position(tps[0]) == Offset(3));
  CHECK(*(*consumer)->Position(tps[1]) == Offset(2));
  std::vector<Got> got = PollAtLeast(**consumer, 5);
  CHECK(got.size() == 5);  // 2 left on partition 0, 3 on partition 1
  // Auto-commit happens at Close: a third consumer starts at the end.
  REQUIRE((*consumer)->Close().ok());
  auto third = b.store->NewConsumer(o);
  REQUIRE((*third)->Assign(tps).ok());
  CHECK(*(*third)->Position(tps[0]) == Offset(5));
  CHECK(*(*third)->Position(tps[1]) == Offset(5));
}

struct Recorder : RebalanceListener {
  std::set<TopicPartition> owned;
  int assigned_calls = 0;
  int revoked_calls = 0;
  void OnPartitionsAssigned(Consumer&,
                            const std::vector<TopicPartition>& p) override {
    ++assigned_calls;
    owned.insert(p.begin(), p.end());
  }
  void OnPartitionsRevoked(Consumer&,
                           const std::vector<TopicPartition>& p) override {
    ++revoked_calls;
    for (const TopicPartition& tp : p) owned.erase(tp);
  }
};

void GroupOfTwo(Store& store, AssignmentStrategy strategy) {
  std::string topic = Unique("grp");
  std::string group = Unique("g");
  REQUIRE(store.CreateTopic(topic, 4).ok());
  auto producer = store.NewProducer();
  for (int i = 0; i < 40; ++i) {
    SendOptions o;
    o.partition = PartitionId(i % 4);
    REQUIRE((*producer)->Send(topic, {.value = std::to_string(i)}, o).ok());
  }
  Recorder l1, l2;
  ConsumerOptions o1 = Earliest(group);
  o1.assignment_strategy = strategy;
  o1.listener = &l1;
  o1.auto_commit_interval_ms = 0;
  ConsumerOptions o2 = o1;
  o2.listener = &l2;
  auto c1 = store.NewConsumer(o1);
  REQUIRE(c1.ok());
  REQUIRE((*c1)->Subscribe({topic}).ok());
  std::vector<Got> got;
  PollUntil(
      **c1, [&] { return l1.owned.size() == 4 && got.size() >= 40; }, &got);
  CHECK((*c1)->Assignment().size() == 4);
  CHECK((*c1)->GroupGeneration() >= 1);
  CHECK(!(*c1)->MemberId().empty());
  REQUIRE((*c1)->CommitSync().ok());

  auto c2 = store.NewConsumer(o2);
  REQUIRE((*c2)->Subscribe({topic}).ok());
  // Both poll until the partitions are split two and two.
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  PollResult r;
  while (!(l1.owned.size() == 2 && l2.owned.size() == 2) &&
         std::chrono::steady_clock::now() < end) {
    REQUIRE((*c1)->Poll(std::chrono::milliseconds(100), &r).ok());
    CHECK(r.empty());  // everything was committed
    REQUIRE((*c2)->Poll(std::chrono::milliseconds(100), &r).ok());
    CHECK(r.empty());
  }
  REQUIRE(l1.owned.size() == 2);
  REQUIRE(l2.owned.size() == 2);
  CHECK(l1.revoked_calls >= 1);
  std::set<TopicPartition> all = l1.owned;
  all.insert(l2.owned.begin(), l2.owned.end());
  CHECK(all.size() == 4);
  // New records reach the member that owns their partition.
  for (int p = 0; p < 4; ++p) {
    SendOptions o;
    o.partition = PartitionId(p);
    REQUIRE((*producer)->Send(topic, {.value = "late"}, o).ok());
  }
  std::vector<Got> g1, g2;
  end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (g1.size() + g2.size() < 4 && std::chrono::steady_clock::now() < end) {
    REQUIRE((*c1)->Poll(std::chrono::milliseconds(100), &r).ok());
    for (Got& g : Copy(r)) g1.push_back(g);
    REQUIRE((*c2)->Poll(std::chrono::milliseconds(100), &r).ok());
    for (Got& g : Copy(r)) g2.push_back(g);
  }
  CHECK(g1.size() == 2);
  CHECK(g2.size() == 2);
  for (const Got& g : g1)
    CHECK(l1.owned.contains({topic, PartitionId(g.partition)}));
  for (const Got& g : g2)
    CHECK(l2.owned.contains({topic, PartitionId(g.partition)}));
  absl::Status closed2 = (*c2)->Close();
  INFO(closed2.ToString());
  REQUIRE(closed2.ok());
  // The member that stays takes the partitions back and reads on to the end
  // (records whose commit a rebalance refused are delivered again:
  // at-least-once).
  auto at_end = [&] {
    if (l1.owned.size() != 4) return false;
    for (int p = 0; p < 4; ++p) {
      auto pos = (*c1)->Position({topic, PartitionId(p)});
      if (!pos.ok() || *pos != Offset(11)) return false;
    }
    return true;
  };
  PollUntil(**c1, at_end);
  absl::Status closed1 = (*c1)->Close();
  INFO(closed1.ToString());
  REQUIRE(closed1.ok());
  auto d = store.DescribeGroup(group);
  REQUIRE(d.ok());
  for (const GroupPartitionDescription& p : d->partitions) {
    INFO(ToString(p.tp) << " committed "
                        << (p.committed ? p.committed->value() : -1) << " end "
                        << p.end_offset.value());
    CHECK(p.lag == std::optional<int64_t>(0));
  }
}

TEMPLATE_TEST_CASE("a group of two members rebalances (eager range)",
                   "[conformance][group]", MemoryBackend, KafkaBackend) {
  TestType b;
  GroupOfTwo(*b.store, AssignmentStrategy::kRange);
}

TEMPLATE_TEST_CASE("a group of two members rebalances (cooperative-sticky)",
                   "[conformance][group]", MemoryBackend, KafkaBackend) {
  TestType b;
  GroupOfTwo(*b.store, AssignmentStrategy::kCooperativeSticky);
}

TEMPLATE_TEST_CASE("group admin: describe with lag and reset offsets",
                   "[conformance][group]", MemoryBackend, KafkaBackend) {
  TestType b;
  std::string topic = Unique("gadmin");
  std::string group = Unique("g");
  REQUIRE(b.store->CreateTopic(topic, 2).ok());
  auto producer = b.store->NewProducer();
  for (int i = 0; i < 6; ++i) {
    SendOptions o;
    o.partition = PartitionId(i % 2);
    REQUIRE((*producer)
                ->Send(topic, {.value = "x", .timestamp_ms = 5000 + i}, o)
                .ok());
  }
  absl::Status unknown = b.store->DescribeGroup(group).status();
  INFO(unknown.ToString());
  CHECK(absl::IsNotFound(unknown));
  auto r = b.store->ResetGroupOffsets(group, topic, OffsetReset::ToOffset(1));
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  auto d = b.store->DescribeGroup(group);
  REQUIRE(d.ok());
  REQUIRE(d->partitions.size() == 2);
  CHECK(d->partitions[0].committed == std::optional<Offset>(Offset(1)));
  CHECK(d->partitions[0].lag == std::optional<int64_t>(2));
  CHECK(d->partitions[0].end_offset == Offset(3));
  r = b.store->ResetGroupOffsets(group, topic,
                                 OffsetReset::ShiftBy(5));  // clamped
  REQUIRE(r.ok());
  CHECK((*r)[0].offset == Offset(3));
  r = b.store->ResetGroupOffsets(group, topic, OffsetReset::ToTime(5002));
  REQUIRE(r.ok());
  if (OnMock<TestType>()) {
    CHECK((*r)[0].offset == Offset(3));  // the mock finds no time: the end
  } else {
    CHECK((*r)[0].offset ==
          Offset(1));  // partition 0 has timestamps 5000, 5002, 5004
    CHECK((*r)[1].offset == Offset(1));  // partition 1: 5001, 5003, 5005
  }
  r = b.store->ResetGroupOffsets(group, topic, OffsetReset::Earliest());
  REQUIRE(r.ok());
  CHECK((*r)[1].offset == Offset(0));
  CHECK(absl::IsNotFound(
      b.store
          ->ResetGroupOffsets(group, Unique("nosuch"), OffsetReset::Earliest())
          .status()));
}

}  // namespace
}  // namespace evlog::kafka_test
