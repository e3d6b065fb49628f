#include "store/store_meta.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "format/coding.h"
#include "topic/topic_config_codec.h"
#include "topic/topic_name.h"
#include "util/string_view.h"

namespace evlog {

std::string EncodeStoreMeta(const StoreMeta& meta) {
  std::string out = absl::StrCat(kStoreMetaMagic, " ", kStoreMetaVersion, "\n",
                                 "next_topic_id ", meta.next_topic_id, "\n");
  for (const TopicMeta& t : meta.topics) {
    absl::StrAppend(&out, "topic ", t.id, " ", t.name, " ", t.partitions);
    for (const auto& [k, v] : TopicConfigToPairs(t.config)) {
      absl::StrAppend(&out, " ", k, "=", v);
    }
    out += "\n";
  }
  absl::StrAppendFormat(&out, "checksum %016x\n",
                        format::Checksum(out.data(), out.size()));
  return out;
}

absl::StatusOr<StoreMeta> DecodeStoreMeta(const std::string& text) {
  auto bad = [](size_t line, std::string_view why) {
    return absl::DataLossError(
        absl::StrCat("store META line ", line, ": ", ToAbsl(why)));
  };
  size_t pos = text.rfind("checksum ");
  if (pos == std::string::npos || (pos > 0 && text[pos - 1] != '\n')) {
    return absl::DataLossError("store META: no checksum line");
  }
  uint64_t stored;
  std::string_view sum = std::string_view(text).substr(pos + 9);
  if (!sum.empty() && sum.back() == '\n') sum.remove_suffix(1);
  if (sum.size() != 16 || !absl::SimpleHexAtoi(ToAbsl(sum), &stored) ||
      stored != format::Checksum(text.data(), pos)) {
    return absl::DataLossError("store META: checksum mismatch");
  }
  std::vector<absl::string_view> lines = absl::StrSplit(
      absl::string_view(text).substr(0, pos), '\n', absl::SkipEmpty());
  StoreMeta meta;
  if (lines.empty() ||
      !absl::StartsWith(lines[0], absl::StrCat(kStoreMetaMagic, " "))) {
    return bad(1, "not an evlog store META");
  }
  if (lines[0] != absl::StrCat(kStoreMetaMagic, " ", kStoreMetaVersion)) {
    // A valid META of another format version: not corruption.
    return absl::FailedPreconditionError(absl::StrCat(
        "store META is '", lines[0],
        "': this evlog reads and writes only "
        "store format version ",
        kStoreMetaVersion,
        " (there is no conversion; recreate the store or read it with the "
        "evlog that wrote it)"));
  }
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<absl::string_view> f = absl::StrSplit(lines[i], ' ');
    if (f[0] == "next_topic_id" && f.size() == 2) {
      if (!absl::SimpleAtoi(f[1], &meta.next_topic_id))
        return bad(i + 1, "bad id");
    } else if (f[0] == "topic" && f.size() >= 4) {
      TopicMeta t;
      t.name = std::string(f[2]);
      if (!absl::SimpleAtoi(f[1], &t.id) ||
          !absl::SimpleAtoi(f[3], &t.partitions) || t.partitions < 1 ||
          !ValidateTopicName(t.name).ok() || t.id >= meta.next_topic_id) {
        return bad(i + 1, "bad topic line");
      }
      for (size_t j = 4; j < f.size(); ++j) {
        if (absl::Status s = ApplyTopicConfigAssignment(&t.config, ToStd(f[j]));
            !s.ok()) {
          return bad(i + 1, ToStd(s.message()));
        }
      }
      if (absl::Status s = t.config.Validate(); !s.ok())
        return bad(i + 1, ToStd(s.message()));
      meta.topics.push_back(std::move(t));
    } else {
      return bad(i + 1, "unknown line");
    }
  }
  return meta;
}

std::string TopicDirName(const TopicMeta& topic) {
  return absl::StrCat(topic.name, ".", topic.id);
}

}  // namespace evlog
