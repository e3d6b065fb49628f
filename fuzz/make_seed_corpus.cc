// Writes the small seed corpora of the fuzz targets into
// fuzz/corpus/<target>/ (run once; the files are kept in the repository):
//   evlog_make_seed_corpus <fuzz/corpus dir>
// Seeds are real bytes made by the library: frames of every shape, segment
// bodies, index files, META and OFFSETS files, and API-call sequences.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "env/mem_env.h"
#include "format/batch_codec.h"
#include "format/format.h"
#include "group/offsets_file.h"
#include "partition/partition_log.h"
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

std::string Frame(std::vector<Record> records, int64_t base) {
  std::string out(format::EncodedFrameSize(records), '\0');
  format::EncodeFrame(records, Offset(base), 1'700'000'000'000, false,
                      out.data());
  return out;
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

  // Segment bodies (mode byte 1: synthesized header) and a whole segment.
  Put(root / "segment_recovery_fuzz", "body", std::string("\x01\x00", 2) + all);
  Put(root / "segment_recovery_fuzz", "body_torn",
      std::string("\x01\x00", 2) + all.substr(0, all.size() - 5));
  Put(root / "segment_recovery_fuzz", "body_next_segment",
      std::string("\x03\x05", 2) + frames[0]);
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
