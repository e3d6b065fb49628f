// Frame encoding and validation (format/batch_codec.h): round trips of every
// field combination, sizes, timestamps, and a table of corruptions that must
// all be detected. Layout and rules: docs/FORMAT.md sections 4-6.

#include "format/batch_codec.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "format/coding.h"
#include "format/format.h"
#include "format/format_test_util.h"

namespace evlog {
namespace {

using format::FrameInfo;
using format::FrameStatus;
using format::kFrameHeaderSize;
using format_testing::EncodeFrameBytes;
using format_testing::FixChecksum;
using format_testing::GuardedBytes;
using format_testing::Hex;
using format_testing::ParseValid;
using format_testing::Rec;

constexpr int64_t kNow = 1700000000500;

FrameStatus Parse(std::string_view bytes, FrameInfo* info = nullptr,
                  std::string* why_out = nullptr) {
  GuardedBytes g(bytes);
  FrameInfo local;
  std::string why;
  FrameStatus st =
      format::ParseFrame(g.data(), g.size(), info ? info : &local, &why);
  if (why_out) *why_out = why;
  return st;
}

// Every record gets its offset and (if kNoTimestamp) the append time.
std::vector<Rec> Expected(std::vector<Rec> recs, int64_t base, int64_t now,
                          bool log_append_time) {
  for (size_t i = 0; i < recs.size(); ++i) {
    recs[i].offset = base + static_cast<int64_t>(i);
    if (log_append_time || recs[i].timestamp_ms == kNoTimestamp) {
      recs[i].timestamp_ms = now;
    }
  }
  return recs;
}

std::vector<std::optional<std::string>> KeyOrValueVariants() {
  return {std::nullopt, std::string(), std::string("abc")};
}

std::vector<std::vector<std::pair<std::string, std::optional<std::string>>>>
HeaderVariants() {
  return {
      {},
      {{"h", "v"}},
      {{"a", std::nullopt},
       {"", ""},
       {"b", ""},
       {"", std::nullopt},
       {"a", std::string("\0\xff", 2)},
       {"trace-id", "0123456789"}},
  };
}

std::vector<Rec> AllCombinations() {
  std::vector<Rec> out;
  int64_t ts = 1000;
  for (const auto& k : KeyOrValueVariants()) {
    for (const auto& v : KeyOrValueVariants()) {
      for (const auto& h : HeaderVariants()) {
        Rec r;
        r.key = k;
        r.value = v;
        r.headers = h;
        r.timestamp_ms = ts++;
        out.push_back(r);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Round trips

TEST_CASE("every field combination round-trips alone", "[format]") {
  std::vector<Rec> all = AllCombinations();
  REQUIRE(all.size() == 27);
  for (size_t i = 0; i < all.size(); ++i) {
    CAPTURE(i);
    std::vector<Rec> one = {all[i]};
    std::string frame = EncodeFrameBytes(one, Offset(7), kNow, false);
    FrameInfo info;
    std::vector<Rec> got = ParseValid(frame, &info);
    CHECK(got == Expected(one, 7, kNow, false));
    CHECK(info.record_count == 1);
    CHECK(info.last_offset_delta == 0);
    CHECK(info.first_timestamp == all[i].timestamp_ms);
    CHECK(info.max_timestamp == all[i].timestamp_ms);
  }
}

TEST_CASE("every field combination round-trips in one batch", "[format]") {
  std::vector<Rec> all = AllCombinations();
  std::string frame = EncodeFrameBytes(all, Offset(1000), kNow, false);
  FrameInfo info;
  std::vector<Rec> got = ParseValid(frame, &info);
  CHECK(got == Expected(all, 1000, kNow, false));
  CHECK(info.base_offset == Offset(1000));
  CHECK(info.record_count == all.size());
  CHECK(info.last_offset() == Offset(1000 + 26));
  CHECK(info.next_offset() == Offset(1000 + 27));
  CHECK(info.attributes == 0);
}

TEST_CASE("absent, empty and present strings stay distinct", "[format]") {
  Rec tomb;
  tomb.key = "k";
  Rec empty;
  empty.key = "k";
  empty.value = "";
  Rec nokey;
  nokey.value = "v";
  Rec emptykey;
  emptykey.key = "";
  emptykey.value = "v";
  std::vector<Rec> got = ParseValid(
      EncodeFrameBytes({tomb, empty, nokey, emptykey}, Offset(0), kNow, false));
  REQUIRE(got.size() == 4);
  CHECK_FALSE(got[0].value.has_value());
  CHECK(got[1].value == std::optional<std::string>(""));
  CHECK_FALSE(got[2].key.has_value());
  CHECK(got[3].key == std::optional<std::string>(""));
}

TEST_CASE("large keys, values and headers round-trip", "[format]") {
  std::mt19937_64 rng(1);
  auto random_bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    return s;
  };
  Rec r;
  r.key = random_bytes(70000);
  r.value = random_bytes(3 << 20);
  r.headers = {{random_bytes(1000), random_bytes(100000)}, {"", std::nullopt}};
  r.timestamp_ms = 5;
  std::vector<Rec> recs = {r, r};
  format::EncodedFrame enc;
  std::string frame = EncodeFrameBytes(recs, Offset(0), kNow, false, &enc);
  CHECK(frame.size() ==
        12 + 36 + 2 * (28 + 70000 + (3 << 20) + 8 + 1000 + 100000 + 8));
  CHECK(ParseValid(frame) == Expected(recs, 0, kNow, false));
}

TEST_CASE("many records round-trip", "[format]") {
  std::vector<Rec> recs(20000);
  for (size_t i = 0; i < recs.size(); ++i) {
    recs[i].key = "key-" + std::to_string(i);
    if (i % 3 != 0) recs[i].value = std::string(i % 50, 'v');
    if (i % 5 == 0) recs[i].headers = {{"i", std::to_string(i)}};
    recs[i].timestamp_ms = static_cast<int64_t>(i * 7919 % 10007);  // unordered
  }
  FrameInfo info;
  std::vector<Rec> got =
      ParseValid(EncodeFrameBytes(recs, Offset(123456789), kNow, false), &info);
  CHECK(got == Expected(recs, 123456789, kNow, false));
  CHECK(info.max_timestamp == 10006);
  CHECK(info.first_timestamp == 0);
  CHECK(info.last_offset_delta == 19999);
}

TEST_CASE("EncodedRecordSize follows the documented formula", "[format]") {
  for (const Rec& r : AllCombinations()) {
    format_testing::RecordViews v(std::vector<Rec>{r});
    size_t want =
        28 + (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
    for (const auto& [k, hv] : r.headers)
      want += 8 + k.size() + (hv ? hv->size() : 0);
    CHECK(format::EncodedRecordSize(v.records()[0]) == want);
    CHECK(format::EncodedFrameSize(v.records()) == 12 + 36 + want);
  }
}

TEST_CASE("frames follow each other back to back, then zeros end the data",
          "[format]") {
  std::vector<Rec> a = AllCombinations();
  std::vector<Rec> b = {Rec{.key = "x", .value = "y", .timestamp_ms = 3}};
  std::string seg = EncodeFrameBytes(a, Offset(0), kNow, false) +
                    EncodeFrameBytes(b, Offset(27), kNow, false) +
                    std::string(100, '\0');
  GuardedBytes g(seg);
  size_t pos = 0;
  std::vector<Offset> bases;
  std::string why;
  while (true) {
    FrameInfo info;
    FrameStatus st =
        format::ParseFrame(g.data() + pos, g.size() - pos, &info, &why);
    if (st == FrameStatus::kEnd) break;
    REQUIRE(st == FrameStatus::kOk);
    bases.push_back(info.base_offset);
    pos += info.frame_size;
  }
  CHECK(bases == std::vector<Offset>{Offset(0), Offset(27)});
  CHECK(pos == seg.size() - 100);
}

// ---------------------------------------------------------------------------
// Timestamps and attributes

TEST_CASE("kNoTimestamp becomes the append time, explicit timestamps stay",
          "[format]") {
  std::vector<Rec> recs(4);
  recs[0].timestamp_ms = kNoTimestamp;
  recs[1].timestamp_ms = 5;
  recs[2].timestamp_ms = -5;  // only -1 means "now"
  recs[3].timestamp_ms = kNow + 10;
  format::EncodedFrame enc;
  FrameInfo info;
  std::vector<Rec> got =
      ParseValid(EncodeFrameBytes(recs, Offset(0), kNow, false, &enc), &info);
  CHECK(got[0].timestamp_ms == kNow);
  CHECK(got[1].timestamp_ms == 5);
  CHECK(got[2].timestamp_ms == -5);
  CHECK(got[3].timestamp_ms == kNow + 10);
  CHECK(enc.first_timestamp == kNow);
  CHECK(enc.max_timestamp == kNow + 10);
  CHECK(info.first_timestamp == kNow);
  CHECK(info.max_timestamp == kNow + 10);
  CHECK(info.attributes == 0);
}

TEST_CASE("log-append-time stamps every record and sets the attribute",
          "[format]") {
  std::vector<Rec> recs(3);
  recs[0].timestamp_ms = 1;
  recs[1].timestamp_ms = kNoTimestamp;
  recs[2].timestamp_ms = kNow + 999;
  FrameInfo info;
  format::EncodedFrame enc;
  std::string frame = EncodeFrameBytes(recs, Offset(0), kNow, true, &enc);
  std::vector<Rec> got = ParseValid(frame, &info);
  CHECK(got == Expected(recs, 0, kNow, true));
  CHECK(info.attributes == format::kAttrLogAppendTime);
  CHECK(format::Load<uint16_t>(frame.data() + 12 + format::kBatchAttributes) ==
        1);
  CHECK(enc.first_timestamp == kNow);
  CHECK(enc.max_timestamp == kNow);
}

TEST_CASE("EncodeFrameWithOffsets keeps offsets with gaps and timestamps",
          "[format]") {
  std::vector<Rec> recs(3);
  recs[0].key = "a";
  recs[0].timestamp_ms = 30;
  recs[1].key = "b";
  recs[1].timestamp_ms = kNoTimestamp;  // stored verbatim
  recs[2].key = "c";
  recs[2].timestamp_ms = 10;
  std::vector<Offset> offsets = {Offset(10), Offset(12), Offset(17)};
  format_testing::RecordViews views(recs);
  std::string buf(format::EncodedFrameSize(views.records()) + 8, '\x77');
  format::EncodedFrame enc = format::EncodeFrameWithOffsets(
      views.records(), offsets, format::kAttrLogAppendTime, buf.data());
  REQUIRE(enc.size == buf.size() - 8);
  CHECK(buf.substr(enc.size) == std::string(8, '\x77'));
  buf.resize(enc.size);
  FrameInfo info;
  std::vector<Rec> got = ParseValid(buf, &info);
  CHECK(info.base_offset == Offset(10));
  CHECK(info.record_count == 3);
  CHECK(info.last_offset_delta == 7);
  CHECK(info.next_offset() == Offset(18));
  CHECK(info.attributes == format::kAttrLogAppendTime);
  CHECK(info.first_timestamp == 30);
  CHECK(info.max_timestamp == 30);
  REQUIRE(got.size() == 3);
  CHECK(got[0].offset == 10);
  CHECK(got[1].offset == 12);
  CHECK(got[2].offset == 17);
  CHECK(got[1].timestamp_ms == kNoTimestamp);
  CHECK(enc.first_timestamp == 30);
  CHECK(enc.max_timestamp == 30);
}

// ---------------------------------------------------------------------------
// Corruption: the example frame of docs/FORMAT.md section 11 (129 bytes).

std::vector<Rec> SmallRecords() {
  Rec r0;
  r0.key = "k1";
  r0.value = "v1";
  r0.timestamp_ms = 1700000000000;
  r0.headers = {{"h1", "x"}};
  Rec r1;
  r1.headers = {{"h2", std::nullopt}};
  return {r0, r1};
}

std::string SmallFrame() {
  std::string f = EncodeFrameBytes(SmallRecords(), Offset(0), kNow, false);
  REQUIRE(f.size() == 129);
  return f;
}

// Positions in the small frame (frame-relative), see FORMAT.md section 11
// (subtract 0x40).
constexpr size_t kBody = 12;
constexpr size_t kRec0 = 0x30;  // record 0 length field
constexpr size_t kRec1 = 0x5b;  // record 1 length field

TEST_CASE("every single-bit flip of a frame is detected", "[format]") {
  const std::string frame = SmallFrame();
  for (int padding : {0, 64}) {  // frame at the very end, or followed by zeros
    for (size_t byte = 0; byte < frame.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string bad = frame;
        bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
        bad.append(padding, '\0');
        CAPTURE(padding, byte, bit);
        FrameStatus st = Parse(bad);
        CHECK((st == FrameStatus::kCorrupt || st == FrameStatus::kTruncated));
      }
    }
  }
}

TEST_CASE("truncation at every length is detected", "[format]") {
  const std::string frame = SmallFrame();
  for (size_t n = 0; n < frame.size(); ++n) {
    CAPTURE(n);
    std::string why;
    FrameStatus st = Parse(std::string_view(frame).substr(0, n), nullptr, &why);
    if (n == 0) {
      CHECK(st == FrameStatus::kEnd);
    } else if (n < format::kFrameLengthSize) {
      CHECK(st == FrameStatus::kCorrupt);  // partial, non-zero length field
      CHECK(why.find("partial length") != std::string::npos);
    } else {
      CHECK(st == FrameStatus::kTruncated);
    }
  }
  CHECK(Parse(frame) == FrameStatus::kOk);
}

TEST_CASE("length field edge cases", "[format]") {
  const std::string frame = SmallFrame();
  auto with_length = [&](uint32_t len, size_t extra_zeros) {
    std::string f = frame + std::string(extra_zeros, '\0');
    format::Store<uint32_t>(f.data(), len);
    return f;
  };
  SECTION("zero length is the end, whatever follows") {
    CHECK(Parse(with_length(0, 0)) == FrameStatus::kEnd);
    CHECK(Parse(std::string(4, '\0')) == FrameStatus::kEnd);
    CHECK(Parse(std::string(4, '\0') + "garbage") == FrameStatus::kEnd);
  }
  SECTION("partial length field at the end") {
    for (size_t n = 1; n < 4; ++n) {
      CAPTURE(n);
      CHECK(Parse(std::string(n, '\0')) == FrameStatus::kEnd);
      for (size_t i = 0; i < n; ++i) {
        std::string s(n, '\0');
        s[i] = 1;
        CHECK(Parse(s) == FrameStatus::kCorrupt);
      }
    }
  }
  SECTION("a body shorter than the batch header is corrupt, not truncated") {
    for (uint32_t len = 1; len < format::kBatchHeaderSize; ++len) {
      CAPTURE(len);
      CHECK(Parse(with_length(len, 0)) == FrameStatus::kCorrupt);
      std::string tiny(4, '\0');
      format::Store<uint32_t>(tiny.data(), len);
      CHECK(Parse(tiny) == FrameStatus::kCorrupt);
    }
  }
  SECTION("a length past the end of the buffer is truncated") {
    for (uint32_t len : {118u, 200u, 4096u, 0x7fffffffu, 0xfffffff3u,
                         0xfffffff4u, 0xffffffffu}) {
      CAPTURE(len);
      CHECK(Parse(with_length(len, 0)) == FrameStatus::kTruncated);
    }
    for (size_t n = 4; n < kFrameHeaderSize; ++n) {
      std::string s(n, '\0');
      format::Store<uint32_t>(s.data(), 36);
      CHECK(Parse(s) == FrameStatus::kTruncated);
    }
  }
  SECTION("a shorter or longer length fails the checksum") {
    CHECK(Parse(with_length(116, 0)) == FrameStatus::kCorrupt);
    CHECK(Parse(with_length(118, 8)) == FrameStatus::kCorrupt);
    CHECK(Parse(with_length(36, 0)) == FrameStatus::kCorrupt);
  }
}

// A structural mutation of the small frame, applied before the checksum is
// recomputed: ParseFrame must reject it by its structure checks.
struct Mutation {
  const char* name;
  void (*apply)(std::string* f);
};

template <typename T>
void Put(std::string* f, size_t pos, T v) {
  format::Store<T>(f->data() + pos, v);
}

// Grows or shrinks the body by `delta` bytes at `pos`, fixing body_length.
void Resize(std::string* f, size_t pos, int delta) {
  if (delta > 0) {
    f->insert(pos, static_cast<size_t>(delta), '\x01');
  } else {
    f->erase(pos, static_cast<size_t>(-delta));
  }
  Put<uint32_t>(f, 0, static_cast<uint32_t>(f->size() - kBody));
}

const Mutation kRejected[] = {
    // Batch header.
    {"base offset -1", [](std::string* f) { Put<int64_t>(f, kBody + 0, -1); }},
    {"base offset INT64_MIN",
     [](std::string* f) { Put<int64_t>(f, kBody + 0, INT64_MIN); }},
    {"next offset overflows",
     [](std::string* f) { Put<int64_t>(f, kBody + 0, INT64_MAX - 1); }},
    {"next offset overflows (max)",
     [](std::string* f) { Put<int64_t>(f, kBody + 0, INT64_MAX); }},
    {"record count 0", [](std::string* f) { Put<uint32_t>(f, kBody + 8, 0); }},
    {"record count 1 (trailing record)",
     [](std::string* f) { Put<uint32_t>(f, kBody + 8, 1); }},
    {"record count 3 (missing record)",
     [](std::string* f) {
       Put<uint32_t>(f, kBody + 8, 3);
       Put<uint32_t>(f, kBody + 12, 2);
     }},
    {"record count max",
     [](std::string* f) {
       Put<uint32_t>(f, kBody + 8, UINT32_MAX);
       Put<uint32_t>(f, kBody + 12, UINT32_MAX);
     }},
    {"last delta below count - 1",
     [](std::string* f) { Put<uint32_t>(f, kBody + 12, 0); }},
    {"last delta above the last record's",
     [](std::string* f) { Put<uint32_t>(f, kBody + 12, 5); }},
    {"last delta max",
     [](std::string* f) { Put<uint32_t>(f, kBody + 12, UINT32_MAX); }},
    {"first timestamp differs",
     [](std::string* f) { Put<int64_t>(f, kBody + 16, 1700000000001); }},
    {"max timestamp too high",
     [](std::string* f) { Put<int64_t>(f, kBody + 24, 1700000000501); }},
    {"max timestamp too low",
     [](std::string* f) { Put<int64_t>(f, kBody + 24, 1700000000499); }},
    {"unknown attribute bit 1",
     [](std::string* f) { Put<uint16_t>(f, kBody + 32, 2); }},
    {"unknown attribute bit 15",
     [](std::string* f) { Put<uint16_t>(f, kBody + 32, 0x8001); }},
    {"reserved non-zero",
     [](std::string* f) { Put<uint16_t>(f, kBody + 34, 1); }},
    // Record lengths.
    {"record length 0", [](std::string* f) { Put<uint32_t>(f, kRec0, 0); }},
    {"record length 23", [](std::string* f) { Put<uint32_t>(f, kRec0, 23); }},
    {"record length one short",
     [](std::string* f) { Put<uint32_t>(f, kRec0, 38); }},
    {"record length one long",
     [](std::string* f) { Put<uint32_t>(f, kRec0, 40); }},
    {"record length past the body",
     [](std::string* f) { Put<uint32_t>(f, kRec0, 500); }},
    {"record length max",
     [](std::string* f) { Put<uint32_t>(f, kRec0, UINT32_MAX); }},
    {"last record length one long",
     [](std::string* f) { Put<uint32_t>(f, kRec1, 35); }},
    {"last record length one short",
     [](std::string* f) { Put<uint32_t>(f, kRec1, 33); }},
    {"last record length max",
     [](std::string* f) { Put<uint32_t>(f, kRec1, UINT32_MAX); }},
    {"body shorter than the records",
     [](std::string* f) { Resize(f, f->size() - 1, -1); }},
    {"body has a trailing byte",
     [](std::string* f) { Resize(f, f->size(), 1); }},
    {"body truncated to the batch header",
     [](std::string* f) {
       Resize(f, kRec0, -static_cast<int>(f->size() - kRec0));
     }},
    {"body truncated inside record 0's fixed part",
     [](std::string* f) {
       Resize(f, kRec0 + 20, -static_cast<int>(f->size() - kRec0 - 20));
     }},
    // Offset deltas.
    {"first two deltas equal",
     [](std::string* f) { Put<uint32_t>(f, kRec0 + 4, 1); }},
    {"deltas decrease",
     [](std::string* f) {
       Put<uint32_t>(f, kRec0 + 4, 1);
       Put<uint32_t>(f, kRec1 + 4, 0);
     }},
    {"delta above last delta",
     [](std::string* f) { Put<uint32_t>(f, kRec1 + 4, 2); }},
    {"last delta below header's",
     [](std::string* f) {
       Put<uint32_t>(f, kBody + 12, 3);
       Put<uint32_t>(f, kRec1 + 4, 2);
     }},
    // Fields inside record 0 (key at +16, value at +22, header count at +28,
    // header key at +32, header value at +38).
    {"key length -2", [](std::string* f) { Put<int32_t>(f, kRec0 + 16, -2); }},
    {"key length INT32_MIN",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 16, INT32_MIN); }},
    {"key length one long",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 16, 3); }},
    {"key length one short",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 16, 1); }},
    {"key length past the record",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 16, 40); }},
    {"key length max",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 16, INT32_MAX); }},
    {"key null (leaves bytes)",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 16, -1); }},
    {"value length -2",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 22, -2); }},
    {"value length one long",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 22, 3); }},
    {"value length past the record",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 22, 17); }},
    {"header count 0 (leaves bytes)",
     [](std::string* f) { Put<uint32_t>(f, kRec0 + 28, 0); }},
    {"header count 2", [](std::string* f) { Put<uint32_t>(f, kRec0 + 28, 2); }},
    {"header count max",
     [](std::string* f) { Put<uint32_t>(f, kRec0 + 28, UINT32_MAX); }},
    {"header key null",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 32, -1); }},
    {"header key length -2",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 32, -2); }},
    {"header key length past the record",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 32, 8); }},
    {"header value length -2",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 38, -2); }},
    {"header value length one long",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 38, 2); }},
    {"header value null (leaves a byte)",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 38, -1); }},
    {"header value length 0 (leaves a byte)",
     [](std::string* f) { Put<int32_t>(f, kRec0 + 38, 0); }},
    // Fields inside record 1 (the last one, ends at the body end).
    {"last value length 4",
     [](std::string* f) { Put<int32_t>(f, kRec1 + 20, 4); }},
    {"last header value length 1",
     [](std::string* f) { Put<int32_t>(f, kRec1 + 34, 1); }},
    {"last header value length INT32_MAX",
     [](std::string* f) { Put<int32_t>(f, kRec1 + 34, INT32_MAX); }},
    {"last header count 2",
     [](std::string* f) { Put<uint32_t>(f, kRec1 + 24, 2); }},
    {"last record has no room for header count",
     // The value (14 bytes) swallows the header count and the header.
     [](std::string* f) { Put<int32_t>(f, kRec1 + 20, 14); }},
};

