#include "partition/partition_log.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "format/batch_codec.h"
#include "format/format.h"
#include "format/segment_header.h"
#include "storage/durable_file.h"

namespace evlog {

namespace {

// A compacted segment being built (ReplaceSegment); garbage after a crash.
constexpr char kCleanedSuffix[] = ".cleaned";

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
  return std::all_of(p, p + format::kSegmentHeaderSize, [](char c) { return c == 0; });
}

void AtomicMax(std::atomic<int64_t>& a, int64_t v) {
  int64_t cur = a.load(std::memory_order_relaxed);
  while (cur < v &&
         !a.compare_exchange_weak(cur, v, std::memory_order_release,
                                  std::memory_order_relaxed)) {
  }
}

}  // namespace

PartitionLog::PartitionLog(Env* env, std::string dir, const TopicConfig& config,
                           bool read_only)
    : env_(env), dir_(std::move(dir)), config_(config), read_only_(read_only) {}

PartitionLog::~PartitionLog() { Close().IgnoreError(); }

absl::StatusOr<std::unique_ptr<PartitionLog>> PartitionLog::Open(
    Env* env, std::string dir, const TopicConfig& config,
    RecoveryReport* report, bool read_only) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  std::unique_ptr<PartitionLog> log(
      new PartitionLog(env, std::move(dir), config, read_only));
  RecoveryReport local;
  if (absl::Status s = log->Recover(report ? report : &local); !s.ok()) {
    log->closed_.store(true);
    return s;
  }
  return log;
}

