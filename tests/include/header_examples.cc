// The examples of the public headers' comments, compiled as a user's project
// compiles them (-Wall -Wextra -Werror, public include paths only; see
// headers.cmake) and run against an in-memory store. Each function mirrors
// one header's example; keep them in step when a header's example changes.
// Exits non-zero (naming the example) if an example's call fails.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>

#include "evlog/evlog.h"
#include "evlog/fmt.h"
#include "evlog/observability.h"

namespace {

int failures = 0;

void Check(bool ok, std::string_view what) {
  if (!ok) {
    std::cerr << "header example failed: " << what << '\n';
    ++failures;
  }
}

// evlog/record.h
void RecordExample() {
  evlog::HeaderView hdr[] = {{"trace-id", "abc"}};
  evlog::Record r{.key = "user-42", .value = "{\"clicks\":3}", .headers = hdr};
  Check(r.headers.size() == 1 && r.timestamp_ms == evlog::kNoTimestamp,
        "record.h");
}

// evlog/store.h and evlog/evlog.h
void StoreExample(evlog::Store& store) {
  absl::Status s = store.CreateTopic("orders", 3);  // 3 partitions
  Check(s.ok(), "store.h CreateTopic");
  auto producer = store.NewProducer();
  Check(producer.ok(), "store.h NewProducer");
  if (!producer.ok()) return;
  auto sent = (*producer)->Send("orders", {.key = "order-17", .value = "{}"});
  Check(sent.ok(), "store.h Send");
}

// evlog/producer.h
void ProducerExample(evlog::Store& store) {
  Check(store.CreateTopic("clicks", 2).ok(), "producer.h CreateTopic");
  auto producer = store.NewProducer();
  if (!producer.ok()) return Check(false, "producer.h NewProducer");
  evlog::HeaderView headers[] = {{"source", "web"}};
  auto sent = (*producer)->Send(
      "clicks", {.key = "user-9", .value = "42", .headers = headers});
  Check(sent.ok() && sent->partition == evlog::PartitionForKey("user-9", 2),
        "producer.h Send");
  evlog::SendOptions options{.partition = evlog::PartitionId(1)};
  Check((*producer)->Send("clicks", {.value = "x"}, options).ok(),
        "producer.h SendOptions");
}

// evlog/consumer.h
void ConsumerExample(evlog::Store& store) {
  evlog::ConsumerOptions opts;
  opts.group_id = "billing";
  opts.auto_offset_reset = evlog::AutoOffsetReset::kEarliest;
  auto consumer = store.NewConsumer(opts);
  if (!consumer.ok()) return Check(false, "consumer.h NewConsumer");
  Check((*consumer)->Subscribe({"orders"}).ok(), "consumer.h Subscribe");
  evlog::PollResult batch;
  int seen = 0;
  for (int i = 0; i < 50 && seen == 0; ++i) {
    absl::Status s = (*consumer)->Poll(std::chrono::milliseconds(100), &batch);
    if (absl::IsCancelled(s)) break;
    if (!s.ok()) return Check(false, "consumer.h Poll");
    for (const evlog::ConsumerRecord& r : batch) {
      seen += r.topic == "orders" && r.record.key() == "order-17";
    }
  }
  Check(seen == 1, "consumer.h: the record sent by store.h's example");
  Check((*consumer)->CommitSync().ok(), "consumer.h CommitSync");
  Check((*consumer)->Close().ok(), "consumer.h Close");
}

// evlog/group.h
void GroupExample(evlog::Store& store) {
  auto groups = store.ListGroups();
  auto d = store.DescribeGroup("billing");
  Check(!groups.empty() && d.ok(), "group.h DescribeGroup");
  if (!d.ok()) return;
  for (const auto& p : d->partitions) {
    std::printf("%s lag %lld\n", evlog::ToString(p.tp).c_str(),
                static_cast<long long>(p.lag.value_or(0)));
  }
  auto reset = store.ResetGroupOffsets("billing", "orders",
                                       evlog::OffsetReset::ToTime(0));
  Check(reset.ok(), "group.h ResetGroupOffsets");
}

// evlog/env.h
absl::Status EnvExample() {
  std::unique_ptr<evlog::Env> env = evlog::NewMemEnv();
  auto file = env->NewWritableFile("/tmp/x");
  if (!file.ok()) return file.status();
  return (*file)->Close();
}

// evlog/observability.h
struct Alerts : evlog::EventListener {
  void OnCorruptionFound(const evlog::CorruptionInfo& info) override {
    std::cerr << fmt::format("{}: {}", info.tp, info.detail) << '\n';
  }
};

void ObservabilityExample() {
  Alerts alerts;
  evlog::StoreOptions options;
  options.event_listener = &alerts;
  options.logger = [](evlog::LogLevel level, std::string_view component,
                      std::string_view message) {
    if (level >= evlog::LogLevel::kWarning)
      std::clog << component << ": " << message << '\n';
  };
  auto store = evlog::Store::OpenInMemory(options);
  if (!store.ok()) return Check(false, "observability.h OpenInMemory");
  evlog::MetricsSnapshot m = (*store)->Metrics();
  Check(m.counters.appends == 0 && m.sync_latency.Percentile(0.99) >= 0,
        "observability.h Metrics");
}

// evlog/fmt.h
void FmtExample() {
  evlog::TopicPartition tp{.topic = "orders",
                           .partition = evlog::PartitionId(3)};
  evlog::Offset offset(42);
  Check(fmt::format("{} at {}", tp, offset) == "orders-3 at 42", "fmt.h");
  Check(fmt::format("{:>6}", evlog::PartitionId(3)) == "     3", "fmt.h width");
}

// evlog/options.h: designated initialisers of the option structs.
void OptionsExample() {
  evlog::TopicConfig config{.segment_bytes = 16 << 20, .retention_ms = -1};
  evlog::StoreOptions store{.create_if_missing = false};
  evlog::ConsumerOptions consumer{.group_id = "g", .client_id = "c"};
  evlog::ProducerOptions producer{.sticky_records = 8};
  Check(config.Validate().ok() && !store.create_if_missing &&
            consumer.max_poll_records == 500 && producer.sticky_records == 8,
        "options.h");
}

}  // namespace

int main() {
  RecordExample();
  auto store = evlog::Store::OpenInMemory();
  if (!store.ok()) {
    std::cerr << store.status() << '\n';
    return 1;
  }
  StoreExample(**store);
  ProducerExample(**store);
  ConsumerExample(**store);
  GroupExample(**store);
  Check(EnvExample().ok(), "env.h");
  ObservabilityExample();
  FmtExample();
  OptionsExample();
  Check((*store)->Close().ok(), "Close");
  if (failures == 0) std::cout << "every header example compiled and ran\n";
  return failures == 0 ? 0 : 1;
}
