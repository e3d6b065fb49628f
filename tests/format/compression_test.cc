// Compressed batches (format/compression.h, format/batch_codec.h): every
// codec round-trips every field combination, a batch that does not shrink
// is stored uncompressed, and damaged compressed frames -- flipped bits,
// truncated or garbage payloads, a records_bytes that lies -- are kCorrupt
// from ParseFrame or DecodeRecords, never a crash or an out-of-bounds read.
// Layout: docs/FORMAT.md section 4 ("Compression").

#include "format/compression.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "format/batch_codec.h"
#include "format/coding.h"
#include "format/format.h"
#include "format/format_test_util.h"

namespace evlog {
namespace {

using format::FrameInfo;
using format::FrameStatus;
using format_testing::EncodeFrameWith;
using format_testing::FixChecksum;
using format_testing::GuardedBytes;
using format_testing::ParseValid;
using format_testing::Rec;

constexpr int64_t kNow = 1700000000500;
constexpr size_t kBody = format::kFrameHeaderSize;
constexpr size_t kPayload = kBody + format::kBatchHeaderSize;
constexpr uint16_t kCodecs[] = {format::kCodecLz4, format::kCodecZstd};

format::FrameOptions WithCodec(uint16_t codec, int level = 0) {
  format::FrameOptions o;
  o.codec = codec;
  o.compression_level = level;
  return o;
}

// Records with the timestamps and offsets the encoder gives them.
std::vector<Rec> Expected(std::vector<Rec> recs, int64_t base,
                          bool append_time) {
  for (size_t i = 0; i < recs.size(); ++i) {
    recs[i].offset = base + static_cast<int64_t>(i);
    if (append_time || recs[i].timestamp_ms == kNoTimestamp)
      recs[i].timestamp_ms = kNow;
  }
  return recs;
}

// Every combination of absent/empty/large key and value and of no, null and
// empty headers.
std::vector<Rec> Combinations() {
  const std::vector<std::optional<std::string>> strings = {
      std::nullopt, std::string(), std::string("abc"), std::string(5000, 'L')};
  const std::vector<
      std::vector<std::pair<std::string, std::optional<std::string>>>>
      headers = {{},
                 {{"h", std::nullopt}},
                 {{"", ""}, {"k", std::nullopt}, {"trace", "0123456789"}}};
  return format_testing::Combinations(strings, headers);
}

// Parses a frame that must be valid and compressed with `codec`.
std::vector<Rec> ParseCompressed(const std::string& frame, uint16_t codec,
                                 FrameInfo* info_out = nullptr) {
  FrameInfo info;
  std::vector<Rec> got = ParseValid(frame, &info);
  CHECK(info.codec() == codec);
  CHECK(
      format::Load<uint16_t>(frame.data() + kBody + format::kBatchAttributes) ==
      (codec << format::kAttrCodecShift |
       (info.attributes & ~format::kAttrCodecMask)));
  if (info_out != nullptr) *info_out = info;
  return got;
}

// ---------------------------------------------------------------------------
// Round trips

TEST_CASE("compression: every field combination round-trips with every codec",
          "[format]") {
  const std::vector<Rec> all = Combinations();
  for (uint16_t codec : kCodecs) {
    CAPTURE(codec);
    // One batch of all of them.
    format::EncodedFrame enc;
    std::string frame =
        EncodeFrameWith(all, Offset(500), kNow, WithCodec(codec), &enc);
    FrameInfo info;
    CHECK(ParseCompressed(frame, codec, &info) == Expected(all, 500, false));
    CHECK(enc.codec == codec);
    CHECK(enc.size == frame.size());
    format_testing::RecordViews views(all);
    CHECK(enc.records_bytes == format::EncodedRecordsSize(views.records()));
    CHECK(info.records_bytes == enc.records_bytes);
    CHECK(frame.size() < format::EncodedFrameSize(views.records()));
    // Each one alone, in a batch made compressible by repeating it.
    for (size_t i = 0; i < all.size(); ++i) {
      CAPTURE(i);
      std::vector<Rec> batch(8, all[i]);
      batch.push_back(
          Rec{.value = std::string(300, 'p'), .timestamp_ms = kNoTimestamp});
      std::string f = EncodeFrameWith(batch, Offset(i), kNow, WithCodec(codec));
      CHECK(ParseCompressed(f, codec) ==
            Expected(batch, static_cast<int64_t>(i), false));
    }
  }
}

TEST_CASE("compression: large records, many records, levels", "[format]") {
  std::mt19937_64 rng(3);
  std::string random_key(70000, '\0');
  for (char& c : random_key) c = static_cast<char>(rng());
  Rec big;
  big.key = random_key;
  big.value = std::string(3 << 20, 'v');
  big.headers = {{"h", std::string(100000, 'h')}, {"", std::nullopt}};
  big.timestamp_ms = 5;
  std::vector<Rec> many(20000);
  for (size_t i = 0; i < many.size(); ++i) {
    many[i].key = "key-" + std::to_string(i % 100);
    if (i % 3 != 0) many[i].value = std::string(i % 50, 'v');
    if (i % 5 == 0) many[i].headers = {{"i", std::to_string(i)}};
    many[i].timestamp_ms = static_cast<int64_t>(i * 7919 % 10007);
  }
  for (uint16_t codec : kCodecs) {
    CAPTURE(codec);
    std::vector<Rec> two = {big, big};
    CHECK(ParseCompressed(
              EncodeFrameWith(two, Offset(0), kNow, WithCodec(codec)), codec) ==
          Expected(two, 0, false));
    FrameInfo info;
    CHECK(ParseCompressed(
              EncodeFrameWith(many, Offset(123456789), kNow, WithCodec(codec)),
              codec, &info) == Expected(many, 123456789, false));
    CHECK(info.max_timestamp == 10006);
    CHECK(info.last_offset_delta == 19999);
  }
  // zstd levels, including a negative ("fast") one: all decode the same.
  for (int level : {-5, 1, 3, 9}) {
    CAPTURE(level);
    CHECK(ParseCompressed(EncodeFrameWith(many, Offset(1), kNow,
                                          WithCodec(format::kCodecZstd, level)),
                          format::kCodecZstd) == Expected(many, 1, false));
  }
}

TEST_CASE("compression: log-append-time and transactional batches",
          "[format]") {
  std::vector<Rec> recs(50);
  for (size_t i = 0; i < recs.size(); ++i) {
    recs[i].key = "k" + std::to_string(i % 4);
    recs[i].value = std::string(64, 'a' + static_cast<char>(i % 3));
    recs[i].timestamp_ms = i % 2 ? kNoTimestamp : static_cast<int64_t>(i);
  }
  for (uint16_t codec : kCodecs) {
    for (bool append_time : {false, true}) {
      for (bool txn : {false, true}) {
        CAPTURE(codec, append_time, txn);
        format::FrameOptions o = WithCodec(codec);
        o.log_append_time = append_time;
        o.writer_epoch = 77;
        if (txn) {
          o.producer_id = 1234;
          o.producer_epoch = 5;
        }
        FrameInfo info;
        std::string f = EncodeFrameWith(recs, Offset(9), kNow, o);
        CHECK(ParseCompressed(f, codec, &info) ==
              Expected(recs, 9, append_time));
        CHECK(info.writer_epoch == 77);
        CHECK(info.transactional() == txn);
        CHECK(info.producer_id == (txn ? 1234 : -1));
        CHECK(info.producer_epoch == (txn ? 5 : -1));
        CHECK(((info.attributes & format::kAttrLogAppendTime) != 0) ==
              append_time);
        // FrameOptionsOf reproduces the header: a rewrite encodes the same.
        format::FrameOptions again = format::FrameOptionsOf(info);
        CHECK(again.codec == codec);
        CHECK(again.writer_epoch == 77);
        CHECK(again.producer_id == o.producer_id);
        CHECK(again.log_append_time == append_time);
      }
    }
  }
}

TEST_CASE("compression: EncodeFrameWithOffsets keeps offsets and compresses",
          "[format]") {
  std::vector<Rec> recs(20, Rec{.key = "same-key",
                                .value = std::string(100, 'x'),
                                .timestamp_ms = 40});
  std::vector<Offset> offsets;
  for (int i = 0; i < 20; ++i) offsets.push_back(Offset(100 + 3 * i));
  format_testing::RecordViews views(recs);
  for (uint16_t codec : kCodecs) {
    std::string buf(format::MaxFrameSize(
                        format::EncodedRecordsSize(views.records()), codec),
                    '\0');
    format::EncodedFrame enc = format::EncodeFrameWithOffsets(
        views.records(), offsets, WithCodec(codec), buf.data());
    buf.resize(enc.size);
    FrameInfo info;
    std::vector<Rec> got = ParseCompressed(buf, codec, &info);
    REQUIRE(got.size() == 20);
    for (int i = 0; i < 20; ++i) CHECK(got[i].offset == 100 + 3 * i);
    CHECK(info.last_offset_delta == 57);
  }
}

TEST_CASE("compression: a batch that does not shrink is stored uncompressed",
          "[format]") {
  std::mt19937_64 rng(11);
  std::string noise(2000, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  const std::vector<std::vector<Rec>> batches = {
      {Rec{.key = "k", .value = noise, .timestamp_ms = 1}},
      {Rec{.key = noise.substr(0, 1000),
           .value = noise.substr(1000),
           .timestamp_ms = 2}},
  };
  for (uint16_t codec : kCodecs) {
    for (const std::vector<Rec>& recs : batches) {
      CAPTURE(codec, recs.size());
      format::EncodedFrame enc;
      std::string f =
          EncodeFrameWith(recs, Offset(0), kNow, WithCodec(codec), &enc);
      CHECK(enc.codec == format::kCodecNone);
      FrameInfo info;
      CHECK(ParseValid(f, &info) == Expected(recs, 0, false));
      CHECK(info.codec() == format::kCodecNone);
      CHECK(info.records != nullptr);
      // Byte for byte what an uncompressed encode writes.
      CHECK(f == EncodeFrameWith(recs, Offset(0), kNow,
                                 WithCodec(format::kCodecNone)));
    }
  }
}

TEST_CASE("compression: ParseFrame leaves the records to DecodeRecords",
          "[format]") {
  std::vector<Rec> recs(
      30, Rec{.key = "k", .value = std::string(50, 'z'), .timestamp_ms = 3});
  for (uint16_t codec : kCodecs) {
    std::string f = EncodeFrameWith(recs, Offset(0), kNow, WithCodec(codec));
    GuardedBytes g(f);
    FrameInfo info;
    std::string why;
    REQUIRE(format::ParseFrame(g.data(), g.size(), &info, &why) ==
            FrameStatus::kOk);
    CHECK(info.compressed());
    CHECK(info.records == nullptr);
    CHECK(info.payload == g.data() + kPayload);
    CHECK(info.payload_end == g.data() + g.size());
    FrameInfo trusted;
    format::ParseTrustedFrame(g.data(), &trusted);
    CHECK(trusted.records == nullptr);
    CHECK(trusted.records_bytes == info.records_bytes);
    std::string buffer;
    REQUIRE(format::DecodeRecords(&info, &buffer, &why) == FrameStatus::kOk);
    CHECK(info.records == buffer.data());
    CHECK(buffer.size() == info.records_bytes);
    CHECK(format_testing::FrameIsConsistent(info, g.data(), g.size()));
  }
}

// ---------------------------------------------------------------------------
// Damage

std::vector<Rec> SmallCompressible() {
  std::vector<Rec> recs;
  for (int i = 0; i < 6; ++i) {
    Rec r;
    r.key = "key-" + std::to_string(i % 2);
    r.value = std::string(40, 'a' + static_cast<char>(i % 2));
    r.headers = {{"h", i % 2 ? std::nullopt : std::optional<std::string>("x")}};
    r.timestamp_ms = 100 + i;
    recs.push_back(r);
  }
  return recs;
}

// ParseFrame then DecodeRecords on guarded bytes; on kOk, the decoded
// records must be consistent with the header (a damaged payload may still
// decompress to other valid records: see the flip test).
FrameStatus ParseAndDecode(const std::string& bytes,
                           std::vector<Rec>* got = nullptr,
                           FrameStatus* parse_status = nullptr) {
  GuardedBytes g(bytes);
  FrameInfo info;
  std::string why;
  FrameStatus st = format::ParseFrame(g.data(), g.size(), &info, &why);
  if (parse_status != nullptr) *parse_status = st;
  if (st != FrameStatus::kOk) return st;
  std::string buffer;
  st = format::DecodeRecords(&info, &buffer, &why);
  if (st != FrameStatus::kOk) {
    CHECK_FALSE(why.empty());
    return st;
  }
  REQUIRE(format_testing::FrameIsConsistent(info, g.data(), g.size()));
  if (got != nullptr) *got = format_testing::DecodeRecords(info);
  return st;
}

// Replaces the payload of a compressed frame, fixing body_length and the
// checksum.
std::string WithPayload(const std::string& frame, const std::string& payload) {
  std::string f = frame.substr(0, kPayload) + payload;
  format::Store<uint32_t>(f.data(), static_cast<uint32_t>(f.size() - kBody));
  FixChecksum(&f);
  return f;
}

TEST_CASE(
    "compression: every bit flip without a recomputed checksum fails "
    "ParseFrame",
    "[format]") {
  for (uint16_t codec : kCodecs) {
    const std::string frame =
        EncodeFrameWith(SmallCompressible(), Offset(0), kNow, WithCodec(codec));
    REQUIRE(ParseAndDecode(frame) == FrameStatus::kOk);
    for (size_t byte = 0; byte < frame.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string bad = frame;
        bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
        CAPTURE(codec, byte, bit);
        FrameStatus parse = FrameStatus::kOk;
        ParseAndDecode(bad, nullptr, &parse);
        CHECK((parse == FrameStatus::kCorrupt ||
               parse == FrameStatus::kTruncated));
      }
    }
  }
}

TEST_CASE(
    "compression: every bit flip with a recomputed checksum is caught or "
    "decodes consistently",
    "[format]") {
  // A flip in the batch header or in the compressed stream's structure is
  // kCorrupt (from ParseFrame or DecodeRecords). A flip inside a literal of
  // the compressed stream (lz4 blocks and evlog's zstd frames carry no
  // checksum of their own) can decompress to other well-formed records: such
  // a frame is only caught by the frame checksum, which this test
  // recomputes. It must then still be fully consistent (no view outside the
  // records, header and records agree).
  for (uint16_t codec : kCodecs) {
    const std::vector<Rec> original = SmallCompressible();
    const std::string frame =
        EncodeFrameWith(original, Offset(0), kNow, WithCodec(codec));
    int corrupt = 0, same = 0, different = 0;
    for (size_t byte = kBody; byte < frame.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string bad = frame;
        bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
        FixChecksum(&bad);
        CAPTURE(codec, byte, bit);
        std::vector<Rec> got;
        FrameStatus st = ParseAndDecode(bad, &got);
        if (st == FrameStatus::kOk) {
          // The header fields nothing else pins (base offset, writer
          // epoch, the log-append-time bit) may change and stay valid; any
          // other accepted flip is in the payload.
          const size_t in_body = byte - kBody;
          CHECK((in_body < 8 ||
                 (in_body == format::kBatchAttributes && bit == 0) ||
                 (in_body >= format::kBatchWriterEpoch &&
                  in_body < format::kBatchWriterEpoch + 4) ||
                 byte >= kPayload));
          (got == Expected(original, 0, false) ? same : different)++;
        } else {
          CHECK(st == FrameStatus::kCorrupt);
          ++corrupt;
        }
      }
    }
    INFO("codec " << codec << ": corrupt " << corrupt << ", same records "
                  << same << ", other valid records " << different);
    // Most flips are caught by the decoder; the rest (literal bytes) are
    // only caught by the frame checksum, which this test recomputed.
    CHECK(corrupt > 3 * (same + different));
  }
}

TEST_CASE("compression: truncated, extended and garbage payloads are kCorrupt",
          "[format]") {
  std::mt19937_64 rng(5);
  for (uint16_t codec : kCodecs) {
    CAPTURE(codec);
    const std::string frame =
        EncodeFrameWith(SmallCompressible(), Offset(0), kNow, WithCodec(codec));
    const std::string payload = frame.substr(kPayload);
    REQUIRE(payload.size() > 8);
    SECTION("truncated by every length") {
      for (size_t n = 0; n < payload.size(); ++n) {
        CAPTURE(n);
        CHECK(ParseAndDecode(WithPayload(frame, payload.substr(0, n))) ==
              FrameStatus::kCorrupt);
      }
    }
    SECTION("extended by trailing bytes") {
      for (const std::string& tail :
           {std::string(1, '\0'), std::string(1, '\x55'), std::string(16, '\0'),
            payload}) {
        CAPTURE(tail.size());
        CHECK(ParseAndDecode(WithPayload(frame, payload + tail)) ==
              FrameStatus::kCorrupt);
      }
    }
    SECTION("random garbage of every size up to twice the payload") {
      for (size_t n = 0; n <= 2 * payload.size(); ++n) {
        std::string garbage(n, '\0');
        for (char& c : garbage) c = static_cast<char>(rng());
        CAPTURE(n);
        CHECK(ParseAndDecode(WithPayload(frame, garbage)) ==
              FrameStatus::kCorrupt);
      }
    }
    SECTION("zeros and 0xff") {
      for (char c : {'\0', '\xff'}) {
        CHECK(ParseAndDecode(
                  WithPayload(frame, std::string(payload.size(), c))) ==
              FrameStatus::kCorrupt);
      }
    }
    SECTION("the other codec's payload, or the uncompressed records") {
      uint16_t other =
          codec == format::kCodecLz4 ? format::kCodecZstd : format::kCodecLz4;
      std::string f = EncodeFrameWith(SmallCompressible(), Offset(0), kNow,
                                      WithCodec(other));
      CHECK(ParseAndDecode(WithPayload(frame, f.substr(kPayload))) ==
            FrameStatus::kCorrupt);
      std::string raw = EncodeFrameWith(SmallCompressible(), Offset(0), kNow,
                                        WithCodec(format::kCodecNone));
      CHECK(ParseAndDecode(WithPayload(frame, raw.substr(kPayload))) ==
            FrameStatus::kCorrupt);
    }
  }
}

TEST_CASE("compression: records_bytes that lies is kCorrupt", "[format]") {
  for (uint16_t codec : kCodecs) {
    const std::vector<Rec> recs = SmallCompressible();
    const std::string frame =
        EncodeFrameWith(recs, Offset(0), kNow, WithCodec(codec));
    FrameInfo info;
    ParseValid(frame, &info);
    const uint32_t real = info.records_bytes;
    const uint32_t min =
        static_cast<uint32_t>(recs.size() * format::kRecordFixedSize);
    REQUIRE(real > min);
    for (uint32_t lie : {min, min + 1, real / 2, real - 1, real + 1, real + 28,
                         2 * real, uint32_t{1} << 20}) {
      CAPTURE(codec, lie);
      std::string bad = frame;
      format::Store<uint32_t>(bad.data() + kBody + format::kBatchRecordsBytes,
                              lie);
      FixChecksum(&bad);
      FrameStatus parse = FrameStatus::kCorrupt;
      CHECK(ParseAndDecode(bad, nullptr, &parse) == FrameStatus::kCorrupt);
      CHECK(parse == FrameStatus::kOk);  // in range: only decompression sees it
    }
    for (uint32_t lie :
         {0u, min - 1, format::kMaxRecordsBytes + 1, UINT32_MAX}) {
      CAPTURE(codec, lie);
      std::string bad = frame;
      format::Store<uint32_t>(bad.data() + kBody + format::kBatchRecordsBytes,
                              lie);
      FixChecksum(&bad);
      FrameStatus parse = FrameStatus::kOk;
      ParseAndDecode(bad, nullptr, &parse);
      CHECK(parse == FrameStatus::kCorrupt);  // out of range: the header check
    }
  }
}

TEST_CASE("compression: Decompress refuses wrong sizes and bad input",
          "[format]") {
  std::string src(1000, 'q');
  for (uint16_t codec : kCodecs) {
    CAPTURE(codec);
    std::string dst(format::CompressBound(codec, src.size()), '\0');
    size_t n = format::Compress(codec, 0, src.data(), src.size(), dst.data(),
                                dst.size());
    REQUIRE(n > 0);
    REQUIRE(n < src.size());
    dst.resize(n);
    std::string out(src.size(), '\0');
    CHECK(format::Decompress(codec, dst.data(), n, out.data(), out.size()));
    CHECK(out == src);
    std::string small(src.size() - 1, '\0');
    CHECK_FALSE(
        format::Decompress(codec, dst.data(), n, small.data(), small.size()));
    std::string large(src.size() + 1, '\0');
    CHECK_FALSE(
        format::Decompress(codec, dst.data(), n, large.data(), large.size()));
    CHECK_FALSE(
        format::Decompress(codec, dst.data(), n - 1, out.data(), out.size()));
    CHECK_FALSE(
        format::Decompress(codec, dst.data(), 0, out.data(), out.size()));
    // A too-small output buffer is refused, not overrun.
    CHECK(format::Compress(codec, 0, src.data(), src.size(), dst.data(), 2) ==
          0);
  }
  CHECK_FALSE(
      format::Decompress(format::kCodecNone, src.data(), 10, src.data(), 10));
  CHECK_FALSE(format::Decompress(3, src.data(), 10, src.data(), 10));
}

}  // namespace
}  // namespace evlog
