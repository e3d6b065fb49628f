#include "group/assignor.h"

#include <algorithm>
#include <numeric>
#include <set>

namespace evlog {
namespace {

bool Subscribes(const MemberSubscription& m, const std::string& topic) {
  return std::binary_search(m.topics.begin(), m.topics.end(), topic);
}

std::vector<TopicPartition> AllPartitions(const TopicPartitionCounts& topics) {
  std::vector<TopicPartition> all;
  for (const auto& [topic, count] : topics) {
    for (int32_t p = 0; p < count; ++p) all.push_back({topic, PartitionId(p)});
  }
  return all;  // sorted: the map is, and partitions ascend
}

GroupAssignment Range(const std::vector<MemberSubscription>& members,
                      const TopicPartitionCounts& topics, GroupAssignment out) {
  for (const auto& [topic, count] : topics) {
    std::vector<const MemberSubscription*> subs;
    for (const auto& m : members) {
      if (Subscribes(m, topic)) subs.push_back(&m);
    }
    if (subs.empty()) continue;
    int32_t n = static_cast<int32_t>(subs.size());
    int32_t per = count / n, extra = count % n;
    for (int32_t i = 0; i < n; ++i) {
      int32_t first = i * per + std::min(i, extra);
      int32_t len = per + (i < extra ? 1 : 0);
      for (int32_t p = first; p < first + len; ++p) {
        out[subs[i]->member_id].push_back({topic, PartitionId(p)});
      }
    }
  }
  return out;
}

GroupAssignment RoundRobin(const std::vector<MemberSubscription>& members,
                           const TopicPartitionCounts& topics,
                           GroupAssignment out) {
  size_t next = 0;
  for (TopicPartition& tp : AllPartitions(topics)) {
    for (size_t tries = 0; tries < members.size(); ++tries) {
      const MemberSubscription& m = members[next];
      next = (next + 1) % members.size();
      if (Subscribes(m, tp.topic)) {
        out[m.member_id].push_back(std::move(tp));
        break;
      }
    }
  }
  return out;
}

GroupAssignment Sticky(const std::vector<MemberSubscription>& members,
                       const TopicPartitionCounts& topics,
                       const GroupAssignment& previous, GroupAssignment out) {
  std::vector<TopicPartition> all = AllPartitions(topics);
  std::set<TopicPartition> valid(all.begin(), all.end()), taken;
  size_t m = members.size();
  // Still-valid previous partitions of each member (first claim wins).
  std::vector<std::vector<TopicPartition>> kept(m);
  for (size_t i = 0; i < m; ++i) {
    auto it = previous.find(members[i].member_id);
    if (it == previous.end()) continue;
    for (const TopicPartition& tp : it->second) {
      if (valid.contains(tp) && Subscribes(members[i], tp.topic) &&
          taken.insert(tp).second) {
        kept[i].push_back(tp);
      }
    }
  }
  // Quotas: the (n % m) members keeping the most may have one extra.
  size_t base = all.size() / m, extra = all.size() % m;
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return kept[a].size() > kept[b].size();
  });
  std::vector<size_t> quota(m, base);
  for (size_t k = 0; k < extra; ++k) quota[order[k]] = base + 1;
  for (size_t i = 0; i < m; ++i) {
    while (kept[i].size() > quota[i]) {
      taken.erase(kept[i].back());
      kept[i].pop_back();
    }
  }
  // Hand out the rest to the least loaded subscriber under quota, else to the
  // least loaded subscriber (uneven subscriptions).
  for (const TopicPartition& tp : all) {
    if (taken.contains(tp)) continue;
    size_t best = m;
    for (int pass = 0; pass < 2 && best == m; ++pass) {
      for (size_t i = 0; i < m; ++i) {
        if (!Subscribes(members[i], tp.topic)) continue;
        if (pass == 0 && kept[i].size() >= quota[i]) continue;
        if (best == m || kept[i].size() < kept[best].size()) best = i;
      }
    }
    if (best == m) continue;
    kept[best].push_back(tp);
    taken.insert(tp);
  }
  for (size_t i = 0; i < m; ++i) out[members[i].member_id] = std::move(kept[i]);
  return out;
}

}  // namespace

GroupAssignment AssignPartitions(AssignmentStrategy strategy,
                                 const std::vector<MemberSubscription>& members,
                                 const TopicPartitionCounts& topics,
                                 const GroupAssignment& previous) {
  GroupAssignment out;
  for (const auto& m : members) out[m.member_id];
  if (members.empty()) return out;
  switch (strategy) {
    case AssignmentStrategy::kRange:
      out = Range(members, topics, std::move(out));
      break;
    case AssignmentStrategy::kRoundRobin:
      out = RoundRobin(members, topics, std::move(out));
      break;
    case AssignmentStrategy::kCooperativeSticky:
      out = Sticky(members, topics, previous, std::move(out));
      break;
  }
  for (auto& [id, tps] : out) std::sort(tps.begin(), tps.end());
  return out;
}

}  // namespace evlog
