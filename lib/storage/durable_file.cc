#include "storage/durable_file.h"

#include "absl/strings/str_cat.h"

namespace evlog {

absl::Status ReplaceFileNoDirSync(Env* env, const std::string& dir,
                                  const std::string& name,
                                  std::string_view contents) {
  std::string final_path = absl::StrCat(dir, "/", name);
  std::string tmp = final_path + kTmpSuffix;
  auto file = env->NewWritableFile(tmp);
  if (!file.ok()) return file.status();
  absl::Status s = (*file)->Append(contents);
  if (s.ok()) s = (*file)->Sync();
  absl::Status closed = (*file)->Close();
  if (s.ok()) s = closed;
  if (s.ok()) s = env->RenameFile(tmp, final_path);
  if (!s.ok()) env->RemoveFile(tmp).IgnoreError();
  return s;
}

absl::Status ReplaceFileDurably(Env* env, const std::string& dir,
                                const std::string& name,
                                std::string_view contents) {
  if (absl::Status s = ReplaceFileNoDirSync(env, dir, name, contents);
      !s.ok()) {
    return s;
  }
  return env->SyncDir(dir);
}

absl::Status CreateDirDurably(Env* env, const std::string& parent,
                              const std::string& name) {
  if (absl::Status s = env->CreateDir(absl::StrCat(parent, "/", name));
      !s.ok()) {
    return s;
  }
  return env->SyncDir(parent);
}

absl::Status RemoveTree(Env* env, const std::string& path) {
  auto entries = env->ListDir(path);
  if (!entries.ok()) {
    if (absl::IsNotFound(entries.status())) return absl::OkStatus();
    // Not a directory: a plain file.
    absl::Status s = env->RemoveFile(path);
    return absl::IsNotFound(s) ? absl::OkStatus() : s;
  }
  for (const std::string& name : *entries) {
    std::string child = absl::StrCat(path, "/", name);
    absl::Status s = env->RemoveFile(child);
    if (!s.ok() && !absl::IsNotFound(s)) s = RemoveTree(env, child);
    if (!s.ok()) return s;
  }
  return env->RemoveDir(path);
}

}  // namespace evlog
