// Fuzz target: frame decoding. format::ParseFrame must never read outside
// its input, whatever the bytes; a frame it accepts (after DecodeRecords, for
// a compressed one) must iterate cleanly with RecordIterator to exactly
// record_count records with strictly increasing offsets inside the frame's
// range, every view inside the records section.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "evlog/record.h"
#include "format/batch_codec.h"
#include "frame_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evlog;
  // A heap block of exactly `size` bytes, so ASan sees any overread.
  char* buf = static_cast<char*>(std::malloc(size ? size : 1));
  if (size) std::memcpy(buf, data, size);
  format::FrameInfo info;
  std::string why;
  std::string decoded;
  size_t pos = 0;
  while (pos < size) {
    format::FrameStatus st =
        format::ParseFrame(buf + pos, size - pos, &info, &why);
    if (st != format::FrameStatus::kOk) break;
    if (info.frame_size == 0 || info.frame_size > size - pos) std::abort();
    if ((info.records == nullptr) != info.compressed()) std::abort();
    if (format::DecodeRecords(&info, &decoded, &why) !=
        format::FrameStatus::kOk)
      break;
    fuzz::CheckAcceptedRecords(info);
    pos += info.frame_size;
  }
  std::free(buf);
  return 0;
}
