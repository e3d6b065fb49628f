// evlog/env.h: the operating-system seam.
//
// Every file, directory, memory mapping, lock and clock reading that evlog
// performs goes through an `Env`. Three implementations exist:
//
//   * `Env::Default()`  -- the real POSIX file system (Linux).
//   * `NewMemEnv()`     -- a fully in-memory file system. Use it for unit tests
//                          of your own code and for pure in-process pipelines:
//                          same semantics as disk, minus persistence.
//   * a fault-injecting wrapper (internal, `lib/env/fault_env.h`) used by
//     evlog's own crash and I/O-error tests.
//
// Example:
//
//   std::unique_ptr<evlog::Env> env = evlog::NewMemEnv();
//   auto file = env->NewWritableFile("/tmp/x");
//   if (!file.ok()) return file.status();
//
// Thread safety: every `Env` method may be called concurrently from any
// thread. Objects returned by an `Env` (files, regions, locks) are not
// thread-safe unless stated; `MappedRegion::data()` may be read by many
// threads while one writes disjoint bytes. Those objects must be destroyed
// before the `Env` that made them (`Env::Default()` is never destroyed).
//
// Errors (the same on every Env): `kNotFound` (missing path or parent, ENOENT),
// `kAlreadyExists` (EEXIST), `kResourceExhausted` (no space, ENOSPC/EDQUOT),
// `kPermissionDenied` (EACCES/EPERM/EROFS), `kUnavailable` (a lock held by
// someone else), `kFailedPrecondition` (misuse of an object: a closed file, a
// read-only region, an empty file to map), `kInvalidArgument` (a sync range
// outside the region), `kInternal` for any other I/O error (ENOTDIR,
// ENOTEMPTY, EIO, ...). The message reads "<op> <path>: <reason>".
//
// No Env call starts a thread or retries a failed I/O operation (EINTR
// aside): after a failed Sync the caller must assume the data is lost.
//
// Paths are plain strings joined with '/'. The Env never interprets them
// beyond that; callers validate names before building paths.

#ifndef EVLOG_ENV_H_
#define EVLOG_ENV_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace evlog {

// ---------------------------------------------------------------------------
// Clock
// ---------------------------------------------------------------------------
//
// The source of time for record timestamps, segment age (`segment_ms`),
// retention and interval syncs. Injectable so that time-based behaviour is
// tested without sleeping. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch.
  virtual int64_t NowMs() = 0;

  // The process-wide real-time clock (never null, never destroyed).
  static Clock* Real();
};

// A clock that only moves when told to. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(int64_t start_ms = 1'700'000'000'000)
      : now_ms_(start_ms) {}
  int64_t NowMs() override;
  void AdvanceMs(int64_t delta_ms);
  void SetMs(int64_t now_ms);

 private:
  std::atomic<int64_t> now_ms_;
};

// ---------------------------------------------------------------------------
// WritableFile
// ---------------------------------------------------------------------------
//
// A file written sequentially, used for small metadata, index and offset
// files. Nothing written is durable until `Sync()` returns OK.
// Not thread-safe.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual absl::Status Append(std::string_view data) = 0;
  // fsync: data and size are durable once this returns OK. The directory
  // entry of a new file is durable only after `Env::SyncDir` of its parent.
  virtual absl::Status Sync() = 0;
  // Closes the file; further calls fail. The destructor closes too.
  virtual absl::Status Close() = 0;
};

// ---------------------------------------------------------------------------
// MappedRegion
// ---------------------------------------------------------------------------
//
// A whole file mapped into memory (MAP_SHARED). Writes through `data()` reach
// the file (and other mappings of it) immediately, but are durable only after
// `Sync()` of the range that covers them.
//
// Lifetime: the mapping stays valid while the region object lives, even if
// the file is renamed or removed meanwhile. The file must not be truncated or
// extended while mapped (evlog never does).
class MappedRegion {
 public:
  virtual ~MappedRegion() = default;
  virtual char* data() = 0;
  virtual size_t size() const = 0;
  virtual bool writable() const = 0;
  // Hint that [offset, offset + length) (clipped to the region) is about to
  // be written: populate its page tables now (MADV_POPULATE_WRITE, falling
  // back to read-touching each page) so that later writes do not fault.
  // Best effort, no error; changes no byte. Default: nothing.
  virtual void Prefault(size_t /*offset*/, size_t /*length*/) {}
  // msync(MS_SYNC) of [offset, offset + length), rounded out to whole pages.
  // Rely only on the requested bytes being durable: the in-memory Env's
  // crash model makes just those durable. A zero `length` is OK. Fails with
  // kFailedPrecondition on a read-only region and with kInvalidArgument if
  // the range is not inside [0, size()).
  virtual absl::Status Sync(size_t offset, size_t length) = 0;
};

// An exclusive advisory lock on a file (flock), held until the object is
// destroyed. Used to keep two stores from opening the same directory.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

// ---------------------------------------------------------------------------
// Env
// ---------------------------------------------------------------------------
class Env {
 public:
  virtual ~Env() = default;

  // The real POSIX environment with the real clock. Never null, never
  // destroyed.
  static Env* Default();

