// Env::Default() against a fresh directory under /tmp.

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "env/env_contract.h"
#include "env/env_test_util.h"
#include "evlog/env.h"

namespace evlog {
namespace {

using test::MustList;
using test::MustRead;
using test::WriteSynced;

// A new directory under /tmp, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/evlog-env-test-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST_CASE("PosixEnv: files and directories", "[env]") {
  TempDir dir;
  test::CheckFilesAndDirs(Env::Default(), dir.path());
}

TEST_CASE("PosixEnv: allocate, map, write, sync, reread", "[env]") {
  TempDir dir;
  test::CheckAllocateAndMap(Env::Default(), dir.path());
}

TEST_CASE("PosixEnv: a lock excludes this process too", "[env]") {
  TempDir dir;
  test::CheckLocks(Env::Default(), dir.path());
}

TEST_CASE("PosixEnv: a mapping survives rename and removal", "[env]") {
  TempDir dir;
  test::CheckMappingOutlivesName(Env::Default(), dir.path());
}

TEST_CASE("PosixEnv: a failed allocation leaves no file", "[env]") {
  TempDir dir;
  Env* env = Env::Default();
  const std::string path = dir.path() + "/huge";
  // More than any file system will reserve (EFBIG or ENOSPC).
  const absl::Status status = env->AllocateFile(path, uint64_t{1} << 62);
  INFO(status.ToString());
  CHECK_FALSE(status.ok());
  CHECK(std::string(status.message()).find(path) != std::string::npos);
  CHECK_FALSE(env->FileExists(path));
  CHECK(MustList(env, dir.path()).empty());
}

TEST_CASE("PosixEnv: errors carry the mapped code", "[env]") {
  TempDir dir;
  Env* env = Env::Default();
  WriteSynced(env, dir.path() + "/f", "x");
  // A file where a directory is expected: ENOTDIR is "any other" error.
  ENV_REQUIRE_CODE(env->ListDir(dir.path() + "/f"), kInternal);
  ENV_REQUIRE_CODE(env->SyncDir(dir.path() + "/f"), kInternal);
  ENV_REQUIRE_CODE(env->RemoveDir(dir.path() + "/f"), kInternal);
  if (::geteuid() != 0) {  // root ignores permission bits.
    ENV_REQUIRE_CODE(env->CreateDir("/evlog-env-test-not-allowed"),
                     kPermissionDenied);
  }
}

TEST_CASE("PosixEnv: ReadFile reads files larger than its buffer", "[env]") {
  TempDir dir;
  Env* env = Env::Default();
  std::string big(200 * 1024 + 7, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31);
  WriteSynced(env, dir.path() + "/big", big);
  CHECK(MustRead(env, dir.path() + "/big") == big);
}

TEST_CASE("Clock: real and fake", "[env]") {
  // 2023-01-01 in ms: only checks the unit and epoch, not timing.
  CHECK(Clock::Real()->NowMs() > 1'672'531'200'000);
  CHECK(Env::Default()->clock() == Clock::Real());

  FakeClock clock(1000);
  CHECK(clock.NowMs() == 1000);
  clock.AdvanceMs(250);
  CHECK(clock.NowMs() == 1250);
  clock.SetMs(7);
  CHECK(clock.NowMs() == 7);
  CHECK(FakeClock().NowMs() == 1'700'000'000'000);
}

TEST_CASE("PosixEnv: thread affinity", "[env]") {
  Env* env = Env::Default();
  CHECK(absl::IsInvalidArgument(env->SetThreadAffinity({})));
  CHECK(absl::IsInvalidArgument(env->SetThreadAffinity({-1})));
  CHECK(absl::IsInvalidArgument(env->SetThreadAffinity({1024})));
  // A set with no CPU this machine has.
  CHECK(absl::IsInvalidArgument(env->SetThreadAffinity({1023})));
  // On a thread of its own, so that the test runner stays unpinned.
  absl::Status pinned;
  bool only_cpu0 = false;
  std::thread t([&] {
    pinned = env->SetThreadAffinity({0});
    cpu_set_t set;
    CPU_ZERO(&set);
    if (pthread_getaffinity_np(pthread_self(), sizeof set, &set) == 0) {
      only_cpu0 = CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set);
    }
  });
  t.join();
  CHECK(pinned.ok());
  CHECK(only_cpu0);
}

}  // namespace
}  // namespace evlog
