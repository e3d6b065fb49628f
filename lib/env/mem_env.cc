#include "env/mem_env.h"

#include <errno.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "env/cpu_set.h"
#include "env/io_error.h"
#include "env/mem_fs.h"

namespace evlog {

using memfs::Dir;
using memfs::Inode;
using memfs::Node;

namespace {

std::vector<std::string> Split(absl::string_view path) {
  return absl::StrSplit(path, '/', absl::SkipEmpty());
}

// The path with empty components removed; the key of a lock.
std::string Normalize(absl::string_view path) {
  return absl::StrCat("/", absl::StrJoin(Split(path), "/"));
}

}  // namespace

// A sequential writer. Appends go straight into the inode's current bytes.
class MemEnv::File final : public WritableFile {
 public:
  File(MemEnv* env, std::string path, std::shared_ptr<Inode> inode)
      : env_(env), path_(std::move(path)), inode_(std::move(inode)) {}

  absl::Status Append(std::string_view data) override {
    {
      MutexLock lock(&env_->mu_);
      if (closed_) return Closed("write");
      if (inode_->map_count > 0) {
        return absl::FailedPreconditionError(
            absl::StrCat("write ", path_, ": file is mapped"));
      }
      if (inode_->linked) {
        absl::Status status = env_->CheckCapacity("write", path_, data.size());
        if (!status.ok()) return status;
        env_->used_ += data.size();
      }
      inode_->current->append(data.data(), data.size());
    }
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    {
      MutexLock lock(&env_->mu_);
      if (closed_) return Closed("fsync");
      if (env_->track_durability_) inode_->durable = *inode_->current;
    }
    env_->SyncDone(path_);
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (closed_) return Closed("close");
    closed_ = true;
    return absl::OkStatus();
  }

 private:
  absl::Status Closed(absl::string_view op) const {
    return absl::FailedPreconditionError(
        absl::StrCat(op, " ", path_, ": file is closed"));
  }

  MemEnv* const env_;
  const std::string path_;
  const std::shared_ptr<Inode> inode_;
  bool closed_ = false;  // Only touched by the owning thread.
};

// A mapping: a pointer into the inode's current buffer, which it keeps
// alive and which does not move while map_count > 0.
class MemEnv::Region final : public MappedRegion {
 public:
  Region(MemEnv* env, std::string path, std::shared_ptr<Inode> inode,
         bool writable)
      : env_(env),
        path_(std::move(path)),
        inode_(std::move(inode)),
        buffer_(inode_->current),
        writable_(writable) {}

  ~Region() override {
    MutexLock lock(&env_->mu_);
    --inode_->map_count;
  }

  char* data() override { return buffer_->data(); }
  size_t size() const override { return buffer_->size(); }
  bool writable() const override { return writable_; }

  absl::Status Sync(size_t offset, size_t length) override {
    if (!writable_) {
      return absl::FailedPreconditionError(
          absl::StrCat("msync ", path_, ": region is read-only"));
    }
    const size_t size = buffer_->size();
    if (offset > size || length > size - offset) {
      return absl::InvalidArgumentError(
          absl::StrCat("msync ", path_, ": range [", offset, ", +", length,
                       ") is outside the ", size, "-byte mapping"));
    }
    if (length > 0) {
      MutexLock lock(&env_->mu_);
      if (offset + length > inode_->reserved) {
        return absl::InternalError(absl::StrCat(
            "msync ", path_, ": range [", offset, ", +", length,
            ") reaches past the reserved ", inode_->reserved,
            " bytes: write into unreserved space (a SIGBUS on a real disk)"));
      }
    }
    {
      MutexLock lock(&env_->mu_);
      // msync has fdatasync semantics: the size becomes durable too.
      if (env_->track_durability_) {
        inode_->durable.resize(size, '\0');
        std::memcpy(inode_->durable.data() + offset, buffer_->data() + offset,
                    length);
      }
    }
    env_->SyncDone(path_);
    return absl::OkStatus();
  }

