// format/compression.h: the batch codecs of format v2 (none, lz4, zstd).
//
// A compressed batch stores its records section compressed as one block
// (FORMAT.md, section 4): lz4's block format (LZ4_compress_default /
// LZ4_decompress_safe) or one zstd frame. The uncompressed size is in the
// batch header, so decompression knows its output size up front and refuses
// any input that does not produce exactly that many bytes.
//
// Thread safety: stateless for callers; zstd contexts are cached per thread.

#ifndef EVLOG_FORMAT_COMPRESSION_H_
#define EVLOG_FORMAT_COMPRESSION_H_

#include <cstddef>
#include <cstdint>

namespace evlog::format {

// Largest output Compress can produce for `n` input bytes.
size_t CompressBound(uint16_t codec, size_t n);

// Compresses src[0, n) into dst[0, capacity) with `codec` (kCodecLz4 or
// kCodecZstd; `level` applies to zstd, 0 = its default). Returns the bytes
// written, or 0 if the codec failed or the output did not fit.
size_t Compress(uint16_t codec, int level, const char* src, size_t n, char* dst,
                size_t capacity);

// Decompresses src[0, src_n) into exactly dst[0, n). False if the input is
// not a valid block/frame of `codec` or does not decompress to exactly `n`
// bytes. Never reads outside src[0, src_n) or writes outside dst[0, n).
bool Decompress(uint16_t codec, const char* src, size_t src_n, char* dst,
                size_t n);

// False if src[0, src_n) cannot decompress to `n` bytes, judged without
// decompressing: lz4 expands at most 255x; a zstd frame declares its
// content size (evlog's encoder always writes it).
bool PlausibleSize(uint16_t codec, const char* src, size_t src_n, size_t n);

}  // namespace evlog::format

#endif  // EVLOG_FORMAT_COMPRESSION_H_
