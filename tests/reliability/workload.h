// A seeded store workload for campaigns 2 and 3: sends, atomic batches,
// asynchronous sends (a window of SendAsync completed by Flush or by
// closing the producer; the sender thread's syncs are crash points too),
// flushes, maintenance (interval syncs, age rolls), group commits, topic
// create/delete/add-partitions and clean reopens, on topics of every
// durability mode with 4 KiB segments (a roll every few records). It keeps
// the StoreModel (workload_model.h) up to date, marking what is in flight
// before each call so that a crash image taken inside the call (from a
// MemEnv sync hook) is checked against "old or new".
//
// Errors are tolerated (campaign 3 injects them): a failed call leaves its
// effect "maybe"; after each operation the model is reconciled with what
// the live store shows (a record of a failed send that did land is adopted,
// one that did not is forgotten).

#ifndef EVLOG_TESTS_RELIABILITY_WORKLOAD_H_
#define EVLOG_TESTS_RELIABILITY_WORKLOAD_H_

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "evlog/producer.h"
#include "evlog/store.h"
#include "reliability/workload_model.h"

namespace evlog::reliability {

inline constexpr char kCommitTopic[] = "c";
inline constexpr int64_t kForeverMs = 3600 * 1000;

inline TopicConfig WorkloadTopicConfig(Durability d) {
  TopicConfig c;
  c.segment_bytes = 4096;
  c.max_record_bytes = 1024;
  c.index_interval_bytes = 512;
  c.durability = d;
  c.flush_messages = 5;
  c.flush_ms = 10;
  c.segment_ms = 50;
  c.retention_ms = -1;
  return c;
}

inline StoreOptions WorkloadStoreOptions(Env* env) {
  StoreOptions o;
  o.env = env;
  o.maintenance_interval_ms = 0;  // RunMaintenance is an operation
  return o;
}

class Workload {
 public:
  static constexpr char kDir[] = "/store";

  // `env` (not owned) holds the store; `clock` is its FakeClock.
  Workload(Env* env, FakeClock* clock, uint64_t seed)
      : env_(env), clock_(clock), rng_(seed), seed_(seed) {}
  ~Workload() { Close(); }

  const StoreModel& model() const { return model_; }
  int64_t records_written() const { return written_; }
  int64_t records_acked() const { return acked_; }
  int64_t async_records_acked() const { return async_acked_; }
  int64_t failed_calls() const { return failed_; }
  // Problems found while running (an acknowledged offset that moved, a
  // reopen that showed something neither old nor new, ...).
  const std::vector<std::string>& problems() const { return problems_; }

  // Runs `ops` operations (the first opens the store and creates topics).
  void Run(int ops) {
    for (int i = 0; i < ops; ++i) Step();
  }

  // One operation.
  void Step() {
    if (store_ == nullptr) {
      Open();
      return;
    }
    uint64_t r = rng_() % 100;
    if (r < 47) {
      SendOne();
    } else if (r < 55) {
      SendAsync();
    } else if (r < 68) {
      SendBatch();
    } else if (r < 73) {
      Flush();
    } else if (r < 80) {
      Maintenance();
    } else if (r < 88) {
      Commit();
    } else if (r < 91) {
      CreateTopic();
    } else if (r < 93) {
      DeleteTopic();
    } else if (r < 95) {
      AddPartitions();
    } else {
      Reopen();
    }
    Reconcile();
  }

  // The process dies: the store is dropped without a word to `env_`
  // (whose state the caller replaces by a kProcessCrash image of it) and
  // the next Step reopens on `image`. Every acknowledged record must still
  // be there; the model does not change.
  void CrashProcess(Env* image) {
    Close();  // closes the store on the old env, which the caller discards
    env_ = image;
  }

  // Destroys the store (Close errors are ignored: campaign 3 fails them).
  void Close() {
    consumer_.reset();
    producer_.reset();
    if (store_) store_->Close().IgnoreError();
    store_.reset();
  }

 private:
  void Problem(std::string s) {
    if (problems_.size() < 20) problems_.push_back(std::move(s));
  }
  void Failed() { ++failed_; }

