// Behaviour of one partition log: appends, reads, rolls, lookups, reopen,
// durability bookkeeping and conditional appends.

#include "partition/partition_log.h"

#include <catch2/catch.hpp>

#include "env/mem_env.h"
#include "partition/log_reader.h"
#include "partition/log_test_util.h"

namespace evlog {
namespace {

using testing::KV;
using testing::OwnedRecord;
using testing::ReadAll;
using testing::SmallSegments;

struct Fixture {
  FakeClock clock;
  MemEnv env{&clock};
  std::string dir = "/log";
  Fixture() { REQUIRE(env.CreateDir(dir).ok()); }
  std::unique_ptr<PartitionLog> Open(const TopicConfig& c = TopicConfig(),
                                     RecoveryReport* report = nullptr) {
    auto log = PartitionLog::Open(&env, dir, c, report);
    REQUIRE(log.ok());
    return *std::move(log);
  }
};

TEST_CASE("every field combination round-trips", "[partition]") {
  Fixture f;
  auto log = f.Open();
  std::vector<std::optional<std::string_view>> opts = {
      std::nullopt, "", "x", std::string_view("\0bin\xff", 5)};
  std::vector<std::vector<HeaderView>> header_sets = {
      {}, {{"h", std::nullopt}}, {{"a", ""}, {"", "b"}, {"c", std::nullopt}}};
  std::vector<OwnedRecord> expected;
  int64_t ts = 1000;
  for (auto& key : opts) {
    for (auto& value : opts) {
      for (auto& headers : header_sets) {
        Record r;
        r.key = key;
        r.value = value;
        r.headers = headers;
        r.timestamp_ms = ts;
        auto res = log->Append({&r, 1});
        REQUIRE(res.ok());
        OwnedRecord o;
        o.offset = res->base_offset.value();
        o.timestamp_ms = ts++;
        if (key) o.key = std::string(*key);
        if (value) o.value = std::string(*value);
        for (auto& h : headers) {
          o.headers.emplace_back(
              std::string(h.key),
              h.value ? std::optional<std::string>(*h.value) : std::nullopt);
        }
        expected.push_back(o);
      }
    }
  }
  auto got = ReadAll(*log);
  REQUIRE(got.ok());
  CHECK(*got == expected);
  // A tombstone is not an empty value.
  CHECK(!(*got)[0].value.has_value());
  CHECK((*got)[3].value == std::optional<std::string>(""));
}

TEST_CASE("offsets are contiguous and batches atomic", "[partition]") {
  Fixture f;
  auto log = f.Open();
  std::vector<Record> batch = {KV("a", "1"), KV("b", "2"), KV("c", "3")};
  auto r1 = log->Append(batch);
  auto r2 = log->Append(batch);
  REQUIRE(r1.ok());
  REQUIRE(r2.ok());
  CHECK(r1->base_offset == Offset(0));
  CHECK(r1->last_offset == Offset(2));
  CHECK(r2->base_offset == Offset(3));
  CHECK(log->end_offset() == Offset(6));
  auto got = ReadAll(*log, Offset(4));
  REQUIRE(got.ok());
  REQUIRE(got->size() == 2);
  CHECK((*got)[0].offset == 4);
  CHECK((*got)[0].key == "b");
}

TEST_CASE("timestamps: now when absent, append time when configured",
          "[partition]") {
  Fixture f;
  auto log = f.Open();
  Record r = KV("k", "v");
  REQUIRE(log->Append({&r, 1}).ok());
  Record r2 = KV("k", "v", 42);
  REQUIRE(log->Append({&r2, 1}).ok());
  auto got = ReadAll(*log);
  REQUIRE(got.ok());
  CHECK((*got)[0].timestamp_ms == f.clock.NowMs());
  CHECK((*got)[1].timestamp_ms == 42);
  log.reset();

  Fixture g;
  TopicConfig c;
  c.timestamp_type = TimestampType::kLogAppendTime;
  auto log2 = g.Open(c);
  REQUIRE(log2->Append({&r2, 1}).ok());
  auto got2 = ReadAll(*log2);
  REQUIRE(got2.ok());
  CHECK((*got2)[0].timestamp_ms == g.clock.NowMs());
}

TEST_CASE("segments roll by size and the log reads across them",
          "[partition]") {
  Fixture f;
  auto log = f.Open(SmallSegments());
  std::string value(200, 'v');
  for (int i = 0; i < 100; ++i) {
    Record r = KV("key", value);
    REQUIRE(log->Append({&r, 1}).ok());
  }
  auto segments = log->Segments();
  CHECK(segments.size() >= 5);
  for (size_t i = 1; i < segments.size(); ++i) {
    CHECK(segments[i]->base_offset() == segments[i - 1]->next_offset());
  }
  auto got = ReadAll(*log);
  REQUIRE(got.ok());
  REQUIRE(got->size() == 100);
  for (int i = 0; i < 100; ++i) CHECK((*got)[i].offset == i);
}

TEST_CASE("segments roll by age on append and on Tick", "[partition]") {
  Fixture f;
  TopicConfig c;
  c.segment_ms = 1000;
  auto log = f.Open(c);
  Record r = KV("k", "v");
  REQUIRE(log->Append({&r, 1}).ok());
  f.clock.AdvanceMs(999);
  REQUIRE(log->Append({&r, 1}).ok());
  CHECK(log->Segments().size() == 1);
  f.clock.AdvanceMs(1);
  REQUIRE(log->Append({&r, 1}).ok());
  CHECK(log->Segments().size() == 2);
  CHECK(log->Segments().back()->base_offset() == Offset(2));
  f.clock.AdvanceMs(1000);
  REQUIRE(log->Tick().ok());
  CHECK(log->Segments().size() == 3);
  // An empty active segment does not roll.
  f.clock.AdvanceMs(5000);
  REQUIRE(log->Tick().ok());
  CHECK(log->Segments().size() == 3);
}

TEST_CASE("offset and time lookups across many segments", "[partition]") {
  Fixture f;
  auto log = f.Open(SmallSegments());
  std::string value(50, 'x');
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    // Timestamps 10*i, except a few out of order ones.
    int64_t ts = 10 * i - ((i % 97 == 5) ? 25 : 0);
    Record r = KV("k", value, ts);
    REQUIRE(log->Append({&r, 1}).ok());
  }
  REQUIRE(log->Segments().size() > 20);
  for (int i : {0, 1, 57, 999, 1500, n - 1}) {
    LogReader reader(log.get(), Offset(i));
    RecordView v;
    auto got = reader.Next(&v, log->end_offset());
    REQUIRE(got.ok());
    REQUIRE(*got);
    CHECK(v.offset() == Offset(i));
    // The seek started at an indexed position, not at the log start.
    CHECK(reader.segment()->base_offset() <= Offset(i));
  }
  auto all = ReadAll(*log);
  REQUIRE(all.ok());
  for (int64_t t : {int64_t{-5}, int64_t{0}, int64_t{1}, int64_t{45},
                    int64_t{12345}, int64_t{10 * (n - 1)}, int64_t{10 * n}}) {
    auto o = log->OffsetForTimestamp(t);
    REQUIRE(o.ok());
    int64_t expect = n;  // end offset when no record is that recent
    for (const OwnedRecord& r : *all) {
      if (r.timestamp_ms >= t) {
        expect = r.offset;
        break;
      }
    }
    CHECK(o->value() == expect);
  }
}

TEST_CASE("reopen keeps the records and appends continue", "[partition]") {
  Fixture f;
  std::string value(300, 'z');
  {
    auto log = f.Open(SmallSegments());
    for (int i = 0; i < 50; ++i) {
      Record r = KV("k", value);
      REQUIRE(log->Append({&r, 1}).ok());
    }
    REQUIRE(log->Close().ok());
  }
  RecoveryReport report;
  auto log = f.Open(SmallSegments(), &report);
  CHECK(log->end_offset() == Offset(50));
  CHECK(log->durable_end_offset() == Offset(50));
  CHECK(report.bytes_truncated == 0);
  // A clean open rescans at most one index interval per segment.
  CHECK(report.bytes_scanned <= report.segments * (256 + 512));
  Record r = KV("after", "reopen");
  auto res = log->Append({&r, 1});
  REQUIRE(res.ok());
  CHECK(res->base_offset == Offset(50));
  auto got = ReadAll(*log);
  REQUIRE(got.ok());
  REQUIRE(got->size() == 51);
  CHECK(got->back().key == "after");
}

TEST_CASE("conditional append checks the expected end offset", "[partition]") {
  Fixture f;
  auto log = f.Open();
  Record r = KV("k", "v");
  REQUIRE(log->Append({&r, 1}, Offset(0)).ok());
  auto wrong = log->Append({&r, 1}, Offset(0));
  REQUIRE(absl::IsAborted(wrong.status()));
  CHECK(wrong.status().message().find("log end offset 1") != std::string::npos);
  CHECK(log->end_offset() == Offset(1));
  CHECK(log->Append({&r, 1}, Offset(1)).ok());
}

TEST_CASE("oversize records and empty batches are refused", "[partition]") {
  Fixture f;
  TopicConfig c;
  c.max_record_bytes = 1000;
  auto log = f.Open(c);
  std::string big(1000, 'b');
  Record r = KV("k", big);
  auto res = log->Append({&r, 1});
  CHECK(absl::IsResourceExhausted(res.status()));
  CHECK(absl::IsInvalidArgument(log->Append({}).status()));
  CHECK(log->end_offset() == Offset(0));
  TopicConfig bad;
  bad.segment_bytes = 10;
  CHECK(
      absl::IsInvalidArgument(PartitionLog::Open(&f.env, f.dir, bad).status()));
}

TEST_CASE("durable end offset follows the durability policy", "[partition]") {
  Record r = KV("k", "v");
  SECTION("none: only Flush makes data durable") {
    Fixture f;
    auto log = f.Open();
    REQUIRE(log->Append({&r, 1}).ok());
    CHECK(log->durable_end_offset() == Offset(0));
    REQUIRE(log->Flush().ok());
    CHECK(log->durable_end_offset() == Offset(1));
  }
  SECTION("every append") {
    Fixture f;
    TopicConfig c;
    c.durability = Durability::kEveryAppend;
    auto log = f.Open(c);
    uint64_t syncs = f.env.sync_count();
    REQUIRE(log->Append({&r, 1}).ok());
    CHECK(log->durable_end_offset() == Offset(1));
    CHECK(f.env.sync_count() > syncs);
  }
  SECTION("interval: by record count and by time") {
    Fixture f;
    TopicConfig c;
    c.durability = Durability::kInterval;
    c.flush_messages = 3;
    c.flush_ms = 100;
    auto log = f.Open(c);
    REQUIRE(log->Append({&r, 1}).ok());
    REQUIRE(log->Append({&r, 1}).ok());
    CHECK(log->durable_end_offset() == Offset(0));
    REQUIRE(log->Append({&r, 1}).ok());
    CHECK(log->durable_end_offset() == Offset(3));
    REQUIRE(log->Append({&r, 1}).ok());
    REQUIRE(log->Tick().ok());
    CHECK(log->durable_end_offset() == Offset(3));
    f.clock.AdvanceMs(100);
    REQUIRE(log->Tick().ok());
    CHECK(log->durable_end_offset() == Offset(4));
  }
}

TEST_CASE("closed logs refuse appends", "[partition]") {
  Fixture f;
  auto log = f.Open();
  REQUIRE(log->Close().ok());
  Record r = KV("k", "v");
  CHECK(absl::IsFailedPrecondition(log->Append({&r, 1}).status()));
  CHECK(log->Close().ok());
}

TEST_CASE("deleting old segments advances the start offset", "[partition]") {
  Fixture f;
  auto log = f.Open(SmallSegments());
  std::string value(200, 'v');
  for (int i = 0; i < 60; ++i) {
    Record r = KV("k", value);
    REQUIRE(log->Append({&r, 1}).ok());
  }
  auto before = log->Segments();
  REQUIRE(before.size() >= 3);
  // A reader holding the first segment keeps its views valid.
  LogReader reader(log.get(), Offset(0));
  RecordView v;
  REQUIRE(*reader.Next(&v, log->end_offset()));
  Offset cut = before[2]->base_offset();
  auto removed = log->DeleteSegmentsBefore(cut);
  REQUIRE(removed.ok());
  CHECK(*removed == 2);
  CHECK(log->start_offset() == cut);
  CHECK(!f.env.FileExists(before[0]->path()));
  CHECK(v.value() == std::optional<std::string_view>(value));
  auto got = ReadAll(*log, cut);
  REQUIRE(got.ok());
  CHECK(got->front().offset == cut.value());
  CHECK(got->size() == static_cast<size_t>(60 - cut.value()));
}

}  // namespace
}  // namespace evlog
