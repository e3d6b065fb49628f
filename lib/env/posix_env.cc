// Env::Default(): the real POSIX (Linux) file system.
//
// Every descriptor is opened with O_CLOEXEC so that a fork+exec elsewhere in
// the host process never inherits segment files or, worse, our flock()s.
// Every system call that can be interrupted is retried on EINTR.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "env/cpu_set.h"
#include "env/io_error.h"
#include "evlog/env.h"

namespace evlog {
namespace {

// Calls `fn` until it does not fail with EINTR.
template <typename Fn>
auto RetryOnEintr(Fn fn) {
  decltype(fn()) result;
  do {
    result = fn();
  } while (result == -1 && errno == EINTR);
  return result;
}

size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd)
      : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  absl::Status Append(std::string_view data) override {
    if (fd_ < 0) return Closed("append");
    while (!data.empty()) {
      ssize_t n =
          RetryOnEintr([&] { return ::write(fd_, data.data(), data.size()); });
      if (n < 0) return IoError("write", path_, errno);
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    if (fd_ < 0) return Closed("sync");
    if (RetryOnEintr([&] { return ::fsync(fd_); }) != 0) {
      return IoError("fsync", path_, errno);
    }
    return absl::OkStatus();
  }

  absl::Status Close() override {
    if (fd_ < 0) return Closed("close");
    // close() must not be retried on EINTR: the descriptor is gone either way.
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0 && errno != EINTR) return IoError("close", path_, errno);
    return absl::OkStatus();
  }

 private:
  absl::Status Closed(absl::string_view op) const {
    return absl::FailedPreconditionError(
        absl::StrCat(op, " ", path_, ": file is closed"));
  }

  const std::string path_;
  int fd_;  // -1 once closed.
};

class PosixMappedRegion final : public MappedRegion {
 public:
  PosixMappedRegion(std::string path, char* base, size_t size, bool writable)
      : path_(std::move(path)), base_(base), size_(size), writable_(writable) {}
  ~PosixMappedRegion() override { ::munmap(base_, size_); }

  char* data() override { return base_; }
  size_t size() const override { return size_; }
  bool writable() const override { return writable_; }

  void Prefault(size_t offset, size_t length) override {
    const size_t begin = offset / PageSize() * PageSize();
    if (begin >= size_) return;
    const size_t end = length >= size_ - offset ? size_ : offset + length;
#ifdef MADV_POPULATE_WRITE
    if (writable_ &&
        ::madvise(base_ + begin, end - begin, MADV_POPULATE_WRITE) == 0)
      return;
#endif
    // Older kernels: a read fault maps each page-cache page; the later write
    // then only marks it dirty.
    volatile const char* p = base_;
    for (size_t i = begin; i < end; i += PageSize()) (void)p[i];
  }

  absl::Status Sync(size_t offset, size_t length) override {
    if (!writable_) {
      return absl::FailedPreconditionError(
          absl::StrCat("msync ", path_, ": region is read-only"));
    }
    if (offset > size_ || length > size_ - offset) {
      return absl::InvalidArgumentError(
          absl::StrCat("msync ", path_, ": range [", offset, ", +", length,
                       ") is outside the ", size_, "-byte mapping"));
    }
    if (length == 0) return absl::OkStatus();
    // msync needs a page-aligned start; the end may stop anywhere inside the
    // last mapped page.
    const size_t start = offset - offset % PageSize();
    const size_t end = offset + length;
    if (RetryOnEintr([&] {
          return ::msync(base_ + start, end - start, MS_SYNC);
        }) != 0) {
      return IoError("msync", path_, errno);
    }
    return absl::OkStatus();
  }

 private:
  const std::string path_;
  char* const base_;
  const size_t size_;
  const bool writable_;
};

class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  // Closing the last descriptor of the open file description drops the flock.
  ~PosixFileLock() override { ::close(fd_); }

 private:
  const int fd_;
};

