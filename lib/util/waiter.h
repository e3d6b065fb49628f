// util/waiter.h: lets a reader sleep until a log it follows has new data.
//
// A Waiter is an event count on a futex: a reader reads `epoch()`, checks for
// data, and if there is none calls `WaitFor(epoch, timeout)`, which returns
// at once if a notification came in between (no lost wake-ups). Writers call
// `Notify()`: an atomic increment, plus one futex wake system call only when
// the reader sleeps.
//
// A log does not notify its waiters on every append (partition/
// partition_log.h: StartWaiting/StopWaiting): a reader announces itself on
// the logs it follows before its last look for data, and appends notify only
// while someone has announced.
//
// Thread safety: thread-safe. Linux only (futex(2)), like the rest of evlog.

#ifndef EVLOG_UTIL_WAITER_H_
#define EVLOG_UTIL_WAITER_H_

#include <atomic>
#include <chrono>
#include <cstdint>

namespace evlog {

class Waiter {
 public:
  // 32 bits because a futex word is; wrapping is harmless (a reader would
  // have to miss exactly 2^32 notifications between reading and sleeping).
  uint32_t epoch() const { return epoch_.load(std::memory_order_seq_cst); }

  void Notify();

  // Sleeps until epoch() != seen or `timeout` passes. Returns true if the
  // epoch moved.
  bool WaitFor(uint32_t seen, std::chrono::nanoseconds timeout);

 private:
  std::atomic<uint32_t> epoch_{0};
  std::atomic<int> sleepers_{0};
};

}  // namespace evlog

#endif  // EVLOG_UTIL_WAITER_H_
