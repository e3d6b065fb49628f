// tools/evlog/mirror_command.cc: `evlog mirror` -- copies topics between the
// store in --dir and a Kafka cluster with evlog::kafka::Mirror
// (evlog/kafka_mirror.h). Built only with the Kafka backend.
//
//   evlog mirror --dir D --bootstrap H:P --topic T [--topic T2 ...]
//                [--from-kafka] [--source-id ID] [--once | --status]
//
// Default direction: the store -> Kafka, reading the store read-only (so it
// works while an application appends to it) and following it. With
// --from-kafka: Kafka -> the store (which it must hold exclusively).
// --status prints each partition's next offset, source end and lag and
// exits; --once copies until caught up and exits; otherwise it runs until
// killed, printing the lag every second. Resumable after a kill.

#include <chrono>
#include <ostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli.h"
#include "evlog/kafka.h"
#include "evlog/kafka_mirror.h"

namespace evlog::cli {
namespace {

void PrintStatus(const kafka::MirrorStatus& st, bool json, std::ostream& out) {
  if (json) {
    std::vector<Json> parts;
    for (const kafka::MirrorPartitionStatus& p : st.partitions) {
      parts.push_back(JsonObject()
                          .Str("topic", p.tp.topic)
                          .Int("partition", p.tp.partition.value())
                          .Int("next", p.next.value())
                          .Int("source_end", p.source_end.value())
                          .Int("lag", p.lag));
    }
    out << JsonObject()
               .Int("lag", st.lag)
               .Int("records_copied", st.records_copied)
               .Int("errors", st.errors)
               .Str("last_error",
                    st.last_error.ok() ? "" : st.last_error.ToString())
               .Raw("partitions", JsonArray(parts))
               .str()
        << "\n";
    return;
  }
  Table t({"TOPIC", "PARTITION", "NEXT", "SOURCE-END", "LAG"});
  for (const kafka::MirrorPartitionStatus& p : st.partitions) {
    t.AddRow({p.tp.topic, std::to_string(p.tp.partition.value()),
              std::to_string(p.next.value()),
              std::to_string(p.source_end.value()), std::to_string(p.lag)});
  }
  t.Print(out);
  out << "lag " << st.lag << ", copied " << st.records_copied << ", errors "
      << st.errors
      << (st.last_error.ok()
              ? ""
              : absl::StrCat(" (last: ", st.last_error.ToString(), ")"))
      << "\n";
}

}  // namespace

absl::Status RunMirror(const Args& args, Io& io) {
  auto dir = args.Dir();
  if (!dir.ok()) return dir.status();
  auto bootstrap = args.Get("bootstrap");
  if (!bootstrap) return UsageError("mirror needs --bootstrap HOST:PORT");
  std::vector<std::string> topics = args.GetAll("topic");
  if (topics.empty()) return UsageError("mirror needs --topic T (repeatable)");
  kafka::KafkaStoreOptions ko;
  ko.bootstrap_servers = *bootstrap;
  auto kafka_store = kafka::OpenStore(ko);
  if (!kafka_store.ok()) return kafka_store.status();
  bool from_kafka = args.Has("from-kafka");
  auto local =
      from_kafka ? OpenForWriting(*dir, /*create=*/true) : OpenForReading(*dir);
  if (!local.ok()) return local.status();
  kafka::MirrorOptions mo;
  mo.topics = topics;
  mo.source_id = args.Get("source-id").value_or(*dir);
  Store* source =
      from_kafka ? kafka_store->get() : static_cast<Store*>(local->get());
  Store* target =
      from_kafka ? static_cast<Store*>(local->get()) : kafka_store->get();
  auto mirror = kafka::Mirror::New(source, target, mo);
  if (!mirror.ok()) return mirror.status();
  if (args.Has("status")) {
    PrintStatus((*mirror)->Status(), args.json(), *io.out);
    return absl::OkStatus();
  }
  if (args.Has("once")) {
    auto n = (*mirror)->RunOnce();
    if (!n.ok()) return n.status();
    PrintStatus((*mirror)->Status(), args.json(), *io.out);
    return absl::OkStatus();
  }
  std::thread runner([&] { (*mirror)->Run().IgnoreError(); });
  for (;;) {  // until the process is killed; progress once a second
    std::this_thread::sleep_for(std::chrono::seconds(1));
    PrintStatus((*mirror)->Status(), args.json(), *io.out);
    io.out->flush();
  }
}

}  // namespace evlog::cli
