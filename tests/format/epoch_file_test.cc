// The writer epoch file, <dir>/EPOCH (storage/epoch_file.h): its 24 bytes,
// every decode error, and BumpEpoch's sequence, refusals and exhaustion.
// Layout: docs/FORMAT.md section 8 ("EPOCH file").

#include "storage/epoch_file.h"

#include <catch2/catch.hpp>
#include <string>

#include "absl/status/status.h"
#include "env/mem_env.h"
#include "format/coding.h"
#include "format/format.h"

namespace evlog {
namespace {

void WriteFile(Env* env, const std::string& path, const std::string& bytes) {
  auto f = env->NewWritableFile(path);
  REQUIRE(f.ok());
  REQUIRE((*f)->Append(bytes).ok());
  REQUIRE((*f)->Sync().ok());
}

void FixEpochChecksum(std::string* b) {
  format::Store<uint64_t>(b->data() + 16, format::Checksum(b->data(), 16));
}

TEST_CASE("epoch file: layout and round trip of boundary epochs", "[format]") {
  for (uint32_t epoch : {0u, 1u, 2u, 0x01020304u, UINT32_MAX}) {
    CAPTURE(epoch);
    std::string b = EncodeEpochFile(epoch);
    REQUIRE(b.size() == 24);
    CHECK(b.substr(0, 8) == "EVLOGEPO");
    CHECK(format::Load<uint32_t>(b.data() + 8) == 1);
    CHECK(format::Load<uint32_t>(b.data() + 12) == epoch);
    CHECK(format::Load<uint64_t>(b.data() + 16) ==
          format::Checksum(b.data(), 16));
    auto back = DecodeEpochFile(b);
    REQUIRE(back.ok());
    CHECK(*back == epoch);
  }
}

TEST_CASE("epoch file: every decode error is kDataLoss", "[format]") {
  const std::string good = EncodeEpochFile(5);
  SECTION("every single-bit flip") {
    for (size_t i = 0; i < good.size(); ++i) {
      for (int bit = 0; bit < 8; ++bit) {
        std::string b = good;
        b[i] = static_cast<char>(b[i] ^ (1 << bit));
        CAPTURE(i, bit);
        CHECK(absl::IsDataLoss(DecodeEpochFile(b).status()));
      }
    }
  }
  SECTION("every other size") {
    for (size_t n = 0; n < 24; ++n) {
      CAPTURE(n);
      CHECK(absl::IsDataLoss(DecodeEpochFile(good.substr(0, n)).status()));
    }
    CHECK(absl::IsDataLoss(DecodeEpochFile(good + '\0').status()));
    CHECK(absl::IsDataLoss(DecodeEpochFile(good + good).status()));
  }
  SECTION("another version with a valid checksum") {
    for (uint32_t v : {0u, 2u, UINT32_MAX}) {
      std::string b = good;
      format::Store<uint32_t>(b.data() + 8, v);
      FixEpochChecksum(&b);
      auto r = DecodeEpochFile(b);
      CHECK(absl::IsDataLoss(r.status()));
      CHECK(r.status().message().find("version") != absl::string_view::npos);
    }
  }
  SECTION("another file's magic with a valid checksum") {
    std::string b = good;
    b.replace(0, 8, std::string(format::kSegmentMagic, 8));
    FixEpochChecksum(&b);
    CHECK(absl::IsDataLoss(DecodeEpochFile(b).status()));
  }
}

TEST_CASE("BumpEpoch: 1, 2, 3 ... durably, refusing a damaged file",
          "[format]") {
  MemEnv env;
  REQUIRE(env.CreateDir("/d").ok());
  for (uint32_t want = 1; want <= 3; ++want) {
    auto e = BumpEpoch(&env, "/d", /*must_exist=*/false);
    REQUIRE(e.ok());
    CHECK(*e == want);
    auto bytes = env.ReadFile("/d/EPOCH");
    REQUIRE(bytes.ok());
    CHECK(*bytes == EncodeEpochFile(want));
  }
  SECTION("a corrupt EPOCH is kDataLoss and left as it is") {
    std::string bad = EncodeEpochFile(3);
    bad[12] ^= 1;
    WriteFile(&env, "/d/EPOCH", bad);
    auto e = BumpEpoch(&env, "/d", /*must_exist=*/false);
    CHECK(absl::IsDataLoss(e.status()));
    CHECK(e.status().message().find("EPOCH") != absl::string_view::npos);
    CHECK(*env.ReadFile("/d/EPOCH") == bad);
  }
  SECTION("an empty EPOCH is kDataLoss, not epoch 0") {
    WriteFile(&env, "/d/EPOCH", "");
    CHECK(
        absl::IsDataLoss(BumpEpoch(&env, "/d", /*must_exist=*/false).status()));
  }
  SECTION("a missing EPOCH where one must exist is kDataLoss") {
    REQUIRE(env.RemoveFile("/d/EPOCH").ok());
    CHECK(
        absl::IsDataLoss(BumpEpoch(&env, "/d", /*must_exist=*/true).status()));
    CHECK_FALSE(env.FileExists("/d/EPOCH"));
  }
  SECTION("the last epoch is 2^32 - 1, then kResourceExhausted") {
    WriteFile(&env, "/d/EPOCH", EncodeEpochFile(UINT32_MAX - 1));
    auto e = BumpEpoch(&env, "/d", /*must_exist=*/false);
    REQUIRE(e.ok());
    CHECK(*e == UINT32_MAX);
    auto again = BumpEpoch(&env, "/d", /*must_exist=*/false);
    CHECK(again.status().code() == absl::StatusCode::kResourceExhausted);
    CHECK(*env.ReadFile("/d/EPOCH") == EncodeEpochFile(UINT32_MAX));
  }
}

}  // namespace
}  // namespace evlog
