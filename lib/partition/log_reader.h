// partition/log_reader.h: a cursor that walks a partition log forward.
//
// A LogReader returns the records of one PartitionLog in offset order,
// starting at a given offset, without taking the log's append lock: it reads
// frames below the segment's published end (acquire) and validates each
// frame's checksum and structure before returning any record of it, so a
// corrupt frame yields kDataLoss, never a wrong record.
//
// Lifetime: a RecordView returned by Next() points into `frame_memory()` at
// the time of the call: the mapping of `segment()`, or for a compressed
// batch the buffer it was decompressed into (once per batch). The reader
// keeps that memory alive until it moves past it; callers that keep views
// longer hold a copy of the shared_ptr (consumer poll results do).
//
// Thread safety: not thread-safe; one reader per thread. Any number of
// readers may follow a log while it is appended to.

#ifndef EVLOG_PARTITION_LOG_READER_H_
#define EVLOG_PARTITION_LOG_READER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "evlog/record.h"
#include "format/batch_codec.h"
#include "partition/partition_log.h"

namespace evlog {

class LogReader {
 public:
  // `log` must outlive the reader.
  LogReader(const PartitionLog* log, Offset from) : log_(log), next_(from) {}

  // Reads the next record whose offset is >= position() and < `limit`
  // (pass end_offset() or durable_end_offset()). Returns false when there is
  // none yet. kDataLoss for a corrupt frame, naming segment and position;
  // the reader stays before that frame.
  absl::StatusOr<bool> Next(RecordView* out, Offset limit) {
    // Inline fast path: the next record of the current frame.
    if (in_frame_ && !it_.Done()) {
      const Offset o = it_.PeekOffset();
      if (o >= next_ && o < limit) {
        it_.Next(out);
        next_ = o + 1;
        return true;
      }
    }
    return NextSlow(out, limit);
  }

  // The next offset this reader returns (or the first one after it that
  // exists, after compaction).
  Offset position() const { return next_; }
  void Seek(Offset offset);

  // The segment the last record came from (keeps its mapping alive).
  const std::shared_ptr<Segment>& segment() const { return seg_; }
  // What the views of the last record point into: the segment, or the
  // decompressed batch. Changes only when the reader enters a batch whose
  // records live elsewhere.
  const std::shared_ptr<const void>& frame_memory() const { return memory_; }

 private:
  // Everything else: skipping records before the position, the next frame,
  // the next segment, validation.
  absl::StatusOr<bool> NextSlow(RecordView* out, Offset limit);

  const PartitionLog* log_;
  Offset next_;
  std::shared_ptr<Segment> seg_;
  std::shared_ptr<const void> memory_;  // see frame_memory()
  size_t pos_ = 0;                      // next frame position in seg_
  bool walked_ = false;  // pos_ reached by walking validated frames
  bool in_frame_ = false;
  format::FrameInfo frame_;
  format::RecordIterator it_{format::FrameInfo{}};
};

}  // namespace evlog

#endif  // EVLOG_PARTITION_LOG_READER_H_
