// tools/evlog/produce_command.cc: `evlog produce TOPIC` -- one record per
// line of standard input (kcat -P, kafka-console-producer).

#include <istream>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "cli.h"
#include "evlog/producer.h"

namespace evlog::cli {

absl::Status RunProduce(const Args& args, Io& io) {
  constexpr char kUsage[] =
      "produce TOPIC --dir DIR [--key-separator SEP] [--partition P] "
      "[--header k=v ...] [--sync] [--acks]";
  if (auto s = args.ExpectPositional(1, kUsage); !s.ok()) return s;
  const std::string& topic = args.positional()[0];
  std::optional<std::string> separator = args.Get("key-separator");
  if (separator && separator->empty())
    return UsageError("--key-separator is empty");
  SendOptions send_options;
  auto partition = args.GetInt("partition");
  if (!partition.ok()) return partition.status();
  if (partition->has_value())
    send_options.partition = PartitionId(static_cast<int32_t>(**partition));

  // Header strings own the bytes the HeaderViews point to.
  std::vector<std::string> header_args = args.GetAll("header");
  std::vector<HeaderView> headers;
  for (const std::string& h : header_args) {
    size_t eq = h.find('=');
    if (eq == 0)
      return UsageError(absl::StrCat("--header \"", h, "\" has an empty key"));
    // "k=v" -> value v; "k" -> a null value (Kafka allows both).
    if (eq == std::string::npos) {
      headers.push_back({h, std::nullopt});
    } else {
      headers.push_back({std::string_view(h).substr(0, eq),
                         std::string_view(h).substr(eq + 1)});
    }
  }
  const bool sync = args.Has("sync");
  const bool acks = args.Has("acks");

  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  auto store = OpenForWriting(*dir, /*create=*/false);
  if (!store.ok()) return store.status();
  // Fail before reading any input if the topic does not exist.
  if (auto d = (*store)->DescribeTopic(topic); !d.ok()) return d.status();
  auto producer = (*store)->NewProducer();
  if (!producer.ok()) return producer.status();

  std::string line;
  int64_t count = 0;
  while (std::getline(*io.in, line)) {
    Record record;
    record.value = line;
    record.headers = headers;
    if (separator) {
      if (size_t at = line.find(*separator); at != std::string::npos) {
        record.key = std::string_view(line).substr(0, at);
        record.value = std::string_view(line).substr(at + separator->size());
      }
    }
    auto sent = (*producer)->Send(topic, record, send_options);
    if (!sent.ok()) {
      return absl::Status(
          sent.status().code(),
          absl::StrCat("record ", count + 1, ": ", sent.status().message()));
    }
    if (sync) {
      if (auto s = (*producer)->Flush(); !s.ok()) return s;
    }
    ++count;
    if (acks) {
      if (args.json()) {
        *io.out << JsonObject()
                       .Int("partition", sent->partition.value())
                       .Int("offset", sent->offset.value())
                       .Int("timestamp", sent->timestamp_ms)
                       .str()
                << '\n';
      } else {
        *io.out << sent->partition.value() << '\t' << sent->offset.value()
                << '\n';
      }
      io.out->flush();
    }
  }
  if (auto s = (*producer)->Close(); !s.ok()) return s;
  producer->reset();
  return (*store)->Close();
}

}  // namespace evlog::cli
