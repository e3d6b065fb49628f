#include "group/offsets_file.h"

#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "format/coding.h"
#include "topic/topic_name.h"
#include "util/string_view.h"

namespace evlog {

std::string EncodeGroupOffsets(const GroupOffsets& g) {
  std::string out = absl::StrCat(kOffsetsMagic, " ", kOffsetsVersion, "\n",
                                 "group ", g.group, "\n");
  for (const CommittedOffsetEntry& e : g.offsets) {
    absl::StrAppend(&out, "offset ", e.topic_id, " ", e.topic, " ", e.partition,
                    " ", e.offset, "\n");
  }
  absl::StrAppendFormat(&out, "checksum %016x\n",
                        format::Checksum(out.data(), out.size()));
  return out;
}

absl::StatusOr<GroupOffsets> DecodeGroupOffsets(const std::string& text) {
  auto bad = [](size_t line, std::string_view why) {
    return absl::DataLossError(
        absl::StrCat("group OFFSETS line ", line, ": ", ToAbsl(why)));
  };
  size_t pos = text.rfind("checksum ");
  if (pos == std::string::npos || (pos > 0 && text[pos - 1] != '\n')) {
    return absl::DataLossError("group OFFSETS: no checksum line");
  }
  uint64_t stored;
  std::string_view sum = std::string_view(text).substr(pos + 9);
  if (sum.size() != 17 || sum.back() != '\n' ||
      !absl::SimpleHexAtoi(ToAbsl(sum.substr(0, 16)), &stored) ||
      stored != format::Checksum(text.data(), pos)) {
    return absl::DataLossError("group OFFSETS: checksum mismatch");
  }
  std::vector<absl::string_view> lines = absl::StrSplit(
      absl::string_view(text).substr(0, pos), '\n', absl::SkipEmpty());
  if (lines.size() < 2 ||
      lines[0] != absl::StrCat(kOffsetsMagic, " ", kOffsetsVersion)) {
    return bad(1, "not an evlog OFFSETS file of a known version");
  }
  GroupOffsets g;
  std::vector<absl::string_view> head = absl::StrSplit(lines[1], ' ');
  if (head.size() != 2 || head[0] != "group")
    return bad(2, "expected 'group <id>'");
  g.group = std::string(head[1]);
  for (size_t i = 2; i < lines.size(); ++i) {
    std::vector<absl::string_view> f = absl::StrSplit(lines[i], ' ');
    CommittedOffsetEntry e;
    if (f.size() != 5 || f[0] != "offset" ||
        !absl::SimpleAtoi(f[1], &e.topic_id) ||
        !absl::SimpleAtoi(f[3], &e.partition) ||
        !absl::SimpleAtoi(f[4], &e.offset) || e.partition < 0 || e.offset < 0 ||
        !ValidateTopicName(ToStd(f[2])).ok()) {
      return bad(i + 1,
                 "expected 'offset <topic id> <topic> <partition> <offset>'");
    }
    e.topic = std::string(f[2]);
    g.offsets.push_back(std::move(e));
  }
  return g;
}

}  // namespace evlog
