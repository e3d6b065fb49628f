// The index file (storage/index_file.h) and the segment header
// (format/segment_header.h): round trips, the byte layout of docs/FORMAT.md
// sections 3 and 7, and every decode error.

#include "storage/index_file.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "format/coding.h"
#include "format/format.h"
#include "format/segment_header.h"

namespace evlog {
namespace {

using format::Load;
using format::Store;

IndexFileContents SampleContents(size_t entries) {
  IndexFileContents c;
  c.base_offset = Offset(5000);
  c.next_offset = Offset(5000 + 10 * static_cast<int64_t>(entries));
  c.end_position = 64 + 100 * entries;
  c.max_timestamp = entries == 0 ? INT64_MIN : 1700000000000;
  for (size_t i = 0; i < entries; ++i) {
    c.entries.push_back(IndexEntry{
        static_cast<uint32_t>(10 * i), static_cast<uint32_t>(64 + 100 * i),
        1700000000000 - 1000 + static_cast<int64_t>(i)});
  }
  return c;
}

void CheckSame(const IndexFileContents& a, const IndexFileContents& b) {
  CHECK(a.base_offset == b.base_offset);
  CHECK(a.next_offset == b.next_offset);
  CHECK(a.end_position == b.end_position);
  CHECK(a.max_timestamp == b.max_timestamp);
  REQUIRE(a.entries.size() == b.entries.size());
  for (size_t i = 0; i < a.entries.size(); ++i) {
    CHECK(a.entries[i].relative_offset == b.entries[i].relative_offset);
    CHECK(a.entries[i].position == b.entries[i].position);
    CHECK(a.entries[i].max_timestamp == b.entries[i].max_timestamp);
  }
}

TEST_CASE("index file round trip and layout", "[format]") {
  for (size_t n : {0, 1, 2, 1000}) {
    CAPTURE(n);
    IndexFileContents c = SampleContents(n);
    std::string bytes = EncodeIndexFile(c);
    REQUIRE(bytes.size() == 56 + 16 * n + 8);
    const char* p = bytes.data();
    CHECK(std::memcmp(p, "EVLOGIDX", 8) == 0);
    CHECK(Load<uint32_t>(p + 8) == 1);
    CHECK(Load<uint32_t>(p + 12) == n);
    CHECK(Load<int64_t>(p + 16) == c.base_offset.value());
    CHECK(Load<int64_t>(p + 24) == c.next_offset.value());
    CHECK(Load<uint64_t>(p + 32) == c.end_position);
    CHECK(Load<int64_t>(p + 40) == c.max_timestamp);
    CHECK(Load<uint64_t>(p + 48) == 0);  // reserved
    for (size_t i = 0; i < n; ++i) {
      const char* e = p + 56 + 16 * i;
      CHECK(Load<uint32_t>(e) == c.entries[i].relative_offset);
      CHECK(Load<uint32_t>(e + 4) == c.entries[i].position);
      CHECK(Load<int64_t>(e + 8) == c.entries[i].max_timestamp);
    }
    size_t body = bytes.size() - 8;
    CHECK(Load<uint64_t>(p + body) == format::Checksum(p, body));

    auto back = DecodeIndexFile(bytes);
    REQUIRE(back.ok());
    CheckSame(*back, c);
  }
}

TEST_CASE("index file: every single-bit flip is detected", "[format]") {
  const std::string bytes = EncodeIndexFile(SampleContents(3));
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      CAPTURE(i, bit);
      auto r = DecodeIndexFile(bad);
      REQUIRE_FALSE(r.ok());
      CHECK(absl::IsDataLoss(r.status()));
    }
  }
}

TEST_CASE("index file: truncation and extension are detected", "[format]") {
  const std::string bytes = EncodeIndexFile(SampleContents(3));
  for (size_t n = 0; n < bytes.size(); ++n) {
    CAPTURE(n);
    auto r = DecodeIndexFile(bytes.substr(0, n));
    REQUIRE_FALSE(r.ok());
    CHECK(absl::IsDataLoss(r.status()));
  }
  CHECK(absl::IsDataLoss(DecodeIndexFile(bytes + '\0').status()));
  CHECK(absl::IsDataLoss(
      DecodeIndexFile(bytes + std::string(16, '\0')).status()));
}

// Rewrites the trailing checksum so that only the targeted check fails.
void FixIndexChecksum(std::string* bytes) {
  size_t body = bytes->size() - 8;
  Store<uint64_t>(bytes->data() + body, format::Checksum(bytes->data(), body));
}

TEST_CASE("index file: header errors with a valid checksum", "[format]") {
  const std::string good = EncodeIndexFile(SampleContents(2));
  SECTION("bad magic") {
    std::string b = good;
    b[7] = 'Y';
    FixIndexChecksum(&b);
    auto r = DecodeIndexFile(b);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("magic") != absl::string_view::npos);
  }
  SECTION("the segment magic is not an index magic") {
    std::string b = good;
    std::memcpy(b.data(), format::kSegmentMagic, 8);
    FixIndexChecksum(&b);
    CHECK(absl::IsDataLoss(DecodeIndexFile(b).status()));
  }
  SECTION("unknown version") {
    for (uint32_t v : {0u, 2u, 0xffffffffu}) {
      std::string b = good;
      Store<uint32_t>(b.data() + 8, v);
      FixIndexChecksum(&b);
      auto r = DecodeIndexFile(b);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().message().find("version") != absl::string_view::npos);
    }
  }
  SECTION("entry count disagrees with the size") {
    for (uint32_t n : {0u, 1u, 3u, 0x10000000u, 0xffffffffu}) {
      CAPTURE(n);
      std::string b = good;
      Store<uint32_t>(b.data() + 12, n);
      FixIndexChecksum(&b);
      auto r = DecodeIndexFile(b);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().message().find("size") != absl::string_view::npos);
    }
  }
  SECTION("checksum") {
    std::string b = good;
    b[20] ^= 1;
    auto r = DecodeIndexFile(b);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("checksum") != absl::string_view::npos);
  }
  SECTION("reserved bytes are covered only by the checksum") {
    std::string b = good;
    b[48] = 1;
    CHECK_FALSE(DecodeIndexFile(b).ok());
    FixIndexChecksum(&b);
    CHECK(DecodeIndexFile(b).ok());  // as documented: not checked otherwise
  }
}

