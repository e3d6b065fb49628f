// Writes the small seed corpora of the fuzz targets into
// fuzz/corpus/<target>/ (run once; the files are kept in the repository):
//   evlog_make_seed_corpus <fuzz/corpus dir>
// Seeds are real bytes made by the library: frames of every shape (plain,
// lz4, zstd, transactional, control), compressed payloads, segment bodies
// (with a stale frame of an older writer epoch), index files (sealed and
// checkpoint), EPOCH, META and OFFSETS files, and API-call sequences.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "env/mem_env.h"
#include "format/batch_codec.h"
#include "format/coding.h"
#include "format/format.h"
#include "group/offsets_file.h"
#include "partition/partition_log.h"
#include "storage/epoch_file.h"
#include "storage/index_file.h"
#include "store/store_meta.h"

namespace fs = std::filesystem;
using namespace evlog;

namespace {

void Put(const fs::path& dir, const std::string& name,
         const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

std::string Frame(std::vector<Record> records, int64_t base,
                  format::FrameOptions options = {.writer_epoch = 1},
                  int64_t now_ms = 1'700'000'000'000) {
  std::string out(
      format::MaxFrameSize(format::EncodedRecordsSize(records), options.codec),
      '\0');
  format::EncodedFrame enc =
      format::EncodeFrame(records, Offset(base), now_ms, options, out.data());
  out.resize(enc.size);
  return out;
}

// Records that compress: repeated keys and values.
std::vector<Record> Compressible(int n, const std::string& value, int64_t ts) {
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Record{
        .key = i % 2 ? "even" : "odd", .value = value, .timestamp_ms = ts});
  }
  return out;
}