  void Open() {
    auto s = Store::Open(kDir, WorkloadStoreOptions(env_));
    if (!s.ok()) {
      Failed();
      return;
    }
    store_ = *std::move(s);
    // Async batches are cut only by Flush/Close (and batch_size), never
    // by the real clock, so a seed replays the same sync points.
    auto p = store_->NewProducer({.linger_ms = kForeverMs});
    if (!p.ok()) {
      Failed();
      Close();
      return;
    }
    producer_ = *std::move(p);
    // Whatever a failed admin call left is now decided: adopt the topic set.
    std::map<std::string, int32_t> got;
    for (const std::string& n : store_->ListTopics()) {
      auto d = store_->DescribeTopic(n);
      if (d.ok()) got[n] = static_cast<int32_t>(d->partitions.size());
    }
    if (model_.topics_if_done) {
      std::map<std::string, int32_t> done;
      for (const auto& [n, v] : *model_.topics_if_done) done[n] = v.second;
      if (got == done) ApplyTopicSet(*model_.topics_if_done);
      model_.topics_if_done.reset();
    }
    std::map<std::string, int32_t> have;
    for (const auto& [n, t] : model_.topics) have[n] = t.partitions;
    if (got != have)
      Problem("reopen shows a topic set that is neither old nor new");
    Reconcile();
    // Initial topics (idempotent).
    const std::pair<const char*, Durability> initial[] = {
        {"none", Durability::kNone},
        {"interval", Durability::kInterval},
        {"every", Durability::kEveryAppend},
        {kCommitTopic, Durability::kEveryAppend}};
    for (const auto& [name, d] : initial) {
      if (!model_.topics.count(name) && !model_.topics_if_done)
        DoCreate(name, 2, d);
    }
  }

  void Reopen() {
    Close();
    Open();
  }

  std::vector<std::string> Live() const {
    std::vector<std::string> v;
    for (const auto& [n, t] : model_.topics) v.push_back(n);
    return v;
  }

  // A random live topic other than the commit topic's... any topic.
  bool Pick(std::string* name, int32_t* p) {
    auto live = Live();
    if (live.empty()) return false;
    *name = live[rng_() % live.size()];
    *p = static_cast<int32_t>(rng_() % model_.topics[*name].partitions);
    return true;
  }

  void Send(int count) {
    std::string name;
    int32_t p;
    if (!Pick(&name, &p)) return;
    PartModel& pm = model_.topics[name].parts[p];
    std::vector<std::unique_ptr<OwnedSend>> sends;
    std::vector<Record> records;
    uint64_t base = (seed_ << 32) + next_id_;
    next_id_ += count;
    for (int i = 0; i < count; ++i) {
      sends.push_back(std::make_unique<OwnedSend>(Uid{
          base + i, static_cast<uint32_t>(i), static_cast<uint32_t>(count)}));
      records.push_back(sends.back()->AsRecord());
      pm.ids.push_back(base + i);  // in flight
    }
    written_ += count;
    SendOptions so{.partition = PartitionId(p)};
    absl::StatusOr<int64_t> offset;
    if (count == 1) {
      auto sent = producer_->Send(name, records[0], so);
      offset = sent.ok() ? absl::StatusOr<int64_t>(sent->offset.value())
                         : sent.status();
    } else {
      auto sent = producer_->SendBatch(name, records, so);
      offset = sent.ok() ? absl::StatusOr<int64_t>(sent->base_offset.value())
                         : sent.status();
    }
    if (!offset.ok()) {
      Failed();
      return;  // Reconcile decides whether it landed
    }
    if (*offset != pm.acked_end ||
        pm.ids.size() != static_cast<size_t>(pm.acked_end + count)) {
      Problem(name + "-" + std::to_string(p) + ": acknowledged at offset " +
              std::to_string(*offset) + ", expected " +
              std::to_string(pm.acked_end));
      pm.ids.resize(static_cast<size_t>(*offset));
      for (int i = 0; i < count; ++i) pm.ids.push_back(base + i);
    }
    pm.acked_end = *offset + count;
    acked_ += count;
  }
  void SendOne() { Send(1); }

