// Shared by the frame fuzz targets: the invariants of a frame whose records
// ParseFrame (and DecodeRecords) accepted. Aborts, for the fuzzer to report.

#ifndef EVLOG_FUZZ_FRAME_CHECK_H_
#define EVLOG_FUZZ_FRAME_CHECK_H_

#include <cstdlib>
#include <string_view>

#include "evlog/record.h"
#include "format/batch_codec.h"

namespace evlog::fuzz {

// Iterates `info` to exactly record_count records with strictly increasing
// offsets inside the batch's range and every view inside the records
// section; aborts otherwise.
inline void CheckAcceptedRecords(const format::FrameInfo& info) {
  if (info.records == nullptr ||
      static_cast<size_t>(info.records_end - info.records) !=
          info.records_bytes) {
    std::abort();
  }
  auto inside = [&](std::string_view s) {
    return s.data() >= info.records && s.data() + s.size() <= info.records_end;
  };
  format::RecordIterator it(info);
  uint32_t n = 0;
  int64_t last = -1;
  while (!it.Done()) {
    RecordView v;
    it.Next(&v);
    if (v.offset().value() <= last) std::abort();
    if (v.offset() < info.base_offset || v.offset() > info.last_offset())
      std::abort();
    last = v.offset().value();
    if (v.key() && !inside(*v.key())) std::abort();
    if (v.value() && !inside(*v.value())) std::abort();
    for (const HeaderView& h : v.headers()) {
      if (!inside(h.key) || (h.value && !inside(*h.value))) std::abort();
    }
    ++n;
  }
  if (n != info.record_count || last != info.last_offset().value())
    std::abort();
}

}  // namespace evlog::fuzz

#endif  // EVLOG_FUZZ_FRAME_CHECK_H_
