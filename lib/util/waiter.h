// util/waiter.h: lets a reader sleep until a log it follows has new data.
//
// A Waiter is an event count: a reader reads `epoch()`, checks for data, and
// if there is none calls `WaitFor(epoch, timeout)`, which returns at once if
// a notification came in between (no lost wake-ups). Writers call
// `Notify()`, which costs one atomic increment when nobody sleeps.
//
// Thread safety: thread-safe.

#ifndef EVLOG_UTIL_WAITER_H_
#define EVLOG_UTIL_WAITER_H_

#include <atomic>
#include <chrono>
#include <cstdint>

#include "util/mutex.h"

namespace evlog {

class Waiter {
 public:
  uint64_t epoch() const { return epoch_.load(std::memory_order_acquire); }

  void Notify() {
    // seq_cst on both sides (Dekker): either the sleeper sees the new epoch
    // or this sees the sleeper.
    epoch_.fetch_add(1);
    if (sleepers_.load() > 0) {
      MutexLock l(&mu_);
      cv_.SignalAll();
    }
  }

  // Sleeps until epoch() != seen or `timeout` passes. Returns true if the
  // epoch moved.
  bool WaitFor(uint64_t seen, std::chrono::nanoseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    MutexLock l(&mu_);
    sleepers_.fetch_add(1);
    bool moved;
    while (!(moved = epoch_.load() != seen)) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      cv_.WaitFor(deadline - now);
    }
    sleepers_.fetch_sub(1);
    return moved;
  }

 private:
  std::atomic<uint64_t> epoch_{0};
  std::atomic<int> sleepers_{0};
  Mutex mu_;
  CondVar cv_{&mu_};
};

}  // namespace evlog

#endif  // EVLOG_UTIL_WAITER_H_
