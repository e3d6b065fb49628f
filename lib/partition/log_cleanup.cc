// partition/log_cleanup.cc: PartitionLog's side of retention and
// compaction -- removing segments below an offset and swapping a closed
// segment for its compacted copy (the protocols are in partition_log.h and
// docs/RETENTION.md).

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "format/format.h"
#include "format/segment_header.h"
#include "partition/partition_log.h"

namespace evlog {

absl::StatusOr<int> PartitionLog::DeleteSegmentsBefore(Offset offset) {
  if (read_only_) {
    return absl::FailedPreconditionError(
        absl::StrCat("partition ", dir_, " is open read-only"));
  }
  MutexLock cleanup(&cleanup_mu_);
  std::vector<std::shared_ptr<Segment>> removed;
  {
    MutexLock a(&append_mu_);
    MutexLock l(&segments_mu_);
    size_t n = 0;
    // Segment i holds offsets below segment i+1's base; never the last.
    while (n + 1 < segments_.size() &&
           segments_[n + 1]->base_offset() <= offset)
      ++n;
    if (n == 0) return 0;
    removed.assign(segments_.begin(), segments_.begin() + n);
    segments_.erase(segments_.begin(), segments_.begin() + n);
    start_.store(segments_.front()->base_offset().value(),
                 std::memory_order_release);
  }
  if (observer_) {
    uint64_t bytes = 0;
    for (const auto& seg : removed) bytes += seg->data_bytes();
    observer_->OnSegmentsDeleted(static_cast<int64_t>(removed.size()), bytes,
                                 start_offset());
  }
  // Unlinking a mapped file is safe: readers holding the Segment keep the
  // mapping; the space is freed when the last of them lets go.
  for (const auto& seg : removed) {
    if (absl::Status s = env_->RemoveFile(seg->path()); !s.ok()) return s;
    env_->RemoveFile(seg->index_path()).IgnoreError();
  }
  if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return s;
  return static_cast<int>(removed.size());
}

std::string PartitionLog::CleanedSegmentPath(Offset base) const {
  return absl::StrCat(dir_, "/",
                      format::SegmentFileName(base, format::kSegmentSuffix),
                      format::kCleanedSuffix);
}

absl::Status PartitionLog::ReplaceSegment(Offset base) {
  const std::string cleaned = CleanedSegmentPath(base);
  auto discard = [&](absl::Status s) {
    env_->RemoveFile(cleaned).IgnoreError();
    return s;
  };
  if (read_only_) {
    return absl::FailedPreconditionError(
        absl::StrCat("partition ", dir_, " is open read-only"));
  }
  MutexLock cleanup(&cleanup_mu_);
  if (closed_.load()) {
    return discard(absl::FailedPreconditionError(
        absl::StrCat("partition ", dir_, " is closed")));
  }
  if (failed_.load()) return discard(health());
  // 1. Every rolled segment is sealed now, and no seal runs until we are
  // done, so nothing rewrites the index of the segment replaced here.
  MutexLock sync_lock(&sync_mu_);
  if (absl::Status s = SealPendingLocked(); !s.ok()) return discard(s);
  std::shared_ptr<Segment> old;
  {
    MutexLock a(&append_mu_);
    MutexLock l(&segments_mu_);
    for (const auto& seg : segments_) {
      if (seg->base_offset() == base && seg != active_) old = seg;
    }
  }
  if (old == nullptr) {
    return discard(absl::NotFoundError(absl::StrCat(
        "partition ", dir_, ": no closed segment based at ", base.value())));
  }
  // 2. The old index must not survive to describe the new file.
  if (env_->FileExists(old->index_path())) {
    if (absl::Status s = env_->RemoveFile(old->index_path()); !s.ok()) {
      return discard(s);
    }
    if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return Fail(s);
  }
  // 3. Commit point.
  if (absl::Status s = env_->RenameFile(cleaned, old->path()); !s.ok()) {
    return discard(s);
  }
  if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return Fail(s);
  // 4. From here the disk holds the new segment; a failure leaves the old
  // Segment in memory (a superset of the new one at the same offsets), but
  // fail-stop keeps the rule that an I/O error after a commit is final.
  auto opened = Segment::Open(env_, old->path(), /*writable=*/true,
                              config_.index_interval_bytes);
  if (!opened.ok()) return Fail(opened.status());
  std::shared_ptr<Segment> seg = *std::move(opened);
  ScanResult scan = seg->Scan(format::kSegmentHeaderSize, base);
  if (!scan.clean || seg->next_offset() != old->next_offset()) {
    return Fail(absl::DataLossError(absl::StrCat(
        seg->path(),
        ": compacted segment is invalid or does not end at offset ",
        old->next_offset().value(), " (", scan.why, ")")));
  }
  seg->WriteIndex(env_, /*sealed=*/true)
      .IgnoreError();  // derived data: a rescan if lost
  if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return Fail(s);
  // 5. The swap.
  {
    MutexLock l(&segments_mu_);
    for (auto& s : segments_) {
      if (s == old) s = seg;
    }
  }
  if (observer_)
    observer_->OnSegmentCompacted(base, old->data_bytes(), seg->data_bytes());
  return absl::OkStatus();
}

}  // namespace evlog