absl::StatusOr<std::vector<Offset>> PartitionLog::ListSegments(bool remove_leftovers) {
  auto names = env_->ListDir(dir_);
  if (!names.ok()) return names.status();
  std::vector<Offset> bases;
  for (const std::string& name : *names) {
    Offset base;
    if (format::ParseSegmentFileName(name, format::kSegmentSuffix, &base)) {
      bases.push_back(base);
    } else if (remove_leftovers && (absl::EndsWith(name, ".tmp") ||
                                    absl::EndsWith(name, kCleanedSuffix))) {
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
  bool sealed_at_open = false;
  for (size_t i = 0; i < bases.size(); ++i) {
    const bool last = i + 1 == bases.size();
    std::string path = absl::StrCat(
        dir_, "/", format::SegmentFileName(bases[i], format::kSegmentSuffix));
    auto opened = Segment::Open(env_, path, !read_only_, config_.index_interval_bytes);
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
      return absl::DataLossError(absl::StrCat(
          path, ": base offset ", seg->base_offset().value(),
          " does not follow the previous segment (expected >= ",
          expected.value(), ")"));
    }
    size_t recorded_end = 0;
    Offset recorded_next;
    bool indexed = seg->LoadIndex(env_, &recorded_end, &recorded_next);
    size_t from = seg->end_position();
    ScanResult scan = seg->Scan(from, seg->next_offset());
    // The index file is written after the data it describes is synced, so
    // the data must reach at least as far (exactly as far when sealed).
    if (indexed && (scan.end_position < recorded_end ||
                    (!last && (scan.end_position != recorded_end ||
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
      return absl::DataLossError(absl::StrCat(
          path, ": corrupt frame at position ", scan.end_position, ": ",
          scan.why));
    }
    if (!last && !indexed && (!scan.clean || bases[i + 1] != seg->next_offset())) {
      cut = true;
      report->detail = absl::StrCat(
          path, ": unsealed segment ends at offset ", seg->next_offset().value(),
          scan.clean ? "" : absl::StrCat(" (", scan.why, ")"),
          "; later segments removed");
    }
    if ((last || cut) && !read_only_) {
      if (!scan.clean && !cut) report->detail = absl::StrCat(path, ": ", scan.why);
      if (!seg->IsZeroFrom(scan.end_position)) {
        auto zeroed = seg->ZeroFrom(scan.end_position);
        if (!zeroed.ok()) return zeroed.status();
        report->bytes_truncated += static_cast<int64_t>(*zeroed);
      }
      // The recovered tail is made durable below; the old index file may
      // describe bytes that were just cut, so it goes.
      if (indexed) {
        env_->RemoveFile(seg->index_path()).IgnoreError();
      }
      for (size_t j = i + 1; cut && j < bases.size(); ++j) {
        std::string later = absl::StrCat(
            dir_, "/", format::SegmentFileName(bases[j], format::kSegmentSuffix));
        if (absl::Status s = env_->RemoveFile(later); !s.ok()) return s;
        env_->RemoveFile(absl::StrCat(dir_, "/", format::SegmentFileName(
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
      seg->WriteIndex(env_).IgnoreError();
      sealed_at_open = true;
    }
    expected = seg->next_offset();
    segments.push_back(std::move(seg));
  }

  if (segments.empty()) {
    if (read_only_) {
      return absl::NotFoundError(absl::StrCat(dir_, ": no segment files"));
    }
    auto created = Segment::Create(env_, dir_, expected, config_.segment_bytes,
                                   env_->clock()->NowMs(),
                                   config_.index_interval_bytes);
    if (!created.ok()) return created.status();
    segments.push_back(*std::move(created));
  }
  std::shared_ptr<Segment> tail = segments.back();
  if (!read_only_) {
    if (sealed_at_open) {
      if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return s;
    }
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

absl::Status PartitionLog::health() const {
  if (!failed_.load(std::memory_order_acquire)) return absl::OkStatus();
  MutexLock l(&status_mu_);
  return failure_;
}

absl::Status PartitionLog::Fail(absl::Status s) {
  absl::Status failure;
  bool first = false;
  {
    MutexLock l(&status_mu_);
    if (failure_.ok()) {
      failure_ = absl::FailedPreconditionError(absl::StrCat(
          "partition ", dir_, " failed and accepts no more writes: ",
          s.message()));
      failed_.store(true, std::memory_order_release);
      first = true;
    }
    failure = failure_;
  }
  if (first && observer_) observer_->OnFailed(failure);
  return failure;
}

absl::StatusOr<AppendResult> PartitionLog::Append(
    std::span<const Record> records, std::optional<Offset> expected_end) {
  if (records.empty()) {
    return absl::InvalidArgumentError("append of an empty batch");
  }
  size_t frame_size = format::kFrameHeaderSize + format::kBatchHeaderSize;
  for (const Record& r : records) {
    size_t n = format::EncodedRecordSize(r);
    if (n > config_.max_record_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "record of ", n, " encoded bytes exceeds max_record_bytes (",
          config_.max_record_bytes, ")"));
    }
    frame_size += n;
  }
  if (frame_size > config_.segment_bytes - format::kSegmentHeaderSize ||
      records.size() > UINT32_MAX) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "batch of ", frame_size, " bytes does not fit in a segment (",
        "segment_bytes ", config_.segment_bytes, ")"));
  }
  if (read_only_) {
    return absl::FailedPreconditionError(
        absl::StrCat("partition ", dir_, " is open read-only"));
  }
  AppendResult result;
  bool need_sync = false;
  bool request_spare = false;
  {
    MutexLock l(&append_mu_);
    if (closed_.load(std::memory_order_relaxed)) {
      return absl::FailedPreconditionError(
          absl::StrCat("partition ", dir_, " is closed"));
    }
    if (failed_.load(std::memory_order_acquire)) return health();
    Offset end = end_offset();
    if (expected_end && *expected_end != end) {
      return absl::FailedPreconditionError(
          absl::StrCat("expected offset ", expected_end->value(),
                       ", log end offset ", end.value()));
    }
    int64_t now = env_->clock()->NowMs();
    if (active_->free_bytes() < frame_size ||
        (!active_->empty() && now - active_->created_ms() >= config_.segment_ms)) {
      if (absl::Status s = RollLocked(); !s.ok()) return s;
    }
    format::EncodedFrame enc = format::EncodeFrame(
        records, end, now,
        config_.timestamp_type == TimestampType::kLogAppendTime,
        active_->write_pointer());
    format::FrameInfo frame;
    frame.base_offset = end;
    frame.record_count = static_cast<uint32_t>(records.size());
    frame.last_offset_delta = frame.record_count - 1;
    frame.max_timestamp = enc.max_timestamp;
    frame.frame_size = enc.size;
    active_->Publish(frame);
    end_.store(frame.next_offset().value(), std::memory_order_release);
    if (observer_) observer_->OnAppend(frame.record_count, enc.size);
    if (spare_requester_ && !spare_requested_ && spare_ == nullptr &&
        active_->end_position() * 2 > active_->capacity()) {
      spare_requested_ = request_spare = true;
    }
    result = {end, frame.last_offset(), enc.max_timestamp};

    if (config_.durability == Durability::kEveryAppend) {
      need_sync = true;
    } else if (config_.durability == Durability::kInterval) {
      unsynced_records_ += frame.record_count;
      if (oldest_unsynced_ms_ < 0) oldest_unsynced_ms_ = now;
      need_sync = unsynced_records_ >= config_.flush_messages ||
                  now - oldest_unsynced_ms_ >= config_.flush_ms;
    }
  }
  NotifyWaiters();
  if (request_spare) spare_requester_();
  if (need_sync) {
    if (absl::Status s = SyncTo(result.last_offset + 1); !s.ok()) return s;
  }
  return result;
}

absl::Status PartitionLog::RollLocked() {
  // The old segment is sealed later (SealPendingLocked), outside this lock.
  std::shared_ptr<Segment> next;
  int64_t now = env_->clock()->NowMs();
  if (spare_ != nullptr) {
    std::unique_ptr<Spare> spare = std::move(spare_);
    std::string path = absl::StrCat(
        dir_, "/", format::SegmentFileName(end_offset(), format::kSegmentSuffix));
    if (absl::Status s = env_->RenameFile(spare->path, path); !s.ok()) return s;
    next = Segment::Adopt(std::move(path), std::move(spare->region), end_offset(),
                          now, config_.index_interval_bytes);
  } else {
    auto created = Segment::Create(env_, dir_, end_offset(), config_.segment_bytes,
                                   now, config_.index_interval_bytes);
    if (!created.ok()) return created.status();
    next = *std::move(created);
  }
  spare_requested_ = false;
  const Offset closed_base = active_->base_offset();
  const uint64_t closed_bytes = active_->data_bytes();
  unsealed_.push_back(std::move(active_));
  active_ = std::move(next);
  {
    MutexLock l(&segments_mu_);
    segments_.push_back(active_);
  }
  if (observer_) observer_->OnRoll(closed_base, closed_bytes, active_->base_offset());
  return absl::OkStatus();
}

absl::Status PartitionLog::Refresh() {
  if (!read_only_) return absl::OkStatus();
  auto listed = ListSegments(/*remove_leftovers=*/false);
  if (!listed.ok()) return listed.status();
  const std::vector<Offset>& bases = *listed;
  Offset old_end = end_offset();
  MutexLock l(&append_mu_);  // no appends on a read-only log: serialises refreshes
  active_->Scan(active_->end_position(), active_->next_offset());
  for (Offset base : bases) {
    if (base <= active_->base_offset()) continue;
    auto seg = Segment::Open(
        env_, absl::StrCat(dir_, "/", format::SegmentFileName(base, format::kSegmentSuffix)),
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
    while (segments_.size() > 1 && !env_->FileExists(segments_.front()->path())) {
      segments_.erase(segments_.begin());
    }
    start_.store(segments_.front()->base_offset().value(), std::memory_order_release);
  }
  // What a reader of another process's log can know is durable: nothing
  // more than what it sees.
  end_.store(active_->next_offset().value(), std::memory_order_release);
  durable_end_.store(active_->next_offset().value(), std::memory_order_release);
  if (end_offset() != old_end) NotifyWaiters();
  return absl::OkStatus();
}

absl::Status PartitionLog::PrepareSpare() {
  if (read_only_ || closed_.load()) return absl::OkStatus();
  MutexLock spare_lock(&spare_mu_);
  {
    MutexLock l(&append_mu_);
    if (spare_ != nullptr) return absl::OkStatus();
  }
  auto spare = std::make_unique<Spare>();
  spare->path = absl::StrCat(dir_, "/spare.log", kTmpSuffix);
  env_->RemoveFile(spare->path).IgnoreError();
  if (absl::Status s = env_->AllocateFile(spare->path, config_.segment_bytes); !s.ok()) {
    return s;
  }
  auto region = env_->MapFile(spare->path, /*writable=*/true);
  if (!region.ok()) {
    env_->RemoveFile(spare->path).IgnoreError();
    return region.status();
  }
  (*region)->Prefault();
  spare->region = *std::move(region);
  MutexLock l(&append_mu_);
  if (closed_.load()) {  // raced with Close: do not leave the file behind
    std::string path = spare->path;
    spare.reset();
    env_->RemoveFile(path).IgnoreError();
    return absl::OkStatus();
  }
  spare_ = std::move(spare);
  return absl::OkStatus();
}

absl::Status PartitionLog::SealPendingLocked() {
  std::vector<std::shared_ptr<Segment>> pending;
  {
    MutexLock l(&append_mu_);
    pending = unsealed_;
  }
  if (pending.empty()) return absl::OkStatus();
  for (const auto& seg : pending) {
    SyncTimer timer(observer_.get());
    absl::Status synced = seg->Sync(0, seg->end_position());
    timer.Done(synced.ok());
    if (!synced.ok()) return Fail(synced);
    // A lost or failed index file only costs a rescan at the next open.
    seg->WriteIndex(env_).IgnoreError();
  }
  if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return Fail(s);
  {
    MutexLock l(&append_mu_);
    unsealed_.erase(unsealed_.begin(), unsealed_.begin() + pending.size());
  }
  AtomicMax(durable_end_, pending.back()->next_offset().value());
  NotifyWaiters();  // readers of durable records only may proceed
  return absl::OkStatus();
}

absl::Status PartitionLog::SyncTo(Offset target) {
  if (durable_end_offset() >= target) return health();
  MutexLock sync_lock(&sync_mu_);
  if (failed_.load(std::memory_order_acquire)) return health();
  if (durable_end_offset() >= target) return absl::OkStatus();
  std::shared_ptr<Segment> seg;
  size_t pos;
  Offset end;
  for (bool sealed = false; !sealed;) {
    if (absl::Status s = SealPendingLocked(); !s.ok()) return s;
    MutexLock l(&append_mu_);
    // A roll may have happened since: seal again before syncing the active
    // segment, so that durable data never follows a non-durable segment.
    sealed = unsealed_.empty();
    seg = active_;
    pos = seg->end_position();
    end = end_offset();
    if (sealed) {
      unsynced_records_ = 0;
      oldest_unsynced_ms_ = -1;
    }
  }
  // Segments before `seg` were synced when they were sealed.
  size_t from = synced_base_ == seg->base_offset() ? synced_position_ : 0;
  if (pos > from) {
    SyncTimer timer(observer_.get());
    absl::Status synced = seg->Sync(from, pos);
    timer.Done(synced.ok());
    if (!synced.ok()) return Fail(synced);
  }
  synced_base_ = seg->base_offset();
  synced_position_ = pos;
  AtomicMax(durable_end_, end.value());
  NotifyWaiters();  // readers of durable records only may proceed
  return absl::OkStatus();
}

absl::Status PartitionLog::Flush() {
  if (read_only_) return absl::OkStatus();
  return SyncTo(end_offset());
}

absl::Status PartitionLog::Tick() {
  if (read_only_ || closed_.load() || failed_.load()) return health();
  int64_t now = env_->clock()->NowMs();
  bool sync_due = false;
  {
    MutexLock l(&append_mu_);
    if (!active_->empty() && now - active_->created_ms() >= config_.segment_ms) {
      if (absl::Status s = RollLocked(); !s.ok()) return s;
    }
    sync_due = config_.durability == Durability::kInterval &&
               oldest_unsynced_ms_ >= 0 &&
               now - oldest_unsynced_ms_ >= config_.flush_ms;
  }
  if (sync_due) return SyncTo(end_offset());
  MutexLock sync_lock(&sync_mu_);
  return SealPendingLocked();
}

absl::Status PartitionLog::Close() {
  if (closed_.exchange(true)) return health();
  if (read_only_) return absl::OkStatus();
  {
    MutexLock l(&append_mu_);
    if (spare_ != nullptr) {
      std::string path = spare_->path;
      spare_.reset();
      env_->RemoveFile(path).IgnoreError();
    }
  }
  if (failed_.load()) return health();
  absl::Status s = SyncTo(end_offset());
  if (s.ok()) {
    MutexLock l(&append_mu_);
    // Lets the next open skip scanning the active segment.
    active_->WriteIndex(env_).IgnoreError();
    s = env_->SyncDir(dir_);
  }
  return s;
}

std::shared_ptr<Segment> PartitionLog::SegmentFor(Offset offset) const {
  MutexLock l(&segments_mu_);
  auto it = std::upper_bound(
      segments_.begin(), segments_.end(), offset,
      [](Offset o, const std::shared_ptr<Segment>& s) { return o < s->base_offset(); });
  if (it == segments_.begin()) return segments_.empty() ? nullptr : segments_.front();
  return *(it - 1);
}

std::shared_ptr<Segment> PartitionLog::SegmentAfter(Offset base) const {
  MutexLock l(&segments_mu_);
  auto it = std::upper_bound(
      segments_.begin(), segments_.end(), base,
      [](Offset o, const std::shared_ptr<Segment>& s) { return o < s->base_offset(); });
  return it == segments_.end() ? nullptr : *it;
}

std::vector<std::shared_ptr<Segment>> PartitionLog::Segments() const {
  MutexLock l(&segments_mu_);
  return segments_;
}

absl::StatusOr<Offset> PartitionLog::OffsetForTimestamp(int64_t ts) const {
  for (const std::shared_ptr<Segment>& seg : Segments()) {
    if (seg->max_timestamp() < ts) continue;
    size_t pos = seg->PositionForTime(ts);
    size_t end = seg->end_position();
    while (pos < end) {
      format::FrameInfo frame;
      std::string why;
      if (format::ParseFrame(seg->data() + pos, end - pos, &frame, &why) !=
          format::FrameStatus::kOk) {
        return absl::DataLossError(absl::StrCat(
            seg->path(), ": corrupt frame at position ", pos, ": ", why));
      }
      pos += frame.frame_size;
      if (frame.max_timestamp < ts) continue;
      format::RecordIterator it(frame);
      RecordView r;
      while (!it.Done()) {
        it.Next(&r);
        if (r.timestamp_ms() >= ts) return r.offset();
      }
    }
  }
  return end_offset();
}

void PartitionLog::AddWaiter(Waiter* w) {
  MutexLock l(&waiters_mu_);
  waiters_.push_back(w);
  waiter_count_.store(static_cast<int>(waiters_.size()));
}

void PartitionLog::RemoveWaiter(Waiter* w) {
  MutexLock l(&waiters_mu_);
  waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), w), waiters_.end());
  waiter_count_.store(static_cast<int>(waiters_.size()));
}

void PartitionLog::NotifyWaiters() {
  if (waiter_count_.load() == 0) return;
  MutexLock l(&waiters_mu_);
  for (Waiter* w : waiters_) w->Notify();
}

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
    while (n + 1 < segments_.size() && segments_[n + 1]->base_offset() <= offset) ++n;
    if (n == 0) return 0;
    removed.assign(segments_.begin(), segments_.begin() + n);
    segments_.erase(segments_.begin(), segments_.begin() + n);
    start_.store(segments_.front()->base_offset().value(), std::memory_order_release);
  }
  if (observer_) {
    uint64_t bytes = 0;
    for (const auto& seg : removed) bytes += seg->data_bytes();
    observer_->OnSegmentsDeleted(static_cast<int64_t>(removed.size()), bytes, start_offset());
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
  return absl::StrCat(dir_, "/", format::SegmentFileName(base, format::kSegmentSuffix),
                      kCleanedSuffix);
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
        seg->path(), ": compacted segment is invalid or does not end at offset ",
        old->next_offset().value(), " (", scan.why, ")")));
  }
  seg->WriteIndex(env_).IgnoreError();  // derived data: a rescan if lost
  if (absl::Status s = env_->SyncDir(dir_); !s.ok()) return Fail(s);
  // 5. The swap.
  {
    MutexLock l(&segments_mu_);
    for (auto& s : segments_) {
      if (s == old) s = seg;
    }
  }
  if (observer_) observer_->OnSegmentCompacted(base, old->data_bytes(), seg->data_bytes());
  return absl::OkStatus();
}

}  // namespace evlog
