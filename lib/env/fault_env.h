// env/fault_env.h: an Env wrapper that injects I/O errors, for evlog's tests.
//
// FaultEnv forwards every call to a base Env (not owned) and numbers each
// operation it forwards, 1, 2, 3, ... since construction or the last Reset().
// A test can then make the k-th operation fail (once, or it and every later
// one), make every operation of some kinds fail (e.g. all syncs), or make
// AllocateFile/Append report a full disk. Typical crash loop:
//
//   for (uint64_t k = 1;; ++k) {
//     fault.Reset();
//     fault.FailAfter(k, /*persistent=*/true);
//     RunWorkload(&fault);                    // Must fail cleanly...
//     if (fault.op_count() < k) break;        // ...until k is past the end.
//     CheckRecovery(base);
//   }
//
// An injected failure does not perform the operation: the base Env is not
// called (a failed Close leaves the file open until it is destroyed). For
// MappedRegion::Sync this is the optimistic case: a real msync that fails may
// have written any subset of the range's pages, so callers must treat the
// range as in an unknown state (evlog fails stop). Writes through
// MappedRegion::data() are memory stores and are neither counted nor failed.
//
// Thread safety: all methods are thread-safe. Objects returned by a FaultEnv
// must be destroyed before it.

#ifndef EVLOG_ENV_FAULT_ENV_H_
#define EVLOG_ENV_FAULT_ENV_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "evlog/env.h"
#include "util/mutex.h"

namespace evlog {

class FaultEnv final : public Env {
 public:
  // The operations FaultEnv counts. FileExists and clock() are not counted.
  enum class Op {
    kNewWritableFile,
    kAppend,
    kSync,  // WritableFile::Sync.
    kClose,
    kReadFile,
    kAllocateFile,
    kMapFile,
    kRegionSync,  // MappedRegion::Sync.
    kGetFileSize,
    kRemoveFile,
    kRenameFile,
    kCreateDir,
    kRemoveDir,
    kListDir,
    kSyncDir,
    kLockFile,
    kAllocateSparseFile,
    kReserveFileRange,
    kSyncTree,
  };
  static constexpr int kNumOps = static_cast<int>(Op::kSyncTree) + 1;

  // `base` is not owned and must outlive this FaultEnv.
  explicit FaultEnv(Env* base);
  ~FaultEnv() override;

  // Operation number `k` (1-based, see above) fails with `code`; if
  // `persistent`, so does every later operation. k == 0 disarms.
  void FailAfter(uint64_t k, bool persistent,
                 absl::StatusCode code = absl::StatusCode::kInternal);
  // While `fail`, every operation of kind `op` fails with kInternal.
  void FailOp(Op op, bool fail);
  // FailOp for kSync, kRegionSync, kSyncDir and kSyncTree together.
  void FailSyncs(bool fail);
  // While `full`, AllocateFile, AllocateSparseFile, ReserveFileRange and
  // Append fail with kResourceExhausted.
  void SetDiskFull(bool full);

  // Operations attempted since construction or the last Reset(), failed
  // ones included.
  uint64_t op_count() const;
  // Operations that failed by injection since the last Reset().
  uint64_t injected_count() const;
  // Clears the counters and every injected fault.
  void Reset();

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
  Clock* clock() override { return base_->clock(); }
  // Not counted, never failed: forwarded to the base Env.
  absl::Status SetThreadAffinity(const std::vector<int>& cpus) override {
    return base_->SetThreadAffinity(cpus);
  }

 private:
  class File;
  class Region;

  // Counts one operation of kind `op` on `path` and returns the injected
  // error, or OK if it should go ahead.
  absl::Status Check(Op op, absl::string_view path) ABSL_LOCKS_EXCLUDED(mu_);

  Env* const base_;

  mutable Mutex mu_;
  uint64_t ops_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t injected_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t fail_at_ ABSL_GUARDED_BY(mu_) = 0;  // 0: disarmed.
  bool fail_persistent_ ABSL_GUARDED_BY(mu_) = false;
  absl::StatusCode fail_code_ ABSL_GUARDED_BY(mu_) =
      absl::StatusCode::kInternal;
  bool fail_op_[kNumOps] ABSL_GUARDED_BY(mu_) = {};
  bool disk_full_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace evlog

#endif  // EVLOG_ENV_FAULT_ENV_H_