 private:
  MemEnv* const env_;
  const std::string path_;
  const std::shared_ptr<Inode> inode_;
  const std::shared_ptr<std::string> buffer_;
  const bool writable_;
};

class MemEnv::Lock final : public FileLock {
 public:
  Lock(MemEnv* env, std::string key) : env_(env), key_(std::move(key)) {}
  ~Lock() override {
    MutexLock lock(&env_->mu_);
    env_->locked_.erase(key_);
  }

 private:
  MemEnv* const env_;
  const std::string key_;
};

MemEnv::MemEnv(Clock* clock, bool track_durability)
    : clock_(clock != nullptr ? clock : Clock::Real()),
      track_durability_(track_durability),
      root_(std::make_shared<Dir>()),
      capacity_(std::numeric_limits<uint64_t>::max()) {
  // "/tmp" exists durably, as on any real system, so that code written for
  // POSIX temp dirs runs unchanged.
  Node tmp{nullptr, std::make_shared<Dir>()};
  root_->current["tmp"] = tmp;
  root_->durable["tmp"] = tmp;
}

MemEnv::~MemEnv() {
  MutexLock lock(&mu_);
  memfs::ClearTree(*root_);
}

std::optional<Node> MemEnv::Find(const std::string& path) {
  Node node{nullptr, root_};
  for (const std::string& name : Split(path)) {
    if (!node.is_dir()) return std::nullopt;
    auto it = node.dir->current.find(name);
    if (it == node.dir->current.end()) return std::nullopt;
    node = it->second;
  }
  return node;
}

absl::Status MemEnv::FindParent(absl::string_view op, const std::string& path,
                                Dir** dir, std::string* name) {
  std::vector<std::string> names = Split(path);
  if (names.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(op, " ", path, ": not valid for the root"));
  }
  Dir* at = root_.get();
  for (size_t i = 0; i + 1 < names.size(); ++i) {
    auto it = at->current.find(names[i]);
    if (it == at->current.end()) return IoError(op, path, ENOENT);
    if (!it->second.is_dir()) return IoError(op, path, ENOTDIR);
    at = it->second.dir.get();
  }
  *dir = at;
  *name = std::move(names.back());
  return absl::OkStatus();
}

absl::Status MemEnv::CheckCapacity(absl::string_view op,
                                   const std::string& path, uint64_t more) {
  if (more > capacity_ || used_ > capacity_ - more) {
    return IoError(op, path, ENOSPC);
  }
  return absl::OkStatus();
}

void MemEnv::SyncDone(const std::string& path) {
  sync_count_.fetch_add(1);
  std::function<void(const std::string&)> hook;
  {
    MutexLock lock(&mu_);
    hook = sync_hook_;
  }
  if (hook) hook(path);
}

absl::StatusOr<std::unique_ptr<WritableFile>> MemEnv::NewWritableFile(
    const std::string& path) {
  MutexLock lock(&mu_);
  Dir* dir;
  std::string name;
  absl::Status status = FindParent("open", path, &dir, &name);
  if (!status.ok()) return status;
  auto it = dir->current.find(name);
  std::shared_ptr<Inode> inode;
  if (it != dir->current.end()) {
    if (it->second.is_dir()) return IoError("open", path, EISDIR);
    inode = it->second.file;
    used_ -= inode->charged();
    if (inode->map_count == 0) {
      // O_TRUNC: same inode, so its durable bytes stay until the next Sync.
      inode->current = std::make_shared<std::string>();
      inode->reserved = Inode::kAllReserved;
      return std::make_unique<File>(this, path, std::move(inode));
    }
    // Mapped: leave the mapping's buffer alone (see the header).
    inode->linked = false;
  }
  inode = std::make_shared<Inode>();
  inode->linked = true;
  dir->current[name] = Node{inode, nullptr};
  return std::make_unique<File>(this, path, std::move(inode));
}

