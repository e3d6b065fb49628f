#include "partition/partition_log.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "format/batch_codec.h"
#include "format/format.h"
#include "format/segment_header.h"
#include "storage/durable_file.h"
#include "storage/epoch_file.h"

namespace evlog {

namespace {

uint16_t CodecOf(Compression c) {
  switch (c) {
    case Compression::kLz4:
      return format::kCodecLz4;
    case Compression::kZstd:
      return format::kCodecZstd;
    case Compression::kNone:
      break;
  }
  return format::kCodecNone;
}

format::FrameOptions FrameOptionsFor(const TopicConfig& config,
                                     uint32_t epoch) {
  format::FrameOptions o;
  o.writer_epoch = epoch;
  o.log_append_time = config.timestamp_type == TimestampType::kLogAppendTime;
  o.codec = CodecOf(config.compression);
  o.compression_level = config.compression_level;
  return o;
}

void AtomicMax(std::atomic<int64_t>& a, int64_t v) {
  int64_t cur = a.load(std::memory_order_relaxed);
  while (cur < v && !a.compare_exchange_weak(cur, v, std::memory_order_release,
                                             std::memory_order_relaxed)) {
  }
}

}  // namespace

PartitionLog::PartitionLog(Env* env, std::string dir, const TopicConfig& config,
                           bool read_only, uint32_t writer_epoch)
    : env_(env),
      dir_(std::move(dir)),
      config_(config),
      read_only_(read_only),
      epoch_(writer_epoch) {}

PartitionLog::~PartitionLog() { Close().IgnoreError(); }

absl::StatusOr<std::unique_ptr<PartitionLog>> PartitionLog::Open(
    Env* env, std::string dir, const TopicConfig& config,
    RecoveryReport* report, bool read_only, uint32_t writer_epoch,
    bool defer_create_sync) {
  if (absl::Status s = config.Validate(); !s.ok()) return s;
  if (!read_only && writer_epoch == 0) {
    // A log with segments has had an EPOCH since its first one was made.
    auto names = env->ListDir(dir);
    if (!names.ok()) return names.status();
    bool has_segments = false;
    for (const std::string& name : *names) {
      Offset base;
      has_segments = has_segments || format::ParseSegmentFileName(
                                         name, format::kSegmentSuffix, &base);
    }
    auto bumped = BumpEpoch(env, dir, has_segments);
    if (!bumped.ok()) return bumped.status();
    writer_epoch = *bumped;
  }
  std::unique_ptr<PartitionLog> log(new PartitionLog(
      env, std::move(dir), config, read_only, read_only ? 0 : writer_epoch));
  log->frame_options_ = FrameOptionsFor(config, log->epoch_);
  log->defer_create_sync_ = defer_create_sync && !read_only;
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
  size_t records_bytes = 0;
  for (const Record& r : records) {
    size_t n = format::EncodedRecordSize(r);
    if (n > config_.max_record_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "record of ", n, " encoded bytes exceeds max_record_bytes (",
          config_.max_record_bytes, ")"));
    }
    records_bytes += n;
  }
  const size_t room = config_.segment_bytes - format::kSegmentHeaderSize;
  if (format::MaxFrameSize(records_bytes, format::kCodecNone) > room ||
      records.size() > UINT32_MAX) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "batch of ", format::MaxFrameSize(records_bytes, format::kCodecNone),
        " bytes does not fit in a segment (", "segment_bytes ",
        config_.segment_bytes, ")"));
  }
  // Compression may need a little more than the input in the worst case; a
  // batch for which even that bound does not fit a segment is stored as it
  // is.
  format::FrameOptions options = frame_options_;
  if (format::MaxFrameSize(records_bytes, options.codec) > room) {
    options.codec = format::kCodecNone;
  }
  const size_t frame_size = format::MaxFrameSize(records_bytes, options.codec);
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
    auto appended =
        active_->Append(env_, records, end, now, options, frame_size);
    if (!appended.ok()) return appended.status();  // disk full: nothing written
    const format::EncodedFrame& enc = *appended;
    const uint32_t count = static_cast<uint32_t>(records.size());
    const Offset last = end + (count - 1);
    end_.store((last + 1).value(), std::memory_order_release);
    if (observer_) observer_->OnAppend(count, enc.size);
    // The maintenance thread prepares ahead: the first append to a cold
    // segment, the next chunk once the writer is within half a chunk of the
    // reserved end, and the next segment once this one is half full.
    const size_t pos = active_->end_position();
    if (spare_requester_ && !spare_requested_ &&
        (active_cold_ ||
         (active_->reserved_end() < active_->capacity() &&
          active_->reserved_end() - pos < kSegmentChunkBytes / 2) ||
         (spare_ == nullptr &&
          (rolled_for_size || pos * 2 > active_->capacity())))) {
      spare_requested_ = request_spare = true;
    }
    result = {end, last, enc.max_timestamp};

    if (config_.durability == Durability::kEveryAppend) {
      need_sync = true;
    } else if (config_.durability == Durability::kInterval) {
      unsynced_records_ += count;
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
    next =
        Segment::Adopt(std::move(path), std::move(spare->region), end_offset(),
                       now, config_.index_interval_bytes, spare->reserved);
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
  std::shared_ptr<Segment> active;
  bool have_spare, need_spare;
  {
    MutexLock l(&append_mu_);
    active = active_;
    active_cold_ = false;
    spare_requested_ = false;  // later needs ask again
    have_spare = spare_ != nullptr;
    need_spare = active_->end_position() * 2 > active_->capacity();
  }
  // The next chunk of the active segment first: the appender would wait for
  // its reservation, while it only pays page faults for a missing prefault.
  // A full disk is not an error here: the appender reports it.
  active->Reserve(env_, active->end_position() + kSegmentChunkBytes)
      .IgnoreError();
  active->PrefaultReserved();
  return have_spare || !need_spare ? absl::OkStatus() : PrepareNextSegment();
}

