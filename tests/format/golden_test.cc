// Pins the persistent format: every constant of format/format.h, the worked
// example of docs/FORMAT.md byte for byte (and that the document still shows
// those bytes), and a segment header for fixed values. A failure here means
// the on-disk format changed: see docs/FORMAT.md "Versioning policy".

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "format/batch_codec.h"
#include "format/coding.h"
#include "format/format.h"
#include "format/format_test_util.h"
#include "format/segment_header.h"
#include "storage/index_file.h"

namespace evlog {
namespace {

using format_testing::FromHex;
using format_testing::Hex;
using format_testing::Rec;

// The worked example of docs/FORMAT.md section 11: segment header (base 0,
// created 1700000000000, 4096 bytes) followed by one frame of two records.
// Bytes 193..4095 of the segment are zeros.
constexpr char kWorkedExampleHex[] =
    "45564c4f47534547010000004000000000000000000000000068e5cf8b010000"
    "001000000000000000000000000000000000000000000000a8aa9e15b9ec6aeb"
    "75000000fbbfdb63726a15e1000000000000000002000000010000000068e5cf"
    "8b010000f469e5cf8b0100000000000027000000000000000068e5cf8b010000"
    "020000006b310200000076310100000002000000683101000000782200000001"
    "000000f469e5cf8b010000ffffffffffffffff01000000020000006832ffffff"
    "ff";
constexpr size_t kExampleDataEnd = 193;
constexpr uint64_t kExampleHeaderChecksum = 0xeb6aecb9159eaaa8ull;
constexpr uint64_t kExampleFrameChecksum = 0xe1156a7263dbbffbull;
constexpr int64_t kT0 = 1700000000000;
constexpr int64_t kNow = 1700000000500;

std::vector<Rec> ExampleRecords() {
  Rec r0;
  r0.key = "k1";
  r0.value = "v1";
  r0.timestamp_ms = kT0;
  r0.headers = {{"h1", "x"}};
  Rec r1;  // no key, tombstone, kNoTimestamp
  r1.headers = {{"h2", std::nullopt}};
  return {r0, r1};
}

std::string EncodeExampleSegment() {
  std::string seg(4096, '\0');
  format::EncodeSegmentHeader({Offset(0), kT0, 4096}, seg.data());
  std::vector<Rec> recs = ExampleRecords();
  format_testing::RecordViews views(recs);
  format::EncodedFrame enc = format::EncodeFrame(
      views.records(), Offset(0), kNow, /*log_append_time=*/false,
      seg.data() + format::kSegmentHeaderSize);
  REQUIRE(enc.size == kExampleDataEnd - format::kSegmentHeaderSize);
  REQUIRE(enc.first_timestamp == kT0);
  REQUIRE(enc.max_timestamp == kNow);
  return seg;
}

// "00000040  75 00 ..." lines, as in the document.
std::vector<std::string> HexDumpLines(std::string_view bytes) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < bytes.size(); i += 16) {
    char addr[16];
    std::snprintf(addr, sizeof(addr), "%08zx ", i);
    std::string line = addr;
    for (size_t j = i; j < i + 16 && j < bytes.size(); ++j) {
      char b[4];
      std::snprintf(b, sizeof(b), " %02x",
                    static_cast<unsigned char>(bytes[j]));
      line += b;
    }
    lines.push_back(line);
  }
  return lines;
}

