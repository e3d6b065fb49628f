// MemEnv: the shared Env contract, then the crash model.

#include "env/mem_env.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "env/env_contract.h"
#include "env/env_test_util.h"

namespace evlog {
namespace {

using test::MustList;
using test::MustRead;
using test::WriteSynced;

constexpr size_t kPage = MemEnv::kPageSize;

CrashOptions PowerLoss(uint64_t seed) {
  CrashOptions options;
  options.kind = CrashOptions::kPowerLoss;
  options.seed = seed;
  return options;
}

// Power loss where only `mode` ("drop", "keep", "tear" or "zero") is allowed.
CrashOptions OnlyMode(const std::string& mode, uint64_t seed = 42) {
  CrashOptions options = PowerLoss(seed);
  options.allow_drop = mode == "drop";
  options.allow_keep = mode == "keep";
  options.allow_tear = mode == "tear";
  options.allow_zero = mode == "zero";
  return options;
}

TEST_CASE("MemEnv: files and directories", "[env]") {
  MemEnv env;
  ENV_REQUIRE_OK(env.CreateDir("/t"));
  test::CheckFilesAndDirs(&env, "/t");
}

TEST_CASE("MemEnv: allocate, map, write, sync, reread", "[env]") {
  MemEnv env;
  ENV_REQUIRE_OK(env.CreateDir("/t"));
  test::CheckAllocateAndMap(&env, "/t");
}

TEST_CASE("MemEnv: locks", "[env]") {
  MemEnv env;
  ENV_REQUIRE_OK(env.CreateDir("/t"));
  test::CheckLocks(&env, "/t");
  // Another spelling of a held path conflicts too.
  auto held = env.LockFile("/t/L");
  ENV_REQUIRE_OK(held);
  ENV_REQUIRE_CODE(env.LockFile("//t//L"), kUnavailable);
  // Each MemEnv is its own machine.
  MemEnv other;
  ENV_REQUIRE_OK(other.CreateDir("/t"));
  ENV_REQUIRE_OK(other.LockFile("/t/L"));
}

TEST_CASE("MemEnv: a mapping survives rename and removal", "[env]") {
  MemEnv env;
  ENV_REQUIRE_OK(env.CreateDir("/t"));
  test::CheckMappingOutlivesName(&env, "/t");
}

TEST_CASE("MemEnv: NewMemEnv and /tmp exist from the start", "[env]") {
  FakeClock clock(5);
  std::unique_ptr<Env> env = NewMemEnv(&clock);
  CHECK(env->clock() == &clock);
  ENV_REQUIRE_OK(env->NewWritableFile("/tmp/x"));
  CHECK(MustList(env.get(), "/") == std::vector<std::string>{"tmp"});
  CHECK(NewMemEnv()->clock() == Clock::Real());
}

TEST_CASE("MemEnv: a mapped file is never moved or extended", "[env]") {
  MemEnv env;
  ENV_REQUIRE_OK(env.AllocateFile("/tmp/seg", kPage));
  auto region = env.MapFile("/tmp/seg", true);
  ENV_REQUIRE_OK(region);
  char* const data = (*region)->data();
  data[0] = 'm';

  // Truncating a mapped path gives it a new inode; the mapping keeps the old.
  auto file = env.NewWritableFile("/tmp/seg");
  ENV_REQUIRE_OK(file);
  ENV_REQUIRE_OK((*file)->Append("new"));
  CHECK(MustRead(&env, "/tmp/seg") == "new");
  CHECK((*region)->data() == data);
  CHECK((*region)->size() == kPage);
  CHECK(data[0] == 'm');

  // Appending to a file that is mapped is refused.
  auto mapped_new = env.MapFile("/tmp/seg", false);
  ENV_REQUIRE_OK(mapped_new);
  ENV_REQUIRE_CODE((*file)->Append("x"), kFailedPrecondition);
  mapped_new->reset();
  ENV_REQUIRE_OK((*file)->Append("x"));
  CHECK(MustRead(&env, "/tmp/seg") == "newx");
}

TEST_CASE("MemEnv: capacity makes allocation and append fail", "[env]") {
  MemEnv env;
  env.SetCapacityBytes(3 * kPage);
  ENV_REQUIRE_OK(env.AllocateFile("/tmp/a", 2 * kPage));
  CHECK(env.UsedBytes() == 2 * kPage);
  ENV_REQUIRE_CODE(env.AllocateFile("/tmp/b", 2 * kPage), kResourceExhausted);
  CHECK_FALSE(env.FileExists("/tmp/b"));

  auto file = env.NewWritableFile("/tmp/c");
  ENV_REQUIRE_OK(file);
  ENV_REQUIRE_OK((*file)->Append(std::string(kPage, 'c')));
  ENV_REQUIRE_CODE((*file)->Append("1"), kResourceExhausted);
  CHECK(MustRead(&env, "/tmp/c").size() == kPage);  // Nothing half-written.

  // Removing, replacing and truncating files frees their space.
  ENV_REQUIRE_OK(env.RemoveFile("/tmp/a"));
  CHECK(env.UsedBytes() == kPage);
  ENV_REQUIRE_OK(env.AllocateFile("/tmp/b", 2 * kPage));
  ENV_REQUIRE_OK(env.RenameFile("/tmp/c", "/tmp/b"));
  CHECK(env.UsedBytes() == kPage);
  ENV_REQUIRE_OK(env.NewWritableFile("/tmp/b"));
  CHECK(env.UsedBytes() == 0);
}

TEST_CASE("MemEnv: sync count and sync hook", "[env]") {
  MemEnv env;
  std::vector<std::string> synced;
  std::vector<std::unique_ptr<MemEnv>> images;
  env.SetSyncHook([&](const std::string& path) {
    synced.push_back(path);
    // The hook may take a crash image: no MemEnv lock is held.
    images.push_back(env.CrashImage(PowerLoss(synced.size())));
  });
  ENV_REQUIRE_OK(env.AllocateFile("/tmp/seg", kPage));  // 1: fsync inside.
  ENV_REQUIRE_OK(env.SyncDir("/tmp"));                  // 2
  auto region = env.MapFile("/tmp/seg", true);
  ENV_REQUIRE_OK(region);
  ENV_REQUIRE_OK((*region)->Sync(0, 10));           // 3
  WriteSynced(&env, "/tmp/meta", "m");              // 4
  CHECK_FALSE((*region)->Sync(0, kPage + 1).ok());  // Failed: not counted.
  CHECK(env.sync_count() == 4);
  CHECK(synced ==
        std::vector<std::string>{"/tmp/seg", "/tmp", "/tmp/seg", "/tmp/meta"});
  REQUIRE(images.size() == 4);
  CHECK(MustList(images[0].get(), "/tmp").empty());  // Entry not yet synced.
  CHECK(MustList(images[1].get(), "/tmp") == std::vector<std::string>{"seg"});
  CHECK(images[1]->sync_count() == 0);
  env.SetSyncHook(nullptr);
  ENV_REQUIRE_OK(env.SyncDir("/tmp"));
  CHECK(synced.size() == 4);
}

TEST_CASE("MemEnv: crash forgets unsynced directory entries", "[env]") {
  MemEnv env;
  ENV_REQUIRE_OK(env.CreateDir("/d"));
  ENV_REQUIRE_OK(env.SyncDir("/"));
  WriteSynced(&env, "/d/synced", "s");
  ENV_REQUIRE_OK(env.SyncDir("/d"));
  WriteSynced(&env, "/d/unsynced", "u");  // File fsynced, directory not.
  ENV_REQUIRE_OK(env.CreateDir("/d/sub"));

  for (uint64_t seed = 0; seed < 8; ++seed) {
    std::unique_ptr<MemEnv> image = env.CrashImage(PowerLoss(seed));
    CHECK(MustList(image.get(), "/d") == std::vector<std::string>{"synced"});
    CHECK(MustRead(image.get(), "/d/synced") == "s");
  }

  // A process crash keeps everything the kernel had...
  CrashOptions process;
  process.kind = CrashOptions::kProcessCrash;
  std::unique_ptr<MemEnv> survivor = env.CrashImage(process);
  CHECK(MustList(survivor.get(), "/d") ==
        std::vector<std::string>{"sub", "synced", "unsynced"});
  CHECK(MustRead(survivor.get(), "/d/unsynced") == "u");
  // ...but does not make it durable: a later power loss still loses it.
  std::unique_ptr<MemEnv> later = survivor->CrashImage(PowerLoss(1));
  CHECK(MustList(later.get(), "/d") == std::vector<std::string>{"synced"});

  // An image is independent of its source.
  WriteSynced(survivor.get(), "/d/synced", "changed");
  CHECK(MustRead(&env, "/d/synced") == "s");
}

TEST_CASE("MemEnv: rename and remove without SyncDir are forgotten", "[env]") {
  MemEnv env;
  WriteSynced(&env, "/tmp/current", "old");
  WriteSynced(&env, "/tmp/gone", "g");
  ENV_REQUIRE_OK(env.SyncDir("/tmp"));
  WriteSynced(&env, "/tmp/current.tmp", "new");
  ENV_REQUIRE_OK(env.RenameFile("/tmp/current.tmp", "/tmp/current"));
  ENV_REQUIRE_OK(env.RemoveFile("/tmp/gone"));
  CHECK(MustRead(&env, "/tmp/current") == "new");

  std::unique_ptr<MemEnv> before = env.CrashImage(PowerLoss(3));
  CHECK(MustList(before.get(), "/tmp") ==
        std::vector<std::string>{"current", "gone"});
  CHECK(MustRead(before.get(), "/tmp/current") == "old");

  ENV_REQUIRE_OK(env.SyncDir("/tmp"));
  std::unique_ptr<MemEnv> after = env.CrashImage(PowerLoss(3));
  CHECK(MustList(after.get(), "/tmp") == std::vector<std::string>{"current"});
  CHECK(MustRead(after.get(), "/tmp/current") == "new");
}

TEST_CASE("MemEnv: unsynced appends and truncation on power loss", "[env]") {
  MemEnv env;
  WriteSynced(&env, "/tmp/f", "durable");
  ENV_REQUIRE_OK(env.SyncDir("/tmp"));
  auto file = env.NewWritableFile("/tmp/f");  // Truncates, not synced.
  ENV_REQUIRE_OK(file);
  ENV_REQUIRE_OK((*file)->Append("newer contents"));
  CHECK(MustRead(env.CrashImage(OnlyMode("drop")).get(), "/tmp/f") ==
        "durable");
  CHECK(MustRead(env.CrashImage(OnlyMode("keep")).get(), "/tmp/f") ==
        "newer contents");
  // The new size survives but the data does not: bytes that differ from the
  // durable ones (zero-padded to the new size) read as zeros.
  const std::string zeroed =
      MustRead(env.CrashImage(OnlyMode("zero")).get(), "/tmp/f");
  REQUIRE(zeroed.size() == std::string("newer contents").size());
  const std::string durable_padded =
      std::string("durable") + std::string(7, '\0');
  const std::string current = "newer contents";
  for (size_t i = 0; i < zeroed.size(); ++i) {
    CHECK(zeroed[i] == (durable_padded[i] == current[i] ? current[i] : '\0'));
  }
  ENV_REQUIRE_OK((*file)->Sync());
  CHECK(MustRead(env.CrashImage(OnlyMode("drop")).get(), "/tmp/f") ==
        "newer contents");
}

// A 4-page segment, durable as all 'a', then: bytes [100, 200) of every page
// rewritten as 'b' with only page 0's range synced, and page 3 rewritten
// wholly as 'c' (unsynced).
class MappedSegment {
 public:
  MappedSegment() {
    ENV_REQUIRE_OK(env_.AllocateFile(kPath, 4 * kPage));
    ENV_REQUIRE_OK(env_.SyncDir("/tmp"));
    auto region = env_.MapFile(kPath, true);
    ENV_REQUIRE_OK(region);
    region_ = *std::move(region);
    char* data = region_->data();
    std::memset(data, 'a', 4 * kPage);
    ENV_REQUIRE_OK(region_->Sync(0, 4 * kPage));
    for (size_t page = 0; page < 3; ++page) {
      std::memset(data + page * kPage + 100, 'b', 100);
    }
    std::memset(data + 3 * kPage, 'c', kPage);
    ENV_REQUIRE_OK(region_->Sync(100, 100));
  }