absl::Status PartitionLog::PrepareNextSegment() {
  auto spare = std::make_unique<Spare>();
  spare->path = absl::StrCat(dir_, "/spare.log", kTmpSuffix);
  env_->RemoveFile(spare->path).IgnoreError();
  spare->reserved =
      std::min<uint64_t>(config_.segment_bytes, kSegmentChunkBytes);
  if (absl::Status s = env_->AllocateSparseFile(
          spare->path, config_.segment_bytes, spare->reserved, /*sync=*/true,
          /*head=*/{});
      !s.ok()) {
    return s;
  }
  auto region = env_->MapFile(spare->path, /*writable=*/true);
  if (!region.ok()) {
    env_->RemoveFile(spare->path).IgnoreError();
    return region.status();
  }
  (*region)->Prefault(0, spare->reserved);
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
    seg->WriteIndex(env_, /*sealed=*/true).IgnoreError();
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
  CheckpointLocked(seg, pos, end);
  return absl::OkStatus();
}

void PartitionLog::CheckpointLocked(const std::shared_ptr<Segment>& seg,
                                    size_t synced, Offset synced_next) {
  if (checkpoint_base_ != seg->base_offset()) {
    checkpoint_base_ = seg->base_offset();
    checkpoint_position_ = format::kSegmentHeaderSize;
  }
  if (synced < checkpoint_position_ + kIndexCheckpointBytes) return;
  // The file claims only what is durable (appends may have gone on since
  // the sync). Derived data: a lost or failed checkpoint only costs a longer
  // rescan at the next open.
  // The directory sync makes the checkpoint survive a power loss too.
  if (seg->WriteIndex(env_, synced, synced_next).ok() &&
      env_->SyncDir(dir_).ok()) {
    checkpoint_position_ = synced;
  }
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
  {
    // Whatever the durability mode, the active segment's index is
    // checkpointed every kIndexCheckpointBytes, so that recovery rescans no
    // more than that; the checkpoint needs the data it describes synced.
    MutexLock sync_lock(&sync_mu_);
    std::shared_ptr<Segment> seg;
    {
      MutexLock l(&append_mu_);
      seg = active_;
    }
    const size_t since = checkpoint_base_ == seg->base_offset()
                             ? checkpoint_position_
                             : format::kSegmentHeaderSize;
    if (seg->end_position() >= since + kIndexCheckpointBytes) sync_due = true;
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
    active_->WriteIndex(env_, /*sealed=*/false).IgnoreError();
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
      std::string decompressed;
      if (format::DecodeRecords(&frame, &decompressed, &why) !=
          format::FrameStatus::kOk) {
        return absl::DataLossError(
            absl::StrCat(seg->path(), ": corrupt frame at position ",
                         pos - frame.frame_size, ": ", why));
      }
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

}  // namespace evlog
