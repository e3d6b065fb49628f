#include "format/compression.h"

#include <lz4.h>
#include <zstd.h>

#include <limits>
#include <memory>

#include "format/format.h"

namespace evlog::format {

namespace {

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};

// One context per thread: creating one costs more than compressing a small
// batch.
ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> ctx(ZSTD_createCCtx());
  return ctx.get();
}
ZSTD_DCtx* ThreadDCtx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> ctx(ZSTD_createDCtx());
  return ctx.get();
}

constexpr size_t kLz4Max = static_cast<size_t>(LZ4_MAX_INPUT_SIZE);

}  // namespace

size_t CompressBound(uint16_t codec, size_t n) {
  switch (codec) {
    case kCodecLz4:
      return n > kLz4Max
                 ? 0
                 : static_cast<size_t>(LZ4_compressBound(static_cast<int>(n)));
    case kCodecZstd:
      return ZSTD_compressBound(n);
    default:
      return n;
  }
}

size_t Compress(uint16_t codec, int level, const char* src, size_t n, char* dst,
                size_t capacity) {
  if (codec == kCodecLz4) {
    if (n > kLz4Max) return 0;
    int cap = capacity > static_cast<size_t>(std::numeric_limits<int>::max())
                  ? std::numeric_limits<int>::max()
                  : static_cast<int>(capacity);
    int r = LZ4_compress_default(src, dst, static_cast<int>(n), cap);
    return r > 0 ? static_cast<size_t>(r) : 0;
  }
  if (codec == kCodecZstd) {
    ZSTD_CCtx* ctx = ThreadCCtx();
    if (ctx == nullptr) return 0;
    size_t r = ZSTD_compressCCtx(ctx, dst, capacity, src, n,
                                 level == 0 ? ZSTD_CLEVEL_DEFAULT : level);
    return ZSTD_isError(r) ? 0 : r;
  }
  return 0;
}

bool Decompress(uint16_t codec, const char* src, size_t src_n, char* dst,
                size_t n) {
  if (codec == kCodecLz4) {
    if (src_n > kLz4Max || n > kLz4Max) return false;
    int r = LZ4_decompress_safe(src, dst, static_cast<int>(src_n),
                                static_cast<int>(n));
    return r >= 0 && static_cast<size_t>(r) == n;
  }
  if (codec == kCodecZstd) {
    ZSTD_DCtx* ctx = ThreadDCtx();
    if (ctx == nullptr) return false;
    // The frame must be exactly the payload and produce exactly n bytes.
    if (ZSTD_findFrameCompressedSize(src, src_n) != src_n) return false;
    size_t r = ZSTD_decompressDCtx(ctx, dst, n, src, src_n);
    return !ZSTD_isError(r) && r == n;
  }
  return false;
}

bool PlausibleSize(uint16_t codec, const char* src, size_t src_n, size_t n) {
  if (codec == kCodecLz4) return n <= 255 * src_n + 16;
  if (codec == kCodecZstd) {
    const unsigned long long declared = ZSTD_getFrameContentSize(src, src_n);
    return declared == n;
  }
  return false;
}

}  // namespace evlog::format
