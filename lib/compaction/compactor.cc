#include "compaction/compactor.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "compaction/offset_map.h"
#include "format/batch_codec.h"
#include "format/format.h"
#include "format/segment_header.h"

namespace evlog {

namespace {

// Marks the kResourceExhausted of a buffer too small for one segment.
constexpr char kBufferTooSmallUrl[] = "evlog/compaction-buffer-too-small";

// Calls fn(frame, position) for every frame of `seg`, validating each
// unless `trusted` (validated earlier in the same pass: closed segments are
// immutable) or verified by the segment already, until fn returns false.
// The records of a compressed batch are decompressed into a buffer that is
// reused for the next batch: views into them last until fn returns.
template <typename Fn>
absl::Status ForEachFrame(const Segment& seg, bool trusted, Fn fn) {
  size_t pos = format::kSegmentHeaderSize;
  const size_t end = seg.end_position();
  std::string decompressed;
  while (pos < end) {
    format::FrameInfo frame;
    std::string why;
    if (trusted || seg.IsVerified(pos)) {
      format::ParseTrustedFrame(seg.data() + pos, &frame);
    } else if (format::ParseFrame(seg.data() + pos, end - pos, &frame, &why) !=
               format::FrameStatus::kOk) {
      return absl::DataLossError(absl::StrCat(
          seg.path(), ": corrupt frame at position ", pos, ": ", why));
    }
    if (format::DecodeRecords(&frame, &decompressed, &why) !=
        format::FrameStatus::kOk) {
      return absl::DataLossError(absl::StrCat(
          seg.path(), ": corrupt frame at position ", pos, ": ", why));
    }
    if (!fn(frame, pos)) break;
    pos += frame.frame_size;
  }
  return absl::OkStatus();
}

// Writes `frames` as a complete segment file at `path` with `old`'s header
// values, sized exactly (no preallocated tail: it is never appended to), and
// syncs it (one fsync). Removes the file on error.
absl::Status WriteSegmentFile(Env* env, const std::string& path,
                              const Segment& old, const std::string& frames) {
  const uint64_t size = format::kSegmentHeaderSize + frames.size();
  char header[format::kSegmentHeaderSize];
  format::EncodeSegmentHeader({old.base_offset(), old.created_ms(), size},
                              header);
  // Truncates what a failed attempt may have left.
  auto file = env->NewWritableFile(path);
  if (!file.ok()) return file.status();
  absl::Status s = (*file)->Append(std::string_view(header, sizeof(header)));
  if (s.ok()) s = (*file)->Append(frames);
  if (s.ok()) s = (*file)->Sync();
  if (s.ok()) s = (*file)->Close();
  if (!s.ok()) {
    file->reset();
    env->RemoveFile(path).IgnoreError();
  }
  return s;
}

// The pass over one log.
class Pass {
 public:
  Pass(Env* env, PartitionLog* log, int64_t now_ms,
       const CompactionOptions& options)
      : env_(env),
        log_(log),
        config_(log->config()),
        now_ms_(now_ms),
        options_(options) {}

  absl::StatusOr<CompactionStats> Run() {
    std::vector<std::shared_ptr<Segment>> segments = log_->Segments();
    segments.pop_back();  // the active segment (or newer) is never touched
    has_keyless_.assign(segments.size(), false);
    // Segments [0, first_dirty_) were compacted by earlier passes.
    first_dirty_ = 0;
    while (first_dirty_ < segments.size() &&
           segments[first_dirty_]->next_offset() <= options_.clean_end) {
      ++first_dirty_;
    }
    // Pass 1 over segments [0, end): the dirty ones until the table is full.
    size_t end = segments.size();
    for (size_t i = 0; i < segments.size(); ++i) {
      bool full = false;
      if (absl::Status s = Index(*segments[i], i, &full); !s.ok()) return s;
      if (full) {
        end = i;
        break;
      }
    }
    if (end == first_dirty_ && end < segments.size()) {
      absl::Status s = absl::ResourceExhaustedError(absl::StrCat(
          segments[end]->path(),
          ": the keys of this segment do not fit in the compaction buffer of ",
          options_.buffer_bytes,
          " bytes (StoreOptions::compaction_buffer_bytes); nothing compacted"));
      s.SetPayload(kBufferTooSmallUrl, absl::Cord());
      return s;
    }
    stats_.buffer_full = end < segments.size();
    stats_.clean_end =
        end == 0 ? log_->start_offset() : segments[end - 1]->next_offset();
    latest_offsets_ = latest_.SortedOffsets();
    for (size_t i = 0; i < end; ++i) {
      if (absl::Status s = Clean(*segments[i], i); !s.ok()) return s;
    }
    return stats_;
  }

