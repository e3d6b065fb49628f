// tools/evlog/output.cc: tables, JSON (on nlohmann::json) and time formatting.

#include <algorithm>
#include <ctime>
#include <ostream>

#include "absl/strings/escaping.h"
#include "cli.h"
#include "fmt/format.h"
#include "util/string_view.h"

namespace evlog::cli {

void Table::Print(std::ostream& out) const {
  std::vector<size_t> width(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  auto print = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    out << line << '\n';
  };
  print(header_);
  for (const auto& row : rows_) print(row);
}

std::string Dump(const Json& json) {
  // Bytes fields are checked (JsonObject::Bytes); replace is a safety net
  // for text that should have been valid UTF-8.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

JsonObject& JsonObject::Str(std::string_view key, std::string_view value) {
  j_[std::string(key)] = std::string(value);
  return *this;
}

JsonObject& JsonObject::Bytes(std::string_view key,
                              std::optional<std::string_view> value) {
  std::string k(key);
  if (!value) {
    j_[k] = nullptr;
    return *this;
  }
  Json text = std::string(*value);
  try {
    (void)text.dump();  // strict: throws on bytes that are not UTF-8
    j_[k] = std::move(text);
  } catch (const Json::type_error&) {
    j_[k] = absl::Base64Escape(ToAbsl(*value));
    j_[k + "_encoding"] = "base64";
  }
  return *this;
}

JsonObject& JsonObject::Int(std::string_view key, int64_t value) {
  j_[std::string(key)] = value;
  return *this;
}

JsonObject& JsonObject::Num(std::string_view key, double value) {
  j_[std::string(key)] = value;
  return *this;
}

JsonObject& JsonObject::Bool(std::string_view key, bool value) {
  j_[std::string(key)] = value;
  return *this;
}

JsonObject& JsonObject::Raw(std::string_view key, Json value) {
  j_[std::string(key)] = std::move(value);
  return *this;
}

Json JsonArray(std::vector<Json> items) {
  Json a = Json::array();
  for (Json& item : items) a.push_back(std::move(item));
  return a;
}

std::string FormatTime(int64_t ms) {
  if (ms < 0) return "-";
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return fmt::format("{}.{:03d}", buf, static_cast<int>(ms % 1000));
}

}  // namespace evlog::cli
