// The producer: partition choice, batches, conditional appends, errors and a
// multi-threaded stress test.

#include "evlog/producer.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <thread>

#include "env/mem_env.h"
#include "evlog/store.h"
#include "partition/log_reader.h"
#include "producer/partitioner.h"
#include "producer/producer_test_util.h"
#include "store/store_impl.h"

namespace evlog {
namespace {

struct Fixture {
  MemEnv env;
  std::unique_ptr<StoreImpl> store;
  std::unique_ptr<Producer> producer;
  explicit Fixture(int partitions = 4, TopicConfig config = {}) {
    config.segment_bytes = 256 << 10;
    config.max_record_bytes = 4096;
    store = test::OpenProducerTestStore(&env, partitions, config);
    auto p = store->NewProducer();
    REQUIRE(p.ok());
    producer = *std::move(p);
  }
  PartitionLog* Log(int p) {
    return (*store->FindTopic("t"))->partition(PartitionId(p));
  }
};

TEST_CASE("the key hash is pinned across versions", "[producer]") {
  // XXH3-64 (seed 0) of the key bytes modulo the count. These values are part
  // of the contract: if this test fails, keys would move between partitions.
  // The hashes were computed independently with `printf %s KEY | xxhsum -H3`.
  CHECK(PartitionForKey("", 7) ==
        PartitionId(static_cast<int32_t>(0x2d06800538d394c2ull % 7)));
  CHECK(PartitionForKey("a", 1) == PartitionId(0));
  struct Case {
    const char* key;
    int32_t n;
    int32_t expect;
  };
  // user-42: 50fe4b21cf7b09cd, order-17: 234cefc81040cbbe, k: a921e3704fda881d
  for (const Case& c :
       {Case{"user-42", 12, 5}, Case{"order-17", 3, 0}, Case{"k", 100, 93}}) {
    INFO(c.key << " / " << c.n);
    CHECK(PartitionForKey(c.key, c.n) == PartitionId(c.expect));
  }
}

TEST_CASE("the murmur2 key hash is Kafka's", "[producer][murmur2]") {
  // Expected values are Kafka's own test vectors for Utils.murmur2 (Java
  // int results), which the Java client's default partitioner turns into
  // toPositive(h) % n with toPositive(h) = h & 0x7fffffff. E.g. "21" ->
  // -973932308 = 0xc5f2c6ec; & 0x7fffffff = 0x45f2c6ec = 1173551340;
  // % 7 = 1173551340 - 7 * 167650191 = 3.
  struct Case {
    const char* key;
    int32_t murmur2;
  };
  for (const Case& c :
       {Case{"21", -973932308}, Case{"foobar", -790332482},
        Case{"a-little-bit-long-string", -985981536},
        Case{"a-little-bit-longer-string", -1486304829},
        Case{"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
        Case{"abc", 479470107}}) {
    INFO(c.key);
    CHECK(KafkaMurmur2(c.key) == c.murmur2);
    for (int32_t n : {1, 3, 7, 12, 100}) {
      uint32_t positive = static_cast<uint32_t>(c.murmur2) & 0x7fffffffu;
      CHECK(KafkaPartitionForKey(c.key, n) ==
            PartitionId(
                static_cast<int32_t>(positive % static_cast<uint32_t>(n))));
    }
  }
  CHECK(KafkaPartitionForKey("21", 7) == PartitionId(3));  // worked above
}

TEST_CASE("ProducerOptions::key_hash kMurmur2 places keys as Kafka does",
          "[producer][murmur2]") {
  Fixture f(6);
  ProducerOptions o;
  o.key_hash = KeyHash::kMurmur2;
  auto p = f.store->NewProducer(o);
  REQUIRE(p.ok());
  for (int i = 0; i < 50; ++i) {
    std::string key = "key-" + std::to_string(i);
    auto sent = (*p)->Send("t", {.key = key, .value = "v"});
    REQUIRE(sent.ok());
    CHECK(sent->partition == KafkaPartitionForKey(key, 6));
  }
}

TEST_CASE("keyed records land in the key's partition", "[producer]") {
  Fixture f(5);
  for (int i = 0; i < 50; ++i) {
    std::string key = "key-" + std::to_string(i);
    auto sent = f.producer->Send("t", {.key = key, .value = "v"});
    REQUIRE(sent.ok());
    CHECK(sent->partition == PartitionForKey(key, 5));
    CHECK(sent->timestamp_ms > 0);
  }
}

TEST_CASE("records without a key stick, then spread", "[producer]") {
  Fixture f(3);
  std::map<int32_t, int> per_partition;
  std::vector<int32_t> sequence;
  for (int i = 0; i < 64 * 6; ++i) {
    auto sent = f.producer->Send("t", {.value = "v"});
    REQUIRE(sent.ok());
    per_partition[sent->partition.value()]++;
    sequence.push_back(sent->partition.value());
  }
  CHECK(per_partition.size() == 3);
  for (auto& [p, n] : per_partition) CHECK(n == 128);
  // Sticky: 64 consecutive sends per partition before switching.
  for (size_t i = 0; i < sequence.size(); ++i)
    CHECK(sequence[i] == sequence[i - i % 64]);
}

TEST_CASE("each sending thread sticks on its own", "[producer][concurrency]") {
  Fixture f(3);
  std::vector<int32_t> sequences[2];
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 64 * 6; ++i) {
        auto sent = f.producer->Send("t", {.value = "v"});
        sequences[t].push_back(sent.ok() ? sent->partition.value() : -1);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& seq : sequences) {
    REQUIRE(seq.size() == 64 * 6);
    std::map<int32_t, int> per_partition;
    for (size_t i = 0; i < seq.size(); ++i) {
      CHECK(seq[i] >= 0);
      // Another thread's sends never break a thread's run of 64.
      CHECK(seq[i] == seq[i - i % 64]);
      per_partition[seq[i]]++;
    }
    CHECK(per_partition.size() == 3);
    for (auto& [p, n] : per_partition) CHECK(n == 128);
  }
}

TEST_CASE("explicit partitions and user partitioners", "[producer]") {
  Fixture f(4);
  auto sent = f.producer->Send("t", {.key = "k", .value = "v"},
                               {.partition = PartitionId(3)});
  REQUIRE(sent.ok());
  CHECK(sent->partition == PartitionId(3));
  CHECK(absl::IsOutOfRange(
      f.producer->Send("t", {.value = "v"}, {.partition = PartitionId(4)})
          .status()));
  CHECK(absl::IsOutOfRange(
      f.producer->Send("t", {.value = "v"}, {.partition = PartitionId(-1)})
          .status()));
  ProducerOptions o;
  o.partitioner = [](std::string_view, std::optional<std::string_view> key,
                     int32_t n) {
    return PartitionId(key ? static_cast<int32_t>(key->size()) % n : 0);
  };
  auto custom = f.store->NewProducer(o);
  REQUIRE(custom.ok());
  auto r = (*custom)->Send("t", {.key = "abcdef", .value = "v"});
  REQUIRE(r.ok());
  CHECK(r->partition == PartitionId(2));
  ProducerOptions broken;
  broken.partitioner = [](std::string_view, std::optional<std::string_view>,
                          int32_t) { return PartitionId(99); };
  auto bad = f.store->NewProducer(broken);
  CHECK(absl::IsOutOfRange((*bad)->Send("t", {.value = "v"}).status()));
  ProducerOptions zero;
  zero.sticky_records = 0;
  CHECK(absl::IsInvalidArgument(f.store->NewProducer(zero).status()));
}

TEST_CASE("batches go to one partition, atomically", "[producer]") {
  Fixture f(4);
  std::vector<Record> same_key = {{.key = "agg-1", .value = "a"},
                                  {.key = "agg-1", .value = "b"},
                                  {.value = "no key follows the keyed ones"}};
  auto r = f.producer->SendBatch("t", same_key);
  REQUIRE(r.ok());
  CHECK(r->partition == PartitionForKey("agg-1", 4));
  CHECK(r->last_offset - r->base_offset == 2);
  // Keys mapping to different partitions are refused unless a partition is
  // given.
  std::string k1, k2;
  for (int i = 0; k2.empty(); ++i) {
    std::string k = "x" + std::to_string(i);
    if (k1.empty())
      k1 = k;
    else if (PartitionForKey(k, 4) != PartitionForKey(k1, 4))
      k2 = k;
  }
  std::vector<Record> mixed = {{.key = k1, .value = "1"},
                               {.key = k2, .value = "2"}};
  CHECK(absl::IsInvalidArgument(f.producer->SendBatch("t", mixed).status()));
  auto forced =
      f.producer->SendBatch("t", mixed, {.partition = PartitionId(0)});
  REQUIRE(forced.ok());
  CHECK(absl::IsInvalidArgument(f.producer->SendBatch("t", {}).status()));
}

TEST_CASE("conditional appends for event sourcing", "[producer]") {
  Fixture f(2);
  SendOptions first{.partition = PartitionId(1),
                    .expected_end_offset = Offset(0)};
  REQUIRE(
      f.producer->Send("t", {.key = "acct", .value = "opened"}, first).ok());
  auto stale = f.producer->Send("t", {.key = "acct", .value = "again"}, first);
  REQUIRE(absl::IsAborted(stale.status()));
  CHECK(stale.status().message().find("log end offset 1") !=
        absl::string_view::npos);
  CHECK(f.Log(1)->end_offset() == Offset(1));
  SendOptions next{.partition = PartitionId(1),
                   .expected_end_offset = Offset(1)};
  CHECK(f.producer->Send("t", {.key = "acct", .value = "deposit"}, next).ok());
}

TEST_CASE("max_record_bytes counts what options.h says", "[producer]") {
  // options.h: key + value + 28 bytes, plus per header its key + value + 8.
  Fixture f(1);
  REQUIRE(f.store
              ->CreateTopic("small", 1,
                            [] {
                              TopicConfig c;
                              c.segment_bytes = 64 << 10;
                              c.max_record_bytes = 1000;
                              return c;
                            }())
              .ok());
  std::string v972(972, 'v'), v973(973, 'v');
  CHECK(f.producer->Send("small", {.value = v972}).ok());
  auto big = f.producer->Send("small", {.value = v973});
  REQUIRE(absl::IsResourceExhausted(big.status()));
  CHECK(big.status().message().find("record of 1001 encoded bytes") !=
        absl::string_view::npos);
  // Key "k" + header ("h", "x"): 972 - 1 - (1 + 1 + 8) = 961 bytes of value.
  HeaderView h[] = {{"h", "x"}};
  std::string v961(961, 'v'), v962(962, 'v');
  CHECK(f.producer->Send("small", {.key = "k", .value = v961, .headers = h})
            .ok());
  CHECK(absl::IsResourceExhausted(
      f.producer->Send("small", {.key = "k", .value = v962, .headers = h})
          .status()));
}

TEST_CASE("producer errors are specific", "[producer]") {
  Fixture f(1);
  CHECK(absl::IsNotFound(f.producer->Send("nope", {.value = "v"}).status()));
  std::string big(5000, 'b');
  CHECK(absl::IsResourceExhausted(
      f.producer->Send("t", {.value = big}).status()));
  REQUIRE(f.producer->Close().ok());
  CHECK(absl::IsFailedPrecondition(
      f.producer->Send("t", {.value = "v"}).status()));
  CHECK(absl::IsFailedPrecondition(f.producer->Flush()));
}

TEST_CASE("Flush makes everything sent durable", "[producer]") {
  Fixture f(3);
  for (int i = 0; i < 30; ++i) {
    REQUIRE(
        f.producer->Send("t", {.key = std::to_string(i), .value = "v"}).ok());
  }
  REQUIRE(f.producer->Flush().ok());
  for (int p = 0; p < 3; ++p) {
    CHECK(f.Log(p)->durable_end_offset() == f.Log(p)->end_offset());
  }
}

TEST_CASE("many producer threads: contiguous offsets, every ack present once",
          "[producer][concurrency]") {
  constexpr int kPartitions = 3, kThreads = 4, kPerThread = 2000;
  Fixture f(kPartitions);
  struct Ack {
    int32_t partition;
    int64_t offset;
    std::string value;
  };
  std::vector<std::vector<Ack>> acks(kThreads);
  std::atomic<bool> done{false};
  std::atomic<int> reader_errors{0};
  // A reader follows partition 0 while producers write, checking contiguity.
  std::thread reader([&] {
    PartitionLog* log = f.Log(0);
    LogReader r(log, Offset(0));
    RecordView v;
    int64_t expect = 0;
    while (true) {
      bool finished = done.load();
      auto got = r.Next(&v, log->end_offset());
      if (!got.ok()) {
        reader_errors++;
        return;
      }
      if (*got) {
        if (v.offset().value() != expect++) reader_errors++;
        continue;
      }
      if (finished) return;
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string value = std::to_string(t) + ":" + std::to_string(i);
        std::string key = "k" + std::to_string(i % 17);
        auto sent = (i % 3 == 0)
                        ? f.producer->Send("t", {.value = value})
                        : f.producer->Send("t", {.key = key, .value = value});
        if (!sent.ok()) continue;
        acks[t].push_back(
            {sent->partition.value(), sent->offset.value(), value});
      }
    });
  }
  for (auto& th : threads) th.join();
  done = true;
  reader.join();
  CHECK(reader_errors.load() == 0);
  std::map<std::pair<int32_t, int64_t>, std::string> expected;
  size_t total = 0;
  for (auto& list : acks) {
    CHECK(list.size() == kPerThread);
    for (auto& a : list) {
      CHECK(expected.emplace(std::make_pair(a.partition, a.offset), a.value)
                .second);
      ++total;
    }
  }
  size_t seen = 0;
  for (int p = 0; p < kPartitions; ++p) {
    PartitionLog* log = f.Log(p);
    LogReader r(log, Offset(0));
    RecordView v;
    int64_t next = 0;
    while (*r.Next(&v, log->end_offset())) {
      CHECK(v.offset().value() == next++);
      auto it = expected.find({p, v.offset().value()});
      REQUIRE(it != expected.end());
      CHECK(v.value() == std::optional<std::string_view>(it->second));
      ++seen;
    }
  }
  CHECK(seen == total);
}

// Sends go through a per-thread cache of the last topic used
// (StoreImpl::WithTopic); it must never outlive a deletion, a re-creation
// or the store it came from.
TEST_CASE("a send after delete or re-create reaches the current topic",
          "[producer]") {
  Fixture f(1);
  REQUIRE(f.producer->Send("t", {.value = "old"}).ok());
  REQUIRE(f.store->DeleteTopic("t").ok());
  CHECK(absl::IsNotFound(f.producer->Send("t", {.value = "gone"}).status()));
  REQUIRE(f.store->CreateTopic("t", 2).ok());
  auto sent =
      f.producer->Send("t", {.value = "new"}, {.partition = PartitionId(1)});
  REQUIRE(sent.ok());
  CHECK(sent->offset.value() == 0);
  auto d = f.store->DescribeTopic("t");
  REQUIRE(d.ok());
  CHECK(d->partitions.size() == 2);
  CHECK(d->partitions[1].end_offset.value() == 1);

  // The same thread alternating between two stores with a topic of the
  // same name: each record lands in its own store.
  Fixture other(1);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(f.producer->Send("t", {.value = "a"}, {.partition = PartitionId(0)})
                .ok());
    REQUIRE(other.producer->Send("t", {.value = "b"}).ok());
  }
  CHECK(f.Log(0)->end_offset().value() == 3);
  CHECK(other.Log(0)->end_offset().value() == 3);
}

}  // namespace
}  // namespace evlog
