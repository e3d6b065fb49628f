// Fuzz target: sequences of public-API calls -- topic create/delete/add
// partitions, sends and batches of any size, flushes, maintenance, group
// commits, reads, clean reopens, process crashes and power losses -- on a
// Store over a MemEnv, checked against a simple in-memory model after every
// step: the exact status code of every call, every record read back, and
// after a power loss a log that is a prefix of the model no shorter than
// what was durable.

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "env/mem_env.h"
#include "evlog/producer.h"
#include "evlog/store.h"
#include "format/batch_codec.h"
#include "reliability/reliability_util.h"

namespace {

using namespace evlog;
using namespace evlog::reliability;

class Input {
 public:
  Input(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  bool empty() const { return i_ >= n_; }
  uint8_t Byte() { return i_ < n_ ? d_[i_++] : 0; }
  uint32_t Below(uint32_t n) { return n == 0 ? 0 : Byte() % n; }

 private:
  const uint8_t* d_;
  size_t n_, i_ = 0;
};

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "api_sequence_fuzz: %s\n", what);
  std::abort();
}

struct Part {
  std::vector<uint64_t> ids;  // record ids by offset
  int64_t durable = 0;
};
struct Topic {
  Durability durability;
  std::vector<Part> parts;
};

constexpr const char* kNames[] = {"a", "b", "c"};

TopicConfig ConfigFor(Durability d) {
  TopicConfig c;
  c.segment_bytes = 4096;
  c.max_record_bytes = 1024;
  c.index_interval_bytes = 256;
  c.durability = d;
  c.flush_messages = 3;
  c.flush_ms = 5;
  c.segment_ms = 20;
  c.retention_ms = -1;
  return c;
}

StoreOptions Options(Env* env) {
  StoreOptions o;
  o.env = env;
  o.maintenance_interval_ms = 0;
  return o;
}

class Driver {
 public:
  Driver() : env_(std::make_unique<MemEnv>(&clock_)) { Open(); }
  ~Driver() { CloseStore(); }

  void Step(Input& in) {
    const uint32_t op = in.Below(12);
    if (std::getenv("API_FUZZ_TRACE")) std::fprintf(stderr, "op %u\n", op);
    switch (op) {
      case 0:
        Create(in);
        break;
      case 1:
        Delete(in);
        break;
      case 2:
      case 3:
      case 4:
        Send(in, 1);
        break;
      case 5:
        Send(in, 1 + in.Below(8));
        break;
      case 6:
        if (store_->Flush().code() != absl::StatusCode::kOk) Fail("Flush");
        break;
      case 7:
        Verify(in);
        break;
      case 8:
        Reopen(in);
        break;
      case 9:
        Commit(in);
        break;
      case 10:
        AddPartition(in);
        break;
      case 11:
        clock_.AdvanceMs(in.Below(40));
        if (!store_->RunMaintenance().ok()) Fail("RunMaintenance");
        break;
    }
    UpdateDurable();
  }

  void VerifyAll() {
    for (const auto& [name, t] : topics_) {
      for (size_t p = 0; p < t.parts.size(); ++p)
        VerifyPartition(name, static_cast<int>(p), false);
    }
  }

 private:
  void Open() {
    auto s = Store::Open("/s", Options(env_.get()));
    if (!s.ok()) Fail("Store::Open");
    store_ = *std::move(s);
    auto p = store_->NewProducer();
    if (!p.ok()) Fail("NewProducer");
    producer_ = *std::move(p);
    std::vector<std::string> want;
    for (const auto& [n, t] : topics_) want.push_back(n);
    if (store_->ListTopics() != want) Fail("topic set after reopen");
    // Committed offsets survive every kind of reopen (commits are durable).
    if (!commits_.empty()) {
      ConsumerOptions co;
      co.group_id = "g";
      auto c = store_->NewConsumer(co);
      if (!c.ok()) Fail("NewConsumer");
      for (const auto& [tp, off] : commits_) {
        auto got = (*c)->Committed({tp});
        if (!got.ok() || !got->at(tp) || got->at(tp)->value() != off) {
          std::fprintf(stderr, "%s: expected %lld, got %s\n",
                       ToString(tp).c_str(), static_cast<long long>(off),
                       !got.ok() ? got.status().ToString().c_str()
                       : got->at(tp)
                           ? std::to_string(got->at(tp)->value()).c_str()
                           : "none");
          Fail("committed offset");
        }
      }
    }
  }
  void CloseStore() {
    producer_.reset();
    if (store_) (void)store_->Close();
    store_.reset();
  }

