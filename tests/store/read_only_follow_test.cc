// A read-only store follows a writer that holds the same directory: new
// records, rolls, topics, partitions and deletions appear after Refresh.

#include <catch2/catch.hpp>

#include "env/mem_env.h"
#include "evlog/consumer.h"
#include "evlog/producer.h"
#include "evlog/store.h"

namespace evlog {
namespace {

StoreOptions Options(Env* env, bool read_only) {
  StoreOptions o;
  o.env = env;
  o.maintenance_interval_ms = 0;
  o.read_only = read_only;
  o.default_topic_config.segment_bytes = 16 << 10;
  o.default_topic_config.max_record_bytes = 4096;
  return o;
}

int64_t EndOf(Store& store, const std::string& topic, int p) {
  auto d = store.DescribeTopic(topic);
  REQUIRE(d.ok());
  return d->partitions[p].end_offset.value();
}

TEST_CASE("a read-only store follows the writer after Refresh", "[store]") {
  MemEnv env;
  auto writer = Store::Open("/s", Options(&env, false));
  REQUIRE(writer.ok());
  REQUIRE((*writer)->CreateTopic("t", 1).ok());
  auto producer = (*writer)->NewProducer();
  REQUIRE(producer.ok());
  std::string value(500, 'w');
  for (int i = 0; i < 10; ++i)
    REQUIRE((*producer)->Send("t", {.value = value}).ok());

  auto reader = Store::Open("/s", Options(&env, true));
  REQUIRE(reader.ok());
  CHECK(EndOf(**reader, "t", 0) == 10);
  ConsumerOptions co;
  co.auto_offset_reset = AutoOffsetReset::kEarliest;
  auto consumer = (*reader)->NewConsumer(co);
  REQUIRE(consumer.ok());
  REQUIRE((*consumer)->Assign({{"t", PartitionId(0)}}).ok());
  size_t seen = 0;
  auto drain = [&] {
    while (true) {
      auto r = (*consumer)->Poll(std::chrono::milliseconds(0));
      REQUIRE(r.ok());
      if (r->empty()) return;
      for (const auto& rec : *r) {
        CHECK(rec.record.offset().value() == static_cast<int64_t>(seen));
        ++seen;
      }
    }
  };
  drain();
  CHECK(seen == 10);

  // More records, across several rolls; a new topic; a new partition.
  for (int i = 0; i < 100; ++i)
    REQUIRE((*producer)->Send("t", {.value = value}).ok());
  REQUIRE((*writer)->CreateTopic("u", 2).ok());
  REQUIRE((*producer)
              ->Send("u", {.value = "x"}, {.partition = PartitionId(1)})
              .ok());
  CHECK(EndOf(**reader, "t", 0) == 10);
  CHECK(absl::IsNotFound((*reader)->DescribeTopic("u").status()));
  REQUIRE((*reader)->Refresh().ok());
  CHECK(EndOf(**reader, "t", 0) == 110);
  CHECK(EndOf(**reader, "u", 1) == 1);
  drain();
  CHECK(seen == 110);

  REQUIRE((*writer)->AddPartitions("u", 3).ok());
  REQUIRE((*writer)->DeleteTopic("t").ok());
  REQUIRE((*reader)->Refresh().ok());
  CHECK(absl::IsNotFound((*reader)->DescribeTopic("t").status()));
  auto u = (*reader)->DescribeTopic("u");
  REQUIRE(u.ok());
  CHECK(u->partitions.size() == 3);
  // Writes stay refused on the reader; Refresh is a no-op on the writer.
  CHECK(absl::IsFailedPrecondition((*reader)->CreateTopic("v", 1)));
  CHECK((*writer)->Refresh().ok());
}

}  // namespace
}  // namespace evlog