class PosixEnv final : public Env {
 public:
  absl::StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(
      const std::string& path) override {
    int fd = RetryOnEintr([&] {
      return ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                    0644);
    });
    if (fd < 0) return IoError("open", path, errno);
    return std::make_unique<PosixWritableFile>(path, fd);
  }

  absl::StatusOr<std::string> ReadFile(const std::string& path) override {
    int fd = RetryOnEintr(
        [&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
    if (fd < 0) return IoError("open", path, errno);
    std::string contents;
    char buffer[64 * 1024];
    for (;;) {
      ssize_t n =
          RetryOnEintr([&] { return ::read(fd, buffer, sizeof(buffer)); });
      if (n < 0) {
        absl::Status status = IoError("read", path, errno);
        ::close(fd);
        return status;
      }
      if (n == 0) break;
      contents.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return contents;
  }

  absl::Status AllocateFile(const std::string& path, uint64_t size) override {
    int fd = RetryOnEintr([&] {
      return ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    });
    if (fd < 0) return IoError("open", path, errno);
    absl::Status status = ReserveAndSync(fd, path, size);
    if (::close(fd) != 0 && errno != EINTR && status.ok()) {
      status = IoError("close", path, errno);
    }
    // Whatever failed, leave no partial file behind: a half-reserved segment
    // would later look like a valid, zero-filled one.
    if (!status.ok()) ::unlink(path.c_str());
    return status;
  }

  absl::Status AllocateSparseFile(const std::string& path, uint64_t size,
                                  uint64_t reserved_bytes, bool sync,
                                  std::string_view head) override {
    if (head.size() > size) {
      return absl::InvalidArgumentError(
          absl::StrCat("write ", path, ": head larger than the file"));
    }
    int fd = RetryOnEintr([&] {
      return ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    });
    if (fd < 0) return IoError("open", path, errno);
    absl::Status status = Reserve(fd, path, std::min(size, reserved_bytes));
    if (status.ok() && size > reserved_bytes &&
        RetryOnEintr(
            [&] { return ::ftruncate(fd, static_cast<off_t>(size)); }) != 0) {
      status = IoError("ftruncate", path, errno);
    }
    for (size_t done = 0; status.ok() && done < head.size();) {
      ssize_t n = RetryOnEintr([&] {
        return ::pwrite(fd, head.data() + done, head.size() - done,
                        static_cast<off_t>(done));
      });
      if (n < 0) {
        status = IoError("write", path, errno);
      } else {
        done += static_cast<size_t>(n);
      }
    }
    if (status.ok() && sync && RetryOnEintr([&] { return ::fsync(fd); }) != 0) {
      status = IoError("fsync", path, errno);
    }
    if (::close(fd) != 0 && errno != EINTR && status.ok()) {
      status = IoError("close", path, errno);
    }
    if (!status.ok()) ::unlink(path.c_str());
    return status;
  }

  absl::Status ReserveFileRange(const std::string& path, uint64_t offset,
                                uint64_t length) override {
    int fd =
        RetryOnEintr([&] { return ::open(path.c_str(), O_RDWR | O_CLOEXEC); });
    if (fd < 0) return IoError("open", path, errno);
    struct stat st;
    absl::Status status;
    if (::fstat(fd, &st) != 0) {
      status = IoError("fstat", path, errno);
    } else if (offset > static_cast<uint64_t>(st.st_size) ||
               length > static_cast<uint64_t>(st.st_size) - offset) {
      status = absl::InvalidArgumentError(
          absl::StrCat("fallocate ", path, ": range [", offset, ", +", length,
                       ") is outside the ", st.st_size, "-byte file"));
    } else if (length > 0) {
      int r = RetryOnEintr([&] {
        return ::fallocate(fd, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                           static_cast<off_t>(length));
      });
      // A file system that cannot reserve (EOPNOTSUPP) keeps the hole: the
      // cost is that running out of space surfaces later (see AllocateFile).
      if (r != 0 && errno != EOPNOTSUPP)
        status = IoError("fallocate", path, errno);
    }
    ::close(fd);
    return status;
  }

  absl::StatusOr<std::unique_ptr<MappedRegion>> MapFile(
      const std::string& path, bool writable) override {
    int fd = RetryOnEintr([&] {
      return ::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    });
    if (fd < 0) return IoError("open", path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      absl::Status status = IoError("fstat", path, errno);
      ::close(fd);
      return status;
    }
    if (st.st_size == 0) {
      ::close(fd);
      return absl::FailedPreconditionError(
          absl::StrCat("mmap ", path, ": cannot map an empty file"));
    }
    const size_t size = static_cast<size_t>(st.st_size);
    void* base =
        ::mmap(nullptr, size, writable ? PROT_READ | PROT_WRITE : PROT_READ,
               MAP_SHARED, fd, 0);
    const int mmap_errno = errno;
    // The mapping holds its own reference to the file; the descriptor is no
    // longer needed, and the mapping survives unlink and rename.
    ::close(fd);
    if (base == MAP_FAILED) return IoError("mmap", path, mmap_errno);
    return std::make_unique<PosixMappedRegion>(path, static_cast<char*>(base),
                                               size, writable);
  }

  absl::StatusOr<uint64_t> GetFileSize(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return IoError("stat", path, errno);
    if (S_ISDIR(st.st_mode)) return IoError("stat", path, EISDIR);
    return static_cast<uint64_t>(st.st_size);
  }

  bool FileExists(const std::string& path) override {
    return ::access(path.c_str(), F_OK) == 0;
  }

  absl::Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return IoError("unlink", path, errno);
    return absl::OkStatus();
  }

  absl::Status RenameFile(const std::string& from,
                          const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return IoError("rename", absl::StrCat(from, " -> ", to), errno);
    }
    return absl::OkStatus();
  }

  absl::Status CreateDir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) == 0) return absl::OkStatus();
    const int err = errno;
    struct stat st;
    if (err == EEXIST && ::stat(path.c_str(), &st) == 0 &&
        S_ISDIR(st.st_mode)) {
      return absl::OkStatus();
    }
    return IoError("mkdir", path, err);
  }

  absl::Status RemoveDir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0) return IoError("rmdir", path, errno);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& path) override {
    DIR* dir = ::opendir(path.c_str());  // glibc opens it O_CLOEXEC.
    if (dir == nullptr) return IoError("opendir", path, errno);
    std::vector<std::string> names;
    for (;;) {
      errno = 0;
      struct dirent* entry = ::readdir(dir);
      if (entry == nullptr) break;
      absl::string_view name = entry->d_name;
      if (name != "." && name != "..") names.emplace_back(name);
    }
    const int err = errno;
    ::closedir(dir);
    if (err != 0) return IoError("readdir", path, err);
    std::sort(names.begin(), names.end());
    return names;
  }

  absl::Status SyncTree(const std::string& path) override {
    int fd = RetryOnEintr([&] {
      return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    });
    if (fd < 0) return IoError("open", path, errno);
    absl::Status status;
    if (::syncfs(fd) != 0) status = IoError("syncfs", path, errno);
    ::close(fd);
    return status;
  }

  absl::Status SyncDir(const std::string& path) override {
    int fd = RetryOnEintr([&] {
      return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    });
    if (fd < 0) return IoError("open", path, errno);
    absl::Status status;
    if (RetryOnEintr([&] { return ::fsync(fd); }) != 0) {
      status = IoError("fsync", path, errno);
    }
    ::close(fd);
    return status;
  }

  absl::StatusOr<std::unique_ptr<FileLock>> LockFile(
      const std::string& path) override {
    int fd = RetryOnEintr([&] {
      return ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    });
    if (fd < 0) return IoError("open", path, errno);
    // flock() locks belong to the open file description, so a second open()
    // + flock() in this same process conflicts too (fcntl locks would not).
    if (RetryOnEintr([&] { return ::flock(fd, LOCK_EX | LOCK_NB); }) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return absl::UnavailableError(
            absl::StrCat("lock ", path, ": held by another owner"));
      }
      return IoError("flock", path, err);
    }
    return std::make_unique<PosixFileLock>(fd);
  }

  Clock* clock() override { return Clock::Real(); }

  absl::Status SetThreadAffinity(const std::vector<int>& cpus) override {
    if (absl::Status s = CheckCpus(cpus); !s.ok()) return s;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : cpus) CPU_SET(cpu, &set);
    int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    if (rc != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot pin a thread to CPUs ", absl::StrJoin(cpus, ","),
                       ": ", std::strerror(rc)));
    }
    return absl::OkStatus();
  }

 private:
  // Reserves `size` bytes for the new file `fd` and fsyncs it.
  static absl::Status ReserveAndSync(int fd, const std::string& path,
                                     uint64_t size) {
    if (absl::Status s = Reserve(fd, path, size); !s.ok()) return s;
    if (RetryOnEintr([&] { return ::fsync(fd); }) != 0) {
      return IoError("fsync", path, errno);
    }
    return absl::OkStatus();
  }

  // Reserves [0, size) and sets the size to at least `size`.
  static absl::Status Reserve(int fd, const std::string& path, uint64_t size) {
    if (size == 0) return absl::OkStatus();
    int err;
    do {
      // posix_fallocate returns the error instead of setting errno.
      err = ::posix_fallocate(fd, 0, static_cast<off_t>(size));
    } while (err == EINTR);
    if (err == EOPNOTSUPP) {
      // The file system cannot reserve blocks. A sparse file of the right
      // size still reads as zeros; the cost is that running out of space
      // surfaces later, as SIGBUS on a store through the mapping.
      if (RetryOnEintr(
              [&] { return ::ftruncate(fd, static_cast<off_t>(size)); }) != 0) {
        return IoError("ftruncate", path, errno);
      }
    } else if (err != 0) {
      return IoError("fallocate", path, err);
    }
    return absl::OkStatus();
  }
};

}  // namespace

Env* Env::Default() {
  // Leaked on purpose: usable during static destruction.
  static Env* const env = new PosixEnv;
  return env;
}

}  // namespace evlog
