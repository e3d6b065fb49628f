#include "util/waiter.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>

namespace evlog {
namespace {

// The futex word is the epoch's storage; std::atomic<uint32_t> is a plain
// 32-bit integer on Linux (static_assert below).
uint32_t* Word(std::atomic<uint32_t>* a) {
  return reinterpret_cast<uint32_t*>(a);
}
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
              std::atomic<uint32_t>::is_always_lock_free);

}  // namespace

void Waiter::Notify() {
  // seq_cst on both sides (Dekker): either the sleeper sees the new epoch
  // before it sleeps, or this sees the sleeper and wakes it.
  epoch_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) {
    syscall(SYS_futex, Word(&epoch_), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr,
            nullptr, 0);
  }
}

bool Waiter::WaitFor(uint32_t seen, std::chrono::nanoseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  bool moved;
  while (!(moved = epoch_.load(std::memory_order_seq_cst) != seen)) {
    auto left = deadline - Clock::now();
    if (left <= std::chrono::nanoseconds::zero()) break;
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
    timespec ts{static_cast<time_t>(secs.count()),
                static_cast<long>((left - secs).count())};
    // Returns at once if the word no longer holds `seen`; EINTR, EAGAIN
    // and timeouts all lead back to the check above.
    syscall(SYS_futex, Word(&epoch_), FUTEX_WAIT_PRIVATE, seen, &ts, nullptr,
            0);
  }
  sleepers_.fetch_sub(1, std::memory_order_seq_cst);
  return moved;
}

}  // namespace evlog