  // Creates (or truncates, O_TRUNC) `path` for sequential writing. The
  // parent directory must exist (kNotFound otherwise).
  virtual absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) = 0;

  // Reads the whole of `path`. Meant for small files (metadata, indexes).
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;

  // Creates a new file of exactly `size` bytes, all zero, with its blocks
  // reserved (posix_fallocate), and makes its contents and size durable
  // (fsync). Fails with kAlreadyExists if the path exists and with
  // kResourceExhausted if the space cannot be reserved; on failure no file is
  // left behind. `size` may be 0. The directory entry is durable only after
  // `SyncDir`.
  virtual absl::Status AllocateFile(const std::string& path, uint64_t size) = 0;

  // Like AllocateFile, but only the first `reserved_bytes` (clipped to
  // `size`) get their blocks reserved: the rest is a hole that reads as zeros
  // and takes no disk space. Writing into a hole through a mapping may fail
  // for lack of space as a SIGBUS, so a writer reserves a range with
  // ReserveFileRange before it writes there (evlog's segments grow this way,
  // one chunk at a time). `head` (at most `size` bytes) is written at
  // offset 0 (with write(2), not through a mapping, so that creating many
  // files faults in no pages). With `sync` false the file is not fsynced:
  // after a crash it may be missing or shorter, until an msync of data in it
  // (which has fdatasync semantics and makes the size durable), an fsync or
  // a SyncTree. Same errors as AllocateFile.
  virtual absl::Status AllocateSparseFile(const std::string& path,
                                          uint64_t size,
                                          uint64_t reserved_bytes, bool sync,
                                          std::string_view head) = 0;

  // Reserves the blocks of [offset, offset + length) of the existing file
  // `path` without changing its size (fallocate, FALLOC_FL_KEEP_SIZE
  // semantics; the range must lie inside the file, else kInvalidArgument).
  // Bytes already written are unchanged; already reserved blocks are kept.
  // kResourceExhausted when the disk is full (part of the range may stay
  // reserved). The reservation becomes durable with the next sync of data in
  // the range (msync has fdatasync semantics), which is all a writer needs:
  // a reservation lost by a crash held no durable data.
  virtual absl::Status ReserveFileRange(const std::string& path,
                                        uint64_t offset, uint64_t length) = 0;

  // Maps the whole of an existing file. `writable` selects PROT_READ|PROT_WRITE
  // versus PROT_READ; never write through a read-only region. Fails with
  // kFailedPrecondition for an empty file.
  virtual absl::StatusOr<std::unique_ptr<MappedRegion>> MapFile(
      const std::string& path, bool writable) = 0;

  // Current size of a file (not a directory).
  virtual absl::StatusOr<uint64_t> GetFileSize(const std::string& path) = 0;
  // True if anything (file or directory) exists at `path`.
  virtual bool FileExists(const std::string& path) = 0;
  // Removes a file's name; open files and mappings of it stay usable.
  // Durable after `SyncDir` of the parent.
  virtual absl::Status RemoveFile(const std::string& path) = 0;
  // Atomically replaces `to` with `from` (rename(2)); durable after
  // `SyncDir` of the parent.
  virtual absl::Status RenameFile(const std::string& from,
                                  const std::string& to) = 0;

  // Creates one directory level (the parent must exist). OK if it already
  // exists as a directory; kAlreadyExists if a file has that name. Durable
  // after `SyncDir` of the parent.
  virtual absl::Status CreateDir(const std::string& path) = 0;
  // Removes an empty directory.
  virtual absl::Status RemoveDir(const std::string& path) = 0;
  // Names (not paths) of the entries of `path`, without "." and "..",
  // sorted.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) = 0;
  // fsync of a directory: entries created, renamed or removed in it become
  // durable.
  virtual absl::Status SyncDir(const std::string& path) = 0;

  // Makes everything below the directory `path` durable -- file contents
  // (mapped or written), sizes and directory entries, `path`'s own entries
  // included -- as an fsync of each would. On POSIX this is one syncfs(2) of
  // the file system holding `path`, which may make more durable: the cost
  // of creating many files is then one flush instead of one per file.
  virtual absl::Status SyncTree(const std::string& path) = 0;

  // Takes an exclusive lock on `path` (created if missing). Fails with
  // kUnavailable, naming the path, if any holder -- another process or this
  // one -- already has it. Never blocks. (In the in-memory Env, locks are per
  // Env instance.)
  virtual absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) = 0;

  // The clock of this environment. Never null; owned by the Env or static.
  virtual Clock* clock() = 0;

  // Restricts the calling thread to the CPUs numbered in `cpus`
  // (sched_setaffinity(2)); the store's maintenance thread calls it with
  // StoreOptions::maintenance_cpus. kInvalidArgument for an empty list, a
  // CPU outside [0, 1024) or a set with no CPU the system has. This default
  // does nothing and returns OK (an Env that models no CPUs); the POSIX Env
  // applies it, the in-memory Env records it.
  virtual absl::Status SetThreadAffinity(const std::vector<int>& /*cpus*/) {
    return absl::OkStatus();
  }
};

// A new, empty in-memory environment. `clock` (not owned, may be null for
// the real clock) must outlive the Env. Each MemEnv is an independent file
// system; everything in it is lost when it is destroyed. It starts with the
// directories "/" and "/tmp"; any other directory must be created with
// `CreateDir`, as on disk. Durability is modelled too (see docs/ENV.md), so
// a missing Sync or SyncDir shows up in evlog's own crash tests.
std::unique_ptr<Env> NewMemEnv(Clock* clock = nullptr);

}  // namespace evlog

#endif  // EVLOG_ENV_H_
