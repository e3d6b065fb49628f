#include "partition/log_reader.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "format/format.h"

namespace evlog {

void LogReader::Seek(Offset offset) {
  next_ = offset;
  seg_.reset();
  memory_.reset();
  in_frame_ = false;
}

absl::StatusOr<bool> LogReader::NextSlow(RecordView* out, Offset limit) {
  while (true) {
    if (in_frame_) {
      while (!it_.Done()) {
        Offset o = it_.PeekOffset();
        if (o < next_) {  // before the start position: skip
          RecordView skipped;
          it_.Next(&skipped);
          continue;
        }
        if (o >= limit) return false;
        it_.Next(out);
        next_ = o + 1;
        return true;
      }
      in_frame_ = false;
    }
    if (seg_ == nullptr) {
      seg_ = log_->SegmentFor(next_);
      if (seg_ == nullptr) return false;
      pos_ = seg_->PositionForOffset(next_);
      walked_ = pos_ == format::kSegmentHeaderSize;
    }
    size_t end = seg_->end_position();
    if (pos_ < end) {
      // Trusted only when pos_ was reached by walking frames: a position
      // taken from an index is checked once, as it might not be a boundary.
      if (walked_ && seg_->IsVerified(pos_)) {
        format::ParseTrustedFrame(seg_->data() + pos_, &frame_);
      } else {
        std::string why;
        if (format::ParseFrame(seg_->data() + pos_, end - pos_, &frame_,
                               &why) != format::FrameStatus::kOk) {
          return absl::DataLossError(absl::StrCat(
              seg_->path(), ": corrupt frame at position ", pos_, ": ", why));
        }
        seg_->MarkVerified(pos_, pos_ + frame_.frame_size);
        walked_ = true;
      }
      if (frame_.next_offset() <= next_) {  // wholly before the position
        pos_ += frame_.frame_size;
        continue;
      }
      if (frame_.base_offset >= limit) return false;
      if (frame_.compressed()) {
        // Decompressed once into memory of its own, which poll results keep
        // alive like a segment (views into it stay valid as long).
        auto buffer = std::make_shared<std::string>();
        std::string why;
        if (format::DecodeRecords(&frame_, buffer.get(), &why) !=
            format::FrameStatus::kOk) {
          return absl::DataLossError(absl::StrCat(
              seg_->path(), ": corrupt frame at position ", pos_, ": ", why));
        }
        memory_ = std::move(buffer);
      } else if (memory_.get() != seg_.get()) {
        memory_ = seg_;
      }
      pos_ += frame_.frame_size;
      it_ = format::RecordIterator(frame_);
      in_frame_ = true;
      continue;
    }
    std::shared_ptr<Segment> after = log_->SegmentAfter(seg_->base_offset());
    if (after == nullptr) return false;
    // The roll happened after the last publish to seg_; re-read its end.
    if (seg_->end_position() != end) continue;
    seg_ = std::move(after);
    pos_ = seg_->PositionForOffset(next_);
    walked_ = pos_ == format::kSegmentHeaderSize;
  }
}

}  // namespace evlog