TEST_CASE("structurally malformed frames with valid checksums are rejected",
          "[format]") {
  const std::string frame = SmallFrame();
  // The positions used by the table.
  REQUIRE(format::Load<uint32_t>(frame.data() + kRec0) == 39);
  REQUIRE(format::Load<uint32_t>(frame.data() + kRec1) == 34);
  REQUIRE(format::Load<int32_t>(frame.data() + kRec0 + 38) == 1);
  REQUIRE(format::Load<int32_t>(frame.data() + kRec1 + 34) == -1);
  for (const Mutation& m : kRejected) {
    std::string bad = frame;
    m.apply(&bad);
    REQUIRE(bad != frame);
    FixChecksum(&bad);
    std::string why;
    FrameStatus st = Parse(bad, nullptr, &why);
    INFO(m.name << ": " << why);
    CHECK(st == FrameStatus::kCorrupt);
    if (st == FrameStatus::kCorrupt) CHECK_FALSE(why.empty());
  }
}

TEST_CASE("rule boundaries that are valid", "[format]") {
  const std::string frame = SmallFrame();
  SECTION("gaps: deltas may skip and need not start at 0") {
    std::string f = frame;
    Put<uint32_t>(&f, kRec0 + 4, 3);
    Put<uint32_t>(&f, kRec1 + 4, 9);
    Put<uint32_t>(&f, kBody + 12, 9);
    FixChecksum(&f);
    FrameInfo info;
    std::vector<Rec> got = ParseValid(f, &info);
    CHECK(got[0].offset == 3);
    CHECK(got[1].offset == 9);
    CHECK(info.next_offset() == Offset(10));
  }
  SECTION("the largest base offset whose next offset fits") {
    std::string f = frame;
    Put<int64_t>(&f, kBody, INT64_MAX - 2);
    FixChecksum(&f);
    FrameInfo info;
    std::vector<Rec> got = ParseValid(f, &info);
    CHECK(got[1].offset == INT64_MAX - 1);
    CHECK(info.next_offset() == Offset(INT64_MAX));
  }
  SECTION("the log-append-time attribute") {
    std::string f = frame;
    Put<uint16_t>(&f, kBody + 32, 1);
    FixChecksum(&f);
    FrameInfo info;
    ParseValid(f, &info);
    CHECK(info.attributes == 1);
  }
}

