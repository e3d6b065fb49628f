// An application built against evlog with find_package(evlog CONFIG): writes
// three records to an in-memory store and reads them back.
#include <cstdio>

#include "evlog/evlog.h"

int main() {
  auto store = evlog::Store::OpenInMemory();
  if (!store.ok()) return 1;
  if (!(*store)->CreateTopic("greetings", 1).ok()) return 1;
  auto producer = (*store)->NewProducer();
  if (!producer.ok()) return 1;
  for (const char* who : {"world", "evlog", "cmake"}) {
    auto sent = (*producer)->Send("greetings", {.key = who, .value = "hello"});
    if (!sent.ok()) {
      std::fprintf(stderr, "send: %s\n",
                   std::string(sent.status().message()).c_str());
      return 1;
    }
  }
  auto d = (*store)->DescribeTopic("greetings");
  if (!d.ok() || d->partitions[0].end_offset != evlog::Offset(3)) return 1;
  std::printf("evlog %s: 3 records in topic greetings, end offset %lld\n",
              std::string(evlog::kVersionString).c_str(),
              static_cast<long long>(d->partitions[0].end_offset.value()));
  return 0;
}