 private:
  // True if the tables could pass the buffer while the keyed records in
  // keyed_ are put.
  bool WouldOverflow() const {
    const uint64_t bytes =
        latest_.PeakBytesToPutAll(keyed_) +
        (latest_.size() + keyed_.size()) * sizeof(int64_t) +  // SortedOffsets
        pinned_.MemoryBytes();
    return bytes > options_.buffer_bytes;
  }

  // Pass 1: the latest offset of each key of a dirty segment, the keys of
  // segment-final records (which are always kept), and whether segment `i`
  // has records without a key. Sets *full and stops before a batch that
  // would take the tables past the buffer; the keys of the batches before it
  // stay in latest_ (they are later than everything that will be cleaned,
  // so a record they supersede may go).
  absl::Status Index(const Segment& seg, size_t i, bool* full) {
    const bool dirty = i >= first_dirty_;
    RecordView r;
    // A copy: the views of a compressed batch end with the batch.
    std::optional<std::string> last_key;
    int64_t records = 0;
    absl::Status s = ForEachFrame(
        seg, /*trusted=*/false, [&](const format::FrameInfo& frame, size_t) {
          keyed_.clear();
          format::RecordIterator it(frame);
          while (!it.Done()) {
            it.Next(&r);
            ++records;
            if (r.key()) {
              if (dirty) keyed_.push_back({*r.key(), r.offset().value()});
            } else {
              has_keyless_[i] = true;
            }
          }
          if (r.key()) {
            last_key.emplace(*r.key());
          } else {
            last_key.reset();
          }
          if (!keyed_.empty() && WouldOverflow()) {
            *full = true;
            return false;
          }
          latest_.PutAll(keyed_);
          return true;
        });
    if (!s.ok() || *full) return s;
    ++stats_.segments_scanned;
    stats_.records_read += records;
    if (last_key) pinned_.Put(*last_key, seg.next_offset().value() - 1);
    return s;
  }

  // True if the offset of a latest record lies in [first, last]. Pass 2
  // merges instead of looking keys up: its calls come in increasing offset
  // order (segments and frames are visited in order), so a cursor over
  // latest_offsets_ only moves forward.
  bool AnyLatestIn(Offset first, Offset last) {
    while (next_latest_ < latest_offsets_.size() &&
           latest_offsets_[next_latest_] < first.value()) {
      ++next_latest_;
    }
    return next_latest_ < latest_offsets_.size() &&
           latest_offsets_[next_latest_] <= last.value();
  }

  // True if the keyed record at `o` is the latest of its key (an offset
  // identifies one record, hence one key: no key comparison is needed).
  bool IsLatest(Offset o) { return AnyLatestIn(o, o); }

  // In a segment compacted earlier (`dirty` false), a keyed record is
  // superseded exactly when its key is in latest_ (every record there is
  // later); otherwise it is the latest of its key below the pass's end.
  bool Keep(const RecordView& r, Offset segment_last, bool dirty) {
    if (!r.key()) return true;
    if (r.offset() == segment_last) return true;
    if (dirty ? !IsLatest(r.offset()) : latest_.Get(*r.key()).has_value()) {
      return false;
    }
    if (!r.is_tombstone()) return true;
    int64_t expiry = r.timestamp_ms() + config_.delete_retention_ms;
    if (now_ms_ < expiry) {
      if (stats_.next_tombstone_expiry_ms < 0 ||
          expiry < stats_.next_tombstone_expiry_ms) {
        stats_.next_tombstone_expiry_ms = expiry;
      }
      return true;
    }
    // An older record of the key kept as a segment's last record would
    // come back if its tombstone went.
    if (pinned_.Get(*r.key())) return true;
    ++stats_.tombstones_removed;
    return false;
  }