// ---------------------------------------------------------------------------
// Segment header

std::string GoodHeader(uint64_t file_bytes = 4096) {
  std::string h(64, '\0');
  format::EncodeSegmentHeader({Offset(77), 1700000000000, file_bytes},
                              h.data());
  return h;
}

void FixHeaderChecksum(std::string* h) {
  Store<uint64_t>(h->data() + 56, format::Checksum(h->data(), 56));
}

std::string DecodeError(const std::string& h, size_t size) {
  auto r = format::DecodeSegmentHeader(h.data(), size);
  if (r.ok()) return "ok";
  CHECK(absl::IsDataLoss(r.status()));
  return std::string(r.status().message());
}

TEST_CASE("segment header round trip", "[format]") {
  std::string h = GoodHeader();
  auto r = format::DecodeSegmentHeader(h.data(), 4096);
  REQUIRE(r.ok());
  CHECK(r->base_offset == Offset(77));
  CHECK(r->created_ms == 1700000000000);
  CHECK(r->file_bytes == 4096);
  CHECK(std::memcmp(h.data(), "EVLOGSEG", 8) == 0);
  CHECK(Load<uint32_t>(h.data() + 8) == 1);
  CHECK(Load<uint32_t>(h.data() + 12) == 64);
  CHECK(Load<int64_t>(h.data() + 16) == 77);
  CHECK(Load<int64_t>(h.data() + 24) == 1700000000000);
  CHECK(Load<uint64_t>(h.data() + 32) == 4096);
  CHECK(h.substr(40, 16) == std::string(16, '\0'));
}

TEST_CASE("segment header decode errors", "[format]") {
  const std::string good = GoodHeader();
  auto has = [](const std::string& msg, const char* what) {
    INFO(msg);
    return msg.find(what) != std::string::npos;
  };
  SECTION("shorter than the header") {
    for (size_t n : {0, 1, 63}) {
      CHECK(has(DecodeError(good, n), "shorter than its header"));
    }
  }
  SECTION("bad magic") {
    std::string h = good;
    h[0] = 'e';
    FixHeaderChecksum(&h);
    CHECK(has(DecodeError(h, 4096), "bad magic"));
    std::memcpy(h.data(), format::kIndexMagic, 8);
    FixHeaderChecksum(&h);
    CHECK(has(DecodeError(h, 4096), "bad magic"));
  }
  SECTION("unsupported version (checksum recomputed)") {
    for (uint32_t v : {0u, 2u, 0xffffffffu}) {
      std::string h = good;
      Store<uint32_t>(h.data() + 8, v);
      FixHeaderChecksum(&h);
      CHECK(has(DecodeError(h, 4096), "unsupported format version"));
    }
  }
  SECTION("a version changed without its checksum reports the checksum") {
    std::string h = good;
    Store<uint32_t>(h.data() + 8, 2);
    CHECK(has(DecodeError(h, 4096), "checksum mismatch"));
  }
  SECTION("checksum mismatch") {
    for (size_t pos : {8, 16, 24, 32, 40, 55, 56, 63}) {
      CAPTURE(pos);
      std::string h = good;
      h[pos] ^= 0x10;
      CHECK(has(DecodeError(h, 4096), "checksum mismatch"));
    }
  }
  SECTION("header size field") {
    for (uint32_t v : {0u, 63u, 65u, 128u}) {
      std::string h = good;
      Store<uint32_t>(h.data() + 12, v);
      FixHeaderChecksum(&h);
      CHECK(has(DecodeError(h, 4096), "inconsistent values"));
    }
  }
  SECTION("negative base offset") {
    std::string h = good;
    Store<int64_t>(h.data() + 16, -1);
    FixHeaderChecksum(&h);
    CHECK(has(DecodeError(h, 4096), "inconsistent values"));
  }
  SECTION("recorded size differs from the file size") {
    CHECK(has(DecodeError(good, 4095), "inconsistent values"));
    CHECK(has(DecodeError(good, 4097), "inconsistent values"));
    CHECK(has(DecodeError(good, 64), "inconsistent values"));
    std::string big = GoodHeader(1 << 20);
    CHECK(DecodeError(big, 1 << 20) == "ok");
  }
  SECTION("any created_ms is accepted") {
    std::string h = good;
    Store<int64_t>(h.data() + 24, -123);
    FixHeaderChecksum(&h);
    CHECK(DecodeError(h, 4096) == "ok");
  }
  SECTION("every single-bit flip is detected") {
    for (size_t i = 0; i < 64; ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string h = good;
        h[i] = static_cast<char>(h[i] ^ (1 << bit));
        CAPTURE(i, bit);
        CHECK(DecodeError(h, 4096) != "ok");
      }
    }
  }
}

}  // namespace
}  // namespace evlog
