// Fuzz target: a group's committed-offsets file (OFFSETS).
// DecodeGroupOffsets must reject anything invalid with kDataLoss and never
// crash; what it accepts must round-trip through EncodeGroupOffsets.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "group/offsets_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evlog;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto offsets = DecodeGroupOffsets(text);
  if (!offsets.ok()) {
    if (!absl::IsDataLoss(offsets.status())) std::abort();
    return 0;
  }
  auto again = DecodeGroupOffsets(EncodeGroupOffsets(*offsets));
  if (!again.ok() || !(*again == *offsets)) std::abort();
  return 0;
}
