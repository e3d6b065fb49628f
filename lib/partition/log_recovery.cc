// partition/log_recovery.cc: PartitionLog's recovery on open (Recover) and
// the read-only follower's catch-up (Refresh); the rules are documented in
// partition_log.h and docs/FORMAT.md ("Recovery").

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "format/coding.h"
#include "format/format.h"
#include "format/segment_header.h"
#include "partition/partition_log.h"
#include "storage/durable_file.h"

namespace evlog {

namespace {

// True if the file is a segment whose creation a crash interrupted: shorter
// than a header (killed between open and fallocate), or with an all-zero
// header (allocated, header never made durable). Nothing in it was ever
// acknowledged.
bool IsInterruptedAllocation(Env* env, const std::string& path) {
  auto size = env->GetFileSize(path);
  if (!size.ok()) return false;
  if (*size < format::kSegmentHeaderSize) return true;
  auto region = env->MapFile(path, /*writable=*/false);
  if (!region.ok()) return false;
  const char* p = (*region)->data();
  return std::all_of(p, p + format::kSegmentHeaderSize,
                     [](char c) { return c == 0; });
}

// Bytes the invalid frame at `pos` claims (its length field plus the frame
// header, clipped to the file): what RecoveryReport::bytes_truncated counts.
size_t ClaimedFrameBytes(const char* data, size_t capacity, size_t pos) {
  const size_t left = capacity - pos;
  if (left < format::kFrameLengthSize) return left;
  const uint64_t claimed =
      uint64_t{format::Load<uint32_t>(data + pos)} + format::kFrameHeaderSize;
  return static_cast<size_t>(std::min<uint64_t>(claimed, left));
}

}  // namespace

absl::StatusOr<std::vector<Offset>> PartitionLog::ListSegments(
    bool remove_leftovers) {
  auto names = env_->ListDir(dir_);
  if (!names.ok()) return names.status();
  std::vector<Offset> bases;
  for (const std::string& name : *names) {
    Offset base;
    if (format::ParseSegmentFileName(name, format::kSegmentSuffix, &base)) {
      bases.push_back(base);
    } else if (remove_leftovers &&
               (absl::EndsWith(name, ".tmp") ||
                absl::EndsWith(name, format::kCleanedSuffix))) {
      // An index file whose rename never happened (derived data), a spare
      // segment, or a compacted segment whose swap never committed
      // (ReplaceSegment).
      env_->RemoveFile(absl::StrCat(dir_, "/", name)).IgnoreError();
    }
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

absl::Status PartitionLog::Recover(RecoveryReport* report) {
  auto listed = ListSegments(/*remove_leftovers=*/!read_only_);
  if (!listed.ok()) return listed.status();
  const std::vector<Offset>& bases = *listed;

  std::vector<std::shared_ptr<Segment>> segments;
  Offset expected(0);
  bool deferred = false;  // a first segment created without syncs
  for (size_t i = 0; i < bases.size(); ++i) {
    const bool last = i + 1 == bases.size();
    std::string path = absl::StrCat(
        dir_, "/", format::SegmentFileName(bases[i], format::kSegmentSuffix));
    auto opened =
        Segment::Open(env_, path, !read_only_, config_.index_interval_bytes);
    if (!opened.ok()) {
      // A roll that crashed before the new segment's header became durable
      // leaves a last segment that is empty, short, or has an all-zero
      // header; nothing in it was acknowledged. Any other bad header is
      // corruption.
      if (last && !read_only_ && IsInterruptedAllocation(env_, path)) {
        env_->RemoveFile(path).IgnoreError();
        env_->RemoveFile(path.substr(0, path.size() - 4) + format::kIndexSuffix)
            .IgnoreError();
        if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return s;
        ++report->segments_removed;
        break;
      }
      return opened.status();
    }
    std::shared_ptr<Segment> seg = *std::move(opened);
    if (seg->base_offset() != bases[i] || seg->base_offset() < expected) {
      return absl::DataLossError(
          absl::StrCat(path, ": base offset ", seg->base_offset().value(),
                       " does not follow the previous segment (expected >= ",
                       expected.value(), ")"));
    }
    size_t recorded_end = 0;
    Offset recorded_next;
    bool sealed_index = false;
    const bool loaded =
        seg->LoadIndex(env_, &recorded_end, &recorded_next, &sealed_index);
    // A sealed index makes the segment sealed; a checkpoint (an index of
    // the active segment) only saves rescanning the prefix it describes,
    // and the segment is treated as unsealed.
    const bool indexed = loaded && sealed_index;
    size_t from = seg->end_position();
    // A sealed segment is validated up to the end its index records and no
    // further (what follows may be stale frames of an older epoch, or a
    // piece of one).
    ScanResult scan =
        seg->Scan(from, seg->next_offset(), read_only_ ? UINT32_MAX : epoch_,
                  indexed && !last ? recorded_end : SIZE_MAX);
    // The index file is written after the data it describes is synced, so
    // the data must reach at least as far (exactly as far when sealed).
    if (loaded && (scan.end_position < recorded_end ||
                   (indexed && !last &&
                    (scan.end_position != recorded_end ||
                     seg->next_offset() != recorded_next)))) {
      return absl::DataLossError(absl::StrCat(
          path, ": valid data ends at position ", scan.end_position,
          " (offset ", seg->next_offset().value(), ") but its index records ",
          recorded_end, " (offset ", recorded_next.value(), ")",
          scan.clean ? "" : absl::StrCat(": ", scan.why)));
    }
    ++report->segments_scanned;
    report->bytes_scanned += static_cast<int64_t>(scan.end_position - from);
    // An indexed segment was sealed (synced) before its index was written: a
    // bad frame in it is corruption of durable data. An unindexed earlier
    // segment was rolled but maybe not sealed: if it is torn or does not
    // reach the next segment, the crash cut the log here.
    bool cut = false;
    if (!last && indexed && !scan.clean) {
      return absl::DataLossError(
          absl::StrCat(path, ": corrupt frame at position ", scan.end_position,
                       ": ", scan.why));
    }
    // A rolled segment whose records reach the next segment is complete,
    // whatever follows its data: stale bytes of an older epoch may begin
    // with a piece of a frame, which is not a tear.
    if (!last && !indexed && bases[i + 1] == seg->next_offset())
      scan.clean = true;
    if (!last && !indexed &&
        (!scan.clean || bases[i + 1] != seg->next_offset())) {
      cut = true;
      report->detail =
          absl::StrCat(path, ": unsealed segment ends at offset ",
                       seg->next_offset().value(),
                       scan.clean ? "" : absl::StrCat(" (", scan.why, ")"),
                       "; later segments removed");
    }
    if ((last || cut) && !read_only_) {
      if (!scan.clean && !cut)
        report->detail = absl::StrCat(path, ": ", scan.why);
      // Nothing after the cut is zeroed or even read: the next append
      // overwrites it, and a stale frame beyond is recognised by its older
      // writer epoch (FORMAT.md, "Writer epochs"). An index file used here
      // describes data that was synced before it was written, all of which
      // the scan reached (checked above), so it stays valid as a checkpoint;
      // a sealed one (a segment sealed, then found last because later ones
      // were lost) is removed, since appends follow.
      if (!scan.clean) {
        report->bytes_truncated += static_cast<int64_t>(
            ClaimedFrameBytes(seg->data(), seg->capacity(), scan.end_position));
      }
      if (indexed) {
        env_->RemoveFile(seg->index_path()).IgnoreError();
        if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return s;
      }
      for (size_t j = i + 1; cut && j < bases.size(); ++j) {
        std::string later = absl::StrCat(
            dir_, "/",
            format::SegmentFileName(bases[j], format::kSegmentSuffix));
        if (absl::Status s = env_->RemoveFile(later); !s.ok()) return s;
        env_->RemoveFile(absl::StrCat(dir_, "/",
                                      format::SegmentFileName(
                                          bases[j], format::kIndexSuffix)))
            .IgnoreError();
        ++report->segments_removed;
      }
      if (cut) {
        if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return s;
      }
    }
    if (cut) {
      segments.push_back(std::move(seg));
      break;
    }
    if (!last && !indexed && !read_only_) {
      // A rolled segment that a crash left unsealed, and whose data survived
      // (a process crash keeps the page cache): seal it now, before the log
      // reports it durable.
      if (absl::Status s = seg->Sync(0, seg->end_position()); !s.ok()) return s;
      // Its index and entry are made durable by the directory sync below.
      seg->WriteIndex(env_, /*sealed=*/true).IgnoreError();
    }
    expected = seg->next_offset();
    segments.push_back(std::move(seg));
  }

  if (segments.empty()) {
    if (read_only_) {
      return absl::NotFoundError(absl::StrCat(dir_, ": no segment files"));
    }
    auto created =
        Segment::Create(env_, dir_, expected, config_.segment_bytes,
                        env_->clock()->NowMs(), config_.index_interval_bytes,
                        /*durable=*/!defer_create_sync_);
    if (!created.ok()) return created.status();
    segments.push_back(*std::move(created));
    deferred = defer_create_sync_;
  }
  std::shared_ptr<Segment> tail = segments.back();
  if (!read_only_ && !deferred) {
    // The directory too: segments sealed here, and what this open reports
    // durable, must be reachable after a power loss.
    if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return s;
    if (absl::Status s = tail->Sync(0, tail->end_position()); !s.ok()) return s;
  }
  report->segments = static_cast<int64_t>(segments.size());
  start_.store(segments.front()->base_offset().value());
  end_.store(tail->next_offset().value());
  durable_end_.store(tail->next_offset().value());
  {
    MutexLock l(&sync_mu_);
    synced_base_ = tail->base_offset();
    synced_position_ = tail->end_position();
  }
  {
    MutexLock l(&append_mu_);
    active_ = tail;
  }
  MutexLock l(&segments_mu_);
  segments_ = std::move(segments);
  return absl::OkStatus();
}

absl::Status PartitionLog::Refresh() {
  if (!read_only_) return absl::OkStatus();
  auto listed = ListSegments(/*remove_leftovers=*/false);
  if (!listed.ok()) return listed.status();
  const std::vector<Offset>& bases = *listed;
  Offset old_end = end_offset();
  MutexLock l(
      &append_mu_);  // no appends on a read-only log: serialises refreshes
  active_->Scan(active_->end_position(), active_->next_offset());
  for (Offset base : bases) {
    if (base <= active_->base_offset()) continue;
    auto seg = Segment::Open(
        env_,
        absl::StrCat(dir_, "/",
                     format::SegmentFileName(base, format::kSegmentSuffix)),
        /*writable=*/false, config_.index_interval_bytes);
    // A header not written yet (a roll in progress): the next call gets it.
    if (!seg.ok()) break;
    // The writer finished the old segment before it created this one.
    active_->Scan(active_->end_position(), active_->next_offset());
    (*seg)->Scan(format::kSegmentHeaderSize, (*seg)->base_offset());
    active_ = *std::move(seg);
    MutexLock sl(&segments_mu_);
    segments_.push_back(active_);
  }
  {
    MutexLock sl(&segments_mu_);
    // Segments the writer's retention removed (their mappings stay valid for
    // readers that hold them).
    while (segments_.size() > 1 &&
           !env_->FileExists(segments_.front()->path())) {
      segments_.erase(segments_.begin());
    }
    start_.store(segments_.front()->base_offset().value(),
                 std::memory_order_release);
  }
  // What a reader of another process's log can know is durable: nothing
  // more than what it sees.
  end_.store(active_->next_offset().value(), std::memory_order_release);
  durable_end_.store(active_->next_offset().value(), std::memory_order_release);
  if (end_offset() != old_end) NotifyWaiters();
  return absl::OkStatus();
}

}  // namespace evlog