  // 1..8 SendAsync calls to one partition, then Flush or Close of the
  // producer (which must complete them). While the sender thread appends,
  // this thread waits in Flush/Close, so the sync hook (run on the sender
  // thread) sees a model nobody changes. The callbacks fill `results`;
  // Flush/Close returning orders their writes before the reads below.
  void SendAsync() {
    std::string name;
    int32_t p;
    if (!Pick(&name, &p)) return;
    const int count = 1 + static_cast<int>(rng_() % 8);
    PartModel& pm = model_.topics[name].parts[p];
    std::vector<std::unique_ptr<OwnedSend>> sends;
    uint64_t base = (seed_ << 32) + next_id_;
    next_id_ += count;
    for (int i = 0; i < count; ++i) {
      sends.push_back(std::make_unique<OwnedSend>(Uid{base + i, 0, 1}));
      pm.ids.push_back(base + i);  // in flight
    }
    written_ += count;
    std::vector<std::optional<absl::StatusOr<SendResult>>> results(count);
    int queued = 0;
    for (int i = 0; i < count; ++i) {
      absl::Status s = producer_->SendAsync(
          name, sends[i]->AsRecord(),
          [&results, i](const absl::StatusOr<SendResult>& r) {
            results[i] = r;
          },
          {.partition = PartitionId(p)});
      if (!s.ok()) break;  // later ones are not sent either
      ++queued;
    }
    const bool close = rng_() % 4 == 0;
    absl::Status done = close ? producer_->Close() : producer_->Flush();
    if (!done.ok()) Failed();
    absl::Cleanup renew = [&] {
      if (!close) return;
      auto np = store_->NewProducer({.linger_ms = kForeverMs});
      if (np.ok()) {
        producer_ = *std::move(np);
      } else {
        Failed();
        Close();  // the next Step reopens
      }
    };
    const int64_t first = pm.acked_end;
    for (int i = 0; i < count; ++i) {
      if (i >= queued) {
        Failed();
        return;  // Reconcile decides what landed
      }
      if (!results[i]) {
        Problem(name + "-" + std::to_string(p) +
                ": an async send's callback did not run before " +
                (close ? "Close" : "Flush") + " returned");
        return;
      }
      if (!results[i]->ok()) {
        Failed();
        return;  // a later record may have landed: Reconcile adopts it
      }
      const int64_t offset = (*results[i])->offset.value();
      if (offset != first + i) {
        Problem(name + "-" + std::to_string(p) +
                ": async send acknowledged at offset " +
                std::to_string(offset) + ", expected " +
                std::to_string(first + i));
        return;
      }
      pm.acked_end = offset + 1;
      ++acked_;
      ++async_acked_;
    }
  }

  void SendBatch() { Send(2 + static_cast<int>(rng_() % 5)); }

  void Flush() {
    absl::Status s = rng_() % 2 ? producer_->Flush() : store_->Flush();
    if (!s.ok()) Failed();
  }

  void Maintenance() {
    clock_->AdvanceMs(static_cast<int64_t>(rng_() % 30));
    if (!store_->RunMaintenance().ok()) Failed();
  }

  void Commit() {
    if (!model_.topics.count(kCommitTopic)) return;
    if (consumer_ == nullptr) {
      ConsumerOptions co;
      co.group_id = kModelGroup;
      co.enable_auto_commit = false;
      auto c = store_->NewConsumer(co);
      if (!c.ok()) {
        Failed();
        return;
      }
      consumer_ = *std::move(c);
      std::vector<TopicPartition> tps;
      for (int32_t p = 0; p < model_.topics[kCommitTopic].partitions; ++p) {
        tps.push_back({kCommitTopic, PartitionId(p)});
      }
      if (!consumer_->Assign(tps).ok()) {
        Failed();
        consumer_.reset();
        return;
      }
    }
    int32_t p =
        static_cast<int32_t>(rng_() % model_.topics[kCommitTopic].partitions);
    const PartModel& pm = model_.topics[kCommitTopic].parts[p];
    int64_t offset = pm.acked_end == 0
                         ? 0
                         : static_cast<int64_t>(rng_() % (pm.acked_end + 1));
    CommitModel& cm = model_.commits[{kCommitTopic, p}];
    cm.maybe.push_back(offset);
    absl::Status s = consumer_->CommitSync(
        {{{kCommitTopic, PartitionId(p)}, Offset(offset)}});
    if (s.ok()) {
      cm.committed = offset;
      cm.maybe.clear();
    } else {
      Failed();  // stays "old or new" until a later commit succeeds
    }
  }

