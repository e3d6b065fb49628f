#include "env/fault_env.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace evlog {
namespace {

const char* OpName(FaultEnv::Op op) {
  static constexpr const char* kNames[FaultEnv::kNumOps] = {
      "NewWritableFile",    "Append",           "Sync",       "Close",
      "ReadFile",           "AllocateFile",     "MapFile",    "RegionSync",
      "GetFileSize",        "RemoveFile",       "RenameFile", "CreateDir",
      "RemoveDir",          "ListDir",          "SyncDir",    "LockFile",
      "AllocateSparseFile", "ReserveFileRange", "SyncTree"};
  return kNames[static_cast<int>(op)];
}

}  // namespace

class FaultEnv::File final : public WritableFile {
 public:
  File(FaultEnv* env, std::string path, std::unique_ptr<WritableFile> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  absl::Status Append(std::string_view data) override {
    absl::Status status = env_->Check(Op::kAppend, path_);
    return status.ok() ? base_->Append(data) : status;
  }
  absl::Status Sync() override {
    absl::Status status = env_->Check(Op::kSync, path_);
    return status.ok() ? base_->Sync() : status;
  }
  absl::Status Close() override {
    absl::Status status = env_->Check(Op::kClose, path_);
    return status.ok() ? base_->Close() : status;
  }

 private:
  FaultEnv* const env_;
  const std::string path_;
  const std::unique_ptr<WritableFile> base_;
};

class FaultEnv::Region final : public MappedRegion {
 public:
  Region(FaultEnv* env, std::string path, std::unique_ptr<MappedRegion> base)
      : env_(env), path_(std::move(path)), base_(std::move(base)) {}

  char* data() override { return base_->data(); }
  size_t size() const override { return base_->size(); }
  bool writable() const override { return base_->writable(); }
  void Prefault(size_t offset, size_t length) override {
    base_->Prefault(offset, length);
  }
  absl::Status Sync(size_t offset, size_t length) override {
    absl::Status status = env_->Check(Op::kRegionSync, path_);
    return status.ok() ? base_->Sync(offset, length) : status;
  }

