// The reference model of campaigns 2 and 3 (power loss, I/O errors): what a
// seeded store workload wrote and acknowledged, and the check of a
// recovered store against it.
//
// The model knows, per topic incarnation and partition, every record sent
// in offset order (as payload ids, reliability_util.h), which of them were
// acknowledged and up to which offset they were acknowledged as DURABLE
// (the partition's durable_end_offset observed after an operation returned,
// or the offset after a kEveryAppend ack). It also knows the committed
// offsets of one group and the topic set. An operation in flight when a
// crash image is taken may land or not: its records are "maybe" records,
// its topic change and its commit are "old or new".

#ifndef EVLOG_TESTS_RELIABILITY_WORKLOAD_MODEL_H_
#define EVLOG_TESTS_RELIABILITY_WORKLOAD_MODEL_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "evlog/store.h"
#include "reliability/reliability_util.h"

namespace evlog::reliability {

struct PartModel {
  // Ids of the records that may be at offsets 0, 1, ...: acknowledged ones
  // and, at the end, those of a send in flight or of a failed send (which
  // may or may not have landed; a failed send at the end is dropped from
  // the model when the next send succeeds at its offset).
  std::vector<uint64_t> ids;
  int64_t acked_end = 0;    // records below were all acknowledged
  int64_t durable_end = 0;  // records below were acknowledged as durable
};

struct TopicModel {
  uint64_t incarnation = 0;
  int32_t partitions = 0;
  std::vector<PartModel> parts;
};

// Old and new value of something an in-flight operation changes.
struct CommitModel {
  std::optional<int64_t> committed;  // acknowledged
  // Commits in progress or failed since: each may have landed.
  std::vector<int64_t> maybe;
};

struct StoreModel {
  std::map<std::string, TopicModel> topics;
  // Topic set (name -> partitions) that an in-flight admin operation may
  // have produced instead of `topics`.
  std::optional<std::map<std::string, std::pair<uint64_t, int32_t>>>
      topics_if_done;
  // Committed offsets of group kModelGroup per (topic, partition).
  std::map<std::pair<std::string, int32_t>, CommitModel> commits;
};

inline constexpr char kModelGroup[] = "g";

// What checking one recovered store found.
struct CheckResult {
  int64_t records_checked = 0;
  int64_t lost = 0;     // durable acknowledged records missing or changed
  int64_t corrupt = 0;  // records returned that do not check
  int64_t errors = 0;   // reads refused (kDataLoss, ...)
  std::vector<std::string> problems;  // human-readable, for the failure message
};

inline std::map<std::string, std::pair<uint64_t, int32_t>> TopicSet(
    const StoreModel& m) {
  std::map<std::string, std::pair<uint64_t, int32_t>> s;
  for (const auto& [name, t] : m.topics)
    s[name] = {t.incarnation, t.partitions};
  return s;
}

// Checks `store` (recovered) against `m`. With `durable_only`, records
// acknowledged but not durable may be missing (power loss); otherwise
// every acknowledged record must be there (process crash, clean reopen).
inline CheckResult CheckStore(Store& store, const StoreModel& m,
                              bool durable_only) {
  CheckResult r;
  auto problem = [&](std::string s) {
    if (r.problems.size() < 20) r.problems.push_back(std::move(s));
  };
  // Topic set: old or new, never anything else.
  std::map<std::string, int32_t> got;
  for (const std::string& name : store.ListTopics()) {
    auto d = store.DescribeTopic(name);
    if (!d.ok()) {
      ++r.errors;
      problem("DescribeTopic " + name + ": " + d.status().ToString());
      continue;
    }
    got[name] = static_cast<int32_t>(d->partitions.size());
  }
  auto names_of =
      [](const std::map<std::string, std::pair<uint64_t, int32_t>>& s) {
        std::map<std::string, int32_t> n;
        for (const auto& [k, v] : s) n[k] = v.second;
        return n;
      };
  const auto before = TopicSet(m);
  const std::map<std::string, std::pair<uint64_t, int32_t>>* state = nullptr;
  if (got == names_of(before)) state = &before;
  if (state == nullptr && m.topics_if_done &&
      got == names_of(*m.topics_if_done)) {
    state = &*m.topics_if_done;
  }
  if (state == nullptr) {
    auto list = [](const std::map<std::string, int32_t>& m) {
      std::string s;
      for (const auto& [k, v] : m) s += " " + k + "/" + std::to_string(v);
      return s;
    };
    std::string s =
        "topic set is neither old nor new:" + list(got) +
        "; old:" + list(names_of(before)) +
        (m.topics_if_done ? "; new:" + list(names_of(*m.topics_if_done)) : "");
    problem(s);
    ++r.lost;
    return r;
  }
  for (const auto& [name, inc_parts] : *state) {
    auto it = m.topics.find(name);
    const bool known =
        it != m.topics.end() && it->second.incarnation == inc_parts.first;
    for (int32_t p = 0; p < inc_parts.second; ++p) {
      const PartModel* pm =
          known && p < static_cast<int32_t>(it->second.parts.size())
              ? &it->second.parts[p]
              : nullptr;
      std::string where = name + "-" + std::to_string(p);
      auto records = ReadPartition(store, name, p);
      if (!records.ok()) {
        ++r.errors;
        problem(where + ": read failed: " + records.status().ToString());
        continue;
      }
      const int64_t must =
          pm ? (durable_only ? pm->durable_end : pm->acked_end) : 0;
      const int64_t may = pm ? static_cast<int64_t>(pm->ids.size()) : 0;
      const int64_t n = static_cast<int64_t>(records->size());
      for (int64_t i = 0; i < n; ++i) {
        const ReadRecord& rec = (*records)[i];
        ++r.records_checked;
        auto uid = CheckRecord(rec);
        if (!uid) {
          ++r.corrupt;
          problem(where + ": corrupt record at offset " +
                  std::to_string(rec.offset));
          continue;
        }
        if (rec.offset != i) {
          ++r.lost;
          problem(where + ": offset " + std::to_string(rec.offset) +
                  " at position " + std::to_string(i));
        } else if (i >= may || pm->ids[i] != uid->id) {
          // Not what was written there: stale data of an earlier incarnation
          // or a record that came back after a cut.
          ++r.corrupt;
          problem(where + ": offset " + std::to_string(i) + " holds record " +
                  std::to_string(uid->id) + ", not the one written there");
        }
        if (i == n - 1 && uid->batch_index + 1 != uid->batch_count) {
          ++r.lost;
          problem(where + ": log ends inside a batch at offset " +
                  std::to_string(i));
        }
      }
      if (n < must) {
        r.lost += must - n;
        problem(where + ": " + std::to_string(must - n) +
                " acknowledged records lost (log ends at " + std::to_string(n) +
                ", acknowledged" + (durable_only ? " durable" : "") +
                " up to " + std::to_string(must) + ")");
      }
    }
  }
  // Committed offsets: the acknowledged value or the in-flight one.
  if (!m.commits.empty()) {
    ConsumerOptions co;
    co.group_id = kModelGroup;
    auto c = store.NewConsumer(co);
    if (!c.ok()) {
      ++r.errors;
      problem("NewConsumer: " + c.status().ToString());
      return r;
    }
    for (const auto& [tp_key, cm] : m.commits) {
      if (!got.count(tp_key.first)) continue;
      TopicPartition tp{tp_key.first, PartitionId(tp_key.second)};
      auto committed = (*c)->Committed({tp});
      if (!committed.ok()) {
        ++r.errors;
        problem("Committed: " + committed.status().ToString());
        continue;
      }
      std::optional<int64_t> v;
      if (auto o = committed->at(tp)) v = o->value();
      bool maybe = v && std::find(cm.maybe.begin(), cm.maybe.end(), *v) !=
                            cm.maybe.end();
      if (v != cm.committed && !maybe) {
        ++r.lost;
        std::string alt;
        for (int64_t o : cm.maybe) alt += " or " + std::to_string(o);
        problem("committed offset of " + ToString(tp) + " is " +
                (v ? std::to_string(*v) : std::string("none")) + ", expected " +
                (cm.committed ? std::to_string(*cm.committed)
                              : std::string("none")) +
                alt);
      }
    }
    (*c)->Close().IgnoreError();
  }
  return r;
}

}  // namespace evlog::reliability

#endif  // EVLOG_TESTS_RELIABILITY_WORKLOAD_MODEL_H_