  void ApplyTopicSet(
      const std::map<std::string, std::pair<uint64_t, int32_t>>& set) {
    for (auto it = model_.topics.begin(); it != model_.topics.end();) {
      auto s = set.find(it->first);
      if (s == set.end() || s->second.first != it->second.incarnation) {
        it = model_.topics.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [n, v] : set) {
      TopicModel& t = model_.topics[n];
      t.incarnation = v.first;
      t.partitions = v.second;
      t.parts.resize(static_cast<size_t>(v.second));
    }
  }

  void DoCreate(const std::string& name, int32_t partitions, Durability d) {
    auto after = TopicSet(model_);
    after[name] = {++incarnations_, partitions};
    model_.topics_if_done = after;
    absl::Status s =
        store_->CreateTopic(name, partitions, WorkloadTopicConfig(d));
    if (!s.ok()) {
      Failed();
      return;  // decided at the next open
    }
    ApplyTopicSet(after);
    model_.topics_if_done.reset();
  }

  void CreateTopic() {
    if (model_.topics_if_done) return;  // one undecided admin change at a time
    static const char* const kNames[] = {"x", "y"};
    std::string name = kNames[rng_() % 2];
    if (model_.topics.count(name)) return;
    DoCreate(name, 1 + static_cast<int32_t>(rng_() % 3),
             static_cast<Durability>(rng_() % 3));
  }

  void DeleteTopic() {
    if (model_.topics_if_done) return;  // one undecided admin change at a time
    std::vector<std::string> victims;
    for (const auto& [n, t] : model_.topics) {
      if (n != kCommitTopic) victims.push_back(n);
    }
    if (victims.empty()) return;
    std::string name = victims[rng_() % victims.size()];
    auto after = TopicSet(model_);
    after.erase(name);
    model_.topics_if_done = after;
    if (!store_->DeleteTopic(name).ok()) {
      Failed();
      return;
    }
    ApplyTopicSet(after);
    model_.topics_if_done.reset();
  }

  void AddPartitions() {
    if (model_.topics_if_done) return;  // one undecided admin change at a time
    std::string name;
    int32_t p;
    if (!Pick(&name, &p) || name == kCommitTopic) return;
    int32_t total = model_.topics[name].partitions + 1;
    if (total > 5) return;
    auto after = TopicSet(model_);
    after[name].second = total;
    model_.topics_if_done = after;
    if (!store_->AddPartitions(name, total).ok()) {
      Failed();
      return;
    }
    ApplyTopicSet(after);
    model_.topics_if_done.reset();
  }

  // Brings the model in line with the live store: records of failed sends
  // that landed are adopted, those that did not are forgotten; durable ends
  // advance to what the store reports (never past what is acknowledged).
  void Reconcile() {
    if (store_ == nullptr) return;
    for (auto& [name, t] : model_.topics) {
      auto d = store_->DescribeTopic(name);
      if (!d.ok()) continue;
      for (int32_t p = 0;
           p < t.partitions && p < static_cast<int32_t>(d->partitions.size());
           ++p) {
        PartModel& pm = t.parts[p];
        const PartitionDescription& pd = d->partitions[p];
        int64_t end = pd.end_offset.value();
        if (end < pm.acked_end) {
          Problem(name + "-" + std::to_string(p) + ": end offset " +
                  std::to_string(end) + " below the acknowledged " +
                  std::to_string(pm.acked_end));
          continue;
        }
        if (end > pm.acked_end) {
          auto records = ReadPartition(*store_, name, p);
          if (!records.ok()) continue;
          std::vector<uint64_t> ids(pm.ids.begin(),
                                    pm.ids.begin() + pm.acked_end);
          for (int64_t i = pm.acked_end;
               i < static_cast<int64_t>(records->size()); ++i) {
            auto uid = CheckRecord((*records)[i]);
            if (!uid) {
              Problem(name + "-" + std::to_string(p) +
                      ": corrupt record in the live store");
              break;
            }
            if (std::find(pm.ids.begin() + pm.acked_end, pm.ids.end(),
                          uid->id) == pm.ids.end()) {
              Problem(name + "-" + std::to_string(p) + ": record " +
                      std::to_string(uid->id) + " at offset " +
                      std::to_string(i) + " was never sent there");
            }
            ids.push_back(uid->id);
          }
          pm.ids = std::move(ids);
          pm.acked_end = static_cast<int64_t>(pm.ids.size());
        } else {
          pm.ids.resize(static_cast<size_t>(pm.acked_end));
        }
        pm.durable_end =
            std::max(pm.durable_end,
                     std::min(pd.durable_end_offset.value(), pm.acked_end));
      }
    }
  }

  Env* env_;
  FakeClock* const clock_;
  std::mt19937_64 rng_;
  const uint64_t seed_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<Consumer> consumer_;
  StoreModel model_;
  uint64_t next_id_ = 0;
  uint64_t incarnations_ = 0;
  int64_t written_ = 0, acked_ = 0, async_acked_ = 0, failed_ = 0;
  std::vector<std::string> problems_;
};

}  // namespace evlog::reliability

#endif  // EVLOG_TESTS_RELIABILITY_WORKLOAD_H_
