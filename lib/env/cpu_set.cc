#include "env/cpu_set.h"

#include "absl/strings/str_cat.h"

namespace evlog {

absl::Status CheckCpus(const std::vector<int>& cpus) {
  if (cpus.empty()) {
    return absl::InvalidArgumentError("empty CPU list for a thread affinity");
  }
  for (int cpu : cpus) {
    if (cpu < 0 || cpu >= kMaxCpus) {
      return absl::InvalidArgumentError(
          absl::StrCat("CPU ", cpu, " is out of range [0, ", kMaxCpus, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace evlog
