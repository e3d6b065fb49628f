// tools/evlog/progress.cc: the progress line.

#include "progress.h"

#include <ostream>

#include "fmt/format.h"

namespace evlog::cli {

namespace {

constexpr auto kRedrawEvery = std::chrono::milliseconds(200);

std::string HumanBytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) {
    bytes /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{:.0f} {}", bytes, units[u])
                : fmt::format("{:.1f} {}", bytes, units[u]);
}

}  // namespace

Progress::Progress(std::ostream* out, std::string_view unit, int64_t total)
    : out_(out),
      unit_(unit),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

std::string Progress::Line(std::string_view unit, int64_t done, int64_t total,
                           int64_t bytes, double seconds) {
  double rate = seconds > 0 ? done / seconds : 0;
  std::string line = fmt::format("{} {}", done, unit);
  if (total > 0) {
    line += fmt::format(" of {} ({:.0f}%)", total, 100.0 * done / total);
  }
  line += fmt::format(", {}, {:.0f} {}/s, {}/s", HumanBytes(bytes), rate, unit,
                      HumanBytes(seconds > 0 ? bytes / seconds : 0));
  if (total > 0 && rate > 0 && done < total) {
    line += fmt::format(", ETA {:.0f} s", (total - done) / rate);
  }
  return line;
}

void Progress::Add(int64_t items, int64_t bytes) {
  done_ += items;
  bytes_ += bytes;
  if (out_ == nullptr) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < kRedrawEvery) return;
  last_draw_ = now;
  double seconds = std::chrono::duration<double>(now - start_).count();
  // "\r" + clear to end of line ("\033[K"): rewritten in place.
  *out_ << '\r' << Line(unit_, done_, total_, bytes_, seconds) << "\033[K"
        << std::flush;
  drawn_ = true;
}

void Progress::Finish() {
  if (out_ != nullptr && drawn_) *out_ << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace evlog::cli
