// storage/epoch_file.h: the writer epoch, `<dir>/EPOCH`.
//
// Every frame of format v2 carries the epoch of the writer that appended it
// (FORMAT.md, "Writer epochs"). The epoch is bumped durably at every writable
// open, before anything of the new incarnation is written, so epochs only
// grow along the frames of a segment -- except where a frame is a stale
// leftover of an earlier incarnation that a power loss cut off. Recovery
// stops at such a frame instead of reading every unwritten byte of the
// segment to prove it zero.
//
// A store keeps one EPOCH for all its partitions (one fsync per open, not one
// per partition); a PartitionLog opened on its own keeps one in its
// directory.
//
// Thread safety: plain functions; callers serialise bumps of one file (a
// store holds its lock).

#ifndef EVLOG_STORAGE_EPOCH_FILE_H_
#define EVLOG_STORAGE_EPOCH_FILE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "evlog/env.h"

namespace evlog {

// The 24 bytes of an epoch file holding `epoch` (layout in FORMAT.md).
std::string EncodeEpochFile(uint32_t epoch);

// The epoch in `bytes`; kDataLoss if they are not a valid epoch file.
absl::StatusOr<uint32_t> DecodeEpochFile(const std::string& bytes);

// Reads `<dir>/EPOCH` (0 if there is none), writes the next epoch durably
// (tmp, fsync, rename, fsync dir) and returns it. kDataLoss for a corrupt
// file, or a missing one when `must_exist` (the directory holds frames of
// earlier epochs: restarting at 1 would make them look newer than what this
// incarnation writes); kResourceExhausted when the epoch space (2^32 - 1
// opens) is used up; Env errors otherwise.
absl::StatusOr<uint32_t> BumpEpoch(Env* env, const std::string& dir,
                                   bool must_exist);

}  // namespace evlog

#endif  // EVLOG_STORAGE_EPOCH_FILE_H_
