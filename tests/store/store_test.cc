// The store: opening, locking, topics and their persistence, in memory and
// on disk.

#include "evlog/store.h"

#include <stdlib.h>

#include <catch2/catch.hpp>

#include "env/mem_env.h"
#include "evlog/producer.h"
#include "partition/log_reader.h"
#include "storage/durable_file.h"
#include "store/store_impl.h"

namespace evlog {
namespace {

StoreOptions MemOptions(Env* env) {
  StoreOptions o;
  o.env = env;
  o.maintenance_interval_ms = 0;
  o.default_topic_config.segment_bytes = 64 << 10;
  o.default_topic_config.max_record_bytes = 16 << 10;
  return o;
}

std::unique_ptr<Store> MustOpen(const std::string& dir, const StoreOptions& o) {
  auto s = Store::Open(dir, o);
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  return *std::move(s);
}

// A temporary directory on the real file system, removed at the end.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/evlog-store-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { RemoveTree(Env::Default(), path).IgnoreError(); }
};

TEST_CASE("an in-memory store is one line and works", "[store]") {
  auto store = Store::OpenInMemory();
  REQUIRE(store.ok());
  REQUIRE((*store)->CreateTopic("events", 2).ok());
  auto producer = (*store)->NewProducer();
  REQUIRE(producer.ok());
  auto sent = (*producer)->Send("events", {.key = "k", .value = "v"});
  REQUIRE(sent.ok());
  CHECK(sent->offset == Offset(0));
  CHECK((*store)->ListTopics() == std::vector<std::string>{"events"});
}

TEST_CASE("topics persist across reopen on disk", "[store]") {
  TempDir tmp;
  std::string dir = tmp.path + "/store";
  StoreOptions o;
  o.maintenance_interval_ms = 0;
  o.default_topic_config.segment_bytes = 64 << 10;
  o.default_topic_config.max_record_bytes = 16 << 10;
  {
    auto store = MustOpen(dir, o);
    TopicConfig c = o.default_topic_config;
    c.retention_ms = 1234;
    REQUIRE(store->CreateTopic("a", 3, c).ok());
    REQUIRE(store->CreateTopic("b", 1).ok());
    auto producer = store->NewProducer();
    REQUIRE(producer.ok());
    for (int i = 0; i < 10; ++i) {
      REQUIRE((*producer)
                  ->Send("a", {.value = "x"}, {.partition = PartitionId(1)})
                  .ok());
    }
    REQUIRE(store->Close().ok());
  }
  auto store = MustOpen(dir, o);
  CHECK(store->ListTopics() == std::vector<std::string>{"a", "b"});
  auto d = store->DescribeTopic("a");
  REQUIRE(d.ok());
  CHECK(d->config.retention_ms == 1234);
  REQUIRE(d->partitions.size() == 3);
  CHECK(d->partitions[1].end_offset == Offset(10));
  CHECK(d->partitions[1].durable_end_offset == Offset(10));
  CHECK(d->partitions[1].segments == 1);
  CHECK(d->partitions[1].bytes > 0);
  CHECK(d->partitions[1].oldest_timestamp_ms > 0);
  CHECK(d->partitions[0].end_offset == Offset(0));
  CHECK(d->partitions[0].oldest_timestamp_ms == -1);
}

TEST_CASE("a second owner is refused with the lock named", "[store]") {
  TempDir tmp;
  StoreOptions o;
  o.maintenance_interval_ms = 0;
  auto first = MustOpen(tmp.path, o);
  auto second = Store::Open(tmp.path, o);
  REQUIRE(absl::IsUnavailable(second.status()));
  CHECK(second.status().message().find(tmp.path + "/LOCK") !=
        absl::string_view::npos);
  // Read-only opens take no lock.
  StoreOptions ro = o;
  ro.read_only = true;
  auto reader = Store::Open(tmp.path, ro);
  REQUIRE(reader.ok());
  CHECK(absl::IsFailedPrecondition((*reader)->CreateTopic("t", 1)));
  REQUIRE(first->Close().ok());
  CHECK(Store::Open(tmp.path, o).ok());
}

TEST_CASE("create_if_missing=false and missing stores", "[store]") {
  MemEnv env;
  StoreOptions o = MemOptions(&env);
  o.create_if_missing = false;
  CHECK(absl::IsNotFound(Store::Open("/nope", o).status()));
  StoreOptions ro = MemOptions(&env);
  ro.read_only = true;
  REQUIRE(env.CreateDir("/empty").ok());
  CHECK(absl::IsNotFound(Store::Open("/empty", ro).status()));
}

TEST_CASE("bad topic arguments are refused before touching files", "[store]") {
  MemEnv env;
  auto store = MustOpen("/s", MemOptions(&env));
  CHECK(absl::IsInvalidArgument(store->CreateTopic("../escape", 1)));
  CHECK(absl::IsInvalidArgument(store->CreateTopic("a/b", 1)));
  CHECK(absl::IsInvalidArgument(store->CreateTopic(std::string(250, 'n'), 1)));
  CHECK(absl::IsInvalidArgument(store->CreateTopic("zero", 0)));
  CHECK(absl::IsInvalidArgument(store->CreateTopic("huge", 10001)));
  TopicConfig bad;
  bad.flush_ms = 0;
  auto s = store->CreateTopic("cfg", 1, bad);
  CHECK(absl::IsInvalidArgument(s));
  CHECK(s.message().find("flush_ms") != absl::string_view::npos);
  auto listed = env.ListDir("/s/topics");
  REQUIRE(listed.ok());
  CHECK(listed->empty());
  REQUIRE(store->CreateTopic("t", 1).ok());
  CHECK(absl::IsAlreadyExists(store->CreateTopic("t", 1)));
  CHECK(absl::IsNotFound(store->DeleteTopic("missing")));
  CHECK(absl::IsNotFound(store->DescribeTopic("missing").status()));
}

TEST_CASE("deleting a topic keeps held views valid; re-creating starts empty",
          "[store]") {
  MemEnv env;
  auto opened = StoreImpl::Open("/s", MemOptions(&env), nullptr);
  REQUIRE(opened.ok());
  StoreImpl* store = opened->get();
  REQUIRE(store->CreateTopic("t", 1).ok());
  auto producer = store->NewProducer();
  REQUIRE(producer.ok());
  std::string big(1000, 'q');
  for (int i = 0; i < 200; ++i) {
    REQUIRE((*producer)->Send("t", {.value = big}).ok());
  }
  auto topic = store->FindTopic("t");
  REQUIRE(topic.ok());
  std::shared_ptr<PartitionLog> log =
      (*topic)->shared_partition(PartitionId(0));
  LogReader reader(log.get(), Offset(0));
  RecordView v;
  REQUIRE(*reader.Next(&v, log->end_offset()));
  std::string old_dir = (*topic)->dir();
  REQUIRE(store->DeleteTopic("t").ok());
  CHECK(!env.FileExists(old_dir));
  // The view still reads the deleted data, and the reader can go on.
  CHECK(v.value() == std::optional<std::string_view>(big));
  int more = 0;
  while (*reader.Next(&v, log->end_offset())) ++more;
  CHECK(more == 199);
  CHECK(absl::IsFailedPrecondition(
            (*producer)->Send("t", {.value = "x"}).status()) ==
        false);  // unknown now:
  CHECK(absl::IsNotFound((*producer)->Send("t", {.value = "x"}).status()));
  REQUIRE(store->CreateTopic("t", 1).ok());
  auto d = store->DescribeTopic("t");
  REQUIRE(d.ok());
  CHECK(d->partitions[0].end_offset == Offset(0));
}

TEST_CASE("partitions can be added, never removed, and persist", "[store]") {
  MemEnv env;
  {
    auto store = MustOpen("/s", MemOptions(&env));
    REQUIRE(store->CreateTopic("t", 2).ok());
    CHECK(absl::IsInvalidArgument(store->AddPartitions("t", 2)));
    CHECK(absl::IsInvalidArgument(store->AddPartitions("t", 1)));
    REQUIRE(store->AddPartitions("t", 5).ok());
    auto producer = store->NewProducer();
    REQUIRE((*producer)
                ->Send("t", {.value = "x"}, {.partition = PartitionId(4)})
                .ok());
  }
  auto store = MustOpen("/s", MemOptions(&env));
  auto d = store->DescribeTopic("t");
  REQUIRE(d.ok());
  REQUIRE(d->partitions.size() == 5);
  CHECK(d->partitions[4].end_offset == Offset(1));
}

TEST_CASE("a closed store refuses work", "[store]") {
  MemEnv env;
  auto store = MustOpen("/s", MemOptions(&env));
  REQUIRE(store->CreateTopic("t", 1).ok());
  auto producer = store->NewProducer();
  REQUIRE(producer.ok());
  REQUIRE(store->Close().ok());
  CHECK(store->Close().ok());
  CHECK(absl::IsFailedPrecondition(store->CreateTopic("u", 1)));
  CHECK(absl::IsFailedPrecondition(
      (*producer)->Send("t", {.value = "x"}).status()));
  CHECK(absl::IsFailedPrecondition(store->NewProducer().status()));
}

// Takes a crash image at every sync of an administrative operation and
// checks that each one opens to the old or the new state, with no orphans.
template <typename Op, typename Check>
void CrashAtEverySync(Op op, Check check_old_or_new) {
  MemEnv env;
  {
    auto store = MustOpen("/s", MemOptions(&env));
    REQUIRE(store->CreateTopic("keep", 1).ok());
    REQUIRE(store->CreateTopic("victim", 2).ok());
  }
  REQUIRE(env.SyncDir("/").ok());
  std::vector<std::unique_ptr<MemEnv>> images;
  auto store = MustOpen("/s", MemOptions(&env));
  env.SetSyncHook([&](const std::string&) {
    images.push_back(env.CrashImage(
        {.kind = CrashOptions::kPowerLoss, .seed = images.size()}));
  });
  REQUIRE(op(store.get()).ok());
  env.SetSyncHook(nullptr);
  REQUIRE(images.size() >= 2);  // at least META's tmp fsync and rename
  for (size_t i = 0; i < images.size(); ++i) {
    INFO("crash image at sync " << i);
    auto reopened = Store::Open("/s", MemOptions(images[i].get()));
    REQUIRE(reopened.ok());
    check_old_or_new(reopened->get());
    // No orphan directories survive the reopen.
    auto dirs = images[i]->ListDir("/s/topics");
    REQUIRE(dirs.ok());
    CHECK(dirs->size() == (*reopened)->ListTopics().size());
  }
}

TEST_CASE("topic administration is atomic across crashes", "[store]") {
  SECTION("create") {
    CrashAtEverySync([](Store* s) { return s->CreateTopic("new", 3); },
                     [](Store* s) {
                       auto d = s->DescribeTopic("new");
                       if (d.ok()) CHECK(d->partitions.size() == 3);
                       CHECK(s->DescribeTopic("keep").ok());
                     });
  }
  SECTION("delete") {
    CrashAtEverySync([](Store* s) { return s->DeleteTopic("victim"); },
                     [](Store* s) {
                       auto d = s->DescribeTopic("victim");
                       if (d.ok()) CHECK(d->partitions.size() == 2);
                       CHECK(s->DescribeTopic("keep").ok());
                     });
  }
  SECTION("add partitions") {
    CrashAtEverySync(
        [](Store* s) { return s->AddPartitions("victim", 4); },
        [](Store* s) {
          auto d = s->DescribeTopic("victim");
          REQUIRE(d.ok());
          CHECK((d->partitions.size() == 2 || d->partitions.size() == 4));
        });
  }
}

TEST_CASE("a corrupt META is reported, not ignored", "[store]") {
  MemEnv env;
  {
    auto store = MustOpen("/s", MemOptions(&env));
    REQUIRE(store->CreateTopic("t", 1).ok());
  }
  auto text = env.ReadFile("/s/META");
  REQUIRE(text.ok());
  std::string bad = *text;
  bad[bad.find("topic ") + 8] ^= 1;
  REQUIRE(ReplaceFileDurably(&env, "/s", "META", bad).ok());
  auto reopened = Store::Open("/s", MemOptions(&env));
  CHECK(absl::IsDataLoss(reopened.status()));
}

TEST_CASE("the maintenance thread runs on maintenance_cpus", "[store]") {
  MemEnv env;
  StoreOptions o = MemOptions(&env);
  o.maintenance_interval_ms = 1000;  // the thread runs
  {
    auto store = MustOpen("/unpinned", o);
    CHECK(env.affinity_requests().empty());  // default: no affinity asked
  }
  o.maintenance_cpus = {1, 0};
  {
    // Open returns once the thread has pinned itself.
    auto store = MustOpen("/pinned", o);
    CHECK(env.affinity_requests() == std::vector<std::vector<int>>{{1, 0}});
  }
  o.maintenance_cpus = {-3};
  auto bad = Store::Open("/bad", o);
  REQUIRE(absl::IsInvalidArgument(bad.status()));
  CHECK(bad.status().message().find("maintenance_cpus") !=
        absl::string_view::npos);
  // On disk: a CPU the machine does not have.
  TempDir dir;
  StoreOptions disk;
  disk.maintenance_cpus = {1023};
  CHECK(absl::IsInvalidArgument(Store::Open(dir.path + "/s", disk).status()));
  // Without the thread there is nothing to pin.
  disk.maintenance_interval_ms = 0;
  CHECK(Store::Open(dir.path + "/s", disk).ok());
}

}  // namespace
}  // namespace evlog
