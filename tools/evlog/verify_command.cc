// tools/evlog/verify_command.cc: `evlog verify [--repair]` -- checks every
// file of a store against the format (docs/FORMAT.md) without trusting any
// derived data, and with --repair lets recovery fix what it can.
//
// What is checked: META decodes; every partition directory exists; every
// segment header is valid and matches its file name; every frame of every
// segment validates (checksum and structure) with increasing offsets;
// nothing but zeros follows the data; segments do not overlap; index files
// decode and agree with their sealed segment.
//
// Problems are "corrupt" (durable data is damaged: data loss, which evlog
// never repairs by guessing) or "repairable" (what recovery handles: a torn
// tail of the active segment, leftover temporary files and orphan
// directories, missing or stale index files). --repair opens the store for
// writing, which recovers every partition (truncating torn tails and
// removing orphans), then rewrites missing or stale index files of sealed
// segments, and verifies again; it reports each problem it fixed.

#include <ostream>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cli.h"
#include "evlog/env.h"
#include "format/batch_codec.h"
#include "format/format.h"
#include "format/segment_header.h"
#include "progress.h"
#include "storage/durable_file.h"
#include "storage/epoch_file.h"
#include "storage/index_file.h"
#include "store/store_meta.h"

namespace evlog::cli {

namespace {

struct Problem {
  std::string path;
  std::string what;
  bool repairable = false;
  bool index = false;  // a missing or stale index of a sealed segment
  friend bool operator<(const Problem& a, const Problem& b) {
    return std::tie(a.path, a.what) < std::tie(b.path, b.what);
  }
};

struct Report {
  int64_t topics = 0, partitions = 0, segments = 0, frames = 0, records = 0;
  std::vector<Problem> problems;
  Progress* progress = nullptr;  // counts partitions and segment bytes