  void Create(Input& in) {
    std::string name = kNames[in.Below(3)];
    int32_t n = 1 + static_cast<int32_t>(in.Below(3));
    Durability d = static_cast<Durability>(in.Below(3));
    absl::Status s = store_->CreateTopic(name, n, ConfigFor(d));
    if (topics_.count(name)) {
      if (!absl::IsAlreadyExists(s)) Fail("CreateTopic of an existing topic");
      return;
    }
    if (!s.ok()) Fail("CreateTopic");
    topics_[name] = Topic{d, std::vector<Part>(static_cast<size_t>(n))};
  }

  void Delete(Input& in) {
    std::string name = kNames[in.Below(3)];
    absl::Status s = store_->DeleteTopic(name);
    if (!topics_.count(name)) {
      if (!absl::IsNotFound(s)) Fail("DeleteTopic of an unknown topic");
      return;
    }
    if (!s.ok()) Fail("DeleteTopic");
    topics_.erase(name);
    for (auto it = commits_.begin(); it != commits_.end();) {
      it = it->first.topic == name ? commits_.erase(it) : std::next(it);
    }
  }

  void AddPartition(Input& in) {
    std::string name = kNames[in.Below(3)];
    auto it = topics_.find(name);
    int32_t total = it == topics_.end()
                        ? 2
                        : static_cast<int32_t>(it->second.parts.size()) + 1;
    absl::Status s = store_->AddPartitions(name, total);
    if (it == topics_.end()) {
      if (!absl::IsNotFound(s)) Fail("AddPartitions of an unknown topic");
      return;
    }
    if (!s.ok()) Fail("AddPartitions");
    it->second.parts.emplace_back();
  }

  void Send(Input& in, uint32_t count) {
    std::string name = kNames[in.Below(3)];
    int32_t p = static_cast<int32_t>(in.Below(4));
    bool big = in.Below(16) == 0;  // an oversize record
    std::vector<std::unique_ptr<OwnedSend>> sends;
    std::vector<Record> records;
    size_t frame = 48;
    for (uint32_t i = 0; i < count; ++i) {
      sends.push_back(std::make_unique<OwnedSend>(Uid{next_id_ + i, i, count}));
      if (big && i == 0) sends.back()->value += std::string(1100, 'x');
      records.push_back(sends.back()->AsRecord());
      frame += format::EncodedRecordSize(records.back());
    }
    SendOptions so{.partition = PartitionId(p)};
    absl::StatusOr<int64_t> offset;
    if (count == 1) {
      auto r = producer_->Send(name, records[0], so);
      offset = r.ok() ? absl::StatusOr<int64_t>(r->offset.value()) : r.status();
    } else {
      auto r = producer_->SendBatch(name, records, so);
      offset =
          r.ok() ? absl::StatusOr<int64_t>(r->base_offset.value()) : r.status();
    }
    auto it = topics_.find(name);
    absl::StatusCode want = absl::StatusCode::kOk;
    if (it == topics_.end()) {
      want = absl::StatusCode::kNotFound;
    } else if (p >= static_cast<int32_t>(it->second.parts.size())) {
      want = absl::StatusCode::kOutOfRange;
    } else if (big || frame > 4096 - 64) {
      want = absl::StatusCode::kResourceExhausted;
    }
    if (std::getenv("API_FUZZ_TRACE")) {
      std::fprintf(stderr, "send %s-%d x%u -> %s\n", name.c_str(), p, count,
                   offset.ok() ? std::to_string(*offset).c_str()
                               : offset.status().ToString().c_str());
    }
    if (offset.status().code() != want) Fail("send status code");
    if (!offset.ok()) return;
    Part& part = it->second.parts[p];
    if (*offset != static_cast<int64_t>(part.ids.size())) Fail("send offset");
    for (uint32_t i = 0; i < count; ++i) part.ids.push_back(next_id_ + i);
    next_id_ += count;
  }

