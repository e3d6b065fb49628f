// env/mem_env.h: an in-memory Env that can also simulate a crash.
//
// MemEnv is what `NewMemEnv()` returns, plus the hooks evlog's own crash
// tests need. It models just enough of a POSIX file system to make the
// durability protocol testable:
//
//   * A file is an inode with `current` bytes (what reads and mappings see:
//     the page cache) and `durable` bytes (what is on the platter).
//     WritableFile::Sync copies all of current to durable; MappedRegion::Sync
//     copies exactly the requested byte range; AllocateFile creates an inode
//     that is durable at once, because it fsyncs.
//   * A directory has a `current` and a `durable` map of entries. Creating,
//     renaming and removing entries changes only the current map; SyncDir
//     copies that directory's current map to its durable map.
//   * `CrashImage()` returns an independent MemEnv: the state after a process
//     crash (everything current survives) or a power loss (only durable
//     entries survive, and each 4 KiB page whose current bytes differ from its
//     durable bytes is dropped, kept, torn or zero-filled, chosen by a seeded
//     PRNG). See docs/ENV.md.
//
// Differences from POSIX, all on paths evlog does not take:
//   * The root "/" and "/tmp" always exist; every other directory must be
//     created with CreateDir. Relative paths are resolved from the root.
//   * NewWritableFile on a file that is currently mapped creates a new inode
//     instead of truncating the mapped one; Append to a mapped file fails with
//     kFailedPrecondition. Mapped buffers therefore never move.
//   * Locks are per MemEnv and per path.
//   * Sparse files (AllocateSparseFile) hold real zero bytes in memory; only
//     the capacity accounting knows the hole. MappedRegion::Sync of a range
//     that reaches into the hole fails with kInternal ("write into
//     unreserved space"): on a real disk that write could have been a
//     SIGBUS, so evlog's tests catch it.
//   * A MappedRegion::Sync makes only its exact byte range durable, although
//     msync makes whole pages durable. Code must not rely on the extra bytes,
//     and the crash image treats them as unsynced.
//
// Thread safety: all methods are thread-safe. `CrashImage()` reads the bytes
// of mapped files, so writes through mappings must not run concurrently with
// it (take images from the sync hook or while the writers are quiescent).
// Files, regions and locks must be destroyed before the MemEnv.

#ifndef EVLOG_ENV_MEM_ENV_H_
#define EVLOG_ENV_MEM_ENV_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "evlog/env.h"
#include "util/mutex.h"

namespace evlog {

namespace memfs {
struct Dir;
struct Node;
}  // namespace memfs

// What a crash image keeps. Page modes apply to power loss only; at least
// one should be allowed (if none is, pages are dropped).
struct CrashOptions {
  enum Kind {
    // The process dies; the kernel survives. Every current entry and byte is
    // kept, and what was not durable is still not durable in the image.
    kProcessCrash,
    // The machine loses power: only durable state survives, plus whatever
    // the page modes below let through for unsynced pages.
    kPowerLoss,
  };
  Kind kind = kPowerLoss;
  // Seeds the std::mt19937_64 that picks a mode per unsynced page (and the
  // tear point). Same state + same seed = same image.
  uint64_t seed = 0;
  bool allow_drop = true;  // The page keeps its durable bytes.
  bool allow_keep = true;  // The page has its current bytes.
  bool allow_tear = true;  // A random prefix of current, then durable bytes.
  bool allow_zero = true;  // Bytes that differ read as zeros.
};

class MemEnv final : public Env {
 public:
  // The page size of the crash model (and of MappedRegion rounding).
  static constexpr size_t kPageSize = 4096;

  // `clock` (not owned, null for Clock::Real()) must outlive the MemEnv.
  // `track_durability` = false skips keeping the durable copy of each file
  // (half the memory, no copy on sync); CrashImage is then meaningless.
  explicit MemEnv(Clock* clock = nullptr, bool track_durability = true);
  ~MemEnv() override;
  MemEnv(const MemEnv&) = delete;
  MemEnv& operator=(const MemEnv&) = delete;

  // Env.
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override;
  absl::StatusOr<std::string> ReadFile(const std::string& path) override;
  absl::Status AllocateFile(const std::string& path, uint64_t size) override;
  absl::Status AllocateSparseFile(const std::string& path, uint64_t size,
                                  uint64_t reserved_bytes, bool sync,
                                  std::string_view head) override;
  absl::Status ReserveFileRange(const std::string& path, uint64_t offset,
                                uint64_t length) override;
  absl::StatusOr<std::unique_ptr<MappedRegion>> MapFile(const std::string& path,
                                                        bool writable) override;
  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override;
  bool FileExists(const std::string& path) override;
  absl::Status RemoveFile(const std::string& path) override;
  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override;
  absl::Status CreateDir(const std::string& path) override;
  absl::Status RemoveDir(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) override;
  absl::Status SyncDir(const std::string& path) override;
  absl::Status SyncTree(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override;
  Clock* clock() override { return clock_; }
  // Changes no thread: records `cpus` for affinity_requests(). Errors as
  // in Env (the CPU range only).
  absl::Status SetThreadAffinity(const std::vector<int>& cpus) override;
  // Every SetThreadAffinity request so far, oldest first.
  std::vector<std::vector<int>> affinity_requests() const;

  // A new, independent MemEnv holding the state after a crash at this
  // instant (see CrashOptions). It shares nothing with this one: no locks are
  // held in it, its sync count is 0, it has no sync hook, and it has the same
  // capacity and clock.
  std::unique_ptr<MemEnv> CrashImage(const CrashOptions& options) const;

  // Number of successful syncs so far: WritableFile::Sync, MappedRegion::Sync,
  // SyncDir and AllocateFile (which fsyncs).
  uint64_t sync_count() const { return sync_count_.load(); }

  // Called with the path after each successful sync counted by sync_count(),
  // on the syncing thread, with no MemEnv lock held (so the hook may call
  // CrashImage). Pass nullptr to remove it.
  void SetSyncHook(std::function<void(const std::string& path)> hook);

  // Limits the bytes of all files reachable from the root (current state) to
  // `bytes`; AllocateFile and Append that would exceed it fail with
  // kResourceExhausted and change nothing. Default: unlimited.
  void SetCapacityBytes(uint64_t bytes);
  // Bytes of all files currently reachable from the root.
  uint64_t UsedBytes() const;

 private:
  class File;
  class Region;
  class Lock;

  // Resolves `path` through current entries; nullopt if any part is
  // missing. The root resolves to a directory node.
  std::optional<memfs::Node> Find(const std::string& path)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The directory that would hold `path`, and the last path component.
  absl::Status FindParent(absl::string_view op, const std::string& path,
                          memfs::Dir** dir, std::string* name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckCapacity(absl::string_view op, const std::string& path,
                             uint64_t more) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts a successful sync and runs the hook. Call without mu_ held.
  void SyncDone(const std::string& path) ABSL_LOCKS_EXCLUDED(mu_);

  Clock* const clock_;
  const bool track_durability_;
  std::atomic<uint64_t> sync_count_{0};

  mutable Mutex mu_;
  std::shared_ptr<memfs::Dir> root_ ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<int>> affinity_requests_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> locked_ ABSL_GUARDED_BY(mu_);  // Normalised paths.
  uint64_t capacity_ ABSL_GUARDED_BY(mu_);
  uint64_t used_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void(const std::string&)> sync_hook_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evlog

#endif  // EVLOG_ENV_MEM_ENV_H_
