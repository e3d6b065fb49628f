// tools/evlog/progress.h: a progress line for long-running commands
// (consume of a whole topic, verify of a large store): records, bytes, rate
// and, when the total is known, percent and ETA. Written to standard error,
// rewritten in place at most every 200 ms, and only when Io::progress is
// set (main sets it when standard error is a terminal, so redirected and
// scripted runs stay quiet). Finish clears the line.
//
// Thread safety: single-threaded, like the tool.

#ifndef EVLOG_TOOLS_EVLOG_PROGRESS_H_
#define EVLOG_TOOLS_EVLOG_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace evlog::cli {

class Progress {
 public:
  // `unit` names what is counted ("records", "segments"); `total` <= 0:
  // unknown (no percent, no ETA). `out` null: disabled.
  Progress(std::ostream* out, std::string_view unit, int64_t total);
  ~Progress() { Finish(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Adds `items` done and `bytes` processed; redraws if due.
  void Add(int64_t items, int64_t bytes);
  // Erases the line. Idempotent.
  void Finish();

  // The line for the given state (exposed for tests).
  static std::string Line(std::string_view unit, int64_t done, int64_t total,
                          int64_t bytes, double seconds);

 private:
  std::ostream* out_;
  std::string unit_;
  int64_t total_;
  int64_t done_ = 0;
  int64_t bytes_ = 0;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace evlog::cli

#endif  // EVLOG_TOOLS_EVLOG_PROGRESS_H_