std::string ReadFormatDoc() {
  // This file is tests/format/golden_test.cc; the document is docs/FORMAT.md.
  std::filesystem::path root =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  std::ifstream in(root / "docs" / "FORMAT.md");
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_CASE("format constants are pinned", "[format]") {
  using namespace format;
  CHECK(std::string(kSegmentMagic, 8) == "EVLOGSEG");
  CHECK(std::string(kIndexMagic, 8) == "EVLOGIDX");
  CHECK(kSegmentFormatVersion == 1);
  CHECK(kIndexFormatVersion == 1);

  CHECK(kSegmentHeaderSize == 64);
  CHECK(kSegHdrMagic == 0);
  CHECK(kSegHdrVersion == 8);
  CHECK(kSegHdrHeaderSize == 12);
  CHECK(kSegHdrBaseOffset == 16);
  CHECK(kSegHdrCreatedMs == 24);
  CHECK(kSegHdrFileBytes == 32);
  CHECK(kSegHdrChecksum == 56);

  CHECK(kFrameLengthSize == 4);
  CHECK(kFrameChecksumSize == 8);
  CHECK(kFrameHeaderSize == 12);

  CHECK(kBatchBaseOffset == 0);
  CHECK(kBatchRecordCount == 8);
  CHECK(kBatchLastOffsetDelta == 12);
  CHECK(kBatchFirstTimestamp == 16);
  CHECK(kBatchMaxTimestamp == 24);
  CHECK(kBatchAttributes == 32);
  CHECK(kBatchReserved == 34);
  CHECK(kBatchHeaderSize == 36);
  CHECK(kAttrLogAppendTime == 1);
  CHECK(kAttrKnownMask == 1);

  CHECK(kRecordFixedSize == 28);
  CHECK(kNullLength == -1);

  CHECK(std::string(kSegmentSuffix) == ".log");
  CHECK(std::string(kIndexSuffix) == ".index");
  CHECK(kFileNameDigits == 20);

  CHECK(kIndexFileHeaderSize == 56);
  CHECK(kIndexFileEntrySize == 16);
}

TEST_CASE("checksum is XXH3-64 with seed 0", "[format]") {
  // Reference values of XXH3_64bits, as quoted in docs/FORMAT.md.
  CHECK(format::Checksum("", 0) == 0x2d06800538d394c2ull);
  CHECK(format::Checksum("abc", 3) == 0x78af5f94892f3950ull);
}

TEST_CASE("worked example: the encoder writes the documented bytes",
          "[format]") {
  std::string seg = EncodeExampleSegment();
  CHECK(Hex(seg.substr(0, kExampleDataEnd)) == kWorkedExampleHex);
  CHECK(seg.find_first_not_of('\0', kExampleDataEnd) == std::string::npos);
  CHECK(format::Load<uint64_t>(seg.data() + format::kSegHdrChecksum) ==
        kExampleHeaderChecksum);
  CHECK(format::Load<uint64_t>(seg.data() + 64 + format::kFrameLengthSize) ==
        kExampleFrameChecksum);
  // The frame checksum covers the body only.
  CHECK(format::Checksum(seg.data() + 64 + 12, kExampleDataEnd - 64 - 12) ==
        kExampleFrameChecksum);
}

TEST_CASE("worked example: the documented bytes decode back", "[format]") {
  std::string seg = FromHex(kWorkedExampleHex);
  REQUIRE(seg.size() == kExampleDataEnd);
  seg.resize(4096, '\0');

  auto header = format::DecodeSegmentHeader(seg.data(), seg.size());
  REQUIRE(header.ok());
  CHECK(header->base_offset == Offset(0));
  CHECK(header->created_ms == kT0);
  CHECK(header->file_bytes == 4096);

  format::FrameInfo info;
  std::string why;
  REQUIRE(format::ParseFrame(seg.data() + 64, seg.size() - 64, &info, &why) ==
          format::FrameStatus::kOk);
  CHECK(info.base_offset == Offset(0));
  CHECK(info.record_count == 2);
  CHECK(info.last_offset_delta == 1);
  CHECK(info.first_timestamp == kT0);
  CHECK(info.max_timestamp == kNow);
  CHECK(info.attributes == 0);
  CHECK(info.frame_size == kExampleDataEnd - 64);
  CHECK(info.next_offset() == Offset(2));

  std::vector<Rec> got = format_testing::DecodeRecords(info);
  std::vector<Rec> want = ExampleRecords();
  want[0].offset = 0;
  want[1].offset = 1;
  want[1].timestamp_ms = kNow;  // kNoTimestamp became the append time
  CHECK(got == want);
  CHECK(got[1].key == std::nullopt);
  CHECK(got[1].value == std::nullopt);
  CHECK(got[1].headers[0].second == std::nullopt);

  CHECK(format::ParseFrame(seg.data() + kExampleDataEnd,
                           seg.size() - kExampleDataEnd, &info,
                           &why) == format::FrameStatus::kEnd);
}

TEST_CASE("worked example: docs/FORMAT.md shows the pinned bytes", "[format]") {
  std::string doc = ReadFormatDoc();
  std::string seg = FromHex(kWorkedExampleHex);
  for (const std::string& line : HexDumpLines(seg)) {
    INFO(line);
    CHECK(doc.find(line + "\n") != std::string::npos);
  }
  CHECK(doc.find("0xeb6aecb9159eaaa8") != std::string::npos);
  CHECK(doc.find("0xe1156a7263dbbffb") != std::string::npos);

  // The example index file of the same section.
  IndexFileContents c;
  c.base_offset = Offset(0);
  c.next_offset = Offset(2);
  c.end_position = kExampleDataEnd;
  c.max_timestamp = kNow;
  c.entries.push_back({0, 64, kNow});
  std::string index = EncodeIndexFile(c);
  CHECK(Hex(index) ==
        "45564c4f474944580100000001000000000000000000000002000000000000"
        "00c100000000000000f469e5cf8b01000000000000000000000000000040000000"
        "f469e5cf8b010000ce40653c8195cffe");
  for (const std::string& line : HexDumpLines(index)) {
    INFO(line);
    CHECK(doc.find(line + "\n") != std::string::npos);
  }
  CHECK(doc.find("0xfecf95813c6540ce") != std::string::npos);
  // The constants the document names.
  for (const char* s : {"`EVLOGSEG`", "`EVLOGIDX`", "64 bytes", "36 bytes",
                        "kRecordFixedSize = 28", "XXH3-64", "seed 0"}) {
    INFO(s);
    CHECK(doc.find(s) != std::string::npos);
  }
}

TEST_CASE("segment header bytes for a fixed header", "[format]") {
  char buf[64];
  std::memset(buf, 0x5a,
              sizeof(buf));  // the encoder must zero the reserved bytes
  format::SegmentHeader h{Offset(0x0102030405060708), -2, 1u << 30};
  format::EncodeSegmentHeader(h, buf);
  std::string bytes(buf, sizeof(buf));
  CHECK(Hex(bytes.substr(0, 56)) ==
        "45564c4f47534547"                    // magic
        "01000000"                            // version
        "40000000"                            // header size
        "0807060504030201"                    // base offset
        "feffffffffffffff"                    // created_ms = -2
        "0000004000000000"                    // file_bytes = 1 GiB
        "00000000000000000000000000000000");  // reserved
  CHECK(format::Load<uint64_t>(buf + 56) == format::Checksum(buf, 56));

  auto back = format::DecodeSegmentHeader(buf, 1u << 30);
  REQUIRE(back.ok());
  CHECK(back->base_offset == h.base_offset);
  CHECK(back->created_ms == -2);
  CHECK(back->file_bytes == (1u << 30));
}

TEST_CASE("segment file names", "[format]") {
  using format::ParseSegmentFileName;
  using format::SegmentFileName;
  CHECK(SegmentFileName(Offset(0), ".log") == "00000000000000000000.log");
  CHECK(SegmentFileName(Offset(42), ".index") == "00000000000000000042.index");
  CHECK(SegmentFileName(Offset(INT64_MAX), ".log") ==
        "09223372036854775807.log");

  Offset base;
  REQUIRE(ParseSegmentFileName("00000000000000000042.log", ".log", &base));
  CHECK(base == Offset(42));
  REQUIRE(ParseSegmentFileName("09223372036854775807.log", ".log", &base));
  CHECK(base == Offset(INT64_MAX));
  for (const char* bad :
       {"0000000000000000042.log", "000000000000000000042.log",
        "00000000000000000042.index", "00000000000000000042.log.tmp",
        "0000000000000000004x.log", "-0000000000000000042.log",
        "+0000000000000000042.log", " 0000000000000000042.log",
        "99999999999999999999.log", "09223372036854775808.log", ".log", ""}) {
    INFO(bad);
    CHECK_FALSE(ParseSegmentFileName(bad, ".log", &base));
  }
}

}  // namespace
}  // namespace evlog
