// The fuzz seed corpora (fuzz/corpus, written by fuzz/make_seed_corpus.cc)
// are inputs of the current format: the fuzz replays (ctest fuzz_replay.*)
// only prove something if their seeds reach past the first check. A failure
// here means the format changed and the corpora must be regenerated:
//   evlog_make_seed_corpus fuzz/corpus

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"
#include "format/batch_codec.h"
#include "format/coding.h"
#include "format/compression.h"
#include "format/format.h"
#include "storage/epoch_file.h"
#include "storage/index_file.h"
#include "store/store_meta.h"

namespace evlog {
namespace {

std::string Seed(const std::string& target, const std::string& name) {
  std::filesystem::path root =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  std::ifstream in(root / "fuzz" / "corpus" / target / name, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses and decodes every frame of `bytes`; returns the frames found
// before the end (zeros or the end of the input), or -1 on a bad frame.
int Frames(const std::string& bytes, uint16_t* codecs_seen = nullptr) {
  size_t pos = 0;
  int n = 0;
  while (pos < bytes.size()) {
    format::FrameInfo info;
    std::string why, buffer;
    format::FrameStatus st =
        format::ParseFrame(bytes.data() + pos, bytes.size() - pos, &info, &why);
    if (st == format::FrameStatus::kEnd) break;
    INFO(why);
    if (st != format::FrameStatus::kOk) return -1;
    if (format::DecodeRecords(&info, &buffer, &why) != format::FrameStatus::kOk)
      return -1;
    if (codecs_seen != nullptr)
      *codecs_seen |= static_cast<uint16_t>(1u << info.codec());
    pos += info.frame_size;
    ++n;
  }
  return n;
}

TEST_CASE("fuzz seeds: frames are valid v2 frames of every shape", "[format]") {
  uint16_t codecs = 0;
  for (const char* name : {"frame0", "frame1", "frame2", "lz4", "zstd",
                           "transactional", "control_commit"}) {
    INFO(name);
    CHECK(Frames(Seed("frame_fuzz", name), &codecs) == 1);
  }
  CHECK(Frames(Seed("frame_fuzz", "frames_then_zeros")) == 3);
  CHECK(Frames(Seed("frame_fuzz", "v2_mix")) == 4);
  CHECK(codecs == 0b111);  // none, lz4 and zstd all present
}

TEST_CASE("fuzz seeds: compressed payloads decode", "[format]") {
  for (const char* name :
       {"lz4", "zstd", "lz4_headers_tombstones", "zstd_headers_tombstones"}) {
    INFO(name);
    std::string in = Seed("compressed_frame_fuzz", name);
    REQUIRE(in.size() > 7);
    // The layout of compressed_frame_fuzz: codec bit, records_bytes, count.
    const uint16_t codec = (in[0] & 1) ? format::kCodecZstd : format::kCodecLz4;
    const uint32_t records_bytes = format::Load<uint32_t>(in.data() + 1);
    const uint16_t count = format::Load<uint16_t>(in.data() + 5);
    std::string out(records_bytes, '\0');
    CHECK(count > 1);
    CHECK(format::Decompress(codec, in.data() + 7, in.size() - 7, out.data(),
                             out.size()));
    CHECK(in.size() - 7 < records_bytes);
  }
}

TEST_CASE("fuzz seeds: segment bodies, index, epoch and META files",
          "[format]") {
  // Mode byte, base byte, then frames (epochs 1, 2, 3, 3, then a stale 2).
  std::string body =
      Seed("segment_recovery_fuzz", "body_epochs_compressed_stale");
  REQUIRE(body.size() > 2);
  CHECK(body[0] == 5);
  CHECK(Frames(body.substr(2)) == 5);
  CHECK(Frames(Seed("segment_recovery_fuzz", "body").substr(2)) == 3);

  auto sealed =
      DecodeIndexFile(Seed("index_file_fuzz", "two_entries_sealed").substr(1));
  REQUIRE(sealed.ok());
  CHECK(sealed->sealed);
  auto real = DecodeIndexFile(Seed("index_file_fuzz", "real_index").substr(1));
  REQUIRE(real.ok());
  CHECK_FALSE(real->sealed);  // a clean close's checkpoint

  CHECK(*DecodeEpochFile(Seed("epoch_file_fuzz", "epoch1")) == 1);
  CHECK(*DecodeEpochFile(Seed("epoch_file_fuzz", "epoch_last")) == UINT32_MAX);
  CHECK(absl::IsDataLoss(
      DecodeEpochFile(Seed("epoch_file_fuzz", "bad_checksum")).status()));

  CHECK(DecodeStoreMeta(Seed("store_meta_fuzz", "two_topics")).ok());
  auto compressed = DecodeStoreMeta(Seed("store_meta_fuzz", "compression"));
  REQUIRE(compressed.ok());
  CHECK(compressed->topics[1].config.compression == Compression::kZstd);
  CHECK(absl::IsFailedPrecondition(
      DecodeStoreMeta(Seed("store_meta_fuzz", "version1")).status()));
}

}  // namespace
}  // namespace evlog
