// tools/evlog/dump_command.cc: `evlog dump PATH` -- a segment file, an index
// file or a whole partition directory, frame by frame (Kafka's
// kafka-dump-log). Reads the files directly, read-only, without the store:
// it works on a store in use and on a damaged one.

#include <ostream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli.h"
#include "evlog/env.h"
#include "fmt/format.h"
#include "format/batch_codec.h"
#include "format/format.h"
#include "format/segment_header.h"
#include "record_format.h"
#include "storage/index_file.h"
#include "util/string_view.h"

namespace evlog::cli {

namespace {

const char* CodecName(uint16_t codec) {
  switch (codec) {
    case format::kCodecLz4:
      return "lz4";
    case format::kCodecZstd:
      return "zstd";
    default:
      return "none";
  }
}

std::string Printable(std::optional<std::string_view> s) {
  if (!s) return "null";
  return absl::StrCat("\"", absl::CHexEscape(ToAbsl(*s)), "\"");
}

absl::Status DumpSegment(Env* env, const std::string& path, bool payload,
                         bool json, std::ostream& out) {
  auto size = env->GetFileSize(path);
  if (!size.ok()) return size.status();
  if (*size == 0)
    return absl::DataLossError(absl::StrCat(path, ": empty file"));
  auto region = env->MapFile(path, /*writable=*/false);
  if (!region.ok()) return region.status();
  const char* data = (*region)->data();
  const size_t cap = (*region)->size();
  auto header = format::DecodeSegmentHeader(data, cap);
  if (!header.ok()) return header.status();

  if (json) {
    out << JsonObject()
               .Str("segment", path)
               .Int("base_offset", header->base_offset.value())
               .Int("created_ms", header->created_ms)
               .Int("file_bytes", static_cast<int64_t>(header->file_bytes))
               .str()
        << '\n';
  } else {
    out << "Dumping " << path << '\n'
        << "Segment: base offset " << header->base_offset.value()
        << ", created " << FormatTime(header->created_ms) << " UTC, file bytes "
        << header->file_bytes << '\n';
    out << fmt::format(
        "{:>10}  {:>12}  {:>12}  {:>6}  {:>14}  {:>14}  {:>8}  {:>5}  {:<10}  "
        "{}\n",
        "POSITION", "BASE_OFFSET", "LAST_OFFSET", "COUNT", "FIRST_TS", "MAX_TS",
        "SIZE", "EPOCH", "CODEC", "CHECKSUM");
  }
  size_t pos = format::kSegmentHeaderSize;
  int64_t frames = 0, records = 0;
  std::string tail;  // why the dump stopped early, if it did
  uint32_t last_epoch = 0;
  std::string decompressed;
  while (pos < cap) {
    format::FrameInfo f;
    std::string why;
    format::FrameStatus st =
        format::ParseFrame(data + pos, cap - pos, &f, &why);
    if (st == format::FrameStatus::kEnd) break;
    // A frame of an older writer epoch is a stale leftover beyond a cut:
    // the end of the data (FORMAT.md, "Writer epochs").
    if (st == format::FrameStatus::kOk && f.writer_epoch < last_epoch) {
      tail = absl::StrCat("stale frame of writer epoch ", f.writer_epoch,
                          " after epoch ", last_epoch, " at position ", pos,
                          " (end of data)");
      break;
    }
    if (st == format::FrameStatus::kOk && payload &&
        format::DecodeRecords(&f, &decompressed, &why) !=
            format::FrameStatus::kOk) {
      st = format::FrameStatus::kCorrupt;
    }
    if (st != format::FrameStatus::kOk) {
      tail = st == format::FrameStatus::kTruncated
                 ? absl::StrCat("truncated frame at position ", pos)
                 : absl::StrCat("invalid frame at position ", pos, ": ", why);
      if (json) {
        out << JsonObject()
                   .Int("position", static_cast<int64_t>(pos))
                   .Bool("valid", false)
                   .Str("error", tail)
                   .str()
            << '\n';
      } else {
        out << fmt::format("{:>10}  {}\n", pos, "INVALID: " + tail);
      }
      break;
    }
    ++frames;
    records += f.record_count;
    std::vector<Json> record_json;
    std::string record_lines;
    if (payload) {
      format::RecordIterator it(f);
      RecordView r;
      while (!it.Done()) {
        it.Next(&r);
        if (json) {
          record_json.push_back(RecordJson("", PartitionId(0), r));
        } else {
          std::string hdrs;
          for (const HeaderView& h : r.headers()) {
            absl::StrAppend(&hdrs, hdrs.empty() ? "" : ",", Printable(h.key),
                            "=", Printable(h.value));
          }
          record_lines += fmt::format(
              "            | offset {} ts {} key {} value {}{}\n",
              r.offset().value(), r.timestamp_ms(), Printable(r.key()),
              Printable(r.value()), hdrs.empty() ? "" : " headers " + hdrs);
        }
      }
    }
    if (json) {
      JsonObject o;
      o.Int("position", static_cast<int64_t>(pos))
          .Int("base_offset", f.base_offset.value())
          .Int("last_offset", f.last_offset().value())
          .Int("count", f.record_count)
          .Int("first_timestamp", f.first_timestamp)
          .Int("max_timestamp", f.max_timestamp)
          .Int("size", static_cast<int64_t>(f.frame_size))
          .Bool("log_append_time",
                (f.attributes & format::kAttrLogAppendTime) != 0)
          .Str("codec", CodecName(f.codec()))
          .Int("records_bytes", f.records_bytes)
          .Int("writer_epoch", f.writer_epoch)
          .Bool("valid", true);
      if (payload) o.Raw("records", JsonArray(record_json));
      out << o.str() << '\n';
    } else {
      // Codec and ratio (uncompressed records / stored bytes) per batch.
      std::string codec =
          f.compressed()
              ? fmt::format("{} {:.2f}x", CodecName(f.codec()),
                            static_cast<double>(f.records_bytes) /
                                static_cast<double>(f.payload_end - f.payload))
              : "none";
      out << fmt::format(
                 "{:>10}  {:>12}  {:>12}  {:>6}  {:>14}  {:>14}  {:>8}  {:>5}  "
                 "{:<10}  {}\n",
                 pos, f.base_offset.value(), f.last_offset().value(),
                 f.record_count, f.first_timestamp, f.max_timestamp,
                 f.frame_size, f.writer_epoch, codec, "valid")
          << record_lines;
    }
    last_epoch = f.writer_epoch;
    pos += f.frame_size;
  }
  size_t nonzero = 0;
  for (size_t i = pos; i < cap; ++i) nonzero += data[i] != 0;
  if (json) {
    JsonObject o;
    o.Str("summary", path)
        .Int("frames", frames)
        .Int("records", records)
        .Int("data_end_position", static_cast<int64_t>(pos))
        .Int("nonzero_bytes_after_data", static_cast<int64_t>(nonzero));
    if (!tail.empty()) o.Str("stopped", tail);
    out << o.str() << '\n';
  } else {
    out << frames << " frames, " << records
        << " records, data ends at position " << pos << " of " << cap;
    if (nonzero > 0) out << ", " << nonzero << " non-zero bytes after it";
    out << "\n";
  }
  return absl::OkStatus();
}

absl::Status DumpIndex(Env* env, const std::string& path, bool json,
                       std::ostream& out) {
  auto bytes = env->ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  auto index = DecodeIndexFile(*bytes);
  if (!index.ok())
    return absl::DataLossError(
        absl::StrCat(path, ": ", index.status().message()));
  if (json) {
    std::vector<Json> entries;
    for (const IndexEntry& e : index->entries) {
      entries.push_back(
          JsonObject()
              .Int("offset", (index->base_offset + e.relative_offset).value())
              .Int("position", e.position)
              .Int("max_timestamp", e.max_timestamp));
    }
    out << JsonObject()
               .Str("index", path)
               .Int("base_offset", index->base_offset.value())
               .Int("next_offset", index->next_offset.value())
               .Int("end_position", static_cast<int64_t>(index->end_position))
               .Int("max_timestamp", index->max_timestamp)
               .Raw("entries", JsonArray(entries))
               .str()
        << '\n';
    return absl::OkStatus();
  }
  out << "Dumping " << path << '\n'
      << "Index: base offset " << index->base_offset.value() << ", next offset "
      << index->next_offset.value() << ", end position " << index->end_position
      << ", max timestamp " << index->max_timestamp << ", "
      << index->entries.size() << " entries\n";
  Table table({"OFFSET", "POSITION", "MAX_TS"});
  for (const IndexEntry& e : index->entries) {
    table.AddRow(
        {absl::StrCat((index->base_offset + e.relative_offset).value()),
         absl::StrCat(e.position), absl::StrCat(e.max_timestamp)});
  }
  table.Print(out);
  return absl::OkStatus();
}

absl::Status DumpFile(Env* env, const std::string& path, bool payload,
                      bool json, std::ostream& out) {
  if (absl::EndsWith(path, format::kIndexSuffix))
    return DumpIndex(env, path, json, out);
  return DumpSegment(env, path, payload, json, out);
}

}  // namespace

absl::Status RunDump(const Args& args, Io& io) {
  if (auto s = args.ExpectPositional(1, "dump PATH [--print-payload] [--json]");
      !s.ok()) {
    return s;
  }
  Env* env = Env::Default();
  std::string path = args.positional()[0];
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (!env->FileExists(path))
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  const bool payload = args.Has("print-payload");
  auto names = env->ListDir(path);
  if (!names.ok()) return DumpFile(env, path, payload, args.json(), *io.out);
  // A partition directory: every segment in offset order.
  int dumped = 0;
  for (const std::string& name : *names) {
    Offset base;
    if (!format::ParseSegmentFileName(name, format::kSegmentSuffix, &base))
      continue;
    if (dumped++ > 0 && !args.json()) *io.out << '\n';
    if (auto s = DumpSegment(env, absl::StrCat(path, "/", name), payload,
                             args.json(), *io.out);
        !s.ok()) {
      return s;
    }
  }
  if (dumped == 0) {
    return absl::NotFoundError(
        absl::StrCat(path,
                     ": no segment files (is it a partition "
                     "directory, <store>/topics/<topic>.<id>/<p>?)"));
  }
  return absl::OkStatus();
}

}  // namespace evlog::cli