// A compressed_frame_fuzz input from a compressed frame: codec byte,
// records_bytes, record count, payload (see that target).
std::string CompressedInput(const std::string& frame) {
  const char* body = frame.data() + format::kFrameHeaderSize;
  uint16_t attributes = format::Load<uint16_t>(body + format::kBatchAttributes);
  uint16_t codec =
      (attributes & format::kAttrCodecMask) >> format::kAttrCodecShift;
  std::string out(7, '\0');
  out[0] = codec == format::kCodecZstd ? 1 : 0;
  format::Store<uint32_t>(
      out.data() + 1,
      format::Load<uint32_t>(body + format::kBatchRecordsBytes));
  format::Store<uint16_t>(out.data() + 5,
                          static_cast<uint16_t>(format::Load<uint32_t>(
                              body + format::kBatchRecordCount)));
  return out +
         frame.substr(format::kFrameHeaderSize + format::kBatchHeaderSize);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <fuzz/corpus dir>\n", argv[0]);
    return 1;
  }
  const fs::path root = argv[1];
  HeaderView hdr[] = {{"trace", "abc"}, {"null", std::nullopt}};
  std::vector<std::string> frames = {
      Frame({Record{.key = "k", .value = "v"}}, 0),
      Frame({Record{.value = std::nullopt}}, 7),  // tombstone, no key
      Frame({Record{.key = "a", .value = "1", .headers = hdr},
             Record{.key = std::nullopt, .value = "", .timestamp_ms = 5},
             Record{.key = "c", .value = std::string(300, 'z')}},
            1000),
  };
  std::string all;
  for (size_t i = 0; i < frames.size(); ++i) {
    Put(root / "frame_fuzz", "frame" + std::to_string(i), frames[i]);
    all += frames[i];
  }
  Put(root / "frame_fuzz", "frames_then_zeros", all + std::string(16, '\0'));
  // Format v2 shapes: compressed, transactional, control, log-append-time.
  const std::string lz4 =
      Frame(Compressible(12, std::string(60, 'l'), 5), 20,
            {.writer_epoch = 1, .codec = format::kCodecLz4});
  const std::string zstd =
      Frame(Compressible(12, std::string(60, 'z'), 5), 32,
            {.writer_epoch = 2, .codec = format::kCodecZstd});
  const std::string txn = Frame({Record{.key = "t", .value = "1"}}, 44,
                                {.writer_epoch = 2,
                                 .log_append_time = true,
                                 .producer_id = 7,
                                 .producer_epoch = 0});
  const std::string marker("\0\0\1\0", 4);  // version 0, type 1 (commit)
  const std::string control = Frame({Record{.key = marker, .value = ""}}, 45,
                                    {.writer_epoch = 2,
                                     .producer_id = 7,
                                     .producer_epoch = 0,
                                     .control = true});
  Put(root / "frame_fuzz", "lz4", lz4);
  Put(root / "frame_fuzz", "zstd", zstd);
  Put(root / "frame_fuzz", "transactional", txn);
  Put(root / "frame_fuzz", "control_commit", control);
  Put(root / "frame_fuzz", "v2_mix",
      lz4 + zstd + txn + control + std::string(8, '\0'));

  // Compressed payloads (timestamps 0, so the zero header timestamps fit).
  Put(root / "compressed_frame_fuzz", "lz4",
      CompressedInput(Frame(Compressible(10, std::string(80, 'a'), 0), 0,
                            {.codec = format::kCodecLz4}, 0)));
  Put(root / "compressed_frame_fuzz", "zstd",
      CompressedInput(Frame(Compressible(10, std::string(80, 'b'), 0), 0,
                            {.codec = format::kCodecZstd}, 0)));
  {
    HeaderView h[] = {{"h", std::nullopt}, {"", ""}};
    const std::string m40(40, 'm');  // outlives the records viewing it
    std::vector<Record> mixed;
    for (int i = 0; i < 8; ++i) {
      mixed.push_back(Record{
          .key = std::nullopt, .value = m40, .headers = h, .timestamp_ms = 0});
      mixed.push_back(
          Record{.key = "", .value = std::nullopt, .timestamp_ms = 0});
    }
    Put(root / "compressed_frame_fuzz", "zstd_headers_tombstones",
        CompressedInput(
            Frame(mixed, 0,
                  {.codec = format::kCodecZstd, .compression_level = 19}, 0)));
    Put(root / "compressed_frame_fuzz", "lz4_headers_tombstones",
        CompressedInput(Frame(mixed, 0, {.codec = format::kCodecLz4}, 0)));
  }

  // Segment bodies (mode byte 1: synthesized header) and a whole segment.
  Put(root / "segment_recovery_fuzz", "body", std::string("\x01\x00", 2) + all);
  Put(root / "segment_recovery_fuzz", "body_torn",
      std::string("\x01\x00", 2) + all.substr(0, all.size() - 5));
  Put(root / "segment_recovery_fuzz", "body_next_segment",
      std::string("\x03\x05", 2) + frames[0]);
  // With EPOCH = 5 (mode bit 2): frames of epochs 1, 2, then compressed ones
  // of epoch 3, then a stale frame of epoch 2 left behind by a cut.
  Put(root / "segment_recovery_fuzz", "body_epochs_compressed_stale",
      std::string("\x05\x00", 2) + frames[0] +
          Frame({Record{.key = "e2"}}, 1, {.writer_epoch = 2}) +
          Frame(Compressible(12, std::string(60, 'c'), 9), 2,
                {.writer_epoch = 3, .codec = format::kCodecLz4}) +
          Frame(Compressible(12, std::string(60, 'd'), 9), 14,
                {.writer_epoch = 3, .codec = format::kCodecZstd}) +
          Frame({Record{.key = "stale"}}, 26, {.writer_epoch = 2}));
  {
    FakeClock clock;
    MemEnv env(&clock);
    (void)env.CreateDir("/log");
    TopicConfig c;
    c.segment_bytes = 4096;
    c.max_record_bytes = 1024;
    c.index_interval_bytes = 256;
    {
      auto log = PartitionLog::Open(&env, "/log", c);
      for (int i = 0; i < 5; ++i) {
        std::string v = "value-" + std::to_string(i);
        Record r{.key = "k", .value = v};
        (void)(*log)->Append({&r, 1});
      }
    }
    auto seg = env.ReadFile("/log/00000000000000000000.log");
    Put(root / "segment_recovery_fuzz", "whole_segment",
        std::string("\x00\x00", 2) + *seg);
    auto idx = env.ReadFile("/log/00000000000000000000.index");
    if (idx.ok()) {
      Put(root / "index_file_fuzz", "real_index",
          std::string("\x00", 1) + *idx);
    }
  }
  IndexFileContents ic;
  ic.base_offset = Offset(0);
  ic.next_offset = Offset(12);
  ic.end_position = 900;
  ic.max_timestamp = 1'700'000'000'000;
  ic.entries = {{0, 64, 1'700'000'000'000}, {5, 400, 1'700'000'000'001}};
  Put(root / "index_file_fuzz", "two_entries",
      std::string("\x01", 1) + EncodeIndexFile(ic));
  ic.sealed = true;
  Put(root / "index_file_fuzz", "two_entries_sealed",
      std::string("\x03", 1) + EncodeIndexFile(ic));
  ic.sealed = false;
  ic.entries.clear();
  Put(root / "index_file_fuzz", "no_entries",
      std::string("\x02", 1) + EncodeIndexFile(ic));

  StoreMeta meta;
  meta.next_topic_id = 3;
  TopicConfig tc;
  tc.retention_wait_for_groups = {"billing"};
  meta.topics = {{1, "orders", 3, TopicConfig()}, {2, "events.v2", 1, tc}};
  Put(root / "store_meta_fuzz", "two_topics", EncodeStoreMeta(meta));
  Put(root / "store_meta_fuzz", "empty", EncodeStoreMeta(StoreMeta()));
  {
    // A valid META of format version 1 (refused with kFailedPrecondition).
    std::string v1 = EncodeStoreMeta(StoreMeta());
    v1 = "evlog-store 1" +
         v1.substr(v1.find('\n'), v1.rfind("checksum ") - v1.find('\n'));
    char sum[32];
    std::snprintf(sum, sizeof(sum), "checksum %016llx\n",
                  static_cast<unsigned long long>(
                      format::Checksum(v1.data(), v1.size())));
    Put(root / "store_meta_fuzz", "version1", v1 + sum);
    meta.topics[1].config.compression = Compression::kZstd;
    meta.topics[1].config.compression_level = 7;
    meta.topics[0].config.compression = Compression::kLz4;
    Put(root / "store_meta_fuzz", "compression", EncodeStoreMeta(meta));
  }

  Put(root / "epoch_file_fuzz", "epoch1", EncodeEpochFile(1));
  Put(root / "epoch_file_fuzz", "epoch_last", EncodeEpochFile(UINT32_MAX));
  Put(root / "epoch_file_fuzz", "epoch0", EncodeEpochFile(0));
  {
    std::string bad = EncodeEpochFile(9);
    bad[12] ^= 1;
    Put(root / "epoch_file_fuzz", "bad_checksum", bad);
  }

  GroupOffsets go;
  go.group = "billing";
  go.offsets = {{1, "orders", 0, 42}, {1, "orders", 1, 17}};
  Put(root / "offsets_file_fuzz", "two_offsets", EncodeGroupOffsets(go));
  go.offsets.clear();
  Put(root / "offsets_file_fuzz", "none", EncodeGroupOffsets(go));

  // API sequences: create every topic, send, reopen every way, verify.
  std::mt19937_64 rng(42);
  for (int s = 0; s < 8; ++s) {
    std::string seq = {0, 0, 1, 2, 0, 1, 1, 0, 0, 2, 2, 1};  // three topics
    for (int i = 0; i < 120; ++i) seq.push_back(static_cast<char>(rng()));
    seq += std::string{7, 0, 0, 8, static_cast<char>(0x7a + s), 3, 7, 0, 0};
    Put(root / "api_sequence_fuzz", "seq" + std::to_string(s), seq);
  }
  return 0;
}
