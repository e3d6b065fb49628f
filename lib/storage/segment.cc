#include "storage/segment.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "format/format.h"
#include "format/segment_header.h"
#include "storage/durable_file.h"
#include "storage/index_file.h"

namespace evlog {

namespace {
constexpr int64_t kNoMaxTimestamp = std::numeric_limits<int64_t>::min();
}  // namespace

Segment::Segment(std::string path, std::unique_ptr<MappedRegion> region,
                 Offset base, int64_t created_ms, uint32_t index_interval_bytes,
                 uint64_t reserved)
    : path_(std::move(path)),
      region_(std::move(region)),
      base_(base),
      created_ms_(created_ms),
      index_(region_->size(), index_interval_bytes),
      end_(format::kSegmentHeaderSize),
      verified_begin_(format::kSegmentHeaderSize),
      verified_end_(format::kSegmentHeaderSize),
      next_(base.value()),
      max_ts_(kNoMaxTimestamp),
      reserved_(reserved) {}

absl::StatusOr<std::shared_ptr<Segment>> Segment::Create(
    Env* env, const std::string& dir, Offset base, uint64_t file_bytes,
    int64_t now_ms, uint32_t index_interval_bytes, bool durable) {
  std::string path = absl::StrCat(
      dir, "/", format::SegmentFileName(base, format::kSegmentSuffix));
  const uint64_t reserved =
      std::min<uint64_t>(file_bytes, kSegmentFirstReserveBytes);
  // The header goes in with the file (and its fsync when durable): writing
  // it through the mapping would fault in, and read ahead, pages of every
  // new segment.
  char header[format::kSegmentHeaderSize];
  format::EncodeSegmentHeader({base, now_ms, file_bytes}, header);
  if (absl::Status s =
          env->AllocateSparseFile(path, file_bytes, reserved, durable,
                                  std::string_view(header, sizeof(header)));
      !s.ok()) {
    return s;
  }
  auto region = env->MapFile(path, /*writable=*/true);
  if (!region.ok()) {
    env->RemoveFile(path).IgnoreError();
    return region.status();
  }
  absl::Status s;
  if (durable) s = env->SyncDir(dir);
  if (!s.ok()) {
    env->RemoveFile(path).IgnoreError();
    return s;
  }
  return std::shared_ptr<Segment>(new Segment(std::move(path),
                                              *std::move(region), base, now_ms,
                                              index_interval_bytes, reserved));
}

std::shared_ptr<Segment> Segment::Adopt(std::string path,
                                        std::unique_ptr<MappedRegion> region,
                                        Offset base, int64_t now_ms,
                                        uint32_t index_interval_bytes,
                                        uint64_t reserved) {
  format::SegmentHeader header{base, now_ms, region->size()};
  format::EncodeSegmentHeader(header, region->data());
  return std::shared_ptr<Segment>(new Segment(std::move(path),
                                              std::move(region), base, now_ms,
                                              index_interval_bytes, reserved));
}

absl::StatusOr<std::shared_ptr<Segment>> Segment::Open(
    Env* env, const std::string& path, bool writable,
    uint32_t index_interval_bytes) {
  auto region = env->MapFile(path, writable);
  if (!region.ok()) return region.status();
  auto header =
      format::DecodeSegmentHeader((*region)->data(), (*region)->size());
  if (!header.ok()) {
    return absl::Status(header.status().code(),
                        absl::StrCat(path, ": ", header.status().message()));
  }
  return std::shared_ptr<Segment>(
      new Segment(path, *std::move(region), header->base_offset,
                  header->created_ms, index_interval_bytes, /*reserved=*/0));
}

std::string Segment::index_path() const {
  return path_.substr(0, path_.size() - std::strlen(format::kSegmentSuffix)) +
         format::kIndexSuffix;
}

uint64_t Segment::data_bytes() const {
  return end_position() - format::kSegmentHeaderSize;
}

bool Segment::empty() const {
  return end_position() == format::kSegmentHeaderSize;
}

absl::Status Segment::Reserve(Env* env, size_t end) {
  if (end <= reserved_end()) return absl::OkStatus();
  MutexLock l(&reserve_mu_);
  const size_t have = reserved_.load(std::memory_order_relaxed);
  if (end <= have) return absl::OkStatus();
  const size_t want =
      std::min<size_t>(capacity(), (end + kSegmentChunkBytes - 1) /
                                       kSegmentChunkBytes * kSegmentChunkBytes);
  // A segment opened at recovery starts with nothing known (0): reserving
  // from 0 is idempotent for what is already reserved.
  if (absl::Status s = env->ReserveFileRange(path_, have, want - have);
      !s.ok()) {
    return s;
  }
  reserved_.store(want, std::memory_order_release);
  return absl::OkStatus();
}

absl::StatusOr<format::EncodedFrame> Segment::Append(
    Env* env, std::span<const Record> records, Offset base, int64_t now_ms,
    const format::FrameOptions& options, size_t max_frame_size) {
  const size_t pos = end_position();
  if (absl::Status s = Reserve(env, pos + max_frame_size); !s.ok()) return s;
  format::EncodedFrame enc = format::EncodeFrame(records, base, now_ms, options,
                                                 region_->data() + pos);
  format::FrameInfo frame;
  frame.base_offset = base;
  frame.record_count = static_cast<uint32_t>(records.size());
  frame.last_offset_delta = frame.record_count - 1;
  frame.max_timestamp = enc.max_timestamp;
  frame.writer_epoch = options.writer_epoch;
  frame.frame_size = enc.size;
  Publish(frame);
  return enc;
}

void Segment::Publish(const format::FrameInfo& frame) {
  size_t pos = end_.load(std::memory_order_relaxed);
  int64_t max_ts =
      std::max(max_ts_.load(std::memory_order_relaxed), frame.max_timestamp);
  index_.OnBatch(static_cast<uint32_t>(frame.base_offset - base_),
                 static_cast<uint32_t>(pos), max_ts,
                 static_cast<uint32_t>(frame.frame_size));
  last_epoch_ = frame.writer_epoch;
  max_ts_.store(max_ts, std::memory_order_release);
  next_.store(frame.next_offset().value(), std::memory_order_release);
  // Published frames were written (or validated) by this process.
  MarkVerified(pos, pos + frame.frame_size);
  end_.store(pos + frame.frame_size, std::memory_order_release);
}

ScanResult Segment::Scan(size_t from, Offset expected, uint32_t max_epoch,
                         size_t limit) {
  ScanResult r;
  size_t pos = from;
  const char* base = data();
  size_t cap = std::min(capacity(), limit);
  end_.store(from, std::memory_order_relaxed);
  // Only what this scan validates counts as verified (a scan that continues
  // where the verified range ends keeps it).
  if (verified_end_.load(std::memory_order_relaxed) != from) {
    verified_begin_.store(from, std::memory_order_relaxed);
    verified_end_.store(from, std::memory_order_relaxed);
    last_epoch_ = 0;  // a fresh chain: the first frame seeds it
  }
  while (true) {
    format::FrameInfo frame;
    format::FrameStatus st =
        format::ParseFrame(base + pos, cap - pos, &frame, &r.why);
    if (st == format::FrameStatus::kEnd) break;
    if (st == format::FrameStatus::kOk && frame.writer_epoch < last_epoch_) {
      r.stale = true;
      r.why = absl::StrCat("stale frame of writer epoch ", frame.writer_epoch,
                           " after epoch ", last_epoch_, " at position ", pos);
      break;
    }
    if (st == format::FrameStatus::kOk && frame.writer_epoch > max_epoch) {
      st = format::FrameStatus::kCorrupt;
      r.why =
          absl::StrCat("frame at position ", pos, " has writer epoch ",
                       frame.writer_epoch, ", above the current ", max_epoch);
    }
    if (st == format::FrameStatus::kOk && frame.base_offset < expected) {
      st = format::FrameStatus::kCorrupt;
      r.why = absl::StrCat("frame at position ", pos, " has base offset ",
                           frame.base_offset.value(),
                           ", expected >= ", expected.value());
    }
    if (st != format::FrameStatus::kOk) {
      r.clean = false;
      break;
    }
    Publish(frame);
    pos += frame.frame_size;
    expected = frame.next_offset();
    ++r.frames;
    r.records += frame.record_count;
  }
  r.end_position = pos;
  r.next_offset = expected;
  return r;
}

void Segment::ResetToHeader() {
  index_.Clear();
  end_.store(format::kSegmentHeaderSize, std::memory_order_release);
  verified_begin_.store(format::kSegmentHeaderSize, std::memory_order_release);
  verified_end_.store(format::kSegmentHeaderSize, std::memory_order_release);
  next_.store(base_.value(), std::memory_order_release);
  max_ts_.store(kNoMaxTimestamp, std::memory_order_release);
  last_epoch_ = 0;
}

size_t Segment::PositionForOffset(Offset offset) const {
  if (offset <= base_) return format::kSegmentHeaderSize;
  int64_t rel = offset - base_;
  uint32_t rel32 = rel > std::numeric_limits<uint32_t>::max()
                       ? std::numeric_limits<uint32_t>::max()
                       : static_cast<uint32_t>(rel);
  return index_.FloorPosition(rel32, format::kSegmentHeaderSize);
}

size_t Segment::PositionForTime(int64_t ts) const {
  return index_.TimeScanStart(ts, format::kSegmentHeaderSize);
}

absl::Status Segment::WriteIndex(Env* env, bool sealed) const {
  return WriteIndexFile(env, end_position(), next_offset(), sealed);
}

absl::Status Segment::WriteIndex(Env* env, size_t end_position,
                                 Offset next_offset) const {
  return WriteIndexFile(env, end_position, next_offset, /*sealed=*/false);
}

absl::Status Segment::WriteIndexFile(Env* env, size_t end_position,
                                     Offset next_offset, bool sealed) const {
  IndexFileContents c;
  c.sealed = sealed;
  c.base_offset = base_;
  c.next_offset = next_offset;
  c.end_position = end_position;
  c.max_timestamp = kNoMaxTimestamp;
  uint32_t n = index_.size();
  c.entries.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    IndexEntry e = index_.entry(i);
    if (e.position >= end_position) break;  // appended after the limit
    c.entries.push_back(e);
    c.max_timestamp = e.max_timestamp;
  }
  // The whole published state has its exact max; a checkpoint of a prefix
  // records the running max through its last entry (recovery does not use
  // the field).
  if (end_position == this->end_position()) c.max_timestamp = max_timestamp();
  // The directory is synced by the caller together with its other changes;
  // a lost index file only costs a rescan at the next open.
  std::string path = index_path();
  size_t slash = path.rfind('/');
  return ReplaceFileNoDirSync(env, path.substr(0, slash),
                              path.substr(slash + 1), EncodeIndexFile(c));
}