  std::string Crash(const CrashOptions& options) {
    return MustRead(env_.CrashImage(options).get(), kPath);
  }

  static std::string Durable(size_t page) { return std::string(kPage, 'a'); }
  static std::string Current(size_t page) {
    if (page == 3) return std::string(kPage, 'c');
    std::string bytes(kPage, 'a');
    std::memset(bytes.data() + 100, 'b', 100);
    return bytes;
  }
  static std::string Page(const std::string& file, size_t page) {
    return file.substr(page * kPage, kPage);
  }

 private:
  static constexpr const char* kPath = "/tmp/seg";
  MemEnv env_;
  std::unique_ptr<MappedRegion> region_;
};

TEST_CASE("MemEnv: unsynced mapped pages per crash mode", "[env]") {
  MappedSegment seg;
  using S = MappedSegment;

  const std::string dropped = seg.Crash(OnlyMode("drop"));
  REQUIRE(dropped.size() == 4 * kPage);
  CHECK(S::Page(dropped, 0) == S::Current(0));  // Synced.
  for (size_t p = 1; p < 4; ++p) CHECK(S::Page(dropped, p) == S::Durable(p));

  const std::string kept = seg.Crash(OnlyMode("keep"));
  for (size_t p = 0; p < 4; ++p) CHECK(S::Page(kept, p) == S::Current(p));

  const std::string zeroed = seg.Crash(OnlyMode("zero"));
  CHECK(S::Page(zeroed, 0) == S::Current(0));
  for (size_t p = 1; p < 3; ++p) {
    std::string expected = S::Durable(p);
    std::memset(expected.data() + 100, '\0', 100);
    CHECK(S::Page(zeroed, p) == expected);
  }
  CHECK(S::Page(zeroed, 3) == std::string(kPage, '\0'));

  // Torn: a strict, non-empty prefix of the current page, then durable.
  const std::string torn = seg.Crash(OnlyMode("tear"));
  CHECK(S::Page(torn, 0) == S::Current(0));
  const std::string page3 = S::Page(torn, 3);
  const size_t cut = page3.find('a');
  REQUIRE(cut != std::string::npos);
  CHECK(cut > 0);
  CHECK(page3 == std::string(cut, 'c') + std::string(kPage - cut, 'a'));
  for (size_t p = 1; p < 3; ++p) {
    const std::string page = S::Page(torn, p);
    bool is_prefix_then_durable = false;
    for (size_t c = 1; c < kPage && !is_prefix_then_durable; ++c) {
      is_prefix_then_durable =
          page == S::Current(p).substr(0, c) + S::Durable(p).substr(c);
    }
    CHECK(is_prefix_then_durable);
  }
}

TEST_CASE("MemEnv: the synced range survives every crash", "[env]") {
  MappedSegment seg;
  std::set<std::string> distinct;
  for (uint64_t seed = 0; seed < 32; ++seed) {
    const std::string image = seg.Crash(PowerLoss(seed));
    REQUIRE(image.size() == 4 * kPage);
    CHECK(MappedSegment::Page(image, 0) == MappedSegment::Current(0));
    distinct.insert(image);
    // Same seed, same image.
    CHECK(seg.Crash(PowerLoss(seed)) == image);
  }
  // With every mode allowed, the seeds do explore different outcomes.
  CHECK(distinct.size() > 4);
}

TEST_CASE("MemEnv: crash image of crossed directory renames", "[env]") {
  // Unsynced renames can make durable directory maps form a cycle; the
  // image must still terminate and hold only what the root reaches.
  MemEnv env;
  ENV_REQUIRE_OK(env.CreateDir("/a"));
  ENV_REQUIRE_OK(env.CreateDir("/a/b"));
  ENV_REQUIRE_OK(env.SyncDir("/"));
  ENV_REQUIRE_OK(env.SyncDir("/a"));
  ENV_REQUIRE_OK(env.RenameFile("/a/b", "/b"));
  ENV_REQUIRE_OK(env.RenameFile("/a", "/b/a"));
  ENV_REQUIRE_CODE(env.RenameFile("/b", "/b/a/b"), kInternal);  // EINVAL.
  ENV_REQUIRE_OK(env.SyncDir("/b"));
  std::unique_ptr<MemEnv> image = env.CrashImage(PowerLoss(0));
  CHECK(image->FileExists("/a/b/a/b/a"));
  CrashOptions process;
  process.kind = CrashOptions::kProcessCrash;
  CHECK(env.CrashImage(process)->FileExists("/b/a"));
}

TEST_CASE("MemEnv: concurrent writers in one directory", "[env]") {
  MemEnv env;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&env, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string path =
            "/tmp/f" + std::to_string(t) + "-" + std::to_string(i);
        auto file = env.NewWritableFile(path);
        if (file.ok()) (void)(*file)->Append(path);
        (void)env.ListDir("/tmp");
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(MustList(&env, "/tmp").size() == 200);
  CHECK(MustRead(&env, "/tmp/f3-49") == "/tmp/f3-49");
}

}  // namespace
}  // namespace evlog
