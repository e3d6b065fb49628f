#include "storage/epoch_file.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "format/coding.h"
#include "format/format.h"
#include "storage/durable_file.h"

namespace evlog {

std::string EncodeEpochFile(uint32_t epoch) {
  std::string out(format::kEpochFileSize, '\0');
  char* p = out.data();
  std::memcpy(p, format::kEpochMagic, sizeof(format::kEpochMagic));
  format::Store<uint32_t>(p + 8, format::kEpochFileVersion);
  format::Store<uint32_t>(p + 12, epoch);
  format::Store<uint64_t>(p + 16, format::Checksum(p, 16));
  return out;
}

absl::StatusOr<uint32_t> DecodeEpochFile(const std::string& bytes) {
  const char* p = bytes.data();
  if (bytes.size() != format::kEpochFileSize ||
      std::memcmp(p, format::kEpochMagic, sizeof(format::kEpochMagic)) != 0) {
    return absl::DataLossError("EPOCH: not an epoch file");
  }
  if (format::Load<uint64_t>(p + 16) != format::Checksum(p, 16)) {
    return absl::DataLossError("EPOCH: checksum mismatch");
  }
  if (format::Load<uint32_t>(p + 8) != format::kEpochFileVersion) {
    return absl::DataLossError("EPOCH: unknown version");
  }
  return format::Load<uint32_t>(p + 12);
}

absl::StatusOr<uint32_t> BumpEpoch(Env* env, const std::string& dir,
                                   bool must_exist) {
  const std::string path = absl::StrCat(dir, "/", format::kEpochFileName);
  uint32_t epoch = 0;
  if (!env->FileExists(path) && must_exist) {
    return absl::DataLossError(
        absl::StrCat(path,
                     " is missing, but the directory holds data written under "
                     "earlier epochs (FORMAT.md, \"Writer epochs\")"));
  }
  if (env->FileExists(path)) {
    auto bytes = env->ReadFile(path);
    if (!bytes.ok()) return bytes.status();
    auto decoded = DecodeEpochFile(*bytes);
    if (!decoded.ok()) {
      return absl::DataLossError(
          absl::StrCat(path, ": ", decoded.status().message()));
    }
    epoch = *decoded;
  }
  if (epoch == UINT32_MAX) {
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": the writer epoch is exhausted"));
  }
  ++epoch;
  if (absl::Status s = ReplaceFileDurably(env, dir, format::kEpochFileName,
                                          EncodeEpochFile(epoch));
      !s.ok()) {
    return s;
  }
  return epoch;
}

}  // namespace evlog
