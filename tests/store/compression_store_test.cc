// Compressed topics through the public API: producers, consumers (views
// that outlive the poll's batch buffers), reopen, compaction, corruption of
// a compressed batch on disk, and the config's validation.

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "consumer/consumer_test_util.h"
#include "format/batch_codec.h"
#include "format/format.h"
#include "store/store_impl.h"

namespace evlog {
namespace {

using testing::StoreFixture;

// JSON-like events of ~250 bytes: they compress several times.
std::string Event(int i) {
  return "{\"type\":\"order_created\",\"order_id\":" +
         std::to_string(100000 + i) + ",\"customer\":\"customer-" +
         std::to_string(i % 97) + "\",\"items\":[{\"sku\":\"sku-" +
         std::to_string(i % 13) + "\",\"qty\":" + std::to_string(i % 5 + 1) +
         "}],\"currency\":\"EUR\",\"total_cents\":" +
         std::to_string(i * 37 % 10000) +
         ",\"status\":\"pending\",\"source\":\"web\"}";
}

TopicConfig WithCodec(Compression codec) {
  TopicConfig c;
  c.segment_bytes = 256 << 10;
  c.max_record_bytes = 16 << 10;
  c.compression = codec;
  return c;
}

// Sends `batches` batches of `per_batch` events, keys cycling over `keys`.
void SendEvents(Producer* p, const std::string& topic, int batches,
                int per_batch, int keys = 1000) {
  for (int b = 0; b < batches; ++b) {
    std::vector<std::string> values, names, prefixes;
    for (int i = 0; i < per_batch; ++i) {
      values.push_back(Event(b * per_batch + i));
      names.push_back("h" + std::to_string(i % 3));
      prefixes.push_back(values.back().substr(0, 4));
    }
    // The header views point into `names` and `prefixes`, which outlive the
    // send.
    std::vector<HeaderView> headers;
    for (int i = 0; i < per_batch; ++i)
      headers.push_back({names[i], prefixes[i]});
    std::vector<std::string> key_storage;
    for (int i = 0; i < per_batch; ++i)
      key_storage.push_back("key-" +
                            std::to_string((b * per_batch + i) % keys));
    std::vector<Record> records;
    for (int i = 0; i < per_batch; ++i) {
      Record r;
      r.key = key_storage[i];
      r.value = values[i];
      r.headers = std::span<const HeaderView>(&headers[i], 1);
      records.push_back(r);
    }
    auto sent = p->SendBatch(topic, records, {.partition = PartitionId(0)});
    REQUIRE(sent.ok());
  }
}

ConsumerOptions Earliest() {
  ConsumerOptions o;
  o.auto_offset_reset = AutoOffsetReset::kEarliest;
  o.wait_strategy = WaitStrategy::kBlock;
  o.max_poll_records = 1000;
  return o;
}

TEST_CASE("compressed topics round-trip every field and shrink on disk",
          "[compression][store]") {
  std::map<Compression, uint64_t> bytes_of;
  for (Compression codec :
       {Compression::kNone, Compression::kLz4, Compression::kZstd}) {
    CAPTURE(static_cast<int>(codec));
    StoreFixture f;
    REQUIRE(f.store->CreateTopic("t", 1, WithCodec(codec)).ok());
    SendEvents(f.producer.get(), "t", 20, 50);
    auto d = f.store->DescribeTopic("t");
    REQUIRE(d.ok());
    bytes_of[codec] = d->partitions[0].bytes;
    for (int reopen = 0; reopen < 2; ++reopen) {
      auto c = f.NewConsumer(Earliest());
      REQUIRE(c->Assign({{"t", PartitionId(0)}}).ok());
      // Keep every poll result alive to the end: views of earlier batches
      // must stay valid while later batches are decompressed.
      std::vector<PollResult> results;
      size_t n = 0;
      while (n < 1000) {
        PollResult r;
        REQUIRE(c->Poll(std::chrono::milliseconds(0), &r).ok());
        REQUIRE(r.size() > 0);
        n += r.size();
        results.push_back(std::move(r));
      }
      int64_t i = 0;
      for (const PollResult& r : results) {
        for (size_t j = 0; j < r.size(); ++j, ++i) {
          const RecordView& v = r[j].record;
          CHECK(v.offset() == Offset(i));
          CHECK(v.value() ==
                std::optional<std::string_view>(Event(static_cast<int>(i))));
          CHECK(v.key() == std::optional<std::string_view>(
                               "key-" + std::to_string(i % 1000)));
          std::vector<HeaderView> h = v.headers();
          REQUIRE(h.size() == 1);
          CHECK(h[0].key == "h" + std::to_string(i % 50 % 3));
        }
      }
      CHECK(i == 1000);
      c.reset();
      f.Reopen();
    }
  }
  // 1000 events of ~200 bytes in batches of 50.
  CHECK(bytes_of[Compression::kNone] > 200000);
  CHECK(bytes_of[Compression::kLz4] * 2 < bytes_of[Compression::kNone]);
  CHECK(bytes_of[Compression::kZstd] * 3 < bytes_of[Compression::kNone]);
}

TEST_CASE("compaction works on compressed topics",
          "[compression][compaction]") {
  for (Compression codec : {Compression::kLz4, Compression::kZstd}) {
    CAPTURE(static_cast<int>(codec));
    StoreFixture f;
    TopicConfig c = WithCodec(codec);
    c.segment_bytes = 16 << 10;
    c.max_record_bytes = 4 << 10;
    c.cleanup_policy = CleanupPolicy::kCompact;
    c.min_cleanable_dirty_ratio = 0.01;
    REQUIRE(f.store->CreateTopic("table", 1, c).ok());
    SendEvents(f.producer.get(), "table", 60, 20, /*keys=*/25);
    auto before = f.store->DescribeTopic("table");
    REQUIRE(before.ok());
    REQUIRE(f.store->RunMaintenance().ok());
    auto after = f.store->DescribeTopic("table");
    REQUIRE(after.ok());
    CHECK(after->partitions[0].bytes < before->partitions[0].bytes);
    // The latest value of each key is still there, at its offset.
    auto consumer = f.NewConsumer(Earliest());
    REQUIRE(consumer->Assign({{"table", PartitionId(0)}}).ok());
    std::map<std::string, int64_t> latest;
    for (int i = 0; i < 1200; ++i) latest["key-" + std::to_string(i % 25)] = i;
    std::map<std::string, int64_t> seen;
    size_t total = 0;
    while (true) {
      PollResult r;
      REQUIRE(consumer->Poll(std::chrono::milliseconds(0), &r).ok());
      if (r.size() == 0) break;
      total += r.size();
      for (size_t j = 0; j < r.size(); ++j) {
        const RecordView& v = r[j].record;
        CHECK(v.value() == std::optional<std::string_view>(
                               Event(static_cast<int>(v.offset().value()))));
        seen[std::string(*v.key())] = v.offset().value();
      }
    }
    CHECK(total < 1200);
    CHECK(seen == latest);
  }
}

TEST_CASE(
    "a flipped bit in a compressed batch is kDataLoss, never a wrong record",
    "[compression][store]") {
  StoreFixture f;
  REQUIRE(f.store->CreateTopic("t", 1, WithCodec(Compression::kZstd)).ok());
  SendEvents(f.producer.get(), "t", 3, 50);
  auto topic = static_cast<StoreImpl*>(f.store.get())->FindTopic("t");
  REQUIRE(topic.ok());
  auto seg = (*topic)->partition(PartitionId(0))->Segments().back();
  // Flip a bit in the middle of the second batch's compressed payload.
  format::FrameInfo first;
  std::string why;
  REQUIRE(format::ParseFrame(seg->data() + format::kSegmentHeaderSize,
                             seg->end_position() - format::kSegmentHeaderSize,
                             &first, &why) == format::FrameStatus::kOk);
  REQUIRE(first.compressed());
  const size_t second = format::kSegmentHeaderSize + first.frame_size;
  char* p = const_cast<char*>(seg->data()) + second + format::kFrameHeaderSize +
            format::kBatchHeaderSize + 40;
  *p ^= 0x04;
  auto c = f.NewConsumer(Earliest());
  REQUIRE(c->Assign({{"t", PartitionId(0)}}).ok());
  size_t good = 0;
  absl::Status error;
  while (error.ok()) {
    PollResult r;
    error = c->Poll(std::chrono::milliseconds(0), &r);
    for (size_t j = 0; j < r.size(); ++j) {
      CHECK(r[j].record.value() ==
            std::optional<std::string_view>(
                Event(static_cast<int>(r[j].record.offset().value()))));
    }
    good += r.size();
    if (error.ok() && r.size() == 0) break;
  }
  CHECK(error.code() == absl::StatusCode::kDataLoss);
  CHECK(good <= 50);
  *p ^= 0x04;  // leave the store as it was for its close
}

TEST_CASE("compression config is validated and persisted",
          "[compression][store]") {
  StoreFixture f;
  TopicConfig c;
  c.compression_level = 20;
  CHECK(absl::IsInvalidArgument(f.store->CreateTopic("bad", 1, c)));
  c.compression_level = -1;
  CHECK(absl::IsInvalidArgument(f.store->CreateTopic("bad", 1, c)));
  c.compression = Compression::kZstd;
  c.compression_level = 7;
  REQUIRE(f.store->CreateTopic("z", 1, c).ok());
  f.Reopen();
  auto d = f.store->DescribeTopic("z");
  REQUIRE(d.ok());
  CHECK(d->config.compression == Compression::kZstd);
  CHECK(d->config.compression_level == 7);
}

}  // namespace
}  // namespace evlog