// ---------------------------------------------------------------------------
// Random inputs: never crash, never read outside the buffer (GuardedBytes
// faults on it), never accept inconsistent data.

std::vector<Rec> RandomRecords(std::mt19937_64& rng) {
  auto pick = [&](uint64_t n) { return rng() % n; };
  std::vector<Rec> recs(1 + pick(4));
  for (Rec& r : recs) {
    if (pick(3)) r.key = std::string(pick(6), 'k');
    if (pick(3)) r.value = std::string(pick(10), 'v');
    size_t nh = pick(4);
    for (size_t i = 0; i < nh; ++i) {
      r.headers.emplace_back(
          std::string(pick(3), 'h'),
          pick(3) ? std::optional<std::string>(std::string(pick(3), 'x'))
                  : std::nullopt);
    }
    r.timestamp_ms = pick(4) ? static_cast<int64_t>(pick(1000)) : kNoTimestamp;
  }
  return recs;
}

// Checks a kOk frame: consistent, and (when the first delta is 0) its
// records re-encode to exactly the same bytes.
void CheckAccepted(const std::string& bytes, uint64_t seed) {
  GuardedBytes g(bytes);
  FrameInfo info;
  std::string why;
  REQUIRE(format::ParseFrame(g.data(), g.size(), &info, &why) ==
          FrameStatus::kOk);
  INFO("seed " << seed);
  REQUIRE(format_testing::FrameIsConsistent(info, g.data(), g.size()));
  std::vector<Rec> recs = format_testing::DecodeRecords(info);
  if (recs.front().offset != info.base_offset.value()) return;
  format_testing::RecordViews views(recs);
  std::vector<Offset> offsets;
  for (const Rec& r : recs) offsets.push_back(Offset(r.offset));
  std::string again(format::EncodedFrameSize(views.records()), '\0');
  format::EncodeFrameWithOffsets(views.records(), offsets, info.attributes,
                                 again.data());
  CHECK(Hex(again) == Hex(bytes.substr(0, info.frame_size)));
}

