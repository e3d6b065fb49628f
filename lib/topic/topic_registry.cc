#include "topic/topic_registry.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "util/string_view.h"

namespace evlog {

namespace {

// Ids for WithTopic's per-thread cache: a registry at a reused address must
// not match another registry's cached topic.
uint64_t NextRegistryId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// The topic a thread sent to last (most producer threads send to one topic).
struct LastTopic {
  uint64_t registry_id = 0;
  uint64_t generation = 0;
  std::string name;
  std::weak_ptr<Topic> topic;  // does not keep a deleted topic's files
};
thread_local LastTopic last_topic;

}  // namespace

TopicRegistry::TopicRegistry(std::string store_dir)
    : store_dir_(std::move(store_dir)), id_(NextRegistryId()) {}

absl::Status TopicRegistry::ClosedError() const {
  return absl::FailedPreconditionError(
      absl::StrCat("store ", store_dir_, " is closed"));
}

absl::StatusOr<std::shared_ptr<Topic>> TopicRegistry::Find(
    std::string_view name) const {
  if (closed()) return ClosedError();
  ReaderLock l(&mu_);
  auto it = topics_.find(ToAbsl(name));
  if (it == topics_.end())
    return absl::NotFoundError(absl::StrCat("unknown topic ", ToAbsl(name)));
  return it->second;
}

absl::Status TopicRegistry::WithTopic(
    std::string_view name,
    absl::FunctionRef<absl::Status(const std::shared_ptr<Topic>&)> fn) const {
  if (closed()) return ClosedError();
  LastTopic& last = last_topic;
  std::shared_ptr<Topic> topic;
  if (last.registry_id == id_ && last.name == name &&
      last.generation == generation()) {
    topic = last.topic.lock();
  }
  if (topic == nullptr) {
    uint64_t generation;
    {
      ReaderLock l(&mu_);
      auto it = topics_.find(ToAbsl(name));
      if (it == topics_.end()) {
        return absl::NotFoundError(
            absl::StrCat("unknown topic ", ToAbsl(name)));
      }
      topic = it->second;
      generation = generation_.load(std::memory_order_relaxed);
    }
    last.registry_id = id_;
    last.generation = generation;
    last.name.assign(name);
    last.topic = topic;
  }
  return fn(topic);
}

std::vector<std::string> TopicRegistry::Names() const {
  std::vector<std::string> names;
  {
    ReaderLock l(&mu_);
    for (const auto& [name, t] : topics_) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::shared_ptr<Topic>> TopicRegistry::Snapshot() const {
  std::vector<std::shared_ptr<Topic>> topics;
  {
    ReaderLock l(&mu_);
    for (const auto& [n, t] : topics_) topics.push_back(t);
  }
  std::sort(topics.begin(), topics.end(),
            [](const auto& a, const auto& b) { return a->name() < b->name(); });
  return topics;
}

absl::Status TopicRegistry::FlushAll() const {
  if (closed()) return ClosedError();
  absl::Status first;
  for (const auto& t : Snapshot()) {
    for (int32_t p = 0; p < t->partition_count(); ++p) {
      first.Update(t->partition(PartitionId(p))->Flush());
    }
  }
  return first;
}

bool TopicRegistry::Insert(std::shared_ptr<Topic> topic) {
  WriterLock l(&mu_);
  generation_.fetch_add(1, std::memory_order_release);
  std::string name = topic->name();
  return topics_.emplace(std::move(name), std::move(topic)).second;
}

std::shared_ptr<Topic> TopicRegistry::Erase(std::string_view name) {
  WriterLock l(&mu_);
  generation_.fetch_add(1, std::memory_order_release);
  auto it = topics_.find(ToAbsl(name));
  if (it == topics_.end()) return nullptr;
  std::shared_ptr<Topic> topic = std::move(it->second);
  topics_.erase(it);
  return topic;
}

void TopicRegistry::Replace(std::vector<std::shared_ptr<Topic>> topics) {
  absl::flat_hash_map<std::string, std::shared_ptr<Topic>> next;
  for (auto& t : topics) {
    std::string name = t->name();
    next.emplace(std::move(name), std::move(t));
  }
  WriterLock l(&mu_);
  generation_.fetch_add(1, std::memory_order_release);
  topics_.swap(next);
}

std::vector<std::shared_ptr<Topic>> TopicRegistry::Close() {
  closed_.store(true, std::memory_order_release);
  WriterLock l(&mu_);
  generation_.fetch_add(1, std::memory_order_release);
  std::vector<std::shared_ptr<Topic>> topics;
  for (const auto& [n, t] : topics_) topics.push_back(t);
  return topics;
}

}  // namespace evlog
