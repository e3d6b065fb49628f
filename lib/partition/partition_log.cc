#include "partition/partition_log.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "format/batch_codec.h"
#include "format/format.h"
#include "format/segment_header.h"
#include "storage/durable_file.h"

namespace evlog {

namespace {

void AtomicMax(std::atomic<int64_t>& a, int64_t v) {
  int64_t cur = a.load(std::memory_order_relaxed);
  while (cur < v && !a.compare_exchange_weak(cur, v, std::memory_order_release,
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
      failure_ = absl::FailedPreconditionError(
          absl::StrCat("partition ", dir_,
                       " failed and accepts no more writes: ", s.message()));
      failed_.store(true, std::memory_order_release);
      first = true;
    }
    failure = failure_;
  }
  if (first && observer_) observer_->OnFailed(failure);
  return failure;
}

absl::Status PartitionLog::UpdateConfig(const TopicConfig& config) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  MutexLock l(&append_mu_);
  config_ = config;
  return absl::OkStatus();
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
      return absl::AbortedError(absl::StrCat("expected offset ",
                                             expected_end->value(),
                                             ", log end offset ", end.value()));
    }
    int64_t now = env_->clock()->NowMs();
    // A log that fills segments asks for the next spare right after a roll.
    bool rolled_for_size = false;
    if (active_->free_bytes() < frame_size) {
      if (absl::Status s = RollLocked(); !s.ok()) return s;
      rolled_for_size = true;
    } else if (!active_->empty() &&
               now - active_->created_ms() >= config_.segment_ms) {
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
    if (spare_requester_ && !spare_requested_ &&
        (active_cold_ ||
         (spare_ == nullptr && (rolled_for_size || active_->end_position() * 2 >
                                                       active_->capacity())))) {
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
  const bool from_spare = spare_ != nullptr;
  if (from_spare) {
    std::unique_ptr<Spare> spare = std::move(spare_);
    std::string path = absl::StrCat(
        dir_, "/",
        format::SegmentFileName(end_offset(), format::kSegmentSuffix));
    if (absl::Status s = env_->RenameFile(spare->path, path); !s.ok()) return s;
    next = Segment::Adopt(std::move(path), std::move(spare->region),
                          end_offset(), now, config_.index_interval_bytes);
    active_cold_ = false;
  } else {
    auto created =
        Segment::Create(env_, dir_, end_offset(), config_.segment_bytes, now,
                        config_.index_interval_bytes);
    if (!created.ok()) return created.status();
    next = *std::move(created);
    active_cold_ = true;
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
  if (observer_)
    observer_->OnRoll(closed_base, closed_bytes, active_->base_offset(),
                      from_spare);
  return absl::OkStatus();
}

absl::Status PartitionLog::PrepareSpare() {
  if (read_only_ || closed_.load()) return absl::OkStatus();
  MutexLock spare_lock(&spare_mu_);
  std::shared_ptr<Segment> cold;
  bool have_spare;
  {
    MutexLock l(&append_mu_);
    if (active_cold_) cold = active_;
    active_cold_ = false;
    have_spare = spare_ != nullptr;
  }
  // The next segment first: the next roll waits for it, while an appender
  // already writing a cold segment only pays page faults.
  absl::Status s = have_spare ? absl::OkStatus() : PrepareNextSegment();
  if (cold != nullptr) cold->PrefaultUnwritten();
  return s;
}

absl::Status PartitionLog::PrepareNextSegment() {
  auto spare = std::make_unique<Spare>();
  spare->path = absl::StrCat(dir_, "/spare.log", kTmpSuffix);
  env_->RemoveFile(spare->path).IgnoreError();
  if (absl::Status s = env_->AllocateFile(spare->path, config_.segment_bytes);
      !s.ok()) {
    return s;
  }
  auto region = env_->MapFile(spare->path, /*writable=*/true);
  if (!region.ok()) {
    env_->RemoveFile(spare->path).IgnoreError();
    return region.status();
  }
  (*region)->Prefault(0, (*region)->size());
  spare->region = *std::move(region);
  MutexLock l(&append_mu_);
  if (closed_.load()) {  // raced with Close: do not leave the file behind
    std::string path = spare->path;
    spare.reset();
    env_->RemoveFile(path).IgnoreError();
    return absl::OkStatus();
  }
  spare_ = std::move(spare);
  if (observer_) observer_->OnSparePrepared();
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
    if (!active_->empty() &&
        now - active_->created_ms() >= config_.segment_ms) {
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
  auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                             [](Offset o, const std::shared_ptr<Segment>& s) {
                               return o < s->base_offset();
                             });
  if (it == segments_.begin())
    return segments_.empty() ? nullptr : segments_.front();
  return *(it - 1);
}

std::shared_ptr<Segment> PartitionLog::SegmentAfter(Offset base) const {
  MutexLock l(&segments_mu_);
  auto it = std::upper_bound(segments_.begin(), segments_.end(), base,
                             [](Offset o, const std::shared_ptr<Segment>& s) {
                               return o < s->base_offset();
                             });
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
}

void PartitionLog::RemoveWaiter(Waiter* w) {
  MutexLock l(&waiters_mu_);
  waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), w),
                 waiters_.end());
}

// Dekker on one variable: the reader's increment and the writer's
// read-modify-write of sleepers_ are ordered. If the increment comes first,
// NotifyWaiters sees it and wakes the reader; if the writer's comes first,
// the reader's increment synchronises with it and its last look sees what
// the writer published before. (Read-modify-writes rather than fences:
// ThreadSanitizer understands them.)
void PartitionLog::StartWaiting() {
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
}

void PartitionLog::NotifyWaiters() {
  if (sleepers_.fetch_add(0, std::memory_order_seq_cst) == 0) return;
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
  seg->WriteIndex(env_).IgnoreError();  // derived data: a rescan if lost
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
