// Helpers shared by the reliability campaigns (docs/DURABILITY.md):
// campaign parameters, self-checking record payloads, reading a whole
// partition back through the public consumer API, and the figures each
// campaign publishes.
//
// Every campaign is seeded and sized by environment variables so that the
// same binary runs a few trials in the unit suite (the defaults, cheap enough
// for the sanitizer builds) and thousands in scripts/reliability.sh:
//
//   EVLOG_RELIABILITY_SEED      first seed (default 1)
//   EVLOG_RELIABILITY_KILLS     campaign 1: SIGKILLs
//   EVLOG_RELIABILITY_STATES    campaign 2: power-loss states checked
//   EVLOG_RELIABILITY_FIGURES   file the figures lines are appended to
//
// A payload carries its own identity and checksum, so a record read back is
// checked without a model: a corrupt record that the library returned as
// valid is counted as "corrupt returned", whatever else went wrong.

#ifndef EVLOG_TESTS_RELIABILITY_RELIABILITY_UTIL_H_
#define EVLOG_TESTS_RELIABILITY_RELIABILITY_UTIL_H_

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "evlog/consumer.h"
#include "evlog/store.h"

namespace evlog::reliability {

// ---- Parameters -------------------------------------------------------------

inline int64_t Param(const char* name, int64_t default_value) {
  std::string var = std::string("EVLOG_RELIABILITY_") + name;
  const char* v = std::getenv(var.c_str());
  if (v == nullptr || *v == '\0') return default_value;
  return std::strtoll(v, nullptr, 10);
}

inline uint64_t FirstSeed() { return static_cast<uint64_t>(Param("SEED", 1)); }

// ---- Payloads ---------------------------------------------------------------

// FNV-1a 64: stable across processes and builds (std::hash is not).
inline uint64_t Fnv(std::string_view s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// Identity of a record: who sent it and where it sits in its batch.
struct Uid {
  uint64_t id = 0;  // unique per campaign trial sequence
  uint32_t batch_index = 0;
  uint32_t batch_count = 1;
  friend bool operator==(const Uid&, const Uid&) = default;
};

// "<id:16 hex> <index>/<count> <filler> <fnv:16 hex>"; the filler length is
// derived from the id so that a cut or extended value cannot check.
inline std::string MakeValue(const Uid& u) {
  char head[64];
  std::snprintf(head, sizeof head, "%016" PRIx64 " %u/%u ", u.id, u.batch_index,
                u.batch_count);
  std::string v = head;
  size_t filler =
      (Fnv(std::string_view(head, 16)) % 97) + (u.id % 5 == 0 ? 300 : 0);
  for (size_t i = 0; i < filler; ++i)
    v.push_back(static_cast<char>('a' + (u.id + i) % 26));
  char tail[24];
  std::snprintf(tail, sizeof tail, " %016" PRIx64, Fnv(v));
  return v + tail;
}

inline std::string MakeKey(const Uid& u) {
  char k[24];
  std::snprintf(k, sizeof k, "k%016" PRIx64, u.id);
  return k;
}

// Parses and checks a value made by MakeValue; nullopt if it does not check.
inline std::optional<Uid> ParseValue(std::string_view v) {
  if (v.size() < 16 + 1 + 3 + 1 + 17) return std::nullopt;
  std::string_view body = v.substr(0, v.size() - 17);
  std::string_view tail = v.substr(v.size() - 17);
  char expect[24];
  std::snprintf(expect, sizeof expect, " %016" PRIx64, Fnv(body));
  if (tail != expect) return std::nullopt;
  Uid u;
  unsigned idx = 0, cnt = 0;
  std::string s(body);
  if (std::sscanf(s.c_str(), "%16" SCNx64 " %u/%u ", &u.id, &idx, &cnt) != 3) {
    return std::nullopt;
  }
  u.batch_index = idx;
  u.batch_count = cnt;
  if (MakeValue(u) != v) return std::nullopt;
  return u;
}

// A record read back, owning its bytes.
struct ReadRecord {
  int64_t offset = -1;
  std::optional<std::string> key, value;
  std::vector<std::pair<std::string, std::optional<std::string>>> headers;
};

// Checks a record as the campaigns write it: key = MakeKey(uid), value =
// MakeValue(uid), one header "uid" = key. nullopt when anything differs.
inline std::optional<Uid> CheckRecord(const ReadRecord& r) {
  if (!r.value) return std::nullopt;
  auto u = ParseValue(*r.value);
  if (!u) return std::nullopt;
  std::string key = MakeKey(*u);
  if (r.key != key) return std::nullopt;
  if (r.headers.size() != 1 || r.headers[0].first != "uid" ||
      r.headers[0].second != key) {
    return std::nullopt;
  }
  return u;
}

// Holds the bytes of one campaign record for a Send.
struct OwnedSend {
  Uid uid;
  std::string key, value;
  HeaderView header[1];
  explicit OwnedSend(Uid u) : uid(u), key(MakeKey(u)), value(MakeValue(u)) {
    header[0] = {"uid", std::string_view(key)};
  }
  OwnedSend(const OwnedSend&) = delete;
  OwnedSend& operator=(const OwnedSend&) = delete;
  Record AsRecord() const {
    Record r;
    r.key = key;
    r.value = value;
    r.headers = std::span<const HeaderView>(header, 1);
    return r;
  }
};

// ---- Reading back
// -------------------------------------------------------------

// Reads every record of `topic`/`partition` from its start to its end offset
// at the time of the call, through a consumer with manual assignment.
// An error status means the library refused to return the records (e.g.
// kDataLoss): that is detected corruption, not corrupt data returned.
inline absl::StatusOr<std::vector<ReadRecord>> ReadPartition(
    Store& store, const std::string& topic, int32_t partition) {
  ConsumerOptions o;
  o.auto_offset_reset = AutoOffsetReset::kEarliest;
  o.max_poll_records = 1000;
  o.wait_strategy = WaitStrategy::kBusySpin;
  auto c = store.NewConsumer(o);
  if (!c.ok()) return c.status();
  TopicPartition tp{topic, PartitionId(partition)};
  if (absl::Status s = (*c)->Assign({tp}); !s.ok()) return s;
  auto ends = (*c)->EndOffsets({tp});
  if (!ends.ok()) return ends.status();
  const int64_t end = ends->at(tp).value();
  std::vector<ReadRecord> out;
  PollResult batch;
  int idle = 0;
  while (true) {
    auto pos = (*c)->Position(tp);
    if (!pos.ok()) return pos.status();
    if (pos->value() >= end) break;
    if (absl::Status s = (*c)->Poll(std::chrono::milliseconds(0), &batch);
        !s.ok())
      return s;
    if (batch.empty()) {
      if (++idle > 1000) {
        return absl::InternalError("end offset " + std::to_string(end) +
                                   " but no records to poll at " +
                                   std::to_string(pos->value()));
      }
      continue;
    }
    idle = 0;
    for (const ConsumerRecord& cr : batch) {
      ReadRecord r;
      r.offset = cr.record.offset().value();
      if (cr.record.key()) r.key = std::string(*cr.record.key());
      if (cr.record.value()) r.value = std::string(*cr.record.value());
      for (const HeaderView& h : cr.record.headers()) {
        r.headers.emplace_back(
            std::string(h.key),
            h.value ? std::optional<std::string>(std::string(*h.value))
                    : std::nullopt);
      }
      if (r.offset < end) out.push_back(std::move(r));
    }
  }
  (*c)->Close().IgnoreError();
  return out;
}

// ---- Figures ----------------------------------------------------------------

// Percentile (0..100) of `v` (sorted in place); 0 for an empty vector.
inline double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i =
      static_cast<size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// The numbers a campaign publishes (docs/DURABILITY.md). Measured, printed
// and appended to $EVLOG_RELIABILITY_FIGURES; never asserted.
struct Figures {
  std::string campaign;
  uint64_t seed = 0;
  int64_t trials = 0;           // kills, crash states, fault points, ...
  int64_t records_written = 0;  // sends attempted
  int64_t records_acked = 0;    // acknowledged (durably, where that matters)
  int64_t records_checked = 0;  // records read back and checked
  int64_t lost = 0;             // acknowledged records missing
  int64_t corrupt = 0;          // records returned that do not check
  int64_t errors = 0;  // opens/reads that failed (detected, not returned)
  std::vector<double> recovery_us;  // Store::Open times
  std::string extra;                // campaign-specific "k=v" pairs

  void Report() {
    double p50 = Percentile(recovery_us, 50), p99 = Percentile(recovery_us, 99);
    double pmax = recovery_us.empty() ? 0 : recovery_us.back();
    char line[1024];
    std::snprintf(line, sizeof line,
                  "FIGURES campaign=%s seed=%" PRIu64 " trials=%" PRId64
                  " records_written=%" PRId64 " records_acked=%" PRId64
                  " records_checked=%" PRId64 " lost=%" PRId64
                  " corrupt=%" PRId64 " errors=%" PRId64
                  " recovery_us_p50=%.0f recovery_us_p99=%.0f"
                  " recovery_us_max=%.0f%s%s\n",
                  campaign.c_str(), seed, trials, records_written,
                  records_acked, records_checked, lost, corrupt, errors, p50,
                  p99, pmax, extra.empty() ? "" : " ", extra.c_str());
    std::fputs(line, stdout);
    std::fflush(stdout);
    if (const char* path = std::getenv("EVLOG_RELIABILITY_FIGURES");
        path && *path) {
      if (FILE* f = std::fopen(path, "a")) {
        std::fputs(line, f);
        std::fclose(f);
      }
    }
  }
};

// Microseconds taken by `fn()`.
template <typename Fn>
double TimeUs(Fn&& fn) {
  auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double, std::micro>(
             std::chrono::steady_clock::now() - t0)
      .count();
}

}  // namespace evlog::reliability

#endif  // EVLOG_TESTS_RELIABILITY_RELIABILITY_UTIL_H_
