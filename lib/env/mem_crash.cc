// The crash model of MemEnv: what a process crash or a power loss leaves.

#include <algorithm>
#include <cstring>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "env/mem_fs.h"

namespace evlog {
namespace memfs {
namespace {

enum class PageMode { kDrop, kKeep, kTear, kZero };

class Copier {
 public:
  explicit Copier(const CrashOptions& options)
      : options_(options), rng_(options.seed) {
    if (options.allow_drop) modes_.push_back(PageMode::kDrop);
    if (options.allow_keep) modes_.push_back(PageMode::kKeep);
    if (options.allow_tear) modes_.push_back(PageMode::kTear);
    if (options.allow_zero) modes_.push_back(PageMode::kZero);
    if (modes_.empty()) modes_.push_back(PageMode::kDrop);
  }

  // Entries are visited in name order (std::map), so the PRNG draws, and
  // hence the image, depend only on the state and the seed. The memo keeps
  // one copy per object (an inode may be named by both a durable and a
  // current entry) and stops cycles that unsynced directory renames can
  // create between durable maps.
  std::shared_ptr<Dir> CopyDir(const std::shared_ptr<Dir>& dir) {
    auto [it, inserted] = dirs_.try_emplace(dir.get());
    if (!inserted) return it->second;
    auto copy = std::make_shared<Dir>();
    it->second = copy;
    for (const auto& [name, node] : dir->durable) {
      copy->durable[name] = CopyNode(node);
    }
    if (options_.kind == CrashOptions::kProcessCrash) {
      for (const auto& [name, node] : dir->current) {
        copy->current[name] = CopyNode(node);
      }
    } else {
      copy->current = copy->durable;
    }
    return copy;
  }

 private:
  Node CopyNode(const Node& node) {
    if (node.is_dir()) return Node{nullptr, CopyDir(node.dir)};
    return Node{CopyFile(node.file), nullptr};
  }

  std::shared_ptr<Inode> CopyFile(const std::shared_ptr<Inode>& inode) {
    auto [it, inserted] = files_.try_emplace(inode.get());
    if (!inserted) return it->second;
    auto copy = std::make_shared<Inode>();
    copy->reserved = inode->reserved;
    if (options_.kind == CrashOptions::kProcessCrash) {
      *copy->current = *inode->current;
      copy->durable = inode->durable;
    } else {
      copy->durable = AfterPowerLoss(*inode->current, inode->durable);
      *copy->current = copy->durable;
    }
    it->second = copy;
    return copy;
  }

  PageMode Pick() { return modes_[rng_() % modes_.size()]; }

  // The bytes of one file after a power loss. If the size changed since the
  // last sync, the new size survives unless the draw says "drop"; bytes past
  // either old end read as zeros (an extent whose size was committed but
  // whose data was not, as on ext4 data=writeback).
  std::string AfterPowerLoss(const std::string& current,
                             const std::string& durable) {
    if (current == durable) return durable;
    size_t size = durable.size();
    if (current.size() != durable.size() && Pick() != PageMode::kDrop) {
      size = current.size();
    }
    std::string out = durable;
    out.resize(size, '\0');
    std::string now = current;
    now.resize(size, '\0');
    for (size_t page = 0; page < size; page += MemEnv::kPageSize) {
      const size_t n = std::min(MemEnv::kPageSize, size - page);
      char* dst = out.data() + page;
      const char* src = now.data() + page;
      if (std::memcmp(dst, src, n) == 0) continue;
      switch (Pick()) {
        case PageMode::kDrop:
          break;
        case PageMode::kKeep:
          std::memcpy(dst, src, n);
          break;
        case PageMode::kTear: {
          // A strict prefix, never empty, so that a torn page always mixes
          // both versions when its first and last bytes both differ.
          const size_t cut = n < 2 ? n : 1 + rng_() % (n - 1);
          std::memcpy(dst, src, cut);
          break;
        }
        case PageMode::kZero:
          for (size_t i = 0; i < n; ++i) {
            if (dst[i] != src[i]) dst[i] = '\0';
          }
          break;
      }
    }
    return out;
  }

  const CrashOptions options_;
  std::mt19937_64 rng_;
  std::vector<PageMode> modes_;
  std::unordered_map<const Dir*, std::shared_ptr<Dir>> dirs_;
  std::unordered_map<const Inode*, std::shared_ptr<Inode>> files_;
};

// `seen` guards against the directory cycles described in Copier.
void Account(Dir& dir, std::unordered_set<const Dir*>* seen, uint64_t* total) {
  if (!seen->insert(&dir).second) return;
  for (auto& [name, node] : dir.current) {
    if (node.is_dir()) {
      Account(*node.dir, seen, total);
    } else if (!node.file->linked) {
      node.file->linked = true;
      *total += node.file->charged();
    }
  }
}

}  // namespace

std::shared_ptr<Dir> CrashCopy(const std::shared_ptr<Dir>& root,
                               const CrashOptions& options) {
  return Copier(options).CopyDir(root);
}

void ClearTree(Dir& root) {
  // Collect first, clear after: clearing while walking would free
  // directories that are still to be visited.
  std::vector<std::shared_ptr<Dir>> dirs;
  std::unordered_set<const Dir*> seen{&root};
  std::vector<Dir*> stack{&root};
  while (!stack.empty()) {
    Dir* dir = stack.back();
    stack.pop_back();
    for (const auto* entries : {&dir->current, &dir->durable}) {
      for (const auto& [name, node] : *entries) {
        if (node.is_dir() && seen.insert(node.dir.get()).second) {
          dirs.push_back(node.dir);
          stack.push_back(node.dir.get());
        }
      }
    }
  }
  root.current.clear();
  root.durable.clear();
  for (const std::shared_ptr<Dir>& dir : dirs) {
    dir->current.clear();
    dir->durable.clear();
  }
}

uint64_t AccountCurrent(Dir& root) {
  uint64_t total = 0;
  std::unordered_set<const Dir*> seen;
  Account(root, &seen, &total);
  return total;
}

}  // namespace memfs
}  // namespace evlog