bool Segment::LoadIndex(Env* env, size_t* recorded_end, Offset* recorded_next,
                        bool* sealed) {
  auto bytes = env->ReadFile(index_path());
  if (!bytes.ok()) return false;
  auto c = DecodeIndexFile(*bytes);
  if (!c.ok() || c->base_offset != base_ || c->entries.empty() ||
      c->end_position > capacity() || c->next_offset < base_) {
    return false;
  }
  uint32_t prev_pos = 0;
  for (const IndexEntry& e : c->entries) {
    if (e.position < format::kSegmentHeaderSize ||
        e.position >= c->end_position || e.position <= prev_pos) {
      return false;
    }
    prev_pos = e.position;
  }
  // Trust the entries before the last one; the caller rescans from the last
  // indexed batch, which validates the bytes the file claims are there.
  const IndexEntry& last = c->entries.back();
  index_.Restore(c->entries.data(),
                 static_cast<uint32_t>(c->entries.size() - 1));
  // The running max through the last indexed batch: rescanning that batch
  // again cannot lower it.
  max_ts_.store(last.max_timestamp, std::memory_order_release);
  *recorded_end = c->end_position;
  *recorded_next = c->next_offset;
  *sealed = c->sealed;
  next_.store((base_ + last.relative_offset).value(),
              std::memory_order_release);
  end_.store(last.position, std::memory_order_release);
  // Frames before the last indexed one are trusted but not validated:
  // readers check them (a flipped bit is found on read, never returned).
  verified_begin_.store(last.position, std::memory_order_release);
  verified_end_.store(last.position, std::memory_order_release);
  return true;
}

}  // namespace evlog