  void Corrupt(std::string path, std::string what) {
    problems.push_back({std::move(path), std::move(what), false, false});
  }
  void Repairable(std::string path, std::string what, bool index = false) {
    problems.push_back({std::move(path), std::move(what), true, index});
  }
};

void VerifySegment(Env* env, const std::string& path, bool last,
                   Offset* expected, Report* report) {
  ++report->segments;
  auto region = env->MapFile(path, /*writable=*/false);
  if (!region.ok()) {
    report->Corrupt(path,
                    absl::StrCat("cannot map: ", region.status().message()));
    return;
  }
  const char* data = (*region)->data();
  const size_t cap = (*region)->size();
  auto header = format::DecodeSegmentHeader(data, cap);
  if (!header.ok()) {
    if (last && report->segments > 1) {
      report->Repairable(path,
                         absl::StrCat("no valid header (an interrupted roll; "
                                      "removed at open): ",
                                      header.status().message()));
    } else {
      report->Corrupt(path, std::string(header.status().message()));
    }
    return;
  }
  Offset named;
  size_t slash = path.rfind('/');
  if (!format::ParseSegmentFileName(path.substr(slash + 1),
                                    format::kSegmentSuffix, &named) ||
      named != header->base_offset) {
    report->Corrupt(
        path, absl::StrCat("header base offset ", header->base_offset.value(),
                           " does not match the file name"));
  }
  if (header->base_offset < *expected) {
    report->Corrupt(path,
                    absl::StrCat("base offset ", header->base_offset.value(),
                                 " overlaps the previous segment (ends at ",
                                 expected->value(), ")"));
  }
  Offset next = std::max(*expected, header->base_offset);
  size_t pos = format::kSegmentHeaderSize;
  int64_t max_ts = -1;
  bool clean = true;
  uint32_t last_epoch = 0;
  std::string decompressed;
  while (pos < cap) {
    format::FrameInfo f;
    std::string why;
    format::FrameStatus st =
        format::ParseFrame(data + pos, cap - pos, &f, &why);
    if (st == format::FrameStatus::kEnd) break;
    // A frame of an older writer epoch is a stale leftover beyond a cut: the
    // end of the data (FORMAT.md, "Writer epochs").
    if (st == format::FrameStatus::kOk && f.writer_epoch < last_epoch) break;
    if (st == format::FrameStatus::kOk &&
        format::DecodeRecords(&f, &decompressed, &why) !=
            format::FrameStatus::kOk) {
      st = format::FrameStatus::kCorrupt;
    }
    if (st == format::FrameStatus::kOk && f.base_offset < next) {
      st = format::FrameStatus::kCorrupt;
      why = absl::StrCat("offset ", f.base_offset.value(),
                         " goes backwards (expected >= ", next.value(), ")");
    }
    if (st != format::FrameStatus::kOk) {
      clean = false;
      std::string what =
          absl::StrCat(st == format::FrameStatus::kTruncated ? "truncated frame"
                                                             : "invalid frame",
                       " at position ", pos, why.empty() ? "" : ": ", why);
      if (last) {
        report->Repairable(
            path, absl::StrCat("torn tail: ", what, " (", cap - pos,
                               " bytes from there are ignored at open)"));
      } else {
        report->Corrupt(path, absl::StrCat(what, " in a sealed segment"));
      }
      break;
    }
    ++report->frames;
    last_epoch = f.writer_epoch;
    report->records += f.record_count;
    max_ts = std::max(max_ts, f.max_timestamp);
    next = f.next_offset();
    pos += f.frame_size;
  }
  // Bytes after the data end are not checked: they are zeros, holes or
  // stale frames of an older epoch, none of which is ever read.
  *expected = next;

  std::string index_path =
      path.substr(
          0, path.size() - std::string_view(format::kSegmentSuffix).size()) +
      format::kIndexSuffix;
  if (!env->FileExists(index_path)) {
    if (!last)
      report->Repairable(
          index_path, "missing (the segment is rescanned at every open)", true);
    return;
  }
  auto bytes = env->ReadFile(index_path);
  auto index = bytes.ok() ? DecodeIndexFile(*bytes)
                          : absl::StatusOr<IndexFileContents>(bytes.status());
  if (!index.ok()) {
    report->Repairable(index_path,
                       absl::StrCat("unreadable (ignored and rebuilt): ",
                                    index.status().message()),
                       !last);
    return;
  }
  // The active segment's index may describe a prefix of it (written at the
  // last clean close); a sealed segment's must describe all of it.
  bool stale =
      index->base_offset != header->base_offset ||
      (last ? index->end_position > pos
            : (index->end_position != pos || index->next_offset != next ||
               index->max_timestamp != max_ts));
  if (stale && clean) {
    report->Repairable(
        index_path, "does not match its segment (ignored and rebuilt)", !last);
  }
}

void VerifyPartition(Env* env, const std::string& dir, Report* report) {
  ++report->partitions;
  auto names = env->ListDir(dir);
  if (!names.ok()) {
    report->Corrupt(dir, absl::StrCat("partition directory unreadable: ",
                                      names.status().message()));
    return;
  }
  std::vector<std::string> segments;
  for (const std::string& name : *names) {
    Offset base;
    if (format::ParseSegmentFileName(name, format::kSegmentSuffix, &base)) {
      segments.push_back(name);
    } else if (name == "spare.log.tmp") {
      // A segment file preallocated ahead of the next roll (PrepareSpare):
      // no data; a crash leaves it for the next open to remove.
      continue;
    } else if (absl::EndsWith(name, kTmpSuffix)) {
      report->Repairable(absl::StrCat(dir, "/", name),
                         "leftover temporary file (removed at open)");
    }
  }
  if (segments.empty()) {
    report->Corrupt(dir, "no segment files");
    return;
  }
  Offset expected(0);
  for (size_t i = 0; i < segments.size(); ++i) {
    std::string path = absl::StrCat(dir, "/", segments[i]);
    VerifySegment(env, path, i + 1 == segments.size(), &expected, report);
    auto size = env->GetFileSize(path);
    report->progress->Add(0, size.ok() ? static_cast<int64_t>(*size) : 0);
  }
}

absl::StatusOr<StoreMeta> ReadMeta(Env* env, const std::string& dir) {
  std::string path = absl::StrCat(dir, "/", kStoreMetaFile);
  if (!env->FileExists(path)) {
    return absl::NotFoundError(
        absl::StrCat("no evlog store at ", dir, " (", path, " is missing)"));
  }
  auto text = env->ReadFile(path);
  if (!text.ok()) return text.status();
  auto meta = DecodeStoreMeta(*text);
  if (!meta.ok())
    return absl::DataLossError(
        absl::StrCat(path, ": ", meta.status().message()));
  return meta;
}

// Returns the store-level failure (META unreadable) as an error; everything
// below it becomes a Problem.
absl::StatusOr<Report> Verify(Env* env, const std::string& dir,
                              std::ostream* progress_out) {
  Report report;
  auto meta = ReadMeta(env, dir);
  if (!meta.ok()) return meta.status();
  int64_t partitions = 0;
  for (const TopicMeta& t : meta->topics) partitions += t.partitions;
  Progress progress(progress_out, "partitions", partitions);
  report.progress = &progress;
  if (env->FileExists(absl::StrCat(dir, "/", kStoreMetaFile, kTmpSuffix))) {
    report.Repairable(absl::StrCat(dir, "/", kStoreMetaFile, kTmpSuffix),
                      "leftover temporary file (removed at open)");
  }
  std::set<std::string> known;
  for (const TopicMeta& t : meta->topics) {
    ++report.topics;
    std::string topic_dir = absl::StrCat(dir, "/topics/", TopicDirName(t));
    known.insert(TopicDirName(t));
    for (int32_t p = 0; p < t.partitions; ++p) {
      std::string pdir = absl::StrCat(topic_dir, "/", p);
      if (!env->FileExists(pdir)) {
        report.Corrupt(pdir, absl::StrCat("partition ", p, " of topic ", t.name,
                                          " is missing"));
        continue;
      }
      VerifyPartition(env, pdir, &report);
      progress.Add(1, 0);
    }
  }
  report.progress = nullptr;
  if (auto entries = env->ListDir(absl::StrCat(dir, "/topics")); entries.ok()) {
    for (const std::string& name : *entries) {
      if (!known.count(name)) {
        report.Repairable(absl::StrCat(dir, "/topics/", name),
                          "orphan directory of an interrupted topic operation "
                          "(removed at open)");
      }
    }
  }
  return report;
}

// Rewrites the missing or stale index files of sealed segments: open each
// partition writable (under the store lock) so that its segments are
// scanned, then write their indexes.
absl::Status RewriteIndexes(Env* env, const std::string& dir,
                            const std::set<std::string>& wanted) {
  auto lock = env->LockFile(absl::StrCat(dir, "/LOCK"));
  if (!lock.ok()) return lock.status();
  auto meta = ReadMeta(env, dir);
  if (!meta.ok()) return meta.status();
  // Opening writable starts a new incarnation of the store: its writer
  // epoch, as Store::Open would take (FORMAT.md, "Writer epochs").
  auto epoch = BumpEpoch(env, dir, /*must_exist=*/true);
  if (!epoch.ok()) return epoch.status();
  for (const TopicMeta& t : meta->topics) {
    for (int32_t p = 0; p < t.partitions; ++p) {
      std::string pdir = absl::StrCat(dir, "/topics/", TopicDirName(t), "/", p);
      auto log = PartitionLog::Open(env, pdir, t.config, nullptr,
                                    /*read_only=*/false, *epoch);
      if (!log.ok()) return log.status();
      auto segments = (*log)->Segments();
      bool wrote = false;
      for (size_t i = 0; i + 1 < segments.size(); ++i) {
        if (!wanted.count(segments[i]->index_path())) continue;
        if (auto s = segments[i]->WriteIndex(env, /*sealed=*/true); !s.ok())
          return s;
        wrote = true;
      }
      if (wrote) {
        if (auto s = env->SyncDir(pdir); !s.ok()) return s;
      }
      if (auto s = (*log)->Close(); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

void PrintProblems(const std::vector<Problem>& problems, std::string_view label,
                   Io& io) {
  Table table({"STATUS", "PATH", "PROBLEM"});
  for (const Problem& p : problems) {
    table.AddRow(
        {std::string(label.empty() ? (p.repairable ? "repairable" : "CORRUPT")
                                   : label),
         p.path, p.what});
  }
  table.Print(*io.out);
}

Json ProblemsJson(const std::vector<Problem>& problems) {
  std::vector<Json> items;
  for (const Problem& p : problems) {
    items.push_back(JsonObject()
                        .Str("path", p.path)
                        .Str("problem", p.what)
                        .Bool("repairable", p.repairable));
  }
  return JsonArray(items);
}

}  // namespace

absl::Status RunVerify(const Args& args, Io& io) {
  if (auto s = args.ExpectPositional(0, "verify --dir DIR [--repair] [--json]");
      !s.ok()) {
    return s;
  }
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  Env* env = Env::Default();
  auto before = Verify(env, *dir, io.progress_out());
  if (!before.ok()) return before.status();
  Report after = *before;
  std::vector<Problem> fixed;
  if (args.Has("repair") && !before->problems.empty()) {
    bool has_corrupt = false;
    for (const Problem& p : before->problems) has_corrupt |= !p.repairable;
    if (has_corrupt) {
      PrintProblems(before->problems, "", io);
      return absl::DataLossError(
          "verify: corrupt data found; --repair only fixes what recovery can "
          "(torn tails, "
          "indexes, leftovers) and does not cut sealed data: restore this "
          "store from a copy");
    }
    // Recovery of every partition, orphan and temporary-file removal.
    auto store = OpenForWriting(*dir, /*create=*/false);
    if (!store.ok()) return store.status();
    if (auto s = (*store)->Close(); !s.ok()) return s;
    store->reset();
    std::set<std::string> indexes;
    for (const Problem& p : before->problems) {
      if (p.index) indexes.insert(p.path);
    }
    if (!indexes.empty()) {
      if (auto s = RewriteIndexes(env, *dir, indexes); !s.ok()) {
        return absl::Status(s.code(),
                            absl::StrCat("repairing indexes: ", s.message()));
      }
    }
    auto again = Verify(env, *dir, io.progress_out());
    if (!again.ok()) return again.status();
    after = *again;
    std::set<Problem> remaining(after.problems.begin(), after.problems.end());
    for (const Problem& p : before->problems) {
      if (!remaining.count(p)) fixed.push_back(p);
    }
  }

  if (args.json()) {
    *io.out << JsonObject()
                   .Int("topics", after.topics)
                   .Int("partitions", after.partitions)
                   .Int("segments", after.segments)
                   .Int("frames", after.frames)
                   .Int("records", after.records)
                   .Raw("problems", ProblemsJson(after.problems))
                   .Raw("repaired", ProblemsJson(fixed))
                   .str()
            << '\n';
  } else {
    *io.out << "checked " << after.topics << " topics, " << after.partitions
            << " partitions, " << after.segments << " segments, "
            << after.frames << " frames, " << after.records << " records\n";
    if (!fixed.empty()) PrintProblems(fixed, "repaired", io);
    if (!after.problems.empty()) PrintProblems(after.problems, "", io);
    if (after.problems.empty()) *io.out << "no problems found\n";
  }
  if (after.problems.empty()) return absl::OkStatus();
  bool corrupt = false;
  for (const Problem& p : after.problems) corrupt |= !p.repairable;
  return absl::DataLossError(absl::StrCat(
      "verify: ", after.problems.size(), " problem(s) found",
      corrupt ? " (corrupt data)"
              : "; run `evlog verify --repair` with the store not in use"));
}

}  // namespace evlog::cli
