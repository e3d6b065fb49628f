// The real clock and FakeClock (declared in evlog/env.h).

#include <chrono>

#include "evlog/env.h"

namespace evlog {
namespace {

class RealClock final : public Clock {
 public:
  int64_t NowMs() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

Clock* Clock::Real() {
  // Leaked on purpose: callers may use it during static destruction.
  static Clock* const clock = new RealClock;
  return clock;
}

int64_t FakeClock::NowMs() { return now_ms_.load(std::memory_order_acquire); }

void FakeClock::AdvanceMs(int64_t delta_ms) {
  now_ms_.fetch_add(delta_ms, std::memory_order_acq_rel);
}

void FakeClock::SetMs(int64_t now_ms) {
  now_ms_.store(now_ms, std::memory_order_release);
}

}  // namespace evlog
