// format/coding.h: fixed-width little-endian load/store and the checksum.
//
// Loads and stores go through memcpy so that unaligned positions inside a
// mapping are fine (compiles to one mov on x86-64).

#ifndef EVLOG_FORMAT_CODING_H_
#define EVLOG_FORMAT_CODING_H_

#include <cstdint>
#include <cstring>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace evlog::format {

template <typename T>
inline T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
inline void Store(char* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

// The one checksum of the format: XXH3-64 with seed 0.
inline uint64_t Checksum(const char* data, size_t n) {
  return XXH3_64bits(data, n);
}

}  // namespace evlog::format

#endif  // EVLOG_FORMAT_CODING_H_
