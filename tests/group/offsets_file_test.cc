// The OFFSETS file: pinned bytes (part of the persistent format) and
// rejection of every kind of damage.

#include "group/offsets_file.h"

#include <catch2/catch.hpp>

namespace evlog {
namespace {

GroupOffsets Sample() {
  GroupOffsets g;
  g.group = "billing";
  g.offsets = {
      {1, "orders", 0, 42}, {1, "orders", 1, 17}, {3, "audit.log", 0, 0}};
  return g;
}

TEST_CASE("OFFSETS golden text", "[group]") {
  std::string text = EncodeGroupOffsets(Sample());
  std::string body =
      "evlog-offsets 1\n"
      "group billing\n"
      "offset 1 orders 0 42\n"
      "offset 1 orders 1 17\n"
      "offset 3 audit.log 0 0\n";
  REQUIRE(text.substr(0, body.size()) == body);
  // "checksum " + 16 hex digits of XXH3-64(body) + "\n".
  CHECK(text.size() == body.size() + 9 + 16 + 1);
  CHECK(text.substr(body.size(), 9) == "checksum ");
  auto decoded = DecodeGroupOffsets(text);
  REQUIRE(decoded.ok());
  CHECK(*decoded == Sample());
  GroupOffsets empty{"g", {}};
  CHECK(*DecodeGroupOffsets(EncodeGroupOffsets(empty)) == empty);
}

TEST_CASE("OFFSETS worked example of docs/CONSUMERS.md", "[group]") {
  GroupOffsets g{"billing", {{1, "orders", 0, 42}, {1, "orders", 1, 17}}};
  CHECK(EncodeGroupOffsets(g) ==
        "evlog-offsets 1\n"
        "group billing\n"
        "offset 1 orders 0 42\n"
        "offset 1 orders 1 17\n"
        "checksum 3096487272616761\n");
}

TEST_CASE("OFFSETS damage is kDataLoss", "[group]") {
  std::string good = EncodeGroupOffsets(Sample());
  // Every truncation and every single-byte change is caught.
  for (size_t n = 0; n < good.size(); ++n) {
    CHECK(absl::IsDataLoss(DecodeGroupOffsets(good.substr(0, n)).status()));
  }
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x01;
    CHECK(absl::IsDataLoss(DecodeGroupOffsets(bad).status()));
  }
  CHECK(absl::IsDataLoss(DecodeGroupOffsets("").status()));
}

}  // namespace
}  // namespace evlog