TEST_CASE(
    "random mutations with recomputed checksums are rejected or consistent",
    "[format]") {
  std::mt19937_64 rng(20240601);
  int accepted = 0, rejected = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    uint64_t seed = rng();
    std::mt19937_64 r(seed);
    std::string frame = EncodeFrameBytes(RandomRecords(r), Offset(r() % 1000),
                                         kNow, r() % 2 == 0);
    int kind = static_cast<int>(r() % 4);
    int edits = 1 + static_cast<int>(r() % 3);
    for (int e = 0; e < edits; ++e) {
      size_t pos = kBody + r() % (frame.size() - kBody);
      if (kind == 0) {  // random byte
        frame[pos] = static_cast<char>(r());
      } else if (kind == 1 && pos + 4 <= frame.size()) {  // interesting u32
        static const uint32_t kVals[] = {
            0,  1,          2,          23,         24,        27,
            28, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff};
        Put<uint32_t>(&frame, pos, kVals[r() % std::size(kVals)]);
      } else if (kind == 2) {  // small +-1 change of a byte
        frame[pos] = static_cast<char>(frame[pos] + ((r() & 1) ? 1 : -1));
      } else {  // insert or delete a byte, fixing the length
        if (r() & 1) {
          frame.insert(pos, 1, static_cast<char>(r()));
        } else if (frame.size() > kBody + 36) {
          frame.erase(pos, 1);
        }
        Put<uint32_t>(&frame, 0, static_cast<uint32_t>(frame.size() - kBody));
      }
    }
    FixChecksum(&frame);
    FrameStatus st = Parse(frame);
    if (st == FrameStatus::kOk) {
      ++accepted;
      CheckAccepted(frame, seed);
    } else {
      ++rejected;
      CHECK(st == FrameStatus::kCorrupt);
    }
  }
  // Both outcomes occur, so the test exercises both paths.
  CHECK(accepted > 0);
  CHECK(rejected > 1000);
}

