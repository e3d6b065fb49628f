// Fuzz target: the store's META file. DecodeStoreMeta must reject what is
// not a valid META with kDataLoss, or a valid META of another format version
// with kFailedPrecondition, and never crash; what it accepts must re-encode
// to a META that decodes to the same topics (round trip).

#include <cstdint>
#include <cstdlib>
#include <string>

#include "store/store_meta.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evlog;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto meta = DecodeStoreMeta(text);
  if (!meta.ok()) {
    if (!absl::IsDataLoss(meta.status()) &&
        !absl::IsFailedPrecondition(meta.status())) {
      std::abort();
    }
    return 0;
  }
  std::string again = EncodeStoreMeta(*meta);
  auto meta2 = DecodeStoreMeta(again);
  if (!meta2.ok()) std::abort();
  if (EncodeStoreMeta(*meta2) != again) std::abort();
  return 0;
}
