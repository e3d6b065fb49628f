// Fuzz target: frame decoding. format::ParseFrame must never read outside
// its input, whatever the bytes; a frame it accepts must iterate cleanly
// with RecordIterator to exactly record_count records with strictly
// increasing offsets inside the frame's range.

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "evlog/record.h"
#include "format/batch_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evlog;
  // A heap copy of exactly `size` bytes, so ASan sees any overread.
  std::string copy(reinterpret_cast<const char*>(data), size);
  char* buf = static_cast<char*>(std::malloc(size ? size : 1));
  if (size) std::memcpy(buf, copy.data(), size);
  format::FrameInfo info;
  std::string why;
  size_t pos = 0;
  while (pos < size) {
    format::FrameStatus st =
        format::ParseFrame(buf + pos, size - pos, &info, &why);
    if (st != format::FrameStatus::kOk) break;
    if (info.frame_size == 0 || info.frame_size > size - pos) std::abort();
    format::RecordIterator it(info);
    uint32_t n = 0;
    int64_t last = -1;
    size_t bytes = 0;
    while (!it.Done()) {
      RecordView v;
      it.Next(&v);
      if (v.offset().value() <= last) std::abort();
      if (v.offset() < info.base_offset || v.offset() > info.last_offset())
        std::abort();
      last = v.offset().value();
      if (v.key()) bytes += v.key()->size();
      if (v.value()) bytes += v.value()->size();
      for (const HeaderView& h : v.headers())
        bytes += h.key.size() + (h.value ? h.value->size() : 0);
      ++n;
    }
    if (n != info.record_count || last != info.last_offset().value())
      std::abort();
    if (bytes > info.frame_size) std::abort();
    pos += info.frame_size;
  }
  std::free(buf);
  return 0;
}
