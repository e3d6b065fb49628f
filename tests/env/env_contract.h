// tests/env/env_contract.h: the behaviour every Env must share, checked on
// both the POSIX and the in-memory Env. Each function works inside the
// existing, empty directory `dir`. (Header-only because the test build
// compiles only *_test.cc files.)

#ifndef EVLOG_TESTS_ENV_ENV_CONTRACT_H_
#define EVLOG_TESTS_ENV_ENV_CONTRACT_H_

#include <cstring>
#include <string>
#include <vector>

#include "env/env_test_util.h"

namespace evlog::test {

inline void CheckFilesAndDirs(Env* env, const std::string& dir) {
  const std::string a = dir + "/a";
  WriteSynced(env, a, "hello");
  CHECK(MustRead(env, a) == "hello");
  CHECK(env->FileExists(a));
  auto size = env->GetFileSize(a);
  ENV_REQUIRE_OK(size);
  CHECK(*size == 5);

  // NewWritableFile truncates; a closed file refuses further work.
  auto file = env->NewWritableFile(a);
  ENV_REQUIRE_OK(file);
  CHECK(MustRead(env, a).empty());
  ENV_REQUIRE_OK((*file)->Append("x"));
  ENV_REQUIRE_OK((*file)->Append(std::string_view("yz\0", 3)));
  ENV_REQUIRE_OK((*file)->Close());
  ENV_REQUIRE_CODE((*file)->Append("more"), kFailedPrecondition);
  CHECK(MustRead(env, a) == std::string("xyz\0", 4));

  // Missing paths are kNotFound, and the message names op and path.
  const absl::Status missing = env->ReadFile(dir + "/nope").status();
  CHECK(missing.code() == absl::StatusCode::kNotFound);
  CHECK(std::string(missing.message()).find(dir + "/nope") !=
        std::string::npos);
  ENV_REQUIRE_CODE(env->RemoveFile(dir + "/nope"), kNotFound);
  ENV_REQUIRE_CODE(env->GetFileSize(dir + "/nope"), kNotFound);
  ENV_REQUIRE_CODE(env->NewWritableFile(dir + "/no/such/file"), kNotFound);
  ENV_REQUIRE_CODE(env->SyncDir(dir + "/nope"), kNotFound);
  CHECK_FALSE(env->FileExists(dir + "/nope"));

  // Directories: one level at a time, idempotent, only removable when empty.
  ENV_REQUIRE_CODE(env->CreateDir(dir + "/x/y"), kNotFound);
  ENV_REQUIRE_OK(env->CreateDir(dir + "/x"));
  ENV_REQUIRE_OK(env->CreateDir(dir + "/x"));
  ENV_REQUIRE_CODE(env->CreateDir(a), kAlreadyExists);
  WriteSynced(env, dir + "/x/c", "c");
  CHECK_FALSE(env->RemoveDir(dir + "/x").ok());
  ENV_REQUIRE_OK(env->SyncDir(dir + "/x"));

  // ListDir: names only, sorted, no "." or "..".
  WriteSynced(env, dir + "/B", "b");
  CHECK(MustList(env, dir) == std::vector<std::string>{"B", "a", "x"});

  // Rename replaces the target atomically.
  ENV_REQUIRE_OK(env->RenameFile(dir + "/B", a));
  CHECK(MustRead(env, a) == "b");
  CHECK(MustList(env, dir) == std::vector<std::string>{"a", "x"});
  ENV_REQUIRE_CODE(env->RenameFile(dir + "/B", a), kNotFound);

  ENV_REQUIRE_OK(env->RemoveFile(dir + "/x/c"));
  ENV_REQUIRE_OK(env->RemoveDir(dir + "/x"));
  ENV_REQUIRE_OK(env->RemoveFile(a));
  CHECK(MustList(env, dir).empty());
  ENV_REQUIRE_OK(env->SyncDir(dir));
}

inline void CheckAllocateAndMap(Env* env, const std::string& dir) {
  const std::string seg = dir + "/00000000000000000000.log";
  const size_t size = 3 * 4096 + 100;  // Not a whole number of pages.
  ENV_REQUIRE_OK(env->AllocateFile(seg, size));
  auto file_size = env->GetFileSize(seg);
  ENV_REQUIRE_OK(file_size);
  CHECK(*file_size == size);
  CHECK(MustRead(env, seg) == std::string(size, '\0'));

  // A second allocation neither succeeds nor clobbers the first file.
  {
    auto w = env->MapFile(seg, /*writable=*/true);
    ENV_REQUIRE_OK(w);
    (*w)->data()[0] = 'k';
  }
  ENV_REQUIRE_CODE(env->AllocateFile(seg, 10), kAlreadyExists);
  CHECK(MustRead(env, seg)[0] == 'k');

  auto w = env->MapFile(seg, /*writable=*/true);
  ENV_REQUIRE_OK(w);
  MappedRegion& region = **w;
  REQUIRE(region.size() == size);
  REQUIRE(region.writable());
  const char kText[] = "record at an unaligned offset";
  std::memcpy(region.data() + 5000, kText, sizeof(kText));
  region.data()[size - 1] = 'z';
  ENV_REQUIRE_OK(region.Sync(5000, sizeof(kText)));
  ENV_REQUIRE_OK(region.Sync(size - 1, 1));
  ENV_REQUIRE_OK(region.Sync(0, 0));
  ENV_REQUIRE_CODE(region.Sync(size - 1, 2), kInvalidArgument);

  // Another mapping and ReadFile see the bytes at once.
  auto r = env->MapFile(seg, /*writable=*/false);
  ENV_REQUIRE_OK(r);
  CHECK_FALSE((*r)->writable());
  CHECK(std::memcmp((*r)->data() + 5000, kText, sizeof(kText)) == 0);
  CHECK((*r)->data()[size - 1] == 'z');
  ENV_REQUIRE_CODE((*r)->Sync(0, 1), kFailedPrecondition);
  CHECK(MustRead(env, seg).substr(5000, sizeof(kText)) ==
        std::string(kText, sizeof(kText)));

  // Empty files cannot be mapped; missing ones are kNotFound.
  WriteSynced(env, dir + "/empty", "");
  ENV_REQUIRE_CODE(env->MapFile(dir + "/empty", false), kFailedPrecondition);
  ENV_REQUIRE_CODE(env->MapFile(dir + "/missing", false), kNotFound);
  // Allocation into a missing directory leaves nothing behind.
  ENV_REQUIRE_CODE(env->AllocateFile(dir + "/none/f", 10), kNotFound);
}

inline void CheckLocks(Env* env, const std::string& dir) {
  const std::string path = dir + "/LOCK";
  auto first = env->LockFile(path);
  ENV_REQUIRE_OK(first);
  CHECK(env->FileExists(path));
  // The same process is "another owner" too.
  const absl::Status second = env->LockFile(path).status();
  CHECK(second.code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(second.message()).find(path) != std::string::npos);
  CHECK(std::string(second.message()).find("held by another owner") !=
        std::string::npos);
  // Another lock file is independent.
  auto other = env->LockFile(dir + "/LOCK2");
  ENV_REQUIRE_OK(other);
  first->reset();
  auto again = env->LockFile(path);
  ENV_REQUIRE_OK(again);
}

inline void CheckMappingOutlivesName(Env* env, const std::string& dir) {
  const std::string path = dir + "/seg";
  ENV_REQUIRE_OK(env->AllocateFile(path, 8192));
  auto region = env->MapFile(path, /*writable=*/true);
  ENV_REQUIRE_OK(region);
  char* const data = (*region)->data();
  std::memcpy(data + 4000, "survives", 8);

  ENV_REQUIRE_OK(env->RenameFile(path, dir + "/seg2"));
  CHECK(MustRead(env, dir + "/seg2").substr(4000, 8) == "survives");
  ENV_REQUIRE_OK(env->RemoveFile(dir + "/seg2"));
  CHECK_FALSE(env->FileExists(dir + "/seg2"));

  // Same pointer, still readable, writable and syncable.
  CHECK((*region)->data() == data);
  CHECK(std::memcmp(data + 4000, "survives", 8) == 0);
  data[8191] = 'e';
  ENV_REQUIRE_OK((*region)->Sync(0, 8192));
  CHECK(MustList(env, dir).empty());
}

}  // namespace evlog::test

#endif  // EVLOG_TESTS_ENV_ENV_CONTRACT_H_
