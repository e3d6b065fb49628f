// env/cpu_set.h: validation of a CPU list for Env::SetThreadAffinity,
// shared by the POSIX and in-memory Envs.
//
// Thread safety: a pure function.

#ifndef EVLOG_ENV_CPU_SET_H_
#define EVLOG_ENV_CPU_SET_H_

#include <vector>

#include "absl/status/status.h"

namespace evlog {

// The largest CPU number + 1 a list may name (glibc's CPU_SETSIZE).
inline constexpr int kMaxCpus = 1024;

// OK, or kInvalidArgument for an empty list or a CPU outside
// [0, kMaxCpus).
absl::Status CheckCpus(const std::vector<int>& cpus);

}  // namespace evlog

#endif  // EVLOG_ENV_CPU_SET_H_
