// topic/topic_registry.h: the store's topics by name -- lookup, the
// generation that moves on every change, snapshots of the topic list. The
// producer, the consumer and the group coordinator depend on this, not on
// the store; the store (store/store_impl.h) owns one and makes every change
// through it.
//
// Thread safety: thread-safe. Lookups take a reader lock, or none on the
// send path (WithTopic's per-thread cache). Changes (Insert, Erase, Replace,
// Close) take the writer lock; the store serialises them with its admin
// lock, so two changes never race each other.

#ifndef EVLOG_TOPIC_TOPIC_REGISTRY_H_
#define EVLOG_TOPIC_TOPIC_REGISTRY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "topic/topic.h"
#include "util/mutex.h"

namespace evlog {

class TopicRegistry {
 public:
  // `store_dir` only names the store in error messages.
  explicit TopicRegistry(std::string store_dir);
  TopicRegistry(const TopicRegistry&) = delete;
  TopicRegistry& operator=(const TopicRegistry&) = delete;

  // ---- Lookups ----
  // The topic, kept alive by the returned pointer even if deleted later.
  // kNotFound if unknown, kFailedPrecondition once closed.
  absl::StatusOr<std::shared_ptr<Topic>> Find(std::string_view name) const;
  // Runs `fn` on the named topic, kept alive meanwhile (a concurrent
  // DeleteTopic closes its partitions, so `fn`'s appends fail with
  // kFailedPrecondition). Errors as Find. The send path: each thread
  // remembers the last topic it used, valid while generation() has not
  // moved, so a producer sending to one topic takes no lock and hashes no
  // name.
  absl::Status WithTopic(
      std::string_view name,
      absl::FunctionRef<absl::Status(const std::shared_ptr<Topic>&)> fn) const;
  // Sorted topic names.
  std::vector<std::string> Names() const;
  // Every topic, sorted by name.
  std::vector<std::shared_ptr<Topic>> Snapshot() const;
  // Moves on every Insert, Erase, Replace and Close: a reader that saw the
  // same generation twice saw the same topic list.
  uint64_t generation() const {
    return generation_.load(std::memory_order_acquire);
  }
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  // Syncs every partition of every topic; the first error.
  absl::Status FlushAll() const;

  // ---- Changes (serialised by the store) ----
  // False if a topic of that name is registered.
  bool Insert(std::shared_ptr<Topic> topic);
  // The removed topic, or null if unknown.
  std::shared_ptr<Topic> Erase(std::string_view name);
  // Replaces the whole list (a read-only store's Refresh).
  void Replace(std::vector<std::shared_ptr<Topic>> topics);
  // Later lookups fail with kFailedPrecondition; returns every topic (for
  // the store to close their partitions).
  std::vector<std::shared_ptr<Topic>> Close();

 private:
  absl::Status ClosedError() const;

  const std::string store_dir_;
  const uint64_t id_;  // unique in the process, for WithTopic's cache
  std::atomic<bool> closed_{false};
  mutable SharedMutex mu_;
  // Moves on every change of topics_, under the writer lock.
  std::atomic<uint64_t> generation_{0};
  absl::flat_hash_map<std::string, std::shared_ptr<Topic>> topics_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace evlog

#endif  // EVLOG_TOPIC_TOPIC_REGISTRY_H_
