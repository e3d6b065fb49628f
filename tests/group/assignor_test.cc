// Assignment strategies: pinned results for range and round robin, and the
// sticky strategy's balance and stability.

#include "group/assignor.h"

#include <catch2/catch.hpp>

namespace evlog {
namespace {

TopicPartition TP(const std::string& t, int p) { return {t, PartitionId(p)}; }

std::vector<MemberSubscription> Members(std::vector<std::string> ids,
                                        std::vector<std::string> topics) {
  std::vector<MemberSubscription> out;
  for (auto& id : ids) out.push_back({id, topics});
  return out;
}

TEST_CASE("range gives contiguous ranges per topic, extras first", "[group]") {
  auto a = AssignPartitions(AssignmentStrategy::kRange,
                            Members({"a", "b"}, {"x", "y"}),
                            {{"x", 3}, {"y", 2}}, {});
  CHECK(a["a"] ==
        std::vector<TopicPartition>{TP("x", 0), TP("x", 1), TP("y", 0)});
  CHECK(a["b"] == std::vector<TopicPartition>{TP("x", 2), TP("y", 1)});
}

TEST_CASE("round robin deals partitions in order, skipping non-subscribers",
          "[group]") {
  std::vector<MemberSubscription> m = {
      {"a", {"x", "y"}}, {"b", {"x"}}, {"c", {"x", "y"}}};
  auto a = AssignPartitions(AssignmentStrategy::kRoundRobin, m,
                            {{"x", 3}, {"y", 3}}, {});
  CHECK(a["a"] ==
        std::vector<TopicPartition>{TP("x", 0), TP("y", 0), TP("y", 2)});
  CHECK(a["b"] == std::vector<TopicPartition>{TP("x", 1)});
  CHECK(a["c"] == std::vector<TopicPartition>{TP("x", 2), TP("y", 1)});
}

TEST_CASE("every partition goes to exactly one subscribed member", "[group]") {
  for (auto s : {AssignmentStrategy::kRange, AssignmentStrategy::kRoundRobin,
                 AssignmentStrategy::kCooperativeSticky}) {
    std::vector<MemberSubscription> m = {
        {"a", {"x"}}, {"b", {"x", "y"}}, {"c", {"y"}}};
    auto a = AssignPartitions(s, m, {{"x", 5}, {"y", 4}}, {});
    std::map<TopicPartition, int> seen;
    for (const auto& [id, tps] : a) {
      for (const auto& tp : tps) {
        seen[tp]++;
        bool ok = (id == "a" && tp.topic == "x") || id == "b" ||
                  (id == "c" && tp.topic == "y");
        CHECK(ok);
      }
    }
    CHECK(seen.size() == 9);
    for (const auto& [tp, n] : seen) CHECK(n == 1);
  }
  CHECK(
      AssignPartitions(AssignmentStrategy::kRange, {}, {{"x", 3}}, {}).empty());
}

TEST_CASE("cooperative sticky balances and moves only what it must",
          "[group]") {
  TopicPartitionCounts topics = {{"x", 6}};
  auto one = AssignPartitions(AssignmentStrategy::kCooperativeSticky,
                              Members({"a"}, {"x"}), topics, {});
  CHECK(one["a"].size() == 6);
  auto two = AssignPartitions(AssignmentStrategy::kCooperativeSticky,
                              Members({"a", "b"}, {"x"}), topics, one);
  CHECK(two["a"].size() == 3);
  CHECK(two["b"].size() == 3);
  // a kept a subset of what it had: only b's share moved.
  for (const auto& tp : two["a"]) {
    CHECK(std::find(one["a"].begin(), one["a"].end(), tp) != one["a"].end());
  }
  auto three = AssignPartitions(AssignmentStrategy::kCooperativeSticky,
                                Members({"a", "b", "c"}, {"x"}), topics, two);
  for (const char* id : {"a", "b", "c"}) CHECK(three[id].size() == 2);
  int moved = 0;
  for (const char* id : {"a", "b"}) {
    for (const auto& tp : two[id]) {
      if (std::find(three[id].begin(), three[id].end(), tp) == three[id].end())
        ++moved;
    }
  }
  CHECK(moved == 2);  // exactly c's share
  // b leaves: its partitions are spread, a and c keep theirs.
  std::vector<MemberSubscription> ac = {{"a", {"x"}}, {"c", {"x"}}};
  auto after = AssignPartitions(AssignmentStrategy::kCooperativeSticky, ac,
                                topics, three);
  CHECK(after["a"].size() == 3);
  CHECK(after["c"].size() == 3);
  for (const char* id : {"a", "c"}) {
    for (const auto& tp : three[id]) {
      CHECK(std::find(after[id].begin(), after[id].end(), tp) !=
            after[id].end());
    }
  }
}

}  // namespace
}  // namespace evlog