absl::StatusOr<std::string> MemEnv::ReadFile(const std::string& path) {
  MutexLock lock(&mu_);
  std::optional<Node> node = Find(path);
  if (!node) return IoError("open", path, ENOENT);
  if (node->is_dir()) return IoError("read", path, EISDIR);
  return *node->file->current;
}

absl::Status MemEnv::AllocateFile(const std::string& path, uint64_t size) {
  // A sparse file reserved whole, fsynced.
  return AllocateSparseFile(path, size, size, /*sync=*/true, /*head=*/{});
}

absl::Status MemEnv::AllocateSparseFile(const std::string& path, uint64_t size,
                                        uint64_t reserved_bytes, bool sync,
                                        std::string_view head) {
  if (head.size() > size) {
    return absl::InvalidArgumentError(
        absl::StrCat("write ", path, ": head larger than the file"));
  }
  {
    MutexLock lock(&mu_);
    Dir* dir;
    std::string name;
    absl::Status status = FindParent("open", path, &dir, &name);
    if (!status.ok()) return status;
    if (dir->current.count(name) > 0) return IoError("open", path, EEXIST);
    const uint64_t reserved = std::min(size, reserved_bytes);
    status = CheckCapacity("fallocate", path, reserved);
    if (!status.ok()) return status;
    auto inode = std::make_shared<Inode>();
    inode->current->assign(size, '\0');
    inode->current->replace(0, head.size(), head.data(), head.size());
    inode->reserved = reserved;
    // Without a sync nothing of the file is durable yet (its size becomes
    // durable with the first msync of its data, see Region::Sync).
    if (track_durability_ && sync) inode->durable = *inode->current;
    inode->linked = true;
    used_ += reserved;
    dir->current[name] = Node{std::move(inode), nullptr};
  }
  if (sync) SyncDone(path);
  return absl::OkStatus();
}

absl::Status MemEnv::ReserveFileRange(const std::string& path, uint64_t offset,
                                      uint64_t length) {
  MutexLock lock(&mu_);
  std::optional<Node> node = Find(path);
  if (!node) return IoError("open", path, ENOENT);
  if (node->is_dir()) return IoError("fallocate", path, EISDIR);
  Inode& inode = *node->file;
  const uint64_t size = inode.current->size();
  if (offset > size || length > size - offset) {
    return absl::InvalidArgumentError(
        absl::StrCat("fallocate ", path, ": range [", offset, ", +", length,
                     ") is outside the ", size, "-byte file"));
  }
  // The model keeps reservations as a prefix: reserving a range reserves
  // everything before it too (evlog only ever reserves forward).
  const uint64_t end = offset + length;
  if (inode.reserved >= end) return absl::OkStatus();
  const uint64_t more = end - inode.reserved;
  if (inode.linked) {
    absl::Status status = CheckCapacity("fallocate", path, more);
    if (!status.ok()) return status;
    used_ += more;
  }
  inode.reserved = end;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<MappedRegion>> MemEnv::MapFile(
    const std::string& path, bool writable) {
  MutexLock lock(&mu_);
  std::optional<Node> node = Find(path);
  if (!node) return IoError("open", path, ENOENT);
  if (node->is_dir()) return IoError("mmap", path, EISDIR);
  if (node->file->current->empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("mmap ", path, ": cannot map an empty file"));
  }
  ++node->file->map_count;
  return std::make_unique<Region>(this, path, node->file, writable);
}

absl::StatusOr<uint64_t> MemEnv::GetFileSize(const std::string& path) {
  MutexLock lock(&mu_);
  std::optional<Node> node = Find(path);
  if (!node) return IoError("stat", path, ENOENT);
  if (node->is_dir()) return IoError("stat", path, EISDIR);
  return node->file->current->size();
}

bool MemEnv::FileExists(const std::string& path) {
  MutexLock lock(&mu_);
  return Find(path).has_value();
}

