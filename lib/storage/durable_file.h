// storage/durable_file.h: the durability protocol, written once.
//
//   new file:    write -> fsync file -> fsync directory
//   replace:     write tmp -> fsync tmp -> rename over -> fsync directory
//   new dir:     mkdir -> fsync parent
//
// After a crash at any point a replaced file is either wholly old or wholly
// new; a leftover `<name>.tmp` is garbage that readers ignore and openers
// remove.

#ifndef EVLOG_STORAGE_DURABLE_FILE_H_
#define EVLOG_STORAGE_DURABLE_FILE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "evlog/env.h"

namespace evlog {

// Suffix of the temporary file used by ReplaceFileDurably.
inline constexpr char kTmpSuffix[] = ".tmp";

// Atomically replaces (or creates) `dir`/`name` with `contents`.
absl::Status ReplaceFileDurably(Env* env, const std::string& dir,
                                const std::string& name,
                                std::string_view contents);

// Same without the final directory fsync, for derived data (indexes) where a
// lost rename only costs a rebuild; the caller syncs the directory later.
absl::Status ReplaceFileNoDirSync(Env* env, const std::string& dir,
                                  const std::string& name,
                                  std::string_view contents);

// Creates `parent`/`name` (OK if it exists) and makes the entry durable.
absl::Status CreateDirDurably(Env* env, const std::string& parent,
                              const std::string& name);

// Removes `path` and everything below it (files and directories). OK if it
// does not exist. Not atomic: callers make the removal unreachable first
// (e.g. by committing metadata without it).
absl::Status RemoveTree(Env* env, const std::string& path);

}  // namespace evlog

#endif  // EVLOG_STORAGE_DURABLE_FILE_H_
