// FaultEnv over a MemEnv: counting, k-th operation failures, kinds, disk full.

#include "env/fault_env.h"

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "env/env_contract.h"
#include "env/env_test_util.h"
#include "env/mem_env.h"

namespace evlog {
namespace {

using test::MustList;
using test::MustRead;

TEST_CASE("FaultEnv: passes the Env contract through when idle", "[env]") {
  MemEnv base;
  FaultEnv env(&base);
  ENV_REQUIRE_OK(env.CreateDir("/t"));
  test::CheckFilesAndDirs(&env, "/t");
  ENV_REQUIRE_OK(env.CreateDir("/m"));
  test::CheckAllocateAndMap(&env, "/m");
  ENV_REQUIRE_OK(env.CreateDir("/l"));
  test::CheckLocks(&env, "/l");
  CHECK(env.op_count() > 40);
  CHECK(env.injected_count() == 0);
  CHECK(env.clock() == base.clock());
}

TEST_CASE("FaultEnv: counts each operation once", "[env]") {
  MemEnv base;
  FaultEnv env(&base);
  ENV_REQUIRE_OK(env.CreateDir("/d"));      // 1
  auto file = env.NewWritableFile("/d/f");  // 2
  ENV_REQUIRE_OK(file);
  ENV_REQUIRE_OK((*file)->Append("x"));              // 3
  ENV_REQUIRE_OK((*file)->Sync());                   // 4
  ENV_REQUIRE_OK((*file)->Close());                  // 5
  ENV_REQUIRE_OK(env.AllocateFile("/d/seg", 4096));  // 6
  auto region = env.MapFile("/d/seg", true);         // 7
  ENV_REQUIRE_OK(region);
  (*region)->data()[0] = 1;                        // Not an operation.
  ENV_REQUIRE_OK((*region)->Sync(0, 1));           // 8
  ENV_REQUIRE_OK(env.RenameFile("/d/f", "/d/g"));  // 9
  ENV_REQUIRE_OK(env.SyncDir("/d"));               // 10
  ENV_REQUIRE_OK(env.LockFile("/d/LOCK"));         // 11
  ENV_REQUIRE_OK(env.ReadFile("/d/g"));            // 12
  ENV_REQUIRE_OK(env.GetFileSize("/d/g"));         // 13
  ENV_REQUIRE_OK(env.ListDir("/d"));               // 14
  ENV_REQUIRE_OK(env.RemoveFile("/d/g"));          // 15
  CHECK(env.FileExists("/d/seg"));                 // Not counted.
  CHECK(env.op_count() == 15);
  env.Reset();
  CHECK(env.op_count() == 0);
}

TEST_CASE("FaultEnv: the k-th operation fails once", "[env]") {
  MemEnv base;
  FaultEnv env(&base);
  env.FailAfter(2, /*persistent=*/false, absl::StatusCode::kDataLoss);
  ENV_REQUIRE_OK(env.CreateDir("/a"));
  const absl::Status failed = env.CreateDir("/b");
  CHECK(failed.code() == absl::StatusCode::kDataLoss);
  CHECK(std::string(failed.message()).find("/b") != std::string::npos);
  CHECK_FALSE(base.FileExists("/b"));  // Not performed.
  ENV_REQUIRE_OK(env.CreateDir("/c"));
  ENV_REQUIRE_OK(env.CreateDir("/b"));
  CHECK(env.op_count() == 4);
  CHECK(env.injected_count() == 1);
}

TEST_CASE("FaultEnv: from the k-th operation on, everything fails", "[env]") {
  MemEnv base;
  FaultEnv env(&base);
  auto file = env.NewWritableFile("/tmp/f");  // 1
  ENV_REQUIRE_OK(file);
  env.FailAfter(3, /*persistent=*/true);
  ENV_REQUIRE_OK((*file)->Append("kept"));  // 2
  ENV_REQUIRE_CODE((*file)->Append("lost"), kInternal);
  ENV_REQUIRE_CODE((*file)->Sync(), kInternal);
  ENV_REQUIRE_CODE(env.RenameFile("/tmp/f", "/tmp/g"), kInternal);
  ENV_REQUIRE_CODE(env.ReadFile("/tmp/f"), kInternal);
  // None of the failed operations happened.
  CHECK(MustRead(&base, "/tmp/f") == "kept");
  CHECK(base.sync_count() == 0);
  CHECK(MustList(&base, "/tmp") == std::vector<std::string>{"f"});
  CHECK(env.injected_count() == 4);

  env.Reset();
  ENV_REQUIRE_OK((*file)->Append("+"));
  CHECK(MustRead(&env, "/tmp/f") == "kept+");
}

TEST_CASE("FaultEnv: failing only syncs", "[env]") {
  MemEnv base;
  FaultEnv env(&base);
  ENV_REQUIRE_OK(env.AllocateFile("/tmp/seg", 4096));
  const uint64_t syncs_before = base.sync_count();  // AllocateFile's fsync.
  env.FailSyncs(true);
  auto file = env.NewWritableFile("/tmp/f");
  ENV_REQUIRE_OK(file);
  ENV_REQUIRE_OK((*file)->Append("data"));
  ENV_REQUIRE_CODE((*file)->Sync(), kInternal);
  auto region = env.MapFile("/tmp/seg", true);
  ENV_REQUIRE_OK(region);
  ENV_REQUIRE_CODE((*region)->Sync(0, 4096), kInternal);
  ENV_REQUIRE_CODE(env.SyncDir("/tmp"), kInternal);
  CHECK(base.sync_count() == syncs_before);

  env.FailSyncs(false);
  env.FailOp(FaultEnv::Op::kRenameFile, true);
  ENV_REQUIRE_OK(env.SyncDir("/tmp"));
  ENV_REQUIRE_CODE(env.RenameFile("/tmp/f", "/tmp/g"), kInternal);
  ENV_REQUIRE_OK(env.RemoveFile("/tmp/f"));
}

TEST_CASE("FaultEnv: disk full", "[env]") {
  MemEnv base;
  FaultEnv env(&base);
  auto file = env.NewWritableFile("/tmp/f");
  ENV_REQUIRE_OK(file);
  env.SetDiskFull(true);
  ENV_REQUIRE_CODE(env.AllocateFile("/tmp/seg", 4096), kResourceExhausted);
  CHECK_FALSE(base.FileExists("/tmp/seg"));
  ENV_REQUIRE_CODE((*file)->Append("x"), kResourceExhausted);
  ENV_REQUIRE_OK((*file)->Sync());  // Only space-taking operations fail.
  ENV_REQUIRE_OK(env.CreateDir("/tmp/d"));
  env.SetDiskFull(false);
  ENV_REQUIRE_OK(env.AllocateFile("/tmp/seg", 4096));
}

TEST_CASE("FaultEnv: counting is exact under concurrency", "[env]") {
  MemEnv base;
  FaultEnv env(&base);
  env.FailAfter(150, /*persistent=*/false);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&env] {
      for (int i = 0; i < 100; ++i) (void)env.ListDir("/tmp");
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(env.op_count() == 400);
  CHECK(env.injected_count() == 1);
}

}  // namespace
}  // namespace evlog