absl::Status MemEnv::RemoveFile(const std::string& path) {
  MutexLock lock(&mu_);
  Dir* dir;
  std::string name;
  absl::Status status = FindParent("unlink", path, &dir, &name);
  if (!status.ok()) return status;
  auto it = dir->current.find(name);
  if (it == dir->current.end()) return IoError("unlink", path, ENOENT);
  if (it->second.is_dir()) return IoError("unlink", path, EISDIR);
  // A mapping keeps the buffer alive; the space is counted free at once.
  it->second.file->linked = false;
  used_ -= it->second.file->charged();
  dir->current.erase(it);
  return absl::OkStatus();
}

absl::Status MemEnv::RenameFile(const std::string& from,
                                const std::string& to) {
  const std::string label = absl::StrCat(from, " -> ", to);
  MutexLock lock(&mu_);
  Dir* from_dir;
  Dir* to_dir;
  std::string from_name, to_name;
  absl::Status status = FindParent("rename", from, &from_dir, &from_name);
  if (status.ok()) status = FindParent("rename", to, &to_dir, &to_name);
  if (!status.ok()) return IoError("rename", label, ENOENT);
  auto src = from_dir->current.find(from_name);
  if (src == from_dir->current.end()) return IoError("rename", label, ENOENT);
  if (from_dir == to_dir && from_name == to_name) return absl::OkStatus();
  const Node moved = src->second;
  if (moved.is_dir()) {
    // A directory cannot move below itself.
    Dir* at = root_.get();
    for (const std::string& name : Split(to)) {
      if (at == moved.dir.get()) return IoError("rename", label, EINVAL);
      auto it = at->current.find(name);
      if (it == at->current.end() || !it->second.is_dir()) break;
      at = it->second.dir.get();
    }
  }
  auto dst = to_dir->current.find(to_name);
  if (dst != to_dir->current.end()) {
    const Node& old = dst->second;
    if (!moved.is_dir() && old.is_dir())
      return IoError("rename", label, EISDIR);
    if (moved.is_dir() && !old.is_dir())
      return IoError("rename", label, ENOTDIR);
    if (old.is_dir() && !old.dir->current.empty()) {
      return IoError("rename", label, ENOTEMPTY);
    }
    if (!old.is_dir()) {
      old.file->linked = false;
      used_ -= old.file->charged();
    }
  }
  from_dir->current.erase(src);
  to_dir->current[to_name] = moved;
  return absl::OkStatus();
}

absl::Status MemEnv::CreateDir(const std::string& path) {
  MutexLock lock(&mu_);
  std::optional<Node> node = Find(path);
  if (node) {
    return node->is_dir() ? absl::OkStatus() : IoError("mkdir", path, EEXIST);
  }
  Dir* dir;
  std::string name;
  absl::Status status = FindParent("mkdir", path, &dir, &name);
  if (!status.ok()) return status;
  dir->current[name] = Node{nullptr, std::make_shared<Dir>()};
  return absl::OkStatus();
}

