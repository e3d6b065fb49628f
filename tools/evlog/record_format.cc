// tools/evlog/record_format.cc

#include "record_format.h"

#include "absl/strings/str_cat.h"
#include "cli.h"

namespace evlog::cli {

absl::StatusOr<RecordFormat> RecordFormat::Parse(std::string_view format) {
  RecordFormat f;
  bool has_newline = false;
  for (size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if (c == '\\' && i + 1 < format.size()) {
      char e = format[++i];
      if (e == 'n') {
        f.format_ += '\n';
        has_newline = true;
      } else if (e == 't') {
        f.format_ += '\t';
      } else {
        f.format_ += e;
      }
      continue;
    }
    if (c == '%') {
      if (i + 1 == format.size())
        return UsageError("--format ends with a lone %");
      char p = format[++i];
      if (std::string_view("tpoTkshKS%").find(p) == std::string_view::npos) {
        return UsageError(absl::StrCat("--format: unknown placeholder %",
                                       std::string(1, p),
                                       " (use %t %p %o %T %k %s %h %K %S %%)"));
      }
      f.format_ += '%';
      f.format_ += p;
      continue;
    }
    if (c == '\n') has_newline = true;
    f.format_ += c;
  }
  if (!has_newline) f.format_ += '\n';
  return f;
}

void RecordFormat::Append(std::string_view topic, PartitionId partition,
                          const RecordView& r, std::string* out) const {
  for (size_t i = 0; i < format_.size(); ++i) {
    if (format_[i] != '%') {
      *out += format_[i];
      continue;
    }
    switch (format_[++i]) {
      case 't':
        out->append(topic);
        break;
      case 'p':
        absl::StrAppend(out, partition.value());
        break;
      case 'o':
        absl::StrAppend(out, r.offset().value());
        break;
      case 'T':
        absl::StrAppend(out, r.timestamp_ms());
        break;
      case 'k':
        if (r.key()) out->append(*r.key());
        break;
      case 's':
        if (r.value()) out->append(*r.value());
        break;
      case 'K':
        absl::StrAppend(out,
                        r.key() ? static_cast<int64_t>(r.key()->size()) : -1);
        break;
      case 'S':
        absl::StrAppend(
            out, r.value() ? static_cast<int64_t>(r.value()->size()) : -1);
        break;
      case 'h': {
        bool first = true;
        for (const HeaderView& h : r.headers()) {
          if (!first) *out += ',';
          first = false;
          out->append(h.key);
          if (h.value) {
            *out += '=';
            out->append(*h.value);
          }
        }
        break;
      }
      default:
        *out += '%';
        break;
    }
  }
}

Json RecordJson(std::string_view topic, PartitionId partition,
                const RecordView& r) {
  std::vector<Json> headers;
  for (const HeaderView& h : r.headers()) {
    headers.push_back(JsonObject().Bytes("key", h.key).Bytes("value", h.value));
  }
  return JsonObject()
      .Str("topic", topic)
      .Int("partition", partition.value())
      .Int("offset", r.offset().value())
      .Int("timestamp", r.timestamp_ms())
      .Bytes("key", r.key())
      .Bytes("value", r.value())
      .Raw("headers", JsonArray(headers))
      .json();
}

}  // namespace evlog::cli
