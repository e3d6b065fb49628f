// evlog_crash_child: the process that campaign 1 (process crashes) kills.
//
//   evlog_crash_child produce <store dir> <seed> <run> <ack fd>
//     Opens the store on the real file system (creating the topics "none",
//     "interval" and "every", one per Durability, 3 partitions each, small
//     segments so that rolls are frequent), then produces forever from
//     kProducerThreads threads -- single sends and atomic batches to random
//     partitions -- and one more thread with SendAsync (acked from the
//     producer's sender thread, in the callback, once the record's outcome
//     is known), while a consumer of group "g" reads every partition,
//     checks each record and commits its positions. Every acknowledgement
//     is written to <ack fd> as one fixed-size Ack (a single write(2) of
//     fewer than PIPE_BUF bytes, so acks from several threads never mix),
//     AFTER the call that acknowledged it returned. The parent SIGKILLs the
//     process at a random moment; nothing here ever exits on its own except
//     on an error, which it reports on stderr with exit status 2.
//
//   evlog_crash_child hold <store dir>
//     Opens the store, writes "R" to stdout and holds it (and its lock)
//     until stdin reaches EOF. Used by the bad-input campaign for "a store
//     held by another running process".

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "evlog/consumer.h"
#include "evlog/producer.h"
#include "evlog/store.h"
#include "reliability/crash_protocol.h"
#include "reliability/reliability_util.h"

