// Campaign 5: misuse and hostile input through the public API, each with
// the exact error code the documented table (evlog/store.h,
// evlog/consumer.h) promises. Every row runs on a fresh in-memory store
// unless it needs something else (a FaultEnv, a full MemEnv, another
// process, damaged files).
//
// "Read-only directory": evlog's tests run as root, for whom permission
// bits are ignored, so a read-only directory is simulated by a FaultEnv
// failing every operation with kPermissionDenied (what PosixEnv maps
// EACCES/EPERM/EROFS to, lib/env/io_error.cc).

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <functional>

#include "env/fault_env.h"
#include "env/mem_env.h"
#include "evlog/producer.h"
#include "format/segment_header.h"
#include "reliability/reliability_util.h"

#ifndef EVLOG_CRASH_CHILD_PATH
#error "EVLOG_CRASH_CHILD_PATH must name the evlog_crash_child executable"
#endif

namespace evlog::reliability {
namespace {

namespace fs = std::filesystem;
using Code = absl::StatusCode;

StoreOptions On(Env* env) {
  StoreOptions o;
  o.env = env;
  o.maintenance_interval_ms = 0;
  o.default_topic_config.segment_bytes = 4096;
  o.default_topic_config.max_record_bytes = 1024;
  return o;
}

// A fresh store with topic "t" (2 partitions) holding a few records.
struct Fixture {
  MemEnv env;
  std::unique_ptr<Store> store;
  std::unique_ptr<Producer> producer;
  Fixture() {
    auto s = Store::Open("/s", On(&env));
    REQUIRE(s.ok());
    store = *std::move(s);
    REQUIRE(store->CreateTopic("t", 2).ok());
    auto p = store->NewProducer();
    REQUIRE(p.ok());
    producer = *std::move(p);
    for (int i = 0; i < 40; ++i) {
      std::string v(100, static_cast<char>('a' + i % 26));
      REQUIRE(producer->Send("t", {.value = v}, {.partition = PartitionId(0)})
                  .ok());
    }
  }
  std::unique_ptr<Consumer> NewConsumer(ConsumerOptions o = {}) {
    auto c = store->NewConsumer(o);
    REQUIRE(c.ok());
    return *std::move(c);
  }
};

struct Row {
  const char* what;
  Code expected;
  std::function<absl::Status(Fixture&)> run;
};

absl::Status Create(Fixture& f, const std::string& name, int32_t n = 1) {
  return f.store->CreateTopic(name, n);
}

TEST_CASE(
    "campaign 5: bad arguments through the public API get their exact code",
    "[reliability][bad_input]") {
  const std::string big(1200, 'x');
  std::vector<HeaderView> many_headers(
      200, HeaderView{"header-key", "header-value"});
  const Row rows[] = {
      {"topic name with '/'", Code::kInvalidArgument,
       [](Fixture& f) { return Create(f, "a/b"); }},
      {"topic name '..'", Code::kInvalidArgument,
       [](Fixture& f) { return Create(f, ".."); }},
      {"topic name '.'", Code::kInvalidArgument,
       [](Fixture& f) { return Create(f, "."); }},
      {"topic name '../x'", Code::kInvalidArgument,
       [](Fixture& f) { return Create(f, "../x"); }},
      {"topic name with NUL", Code::kInvalidArgument,
       [](Fixture& f) { return Create(f, std::string("a\0b", 3)); }},
      {"empty topic name", Code::kInvalidArgument,
       [](Fixture& f) { return Create(f, ""); }},
      {"topic name of 250 chars", Code::kInvalidArgument,
       [](Fixture& f) { return Create(f, std::string(250, 'a')); }},
      {"topic name of 1000 chars", Code::kInvalidArgument,
       [](Fixture& f) { return Create(f, std::string(1000, 'a')); }},
      {"topic name of 249 chars is fine", Code::kOk,
       [](Fixture& f) { return Create(f, std::string(249, 'a')); }},
      {"topic name with a space", Code::kInvalidArgument,
       [](Fixture& f) { return Create(f, "a b"); }},
      {"topic name with UTF-8", Code::kInvalidArgument,
       [](Fixture& f) { return Create(f, "caf\xc3\xa9"); }},
      {"zero partitions", Code::kInvalidArgument,
       [](Fixture& f) { return Create(f, "z", 0); }},
      {"negative partitions", Code::kInvalidArgument,
       [](Fixture& f) { return Create(f, "z", -1); }},
      {"10001 partitions", Code::kInvalidArgument,
       [](Fixture& f) { return Create(f, "z", 10001); }},
      {"INT32_MAX partitions", Code::kInvalidArgument,
       [](Fixture& f) { return Create(f, "z", INT32_MAX); }},
      {"existing topic", Code::kAlreadyExists,
       [](Fixture& f) { return Create(f, "t"); }},
      {"segment_bytes below 4 KiB", Code::kInvalidArgument,
       [](Fixture& f) {
         TopicConfig c;
         c.segment_bytes = 100;
         return f.store->CreateTopic("z", 1, c);
       }},
      {"max_record_bytes larger than a segment", Code::kInvalidArgument,
       [](Fixture& f) {
         TopicConfig c;
         c.segment_bytes = 4096;
         c.max_record_bytes = 1 << 20;
         return f.store->CreateTopic("z", 1, c);
       }},
      {"delete unknown topic", Code::kNotFound,
       [](Fixture& f) { return f.store->DeleteTopic("nope"); }},
      {"fewer partitions", Code::kInvalidArgument,
       [](Fixture& f) { return f.store->AddPartitions("t", 1); }},
      {"describe unknown topic", Code::kNotFound,
       [](Fixture& f) { return f.store->DescribeTopic("nope").status(); }},
      {"send to unknown topic", Code::kNotFound,
       [](Fixture& f) {
         return f.producer->Send("nope", {.value = "v"}).status();
       }},
      {"send to partition 2 of 2", Code::kOutOfRange,
       [](Fixture& f) {
         return f.producer
             ->Send("t", {.value = "v"}, {.partition = PartitionId(2)})
             .status();
       }},
      {"send to partition -1", Code::kOutOfRange,
       [](Fixture& f) {
         return f.producer
             ->Send("t", {.value = "v"}, {.partition = PartitionId(-1)})
             .status();
       }},
      {"oversize value", Code::kResourceExhausted,
       [&big](Fixture& f) {
         return f.producer->Send("t", {.value = big}).status();
       }},
      {"oversize key", Code::kResourceExhausted,
       [&big](Fixture& f) {
         return f.producer->Send("t", {.key = big, .value = "v"}).status();
       }},
      {"oversize headers", Code::kResourceExhausted,
       [&many_headers](Fixture& f) {
         return f.producer->Send("t", {.value = "v", .headers = many_headers})
             .status();
       }},
      {"batch larger than a segment", Code::kResourceExhausted,
       [](Fixture& f) {
         std::string v(900, 'v');
         std::vector<Record> rs(6, Record{.value = v});
         return f.producer->SendBatch("t", rs, {.partition = PartitionId(0)})
             .status();
       }},
      {"empty batch", Code::kInvalidArgument,
       [](Fixture& f) { return f.producer->SendBatch("t", {}).status(); }},
      {"expected end offset mismatch", Code::kAborted,
       [](Fixture& f) {
         return f.producer
             ->Send("t", {.value = "v"},
                    {.partition = PartitionId(0),
                     .expected_end_offset = Offset(3)})
             .status();
       }},
      {"send after producer Close", Code::kFailedPrecondition,
       [](Fixture& f) {
         (void)f.producer->Close();
         return f.producer->Send("t", {.value = "v"}).status();
       }},
      {"send after store Close", Code::kFailedPrecondition,
       [](Fixture& f) {
         (void)f.store->Close();
         return f.producer->Send("t", {.value = "v"}).status();
       }},
      {"poll a closed consumer", Code::kFailedPrecondition,
       [](Fixture& f) {
         auto c = f.NewConsumer();
         (void)c->Close();
         PollResult r;
         return c->Poll(std::chrono::milliseconds(0), &r);
       }},
      {"seek out of range with auto_offset_reset = kError", Code::kOutOfRange,
       [](Fixture& f) {
         ConsumerOptions o;
         o.auto_offset_reset = AutoOffsetReset::kError;
         auto c = f.NewConsumer(o);
         TopicPartition tp{"t", PartitionId(0)};
         if (auto s = c->Assign({tp}); !s.ok()) return s;
         if (auto s = c->Seek(tp, Offset(1000)); !s.ok()) return s;
         PollResult r;
         return c->Poll(std::chrono::milliseconds(0), &r);
       }},
      // Refused at Seek, although Seek's comment says positions are "not
      // checked now" (consumer.h): a negative offset is never a position.
      {"seek to a negative offset", Code::kInvalidArgument,
       [](Fixture& f) {
         ConsumerOptions o;
         o.auto_offset_reset = AutoOffsetReset::kError;
         auto c = f.NewConsumer(o);
         TopicPartition tp{"t", PartitionId(0)};
         if (auto s = c->Assign({tp}); !s.ok()) return s;
         if (auto s = c->Seek(tp, Offset(-5)); !s.ok()) return s;
         return c->Position(tp).status();
       }},
      {"seek a partition not assigned", Code::kFailedPrecondition,
       [](Fixture& f) {
         return f.NewConsumer()->Seek({"t", PartitionId(0)}, Offset(0));
       }},
      {"assign an unknown topic", Code::kNotFound,
       [](Fixture& f) {
         return f.NewConsumer()->Assign({{"nope", PartitionId(0)}});
       }},
      {"assign partition 7 of 2", Code::kOutOfRange,
       [](Fixture& f) {
         return f.NewConsumer()->Assign({{"t", PartitionId(7)}});
       }},
      {"subscribe without a group", Code::kInvalidArgument,
       [](Fixture& f) { return f.NewConsumer()->Subscribe({"t"}); }},
      {"group id with '/'", Code::kInvalidArgument,
       [](Fixture& f) {
         ConsumerOptions o;
         o.group_id = "a/b";
         return f.store->NewConsumer(o).status();
       }},
      {"group id '..'", Code::kInvalidArgument,
       [](Fixture& f) {
         ConsumerOptions o;
         o.group_id = "..";
         return f.store->NewConsumer(o).status();
       }},
      {"max_poll_records 0", Code::kInvalidArgument,
       [](Fixture& f) {
         ConsumerOptions o;
         o.max_poll_records = 0;
         return f.store->NewConsumer(o).status();
       }},
      {"describe an unknown group", Code::kNotFound,
       [](Fixture& f) { return f.store->DescribeGroup("nope").status(); }},
      {"delete an unknown group", Code::kNotFound,
       [](Fixture& f) { return f.store->DeleteGroup("nope"); }},
      {"reset offsets of an unknown topic", Code::kNotFound,
       [](Fixture& f) {
         return f.store->ResetGroupOffsets("g", "nope", OffsetReset::Earliest())
             .status();
       }},
  };
  for (const Row& row : rows) {
    Fixture f;
    absl::Status s = row.run(f);
    INFO(row.what << ": got " << s);
    CHECK(s.code() == row.expected);
  }
}

TEST_CASE(
    "campaign 5: a store directory that is read-only, full or held by another "
    "process",
    "[reliability][bad_input]") {
  SECTION(
      "read-only (simulated: every operation fails with kPermissionDenied)") {
    MemEnv mem;
    FaultEnv fault(&mem);
    fault.FailAfter(1, /*persistent=*/true, Code::kPermissionDenied);
    CHECK(Store::Open("/s", On(&fault)).status().code() ==
          Code::kPermissionDenied);
  }
  SECTION("read-only after creation: topic creation and sends") {
    MemEnv mem;
    FaultEnv fault(&mem);
    auto store = Store::Open("/s", On(&fault));
    REQUIRE(store.ok());
    REQUIRE((*store)->CreateTopic("t", 1).ok());
    auto producer = (*store)->NewProducer();
    REQUIRE(producer.ok());
    fault.FailAfter(1, /*persistent=*/true, Code::kPermissionDenied);
    CHECK((*store)->CreateTopic("u", 1).code() == Code::kPermissionDenied);
    // A send that needs no file operation succeeds; one that rolls fails.
    absl::Status last;
    std::string v(500, 'v');
    for (int i = 0; i < 20 && last.ok(); ++i) {
      last = (*producer)->Send("t", {.value = v}).status();
    }
    CHECK(last.code() == Code::kPermissionDenied);
  }
  SECTION("full: no room for the store") {
    MemEnv mem;
    mem.SetCapacityBytes(0);
    CHECK(Store::Open("/s", On(&mem)).status().code() ==
          Code::kResourceExhausted);
  }
  SECTION("full: no room for a topic or a new segment") {
    MemEnv mem;
    auto store = Store::Open("/s", On(&mem));
    REQUIRE(store.ok());
    REQUIRE((*store)->CreateTopic("t", 1).ok());
    mem.SetCapacityBytes(mem.UsedBytes());
    CHECK((*store)->CreateTopic("u", 1).code() == Code::kResourceExhausted);
    auto producer = (*store)->NewProducer();
    REQUIRE(producer.ok());
    absl::Status last;
    std::string v(500, 'v');
    int sent = 0;
    for (int i = 0; i < 20 && last.ok(); ++i) {
      last = (*producer)->Send("t", {.value = v}).status();
      sent += last.ok();
    }
    CHECK(last.code() == Code::kResourceExhausted);
    // The log stays usable once there is room again.
    mem.SetCapacityBytes(UINT64_MAX);
    CHECK((*producer)->Send("t", {.value = v}).ok());
    CHECK((*store)->DescribeTopic("t")->partitions[0].end_offset ==
          Offset(sent + 1));
  }
  SECTION("held by another running process") {
    char tmpl[] = "/tmp/evlog-held-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    const std::string dir = std::string(tmpl) + "/store";
    int to_child[2], from_child[2];
    REQUIRE(::pipe2(to_child, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(from_child, O_CLOEXEC) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(to_child[0], 0);
      ::dup2(from_child[1], 1);
      ::execl(EVLOG_CRASH_CHILD_PATH, "evlog_crash_child", "hold", dir.c_str(),
              static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    char ready = 0;
    REQUIRE(::read(from_child[0], &ready, 1) == 1);
    REQUIRE(ready == 'R');
    StoreOptions o;
    o.maintenance_interval_ms = 0;
    auto s = Store::Open(dir, o);
    INFO(s.status());
    CHECK(s.status().code() == Code::kUnavailable);
    CHECK(std::string(s.status().message()).find(dir + "/LOCK") !=
          std::string::npos);
    // A read-only open of a held store works (tools inspect live stores).
    o.read_only = true;
    CHECK(Store::Open(dir, o).ok());
    ::close(to_child[1]);  // EOF: the child lets go
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    o.read_only = false;
    CHECK(Store::Open(dir, o).ok());  // free again
    ::close(from_child[0]);
    fs::remove_all(tmpl);
  }
}

// Damaged segment files: a store with three sealed segments and an active
// one in partition 0, closed, then one file changed.
struct Damaged {
  MemEnv env;
  std::string dir = "/s/topics/t.1/0";
  std::vector<std::string> segments;  // paths, oldest first
  Damaged() {
    auto store = Store::Open("/s", On(&env));
    REQUIRE(store.ok());
    REQUIRE((*store)->CreateTopic("t", 1).ok());
    auto p = (*store)->NewProducer();
    std::string v(400, 'v');
    for (int i = 0; i < 30; ++i) REQUIRE((*p)->Send("t", {.value = v}).ok());
    p->reset();
    REQUIRE((*store)->Close().ok());
    auto names = env.ListDir(dir);
    REQUIRE(names.ok());
    for (const auto& n : *names) {
      Offset base;
      if (format::ParseSegmentFileName(n, ".log", &base))
        segments.push_back(dir + "/" + n);
    }
    REQUIRE(segments.size() >= 4);
  }
  std::string Read(const std::string& path) { return *env.ReadFile(path); }
  void Write(const std::string& path, const std::string& bytes) {
    REQUIRE(env.RemoveFile(path).ok());
    auto f = env.NewWritableFile(path);
    REQUIRE(f.ok());
    REQUIRE((*f)->Append(bytes).ok());
    REQUIRE((*f)->Sync().ok());
  }
  absl::Status Open() {
    auto s = Store::Open("/s", On(&env));
    if (!s.ok()) return s.status();
    // Opening is not enough: every record must read back or fail.
    auto r = ReadPartition(**s, "t", 0);
    return r.ok() ? absl::OkStatus() : r.status();
  }
};

TEST_CASE("campaign 5: damaged segment files are reported as kDataLoss",
          "[reliability][bad_input]") {
  const struct {
    const char* what;
    int segment;  // index into segments; -1: the last (active) one
    std::function<std::string(const std::string&)> damage;
    Code expected;
  } rows[] = {
      {"sealed segment truncated to half", 1,
       [](const std::string& b) { return b.substr(0, b.size() / 2); },
       Code::kDataLoss},
      {"sealed segment truncated to 10 bytes", 1,
       [](const std::string& b) { return b.substr(0, 10); }, Code::kDataLoss},
      {"sealed segment extended by 4 KiB of zeros", 1,
       [](const std::string& b) { return b + std::string(4096, '\0'); },
       Code::kDataLoss},
      {"sealed segment extended by garbage", 1,
       [](const std::string& b) { return b + std::string(100, '\x5a'); },
       Code::kDataLoss},
      {"sealed segment replaced with garbage", 1,
       [](const std::string& b) { return std::string(b.size(), '\x5a'); },
       Code::kDataLoss},
      {"sealed segment with a frame byte flipped", 1,
       [](const std::string& b) {
         std::string c = b;
         c[200] ^= 0x01;
         return c;
       },
       Code::kDataLoss},
      {"sealed segment header byte flipped", 1,
       [](const std::string& b) {
         std::string c = b;
         c[20] ^= 0x01;
         return c;
       },
       Code::kDataLoss},
      {"active segment truncated to half", -1,
       [](const std::string& b) { return b.substr(0, b.size() / 2); },
       Code::kDataLoss},
      {"active segment replaced with garbage", -1,
       [](const std::string& b) { return std::string(b.size(), '\x5a'); },
       Code::kDataLoss},
      {"first segment replaced with garbage", 0,
       [](const std::string& b) { return std::string(b.size(), '\x01'); },
       Code::kDataLoss},
  };
  for (const auto& row : rows) {
    Damaged d;
    const std::string& path =
        row.segment < 0 ? d.segments.back()
                        : d.segments[static_cast<size_t>(row.segment)];
    d.Write(path, row.damage(d.Read(path)));
    absl::Status s = d.Open();
    INFO(row.what << " (" << path << "): got " << s);
    CHECK(s.code() == row.expected);
  }
  SECTION("two sealed segments swapped") {
    Damaged d;
    std::string a = d.Read(d.segments[1]), b = d.Read(d.segments[2]);
    d.Write(d.segments[1], b);
    d.Write(d.segments[2], a);
    absl::Status s = d.Open();
    INFO("got " << s);
    CHECK(s.code() == Code::kDataLoss);
  }
  SECTION("index files replaced with garbage are rebuilt, not trusted") {
    Damaged d;
    auto names = d.env.ListDir(d.dir);
    int n = 0;
    for (const auto& name : *names) {
      if (name.size() > 6 && name.substr(name.size() - 6) == ".index") {
        d.Write(d.dir + "/" + name, std::string(72, '\x33'));
        ++n;
      }
    }
    CHECK(n > 0);
    absl::Status s = d.Open();
    INFO("got " << s);
    CHECK(s.ok());
  }
  SECTION("a corrupt META") {
    Damaged d;
    std::string meta = d.Read("/s/META");
    meta[meta.size() / 2] ^= 0x04;
    d.Write("/s/META", meta);
    CHECK(d.Open().code() == Code::kDataLoss);
  }
  SECTION("a corrupt OFFSETS file") {
    Damaged d;
    {
      auto store = Store::Open("/s", On(&d.env));
      REQUIRE(store.ok());
      ConsumerOptions o;
      o.group_id = "g";
      auto c = (*store)->NewConsumer(o);
      REQUIRE((*c)->Assign({{"t", PartitionId(0)}}).ok());
      REQUIRE((*c)->CommitSync({{{"t", PartitionId(0)}, Offset(3)}}).ok());
    }
    std::string off = d.Read("/s/groups/g/OFFSETS");
    off[off.size() / 3] ^= 0x02;
    d.Write("/s/groups/g/OFFSETS", off);
    CHECK(d.Open().code() == Code::kDataLoss);
  }
}

}  // namespace
}  // namespace evlog::reliability
