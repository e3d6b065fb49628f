// quickstart: the smallest complete evlog program. Opens a store on disk,
// creates a topic, appends records with keys, and reads them back with a
// consumer -- first by manual assignment, then as a group member that
// commits its position.
//
// Build and run: cmake --build build/dev --target quickstart &&
//                build/dev/examples/quickstart [DIR]

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "evlog/evlog.h"

// Every evlog call returns absl::Status or absl::StatusOr<T>: no exceptions.
#define CHECK_OK(expr)                                 \
  do {                                                 \
    absl::Status _s = (expr);                          \
    if (!_s.ok()) {                                    \
      std::fprintf(stderr, "%s: %s\n", #expr,          \
                   std::string(_s.message()).c_str()); \
      return 1;                                        \
    }                                                  \
  } while (0)

int main(int argc, char** argv) {
  std::string dir =
      argc > 1 ? argv[1]
               : (std::filesystem::temp_directory_path() / "evlog-quickstart")
                     .string();
  std::filesystem::remove_all(dir);

  // 1. Open (creating) a store: a directory of topics.
  auto store = evlog::Store::Open(dir);
  CHECK_OK(store.status());

  // 2. A topic with 2 partitions; records with the same key share a partition.
  evlog::TopicConfig config;
  config.segment_bytes = 4 << 20;  // 4 MiB segment files
  config.durability =
      evlog::Durability::kInterval;  // sync every 1000 ms / 10000 records
  CHECK_OK((*store)->CreateTopic("greetings", 2, config));

  // 3. Produce. Send() returns once the record is in the log.
  auto producer = (*store)->NewProducer();
  CHECK_OK(producer.status());
  for (const char* name : {"ada", "grace", "linus", "ada"}) {
    std::string value = std::string("hello, ") + name;
    evlog::HeaderView headers[] = {{"lang", "en"}};
    auto sent = (*producer)->Send(
        "greetings", {.key = name, .value = value, .headers = headers});
    CHECK_OK(sent.status());
    std::printf("sent %-8s -> partition %d offset %lld\n", name,
                sent->partition.value(),
                static_cast<long long>(sent->offset.value()));
  }

  // 4. Consume both partitions from the beginning (manual assignment).
  evlog::ConsumerOptions reader_options;
  reader_options.auto_offset_reset = evlog::AutoOffsetReset::kEarliest;
  auto reader = (*store)->NewConsumer(reader_options);
  CHECK_OK(reader.status());
  CHECK_OK((*reader)->Assign({{"greetings", evlog::PartitionId(0)},
                              {"greetings", evlog::PartitionId(1)}}));
  auto batch = (*reader)->Poll(std::chrono::milliseconds(100));
  CHECK_OK(batch.status());
  for (const evlog::ConsumerRecord& r : *batch) {
    // Zero-copy views into the log, valid while `batch` lives.
    std::printf(
        "read %s-%d@%lld  %.*s = %.*s\n", std::string(r.topic).c_str(),
        r.partition.value(), static_cast<long long>(r.record.offset().value()),
        static_cast<int>(r.record.key()->size()), r.record.key()->data(),
        static_cast<int>(r.record.value()->size()), r.record.value()->data());
  }
  if (batch->size() != 4) return 1;

  // 5. As a member of a consumer group: the committed offset survives restarts.
  evlog::ConsumerOptions group_options;
  group_options.group_id = "greeters";
  group_options.auto_offset_reset = evlog::AutoOffsetReset::kEarliest;
  auto member = (*store)->NewConsumer(group_options);
  CHECK_OK(member.status());
  CHECK_OK((*member)->Subscribe({"greetings"}));
  size_t seen = 0;
  for (int i = 0; i < 20 && seen < 4; ++i) {  // the first polls join the group
    auto polled = (*member)->Poll(std::chrono::milliseconds(50));
    CHECK_OK(polled.status());
    seen += polled->size();
  }
  CHECK_OK((*member)->CommitSync());
  auto group = (*store)->DescribeGroup("greeters");
  CHECK_OK(group.status());
  for (const auto& p : group->partitions) {
    std::printf("group greeters: %s committed %lld, lag %lld\n",
                evlog::ToString(p.tp).c_str(),
                static_cast<long long>(p.committed->value()),
                static_cast<long long>(p.lag.value_or(0)));
  }

  // 6. Consumers and producers go before the store; Close() flushes.
  member->reset();
  reader->reset();
  producer->reset();
  CHECK_OK((*store)->Close());
  std::printf(
      "store left in %s; try: evlog topic describe greetings --dir %s\n",
      dir.c_str(), dir.c_str());
  return seen == 4 ? 0 : 1;
}