  // Pass 2: rewrites segment `i` without what it no longer needs, if
  // anything.
  absl::Status Clean(const Segment& seg, size_t i) {
    const Offset segment_last = seg.next_offset() - 1;
    const bool dirty = i >= first_dirty_;
    out_.clear();
    int64_t removed = 0;
    std::vector<RecordView> kept;
    absl::Status s = ForEachFrame(
        seg, /*trusted=*/true, [&](const format::FrameInfo& frame, size_t pos) {
          // A batch with no latest record, no record without a key and not the
          // segment's last record goes whole, without decoding its records.
          // (Only in a dirty segment: the others have no offsets in
          // latest_offsets_.)
          if (dirty && !AnyLatestIn(frame.base_offset, frame.last_offset()) &&
              !has_keyless_[i] && frame.last_offset() != segment_last) {
            removed += frame.record_count;
            return true;
          }
          kept.clear();
          format::RecordIterator it(frame);
          RecordView r;
          while (!it.Done()) {
            it.Next(&r);
            if (Keep(r, segment_last, dirty)) kept.push_back(r);
          }
          removed += frame.record_count - kept.size();
          if (kept.size() == frame.record_count) {
            out_.append(seg.data() + pos, frame.frame_size);
          } else if (!kept.empty()) {
            AppendFrame(kept, frame);
          }
          return true;
        });
    if (!s.ok()) return s;
    if (removed == 0) return absl::OkStatus();
    std::string path = log_->CleanedSegmentPath(seg.base_offset());
    if (absl::Status w = WriteSegmentFile(env_, path, seg, out_); !w.ok()) {
      return w;
    }
    if (absl::Status w = log_->ReplaceSegment(seg.base_offset()); !w.ok()) {
      return w;
    }
    ++stats_.segments_rewritten;
    stats_.records_removed += removed;
    stats_.bytes_before += seg.data_bytes();
    stats_.bytes_after += out_.size();
    return absl::OkStatus();
  }

  // Re-encodes the kept records of one batch at their offsets, with the
  // batch's codec, timestamp type and writer epoch (keeping the epoch keeps
  // the epochs of the rewritten segment's frames in order: FORMAT.md,
  // "Writer epochs").
  void AppendFrame(const std::vector<RecordView>& kept,
                   const format::FrameInfo& frame) {
    headers_.resize(kept.size());
    records_.clear();
    offsets_.clear();
    for (size_t i = 0; i < kept.size(); ++i) {
      const RecordView& v = kept[i];
      headers_[i] = v.header_count() ? v.headers() : std::vector<HeaderView>();
      records_.push_back(Record{.key = v.key(),
                                .value = v.value(),
                                .headers = headers_[i],
                                .timestamp_ms = v.timestamp_ms()});
      offsets_.push_back(v.offset());
    }
    format::FrameOptions options = format::FrameOptionsOf(frame);
    options.compression_level = config_.compression_level;
    size_t at = out_.size();
    out_.resize(at + format::MaxFrameSize(format::EncodedRecordsSize(records_),
                                          options.codec));
    format::EncodedFrame enc = format::EncodeFrameWithOffsets(
        records_, offsets_, options, out_.data() + at);
    out_.resize(at + enc.size);
  }

  Env* const env_;
  PartitionLog* const log_;
  const TopicConfig config_;  // a copy: the topic's config may change
  const int64_t now_ms_;
  const CompactionOptions options_;
  CompactionStats stats_;
  size_t first_dirty_ = 0;  // index of the first segment not compacted yet
  // From pass 1.
  OffsetMap latest_;  // key -> offset of its latest record (dirty segments)
  OffsetMap pinned_;  // key -> offset, for the last record of each segment
  std::vector<bool> has_keyless_;        // per segment
  std::vector<OffsetMap::Entry> keyed_;  // keyed records of one batch
  // For pass 2: latest_'s offsets, ascending, and the cursor in them.
  std::vector<int64_t> latest_offsets_;
  size_t next_latest_ = 0;
  std::string out_;  // frames of the segment being rewritten
  std::vector<std::vector<HeaderView>> headers_;
  std::vector<Record> records_;
  std::vector<Offset> offsets_;
};

}  // namespace

absl::StatusOr<CompactionStats> CompactLog(Env* env, PartitionLog* log,
                                           int64_t now_ms,
                                           const CompactionOptions& options) {
  return Pass(env, log, now_ms, options).Run();
}

bool IsCompactionBufferTooSmall(const absl::Status& status) {
  return absl::IsResourceExhausted(status) &&
         status.GetPayload(kBufferTooSmallUrl).has_value();
}

double DirtyRatio(const std::vector<std::shared_ptr<Segment>>& segments,
                  Offset clean_end) {
  uint64_t clean = 0, dirty = 0;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    (segments[i]->base_offset() < clean_end ? clean : dirty) +=
        segments[i]->data_bytes();
  }
  return clean + dirty == 0 ? 0.0
                            : static_cast<double>(dirty) / (clean + dirty);
}

bool CompactionDue(const PartitionLog& log, const CompactionState& state,
                   int64_t now_ms) {
  if (state.buffer_full) return true;
  if (state.next_tombstone_expiry_ms >= 0 &&
      now_ms >= state.next_tombstone_expiry_ms) {
    return true;
  }
  double ratio = DirtyRatio(log.Segments(), state.clean_end);
  return ratio > 0 && ratio >= log.config().min_cleanable_dirty_ratio;
}

}  // namespace evlog
