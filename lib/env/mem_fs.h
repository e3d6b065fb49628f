// env/mem_fs.h: the data model behind MemEnv (internal to lib/env).
//
// Every field here is guarded by the mutex of the MemEnv that owns the tree;
// crash images are built while that mutex is held.

#ifndef EVLOG_ENV_MEM_FS_H_
#define EVLOG_ENV_MEM_FS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "env/mem_env.h"

namespace evlog {
namespace memfs {

// A regular file.
struct Inode {
  // What reads and mappings see (the page cache). Held by shared_ptr so that
  // a mapping keeps it alive after the file is removed. While map_count > 0
  // the buffer is never resized or replaced, so mapped pointers stay valid.
  std::shared_ptr<std::string> current = std::make_shared<std::string>();
  // What survives a power loss (before page modes are applied).
  std::string durable;
  int map_count = 0;
  // Bytes from the start whose blocks are reserved (AllocateSparseFile,
  // ReserveFileRange); the rest of a sparse file is a hole, which counts
  // nothing against the capacity and must not be written through a mapping
  // (a real disk may answer with SIGBUS). Files made any other way are
  // reserved whole (kAllReserved).
  static constexpr uint64_t kAllReserved = ~uint64_t{0};
  uint64_t reserved = kAllReserved;
  // Bytes this inode counts against the capacity.
  uint64_t charged() const {
    return reserved < current->size() ? reserved : current->size();
  }
  // True while a current directory entry names this inode; only linked
  // inodes count against the MemEnv's capacity.
  bool linked = false;
};

struct Dir;

// A directory entry's target: exactly one of `file` and `dir` is set.
struct Node {
  std::shared_ptr<Inode> file;
  std::shared_ptr<Dir> dir;
  bool is_dir() const { return dir != nullptr; }
};

struct Dir {
  std::map<std::string, Node> current;  // What ListDir and lookups see.
  std::map<std::string, Node> durable;  // What SyncDir last made durable.
};

// Builds the directory tree a crash at this instant leaves behind (see
// CrashOptions). The result shares no object with `root`; its inodes are not
// yet marked linked (see AccountCurrent).
std::shared_ptr<Dir> CrashCopy(const std::shared_ptr<Dir>& root,
                               const CrashOptions& options);

// Marks every inode reachable through current entries as linked and returns
// the sum of their current sizes.
uint64_t AccountCurrent(Dir& root);

// Empties every directory reachable from `root` through current or durable
// entries. Unsynced directory renames can make shared_ptr cycles between
// directories; the owning MemEnv calls this on destruction to free them.
void ClearTree(Dir& root);

}  // namespace memfs
}  // namespace evlog

#endif  // EVLOG_ENV_MEM_FS_H_
