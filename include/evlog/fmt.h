// evlog/fmt.h: {fmt} formatters for evlog's value types, for log messages.
//
//   #include "evlog/fmt.h"
//   fmt::print("{} at {}\n", tp, offset);           // "orders-3 at 42"
//   fmt::print("{:>6}\n", partition);               // width specs work
//   fmt::print("{}\n", record);                     // one-line summary
//
// Optional: evlog itself does not require its users to use {fmt}. Including
// this header needs fmt's headers (fmt 9 or later); link fmt::fmt as usual
// (`find_package(fmt)`; the installed evlog package already finds it).
//
// Formats:
//   Offset, PartitionId      the number (integer format specs apply)
//   TopicPartition           "orders-3" (string specs apply), as ToString
//   TopicPartitionOffset     "orders-3@42"
//   RecordView               offset=42 ts=1700000000000 key="user-7" value=11B
//   headers=1
//                            key=null without a key; value=tombstone for a
//                            tombstone; a key is escaped (\xNN) and cut to 32
//                            bytes ("..."); the value's bytes are not printed
//   LogLevel                 "INFO" etc.
//   LatencyHistogram         count=10 mean=3.2us p50=4us p99=8us max=7us
//                            (percentiles are bucket bounds, see the type)
//
// Thread safety: stateless.

#ifndef EVLOG_FMT_H_
#define EVLOG_FMT_H_

#include <fmt/format.h>

#include <iterator>
#include <string_view>

#include "evlog/consumer.h"
#include "evlog/observability.h"
#include "evlog/record.h"
#include "evlog/types.h"

namespace evlog::fmt_internal {

// Appends `s` quoted, escaping what is not printable ASCII, cut to 32 bytes.
template <typename Out>
Out AppendQuoted(Out out, std::string_view s) {
  constexpr size_t kMax = 32;
  *out++ = '"';
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      *out++ = '\\';
      *out++ = static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      out = fmt::format_to(out, "\\x{:02x}", static_cast<unsigned>(c));
    } else {
      *out++ = static_cast<char>(c);
    }
  }
  *out++ = '"';
  if (s.size() > kMax) out = fmt::format_to(out, "...");
  return out;
}

}  // namespace evlog::fmt_internal

// Offset, PartitionId (and any other StrongInt): formatted as the integer.
template <typename Tag, typename T>
struct fmt::formatter<evlog::StrongInt<Tag, T>> : fmt::formatter<T> {
  template <typename FormatContext>
  auto format(evlog::StrongInt<Tag, T> v, FormatContext& ctx) const
      -> decltype(ctx.out()) {
    return fmt::formatter<T>::format(v.value(), ctx);
  }
};

template <>
struct fmt::formatter<evlog::TopicPartition>
    : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const evlog::TopicPartition& tp, FormatContext& ctx) const
      -> decltype(ctx.out()) {
    fmt::memory_buffer buf;
    fmt::format_to(std::back_inserter(buf), "{}-{}", tp.topic,
                   tp.partition.value());
    return fmt::formatter<std::string_view>::format(
        std::string_view(buf.data(), buf.size()), ctx);
  }
};

template <>
struct fmt::formatter<evlog::TopicPartitionOffset>
    : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(const evlog::TopicPartitionOffset& tpo, FormatContext& ctx) const
      -> decltype(ctx.out()) {
    fmt::memory_buffer buf;
    fmt::format_to(std::back_inserter(buf), "{}-{}@{}", tpo.tp.topic,
                   tpo.tp.partition.value(), tpo.offset.value());
    return fmt::formatter<std::string_view>::format(
        std::string_view(buf.data(), buf.size()), ctx);
  }
};

template <>
struct fmt::formatter<evlog::RecordView> {
  constexpr auto parse(fmt::format_parse_context& ctx)
      -> decltype(ctx.begin()) {
    return ctx.begin();
  }
  template <typename FormatContext>
  auto format(const evlog::RecordView& r, FormatContext& ctx) const
      -> decltype(ctx.out()) {
    auto out =
        fmt::format_to(ctx.out(), "offset={} ts={} key=", r.offset().value(),
                       r.timestamp_ms());
    if (r.key()) {
      out = evlog::fmt_internal::AppendQuoted(out, *r.key());
    } else {
      out = fmt::format_to(out, "null");
    }
    if (r.value()) {
      out = fmt::format_to(out, " value={}B", r.value()->size());
    } else {
      out = fmt::format_to(out, " value=tombstone");
    }
    return fmt::format_to(out, " headers={}", r.header_count());
  }
};

template <>
struct fmt::formatter<evlog::LogLevel> : fmt::formatter<std::string_view> {
  template <typename FormatContext>
  auto format(evlog::LogLevel level, FormatContext& ctx) const
      -> decltype(ctx.out()) {
    return fmt::formatter<std::string_view>::format(evlog::ToString(level),
                                                    ctx);
  }
};

template <>
struct fmt::formatter<evlog::LatencyHistogram> {
  constexpr auto parse(fmt::format_parse_context& ctx)
      -> decltype(ctx.begin()) {
    return ctx.begin();
  }
  template <typename FormatContext>
  auto format(const evlog::LatencyHistogram& h, FormatContext& ctx) const
      -> decltype(ctx.out()) {
    return fmt::format_to(
        ctx.out(), "count={} mean={:.1f}us p50={}us p99={}us max={}us", h.count,
        h.MeanUs(), h.Percentile(0.5), h.Percentile(0.99), h.max_us);
  }
};

#endif  // EVLOG_FMT_H_