TEST_CASE("random garbage never crashes and is never accepted inconsistently",
          "[format]") {
  std::mt19937_64 rng(7);
  int ok = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    uint64_t seed = rng();
    std::mt19937_64 r(seed);
    std::string bytes(r() % 300, '\0');
    for (char& c : bytes) c = static_cast<char>(r());
    int mode = static_cast<int>(r() % 3);
    if (mode >= 1 && bytes.size() >= kFrameHeaderSize + 36) {
      // A plausible length (and in mode 2 a valid checksum), so that the
      // structure checks see the garbage.
      Put<uint32_t>(&bytes, 0,
                    static_cast<uint32_t>(bytes.size() - kBody - r() % 8));
      if (mode == 2) FixChecksum(&bytes);
    }
    FrameStatus st = Parse(bytes);
    if (st == FrameStatus::kOk) {
      ++ok;
      CheckAccepted(bytes, seed);
    }
  }
  INFO("accepted " << ok);
  SUCCEED();
}

TEST_CASE("random records with a valid header and garbage records",
          "[format]") {
  // Valid batch header and checksum around random record bytes built from
  // small fields, so that record walking meets near-miss lengths.
  std::mt19937_64 rng(99);
  int ok = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    uint64_t seed = rng();
    std::mt19937_64 r(seed);
    std::string frame =
        EncodeFrameBytes(RandomRecords(r), Offset(0), kNow, false);
    // Replace one 4-byte aligned-to-record-start field with a small value.
    size_t pos = kRec0 + r() % (frame.size() - kRec0 - 3);
    Put<int32_t>(&frame, pos, static_cast<int32_t>(r() % 40) - 2);
    FixChecksum(&frame);
    FrameStatus st = Parse(frame);
    if (st == FrameStatus::kOk) {
      ++ok;
      CheckAccepted(frame, seed);
    } else {
      CHECK(st == FrameStatus::kCorrupt);
    }
  }
  CHECK(ok > 0);
}

}  // namespace
}  // namespace evlog