 private:
  FaultEnv* const env_;
  const std::string path_;
  const std::unique_ptr<MappedRegion> base_;
};

FaultEnv::FaultEnv(Env* base) : base_(base) {}
FaultEnv::~FaultEnv() = default;

void FaultEnv::FailAfter(uint64_t k, bool persistent, absl::StatusCode code) {
  MutexLock lock(&mu_);
  fail_at_ = k;
  fail_persistent_ = persistent;
  fail_code_ = code;
}

void FaultEnv::FailOp(Op op, bool fail) {
  MutexLock lock(&mu_);
  fail_op_[static_cast<int>(op)] = fail;
}

void FaultEnv::FailSyncs(bool fail) {
  FailOp(Op::kSync, fail);
  FailOp(Op::kRegionSync, fail);
  FailOp(Op::kSyncDir, fail);
  FailOp(Op::kSyncTree, fail);
}

void FaultEnv::SetDiskFull(bool full) {
  MutexLock lock(&mu_);
  disk_full_ = full;
}

uint64_t FaultEnv::op_count() const {
  MutexLock lock(&mu_);
  return ops_;
}

uint64_t FaultEnv::injected_count() const {
  MutexLock lock(&mu_);
  return injected_;
}

void FaultEnv::Reset() {
  MutexLock lock(&mu_);
  ops_ = 0;
  injected_ = 0;
  fail_at_ = 0;
  fail_persistent_ = false;
  fail_code_ = absl::StatusCode::kInternal;
  for (bool& fail : fail_op_) fail = false;
  disk_full_ = false;
}

absl::Status FaultEnv::Check(Op op, absl::string_view path) {
  MutexLock lock(&mu_);
  const uint64_t n = ++ops_;
  absl::StatusCode code = absl::StatusCode::kOk;
  if (fail_at_ != 0 && (n == fail_at_ || (fail_persistent_ && n > fail_at_))) {
    code = fail_code_;
  } else if (fail_op_[static_cast<int>(op)]) {
    code = absl::StatusCode::kInternal;
  } else if (disk_full_ &&
             (op == Op::kAllocateFile || op == Op::kAppend ||
              op == Op::kAllocateSparseFile || op == Op::kReserveFileRange)) {
    code = absl::StatusCode::kResourceExhausted;
  }
  if (code == absl::StatusCode::kOk) return absl::OkStatus();
  ++injected_;
  return absl::Status(
      code, absl::StrCat(OpName(op), " ", path, ": injected fault (operation #",
                         n, ")"));
}

absl::StatusOr<std::unique_ptr<WritableFile>> FaultEnv::NewWritableFile(
    const std::string& path) {
  absl::Status status = Check(Op::kNewWritableFile, path);
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<WritableFile>> file =
      base_->NewWritableFile(path);
  if (!file.ok()) return file.status();
  return std::make_unique<File>(this, path, *std::move(file));
}

absl::StatusOr<std::string> FaultEnv::ReadFile(const std::string& path) {
  absl::Status status = Check(Op::kReadFile, path);
  if (!status.ok()) return status;
  return base_->ReadFile(path);
}

absl::Status FaultEnv::AllocateFile(const std::string& path, uint64_t size) {
  absl::Status status = Check(Op::kAllocateFile, path);
  return status.ok() ? base_->AllocateFile(path, size) : status;
}

absl::Status FaultEnv::AllocateSparseFile(const std::string& path,
                                          uint64_t size,
                                          uint64_t reserved_bytes, bool sync,
                                          std::string_view head) {
  absl::Status status = Check(Op::kAllocateSparseFile, path);
  return status.ok()
             ? base_->AllocateSparseFile(path, size, reserved_bytes, sync, head)
             : status;
}

absl::Status FaultEnv::ReserveFileRange(const std::string& path,
                                        uint64_t offset, uint64_t length) {
  absl::Status status = Check(Op::kReserveFileRange, path);
  return status.ok() ? base_->ReserveFileRange(path, offset, length) : status;
}

absl::StatusOr<std::unique_ptr<MappedRegion>> FaultEnv::MapFile(
    const std::string& path, bool writable) {
  absl::Status status = Check(Op::kMapFile, path);
  if (!status.ok()) return status;
  absl::StatusOr<std::unique_ptr<MappedRegion>> region =
      base_->MapFile(path, writable);
  if (!region.ok()) return region.status();
  return std::make_unique<Region>(this, path, *std::move(region));
}

absl::StatusOr<uint64_t> FaultEnv::GetFileSize(const std::string& path) {
  absl::Status status = Check(Op::kGetFileSize, path);
  if (!status.ok()) return status;
  return base_->GetFileSize(path);
}

bool FaultEnv::FileExists(const std::string& path) {
  return base_->FileExists(path);
}

absl::Status FaultEnv::RemoveFile(const std::string& path) {
  absl::Status status = Check(Op::kRemoveFile, path);
  return status.ok() ? base_->RemoveFile(path) : status;
}

absl::Status FaultEnv::RenameFile(const std::string& from,
                                  const std::string& to) {
  absl::Status status = Check(Op::kRenameFile, absl::StrCat(from, " -> ", to));
  return status.ok() ? base_->RenameFile(from, to) : status;
}

absl::Status FaultEnv::CreateDir(const std::string& path) {
  absl::Status status = Check(Op::kCreateDir, path);
  return status.ok() ? base_->CreateDir(path) : status;
}

absl::Status FaultEnv::RemoveDir(const std::string& path) {
  absl::Status status = Check(Op::kRemoveDir, path);
  return status.ok() ? base_->RemoveDir(path) : status;
}

absl::StatusOr<std::vector<std::string>> FaultEnv::ListDir(
    const std::string& path) {
  absl::Status status = Check(Op::kListDir, path);
  if (!status.ok()) return status;
  return base_->ListDir(path);
}

absl::Status FaultEnv::SyncTree(const std::string& path) {
  absl::Status status = Check(Op::kSyncTree, path);
  return status.ok() ? base_->SyncTree(path) : status;
}

absl::Status FaultEnv::SyncDir(const std::string& path) {
  absl::Status status = Check(Op::kSyncDir, path);
  return status.ok() ? base_->SyncDir(path) : status;
}

absl::StatusOr<std::unique_ptr<FileLock>> FaultEnv::LockFile(
    const std::string& path) {
  absl::Status status = Check(Op::kLockFile, path);
  if (!status.ok()) return status;
  return base_->LockFile(path);
}

}  // namespace evlog