absl::Status MemEnv::RemoveDir(const std::string& path) {
  MutexLock lock(&mu_);
  Dir* dir;
  std::string name;
  absl::Status status = FindParent("rmdir", path, &dir, &name);
  if (!status.ok()) return status;
  auto it = dir->current.find(name);
  if (it == dir->current.end()) return IoError("rmdir", path, ENOENT);
  if (!it->second.is_dir()) return IoError("rmdir", path, ENOTDIR);
  if (!it->second.dir->current.empty())
    return IoError("rmdir", path, ENOTEMPTY);
  dir->current.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> MemEnv::ListDir(
    const std::string& path) {
  MutexLock lock(&mu_);
  std::optional<Node> node = Find(path);
  if (!node) return IoError("opendir", path, ENOENT);
  if (!node->is_dir()) return IoError("opendir", path, ENOTDIR);
  std::vector<std::string> names;
  names.reserve(node->dir->current.size());
  for (const auto& [name, child] : node->dir->current) names.push_back(name);
  return names;  // Sorted: std::map order.
}

absl::Status MemEnv::SyncDir(const std::string& path) {
  {
    MutexLock lock(&mu_);
    std::optional<Node> node = Find(path);
    if (!node) return IoError("open", path, ENOENT);
    if (!node->is_dir()) return IoError("open", path, ENOTDIR);
    node->dir->durable = node->dir->current;
  }
  SyncDone(path);
  return absl::OkStatus();
}

absl::Status MemEnv::SyncTree(const std::string& path) {
  {
    MutexLock lock(&mu_);
    std::optional<Node> node = Find(path);
    if (!node) return IoError("open", path, ENOENT);
    if (!node->is_dir()) return IoError("open", path, ENOTDIR);
    // Everything currently reachable below `path`. Reads the bytes of
    // mapped files: nothing may write through a mapping below it meanwhile
    // (evlog calls it on a topic no one can reach yet).
    std::vector<memfs::Dir*> stack{node->dir.get()};
    while (!stack.empty()) {
      memfs::Dir* dir = stack.back();
      stack.pop_back();
      dir->durable = dir->current;
      for (auto& [name, child] : dir->current) {
        if (child.is_dir()) {
          stack.push_back(child.dir.get());
        } else if (track_durability_) {
          child.file->durable = *child.file->current;
        }
      }
    }
  }
  SyncDone(path);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FileLock>> MemEnv::LockFile(
    const std::string& path) {
  MutexLock lock(&mu_);
  Dir* dir;
  std::string name;
  absl::Status status = FindParent("open", path, &dir, &name);
  if (!status.ok()) return status;
  auto it = dir->current.find(name);
  if (it == dir->current.end()) {
    auto inode = std::make_shared<Inode>();
    inode->linked = true;
    dir->current[name] = Node{std::move(inode), nullptr};
  } else if (it->second.is_dir()) {
    return IoError("open", path, EISDIR);
  }
  std::string key = Normalize(path);
  if (!locked_.insert(key).second) {
    return absl::UnavailableError(
        absl::StrCat("lock ", path, ": held by another owner"));
  }
  return std::make_unique<Lock>(this, std::move(key));
}

std::unique_ptr<MemEnv> MemEnv::CrashImage(const CrashOptions& options) const {
  auto image = std::make_unique<MemEnv>(clock_);
  MutexLock lock(&mu_);
  MutexLock image_lock(&image->mu_);  // Uncontended: nobody else has it yet.
  image->root_ = memfs::CrashCopy(root_, options);
  image->used_ = memfs::AccountCurrent(*image->root_);
  image->capacity_ = capacity_;
  return image;
}

absl::Status MemEnv::SetThreadAffinity(const std::vector<int>& cpus) {
  if (absl::Status s = CheckCpus(cpus); !s.ok()) return s;
  MutexLock l(&mu_);
  affinity_requests_.push_back(cpus);
  return absl::OkStatus();
}

std::vector<std::vector<int>> MemEnv::affinity_requests() const {
  MutexLock l(&mu_);
  return affinity_requests_;
}

void MemEnv::SetSyncHook(std::function<void(const std::string& path)> hook) {
  MutexLock lock(&mu_);
  sync_hook_ = std::move(hook);
}

void MemEnv::SetCapacityBytes(uint64_t bytes) {
  MutexLock lock(&mu_);
  capacity_ = bytes;
}

uint64_t MemEnv::UsedBytes() const {
  MutexLock lock(&mu_);
  return used_;
}

std::unique_ptr<Env> NewMemEnv(Clock* clock) {
  // Users' in-memory stores never take crash images: skip the durable copy.
  return std::make_unique<MemEnv>(clock, /*track_durability=*/false);
}

}  // namespace evlog
