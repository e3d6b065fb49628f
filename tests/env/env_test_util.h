// tests/env/env_test_util.h: helpers shared by the Env tests.

#ifndef EVLOG_TESTS_ENV_ENV_TEST_UTIL_H_
#define EVLOG_TESTS_ENV_ENV_TEST_UTIL_H_

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "evlog/env.h"

// Requires an OK status (or StatusOr) and prints the status otherwise.
#define ENV_REQUIRE_OK(expr)                                \
  do {                                                      \
    const absl::Status _st = ::evlog::test::ToStatus(expr); \
    INFO(_st.ToString());                                   \
    REQUIRE(_st.ok());                                      \
  } while (0)

// Requires a status (or StatusOr) with the given code.
#define ENV_REQUIRE_CODE(expr, code_name)                   \
  do {                                                      \
    const absl::Status _st = ::evlog::test::ToStatus(expr); \
    INFO(_st.ToString());                                   \
    REQUIRE(_st.code() == absl::StatusCode::code_name);     \
  } while (0)

namespace evlog::test {

inline absl::Status ToStatus(const absl::Status& status) { return status; }
template <typename T>
absl::Status ToStatus(const absl::StatusOr<T>& value) {
  return value.status();
}

// Writes `contents` to a new file at `path` and fsyncs it.
inline void WriteSynced(Env* env, const std::string& path,
                        const std::string& contents) {
  auto file = env->NewWritableFile(path);
  ENV_REQUIRE_OK(file);
  ENV_REQUIRE_OK((*file)->Append(contents));
  ENV_REQUIRE_OK((*file)->Sync());
  ENV_REQUIRE_OK((*file)->Close());
}

inline std::string MustRead(Env* env, const std::string& path) {
  auto contents = env->ReadFile(path);
  ENV_REQUIRE_OK(contents);
  return *contents;
}

inline std::vector<std::string> MustList(Env* env, const std::string& path) {
  auto names = env->ListDir(path);
  ENV_REQUIRE_OK(names);
  return *names;
}

}  // namespace evlog::test

#endif  // EVLOG_TESTS_ENV_ENV_TEST_UTIL_H_
