// Helpers shared by the format tests: records that own their bytes, frame
// encode/decode shortcuts, hex conversion, and a buffer that ends at an
// inaccessible page so that any read past the end crashes the test instead
// of passing silently.

#ifndef EVLOG_TESTS_FORMAT_FORMAT_TEST_UTIL_H_
#define EVLOG_TESTS_FORMAT_FORMAT_TEST_UTIL_H_

#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/owned_record.h"
#include "evlog/record.h"
#include "format/batch_codec.h"
#include "format/coding.h"
#include "format/format.h"

namespace evlog::format_testing {

// A record that owns its bytes, compared by value
// (tests/common/owned_record.h); `offset` is only set on decode.
using Rec = testing::OwnedRecord;

// Views (evlog::Record) over a list of Recs; the Recs must outlive it and
// must not change.
class RecordViews {
 public:
  explicit RecordViews(const std::vector<Rec>& recs) {
    headers_.resize(recs.size());
    for (size_t i = 0; i < recs.size(); ++i) {
      for (const auto& [k, v] : recs[i].headers) {
        headers_[i].push_back(HeaderView{
            k, v ? std::optional<std::string_view>(*v) : std::nullopt});
      }
    }
    for (size_t i = 0; i < recs.size(); ++i) {
      Record r;
      if (recs[i].key) r.key = std::string_view(*recs[i].key);
      if (recs[i].value) r.value = std::string_view(*recs[i].value);
      r.headers = headers_[i];
      r.timestamp_ms = recs[i].timestamp_ms;
      records_.push_back(r);
    }
  }
  std::span<const Record> records() const { return records_; }

 private:
  std::vector<std::vector<HeaderView>> headers_;
  std::vector<Record> records_;
};

inline constexpr char kSentinel = '\xa5';

// Encodes `recs` with EncodeFrame and checks that exactly
// EncodedFrameSize(recs) bytes were written (no byte after them touched).
inline std::string EncodeFrameBytes(const std::vector<Rec>& recs, Offset base,
                                    int64_t now_ms, bool log_append_time,
                                    format::EncodedFrame* enc_out = nullptr) {
  RecordViews views(recs);
  size_t size = format::EncodedFrameSize(views.records());
  std::string buf(size + 64, kSentinel);
  format::EncodedFrame enc = format::EncodeFrame(views.records(), base, now_ms,
                                                 log_append_time, buf.data());
  REQUIRE(enc.size == size);
  REQUIRE(buf.substr(size) == std::string(64, kSentinel));
  buf.resize(size);
  if (enc_out != nullptr) *enc_out = enc;
  return buf;
}

// Iterates a kOk frame into Recs.
inline std::vector<Rec> DecodeRecords(const format::FrameInfo& info) {
  std::vector<Rec> out;
  format::RecordIterator it(info);
  RecordView v;
  while (!it.Done()) {
    Offset peek = it.PeekOffset();
    it.Next(&v);
    REQUIRE(v.offset() == peek);
    out.push_back(Rec::From(v));
  }
  return out;
}

// ParseFrame of bytes that must be one valid frame; returns its records.
inline std::vector<Rec> ParseValid(const std::string& bytes,
                                   format::FrameInfo* info_out = nullptr) {
  format::FrameInfo info;
  std::string why;
  format::FrameStatus st =
      format::ParseFrame(bytes.data(), bytes.size(), &info, &why);
  INFO(why);
  REQUIRE(st == format::FrameStatus::kOk);
  REQUIRE(info.frame_size == bytes.size());
  if (info_out != nullptr) *info_out = info;
  return DecodeRecords(info);
}

// Rewrites the frame checksum of the frame at bytes[0] after a mutation, so
// that the structure checks behind it are reached. The body length is taken
// from the frame but clamped to the bytes present.
inline void FixChecksum(std::string* frame) {
  uint32_t len = format::Load<uint32_t>(frame->data());
  size_t avail = frame->size() - format::kFrameHeaderSize;
  size_t n = len < avail ? len : avail;
  format::Store<uint64_t>(
      frame->data() + format::kFrameLengthSize,
      format::Checksum(frame->data() + format::kFrameHeaderSize, n));
}

inline std::string Hex(std::string_view bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

inline std::string FromHex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

// A read-only copy of some bytes placed so that its last byte is followed by
// a PROT_NONE page: any read past the end faults.
class GuardedBytes {
 public:
  explicit GuardedBytes(std::string_view bytes) {
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t data_pages = (bytes.size() + page - 1) / page;
    map_size_ = (data_pages + 1) * page;
    void* m = mmap(nullptr, map_size_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(m != MAP_FAILED);
    map_ = static_cast<char*>(m);
    char* guard = map_ + data_pages * page;
    REQUIRE(mprotect(guard, page, PROT_NONE) == 0);
    data_ = guard - bytes.size();
    if (!bytes.empty()) std::memcpy(data_, bytes.data(), bytes.size());
    size_ = bytes.size();
  }
  ~GuardedBytes() { munmap(map_, map_size_); }
  GuardedBytes(const GuardedBytes&) = delete;
  GuardedBytes& operator=(const GuardedBytes&) = delete;

  const char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  char* map_ = nullptr;
  size_t map_size_ = 0;
  char* data_ = nullptr;
  size_t size_ = 0;
};

// For a frame ParseFrame accepted: walks every record and checks that every
// view lies inside the frame and that the records agree with the batch
// header. Returns false (with INFO) on the first inconsistency.
inline bool FrameIsConsistent(const format::FrameInfo& info, const char* begin,
                              size_t available) {
  const char* end = begin + available;
  auto inside = [&](std::string_view s) {
    return s.data() >= info.records && s.data() + s.size() <= info.records_end;
  };
  if (info.frame_size > available || info.records < begin ||
      info.records_end > end || info.records > info.records_end ||
      info.record_count == 0) {
    return false;
  }
  format::RecordIterator it(info);
  RecordView v;
  uint32_t n = 0;
  int64_t prev = -1;
  int64_t max_ts = INT64_MIN;
  while (!it.Done()) {
    if (n == info.record_count) return false;
    it.Next(&v);
    int64_t off = v.offset().value();
    if (off <= prev || off < info.base_offset.value() ||
        off > info.last_offset().value()) {
      return false;
    }
    if (n == 0 && v.timestamp_ms() != info.first_timestamp) return false;
    max_ts = std::max(max_ts, v.timestamp_ms());
    if (v.key() && !inside(*v.key())) return false;
    if (v.value() && !inside(*v.value())) return false;
    std::vector<HeaderView> hs = v.headers();
    if (hs.size() != v.header_count()) return false;
    for (const HeaderView& h : hs) {
      if (!inside(h.key) || (h.value && !inside(*h.value))) return false;
    }
    prev = off;
    ++n;
  }
  return n == info.record_count && prev == info.last_offset().value() &&
         max_ts == info.max_timestamp;
}

}  // namespace evlog::format_testing

#endif  // EVLOG_TESTS_FORMAT_FORMAT_TEST_UTIL_H_