namespace evlog::reliability {
namespace {

constexpr int kProducerThreads = 3;

[[noreturn]] void Die(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "evlog_crash_child: %s: %s\n", what.c_str(),
               s.ToString().c_str());
  std::fflush(stderr);
  std::_Exit(2);
}

void WriteAck(int fd, const Ack& a) {
  const char* p = reinterpret_cast<const char*>(&a);
  size_t left = sizeof a;
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::_Exit(3);  // the parent went away
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

void Produce(Store* store, uint64_t seed, uint64_t run, int thread, int fd) {
  auto producer = store->NewProducer();
  if (!producer.ok()) Die("NewProducer", producer.status());
  std::mt19937_64 rng(seed * 1000003 + run * 31 + thread);
  uint64_t seq = 0;
  while (true) {
    int topic = static_cast<int>(rng() % kCrashTopics.size());
    int partition = static_cast<int>(rng() % kCrashPartitions);
    int count = rng() % 5 == 0 ? 2 + static_cast<int>(rng() % 4) : 1;
    std::vector<std::unique_ptr<OwnedSend>> sends;
    std::vector<Record> records;
    uint64_t base_id = CrashUid(run, thread, seq);
    seq += count;
    for (int i = 0; i < count; ++i) {
      sends.push_back(
          std::make_unique<OwnedSend>(Uid{base_id + i, static_cast<uint32_t>(i),
                                          static_cast<uint32_t>(count)}));
      records.push_back(sends.back()->AsRecord());
    }
    SendOptions so{.partition = PartitionId(partition)};
    const std::string& name = kCrashTopics[topic];
    if (count == 1) {
      auto sent = (*producer)->Send(name, records[0], so);
      if (!sent.ok()) Die("Send " + name, sent.status());
      WriteAck(fd, Ack{.kind = Ack::kRecord,
                       .topic = static_cast<uint8_t>(topic),
                       .partition = static_cast<uint16_t>(partition),
                       .offset = sent->offset.value(),
                       .uid = base_id});
    } else {
      auto sent = (*producer)->SendBatch(name, records, so);
      if (!sent.ok()) Die("SendBatch " + name, sent.status());
      for (int i = 0; i < count; ++i) {
        WriteAck(fd, Ack{.kind = Ack::kRecord,
                         .topic = static_cast<uint8_t>(topic),
                         .partition = static_cast<uint16_t>(partition),
                         .offset = sent->base_offset.value() + i,
                         .uid = base_id + i});
      }
    }
  }
}

// Asynchronous sends: the callback writes the ack, so a record is
// acknowledged exactly when SendAsync's contract says it is.
void ProduceAsync(Store* store, uint64_t seed, uint64_t run, int fd) {
  const int thread = kProducerThreads;  // its uids' thread field
  auto producer = store->NewProducer(
      {.linger_ms = 1, .batch_size = 8 << 10, .buffer_memory = 256 << 10});
  if (!producer.ok()) Die("NewProducer", producer.status());
  std::mt19937_64 rng(seed * 1000003 + run * 31 + thread);
  for (uint64_t seq = 0;; ++seq) {
    const int topic = static_cast<int>(rng() % kCrashTopics.size());
    const int partition = static_cast<int>(rng() % kCrashPartitions);
    const uint64_t uid = CrashUid(run, thread, seq);
    OwnedSend send(Uid{uid, 0, 1});
    const std::string& name = kCrashTopics[topic];
    absl::Status queued = (*producer)->SendAsync(
        name, send.AsRecord(),
        [=](const absl::StatusOr<SendResult>& sent) {
          if (!sent.ok()) Die("SendAsync callback " + name, sent.status());
          WriteAck(fd, Ack{.kind = Ack::kRecord,
                           .topic = static_cast<uint8_t>(topic),
                           .partition = static_cast<uint16_t>(partition),
                           .offset = sent->offset.value(),
                           .uid = uid});
        },
        {.partition = PartitionId(partition)});
    if (!queued.ok()) Die("SendAsync " + name, queued);
    if (rng() % 500 == 0) {
      if (absl::Status s = (*producer)->Flush(); !s.ok()) Die("Flush", s);
    }
  }
}

void Consume(Store* store, int fd) {
  ConsumerOptions o;
  o.group_id = kCrashGroup;
  o.auto_offset_reset = AutoOffsetReset::kEarliest;
  o.enable_auto_commit = false;
  o.max_poll_records = 200;
  auto c = store->NewConsumer(o);
  if (!c.ok()) Die("NewConsumer", c.status());
  std::vector<TopicPartition> all;
  for (const std::string& t : kCrashTopics) {
    for (int p = 0; p < kCrashPartitions; ++p)
      all.push_back({t, PartitionId(p)});
  }
  if (absl::Status s = (*c)->Assign(all); !s.ok()) Die("Assign", s);
  PollResult batch;
  while (true) {
    if (absl::Status s = (*c)->Poll(std::chrono::milliseconds(2), &batch);
        !s.ok()) {
      Die("Poll", s);
    }
    if (batch.empty()) continue;
    for (const ConsumerRecord& r : batch) {
      ReadRecord rr;
      if (r.record.key()) rr.key = std::string(*r.record.key());
      if (r.record.value()) rr.value = std::string(*r.record.value());
      for (const HeaderView& h : r.record.headers()) {
        rr.headers.emplace_back(
            std::string(h.key),
            h.value ? std::optional<std::string>(std::string(*h.value))
                    : std::nullopt);
      }
      if (!CheckRecord(rr)) {
        WriteAck(fd, Ack{.kind = Ack::kCorruptSeen,
                         .offset = r.record.offset().value()});
      }
    }
    std::vector<TopicPartitionOffset> commit;
    for (const TopicPartition& tp : all) {
      auto pos = (*c)->Position(tp);
      if (!pos.ok()) Die("Position", pos.status());
      commit.push_back({tp, *pos});
    }
    if (absl::Status s = (*c)->CommitSync(commit); !s.ok())
      Die("CommitSync", s);
    for (const TopicPartitionOffset& tpo : commit) {
      int topic = 0;
      while (kCrashTopics[topic] != tpo.tp.topic) ++topic;
      WriteAck(fd,
               Ack{.kind = Ack::kCommit,
                   .topic = static_cast<uint8_t>(topic),
                   .partition = static_cast<uint16_t>(tpo.tp.partition.value()),
                   .offset = tpo.offset.value()});
    }
  }
}

int ProduceMain(const std::string& dir, uint64_t seed, uint64_t run, int fd) {
  StoreOptions options = CrashStoreOptions();
  auto store = Store::Open(dir, options);
  if (!store.ok()) Die("Store::Open " + dir, store.status());
  std::vector<std::string> have = (*store)->ListTopics();
  for (size_t i = 0; i < kCrashTopics.size(); ++i) {
    if (std::find(have.begin(), have.end(), kCrashTopics[i]) != have.end())
      continue;
    absl::Status s =
        (*store)->CreateTopic(kCrashTopics[i], kCrashPartitions,
                              CrashTopicConfig(static_cast<int>(i)));
    if (!s.ok()) Die("CreateTopic", s);
  }
  WriteAck(fd, Ack{.kind = Ack::kReady});
  std::vector<std::thread> threads;
  for (int t = 0; t < kProducerThreads; ++t) {
    threads.emplace_back(Produce, store->get(), seed, run, t, fd);
  }
  threads.emplace_back(ProduceAsync, store->get(), seed, run, fd);
  threads.emplace_back(Consume, store->get(), fd);
  for (auto& t : threads) t.join();  // never: the parent kills us
  return 0;
}

int HoldMain(const std::string& dir) {
  StoreOptions options;
  options.maintenance_interval_ms = 0;
  auto store = Store::Open(dir, options);
  if (!store.ok()) Die("Store::Open " + dir, store.status());
  std::fputs("R", stdout);
  std::fflush(stdout);
  char buf[64];
  while (::read(0, buf, sizeof buf) > 0) {
  }
  return 0;
}

}  // namespace
}  // namespace evlog::reliability

int main(int argc, char** argv) {
  using namespace evlog::reliability;
  if (argc == 6 && std::strcmp(argv[1], "produce") == 0) {
    return ProduceMain(argv[2], std::strtoull(argv[3], nullptr, 10),
                       std::strtoull(argv[4], nullptr, 10), std::atoi(argv[5]));
  }
  if (argc == 3 && std::strcmp(argv[1], "hold") == 0) return HoldMain(argv[2]);
  std::fprintf(stderr,
               "usage: %s produce <dir> <seed> <run> <ack fd>\n"
               "       %s hold <dir>\n",
               argv[0], argv[0]);
  return 1;
}