  void Commit(Input& in) {
    std::string name = kNames[in.Below(3)];
    auto it = topics_.find(name);
    if (it == topics_.end()) return;
    ConsumerOptions co;
    co.group_id = "g";
    co.enable_auto_commit = false;  // else Close commits its position
    auto c = store_->NewConsumer(co);
    if (!c.ok()) Fail("NewConsumer");
    TopicPartition tp{name, PartitionId(0)};
    if (!(*c)->Assign({tp}).ok()) Fail("Assign");
    int64_t off =
        in.Below(static_cast<uint32_t>(it->second.parts[0].ids.size()) + 1);
    if (!(*c)->CommitSync({{tp, Offset(off)}}).ok()) Fail("CommitSync");
    if (std::getenv("API_FUZZ_TRACE"))
      std::fprintf(stderr, "commit %s %lld\n", ToString(tp).c_str(),
                   static_cast<long long>(off));
    commits_[tp] = off;
  }

  void UpdateDurable() {
    for (auto& [name, t] : topics_) {
      auto d = store_->DescribeTopic(name);
      if (!d.ok() || d->partitions.size() != t.parts.size())
        Fail("DescribeTopic");
      for (size_t p = 0; p < t.parts.size(); ++p) {
        if (d->partitions[p].end_offset.value() !=
            static_cast<int64_t>(t.parts[p].ids.size())) {
          Fail("end offset");
        }
        t.parts[p].durable = std::max(
            t.parts[p].durable, d->partitions[p].durable_end_offset.value());
      }
    }
  }

  void VerifyPartition(const std::string& name, int p, bool power_loss) {
    Part& part = topics_[name].parts[static_cast<size_t>(p)];
    auto records = ReadPartition(*store_, name, p);
    if (!records.ok()) Fail("read");
    if (power_loss) {
      int64_t n = static_cast<int64_t>(records->size());
      if (n < part.durable || n > static_cast<int64_t>(part.ids.size())) {
        std::fprintf(stderr,
                     "%s-%d: %lld records after the power loss; durable %lld, "
                     "written %zu\n",
                     name.c_str(), p, static_cast<long long>(n),
                     static_cast<long long>(part.durable), part.ids.size());
        Fail("durable prefix");
      }
      part.ids.resize(static_cast<size_t>(n));
      part.durable = n;
      for (auto& [tp, off] : commits_) {
        if (tp.topic == name && tp.partition.value() == p && off > n) {
          // A commit may point past records a power loss took; it is kept.
        }
      }
    }
    if (records->size() != part.ids.size()) Fail("record count");
    for (size_t i = 0; i < records->size(); ++i) {
      auto uid = CheckRecord((*records)[i]);
      if (!uid) Fail("corrupt record returned");
      if ((*records)[i].offset != static_cast<int64_t>(i) ||
          uid->id != part.ids[i]) {
        Fail("wrong record at offset");
      }
    }
  }

  void Verify(Input& in) {
    if (topics_.empty()) return;
    auto it = topics_.begin();
    std::advance(it, in.Below(static_cast<uint32_t>(topics_.size())));
    VerifyPartition(it->first,
                    static_cast<int>(in.Below(
                        static_cast<uint32_t>(it->second.parts.size()))),
                    false);
  }

  void Reopen(Input& in) {
    uint8_t how = in.Byte();
    if (std::getenv("API_FUZZ_TRACE"))
      std::fprintf(stderr, "reopen %d modes %d\n", how % 3, how);
    if (how % 3 == 0) {  // clean
      CloseStore();
      Open();
      return;
    }
    CrashOptions c;
    c.kind =
        how % 3 == 1 ? CrashOptions::kProcessCrash : CrashOptions::kPowerLoss;
    c.seed = in.Byte();
    c.allow_drop = how & 8;
    c.allow_keep = how & 16;
    c.allow_tear = how & 32;
    c.allow_zero = how & 64;
    auto image = env_->CrashImage(c);
    CloseStore();
    env_ = std::move(image);
    Open();
    if (c.kind == CrashOptions::kPowerLoss) {
      for (auto& [name, t] : topics_) {
        for (size_t p = 0; p < t.parts.size(); ++p)
          VerifyPartition(name, static_cast<int>(p), true);
      }
    }
  }

  FakeClock clock_;
  std::unique_ptr<MemEnv> env_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Producer> producer_;
  std::map<std::string, Topic> topics_;
  std::map<TopicPartition, int64_t> commits_;
  uint64_t next_id_ = 1;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  Input in(data, size);
  Driver d;
  int steps = 0;
  while (!in.empty() && steps++ < 300) d.Step(in);
  d.VerifyAll();
  return 0;
}
