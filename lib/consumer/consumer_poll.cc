// Poll: fetching, waiting and rebalance handling of ConsumerImpl.

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "consumer/consumer_impl.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace evlog {
namespace {

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

// Marks the member as inside Poll (so it is never evicted while blocked)
// and stamps its last poll time on the way in and out. Refers to the
// consumer's member_ itself: a rejoin inside Poll replaces the handle.
class PollScope {
 public:
  PollScope(const std::shared_ptr<MemberHandle>& m, Clock* clock)
      : m_(m), clock_(clock) {
    if (m_ == nullptr) return;
    m_->last_poll_ms.store(clock_->NowMs(), std::memory_order_release);
    m_->in_poll.store(true, std::memory_order_release);
  }
  ~PollScope() {
    if (m_ == nullptr) return;
    m_->last_poll_ms.store(clock_->NowMs(), std::memory_order_release);
    m_->in_poll.store(false, std::memory_order_release);
  }

 private:
  const std::shared_ptr<MemberHandle>& m_;
  Clock* const clock_;
};

// Announces a reader about to sleep on every log it follows, for its
// lifetime (PartitionLog::StartWaiting / StopWaiting). The cursor set must
// not change meanwhile: Poll only fetches and sleeps in that scope.
template <typename Cursors>
class WaitAnnouncement {
 public:
  explicit WaitAnnouncement(const Cursors& cursors) : cursors_(cursors) {
    for (const auto& c : cursors_) c->log->StartWaiting();
  }
  ~WaitAnnouncement() {
    for (const auto& c : cursors_) c->log->StopWaiting();
  }

 private:
  const Cursors& cursors_;
};

}  // namespace

absl::Status ConsumerImpl::CheckPosition(Cursor& c) {
  Offset pos = c.reader.position();
  if (!c.needs_reset) {
    Offset start = c.log->start_offset();
    if (pos >= start && pos <= c.log->end_offset()) return absl::OkStatus();
  }
  auto reset = ResetOffset(
      c, c.needs_reset
             ? std::string("no committed offset")
             : absl::StrCat("offset ", pos.value(), " is outside the log [",
                            c.log->start_offset().value(), ", ",
                            c.log->end_offset().value(), "]"));
  if (!reset.ok()) return reset.status();
  c.reader.Seek(*reset);
  c.needs_reset = false;
  return absl::OkStatus();
}

absl::StatusOr<size_t> ConsumerImpl::Fetch(PollResult* out) {
  size_t n = cursors_.size();
  size_t budget = static_cast<size_t>(options_.max_poll_records);
  size_t got_total = 0;
  for (size_t k = 0; k < n && budget > 0; ++k) {
    size_t i = (next_cursor_ + k) % n;
    Cursor& c = *cursors_[i];
    if (c.paused) continue;
    if (absl::Status s = CheckPosition(c); !s.ok()) return s;
    Offset limit = Limit(*c.log);
    if (c.reader.position() >= limit) continue;
    const void* kept = nullptr;
    size_t got = 0;
    RecordView view;
    while (budget > 0) {
      auto next = c.reader.Next(&view, limit);
      if (!next.ok()) return next.status();
      if (!*next) break;
      if (c.reader.frame_memory().get() != kept) {
        kept = c.reader.frame_memory().get();
        out->keep_alive_.push_back(c.reader.frame_memory());
      }
      out->records_.push_back({c.topic->name(), c.tp.partition, view});
      --budget;
      ++got;
    }
    if (got > 0) {
      out->keep_alive_.push_back(c.topic);
      got_total += got;
    }
  }
  // Start the next Poll at the following partition, so that none starves.
  if (n > 0) next_cursor_ = (next_cursor_ + 1) % n;
  return got_total;
}

void ConsumerImpl::Rejoin() {
  auto joined = group_->Join(
      options_.client_id, subscription_, options_.assignment_strategy,
      options_.max_poll_interval_ms, &waiter_, clock_->NowMs());
  if (joined.ok()) {
    member_ = *std::move(joined);
    member_->in_poll.store(true, std::memory_order_release);  // we are in Poll
    seen_epoch_ = 0;
  } else {
    member_.reset();  // e.g. the group was deleted: stay unsubscribed
    subscription_.clear();
  }
}

absl::Status ConsumerImpl::SyncGroup() {
  while (member_ != nullptr) {
    uint64_t epoch = member_->epoch.load(std::memory_order_acquire);
    if (epoch == seen_epoch_) return absl::OkStatus();
    seen_epoch_ = epoch;
    SyncStep plan = group_->PlanSync(*member_);
    SyncStep got;
    if (!plan.removed) {
      if (!plan.partitions.empty()) {
        if (options_.enable_auto_commit)
          CommitPositions(&plan.partitions).IgnoreError();
        if (options_.listener != nullptr) {
          options_.listener->OnPartitionsRevoked(*this, plan.partitions);
        }
        for (const TopicPartition& tp : plan.partitions) RemoveCursor(tp);
      }
      got = group_->FinishSync(*member_, plan.partitions, plan.generation);
    }
    if (plan.removed || got.removed) {
      // Evicted: the partitions already belong to others.
      std::vector<TopicPartition> lost = Assignment();
      RemoveAllCursors();
      if (options_.listener != nullptr && !lost.empty()) {
        options_.listener->OnPartitionsLost(*this, lost);
      }
      Rejoin();
      continue;
    }
    generation_ = got.generation;
    for (const TopicPartition& tp : got.partitions) {
      auto c = got.committed.find(tp);
      std::optional<Offset> committed;
      if (c != got.committed.end()) committed = c->second;
      // A topic deleted meanwhile: the next rebalance takes it back.
      AddCursor(tp, committed).IgnoreError();
    }
    if (options_.listener != nullptr && !got.partitions.empty()) {
      options_.listener->OnPartitionsAssigned(*this, got.partitions);
    }
  }
  return absl::OkStatus();
}

absl::Status ConsumerImpl::Poll(std::chrono::nanoseconds timeout,
                                PollResult* out) {
  out->Clear();
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (wakeup_.exchange(false, std::memory_order_acq_rel)) {
    return absl::CancelledError("consumer woken up");
  }
  PollScope scope(member_, clock_);
  // Topics created or deleted since the last look change a pattern
  // subscription (and rebalance the group) before anything is fetched.
  if (absl::Status s = RefreshPattern(); !s.ok()) return s;
  if (group_ != nullptr) {
    int64_t now_ms = clock_->NowMs();
    // Auto-commit first: it covers what earlier polls returned.
    if (options_.enable_auto_commit && now_ms >= next_auto_commit_ms_) {
      CommitPositions(nullptr).IgnoreError();
      next_auto_commit_ms_ = now_ms + options_.auto_commit_interval_ms;
    }
    if (member_ != nullptr && now_ms >= next_evict_check_ms_) {
      group_->EvictExpired(now_ms);
      next_evict_check_ms_ =
          now_ms +
          std::min<int64_t>(
              1000, std::max<int64_t>(1, options_.max_poll_interval_ms / 2));
    }
  }
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  const auto spin_until = start + std::chrono::microseconds(options_.spin_us);
  // One look for something to return: records, an error or a wake-up.
  auto look = [&]() -> std::optional<absl::Status> {
    auto got = Fetch(out);
    if (!got.ok()) return got.status();
    if (*got > 0) return absl::OkStatus();
    if (wakeup_.exchange(false, std::memory_order_acq_rel)) {
      return absl::CancelledError("consumer woken up");
    }
    return std::nullopt;
  };
  // A rebalance to run (SyncGroup, at the top of the loop) before looking
  // again.
  auto rebalance_pending = [&] {
    return member_ != nullptr &&
           member_->epoch.load(std::memory_order_acquire) != seen_epoch_;
  };
  for (uint32_t turn = 0;; ++turn) {
    if (absl::Status s = SyncGroup(); !s.ok()) return s;
    if (std::optional<absl::Status> found = look()) return *found;
    if (rebalance_pending()) continue;
    // Spinning reads the clock on every 16th turn only (it costs as much as
    // a look); the first turn always reads it, so a zero timeout returns.
    if (options_.wait_strategy != WaitStrategy::kBlock && turn % 16 != 0) {
      CpuRelax();
      continue;
    }
    auto now = Clock::now();
    if (now >= deadline) return absl::OkStatus();
    switch (options_.wait_strategy) {
      case WaitStrategy::kBusySpin:
        CpuRelax();
        continue;
      case WaitStrategy::kSpinThenBlock:
        if (now < spin_until) {
          CpuRelax();
          continue;
        }
        break;
      case WaitStrategy::kBlock:
        break;
    }
    // To sleep: take the epoch, tell the logs (appends and syncs notify only
    // while someone waits: partition_log.h), look once more, then sleep.
    // Wakeup() and rebalances notify the waiter directly.
    uint32_t epoch = waiter_.epoch();
    WaitAnnouncement announced(cursors_);
    if (std::optional<absl::Status> found = look()) return *found;
    if (rebalance_pending()) continue;
    waiter_.WaitFor(epoch, deadline - now);
  }
}

}  // namespace evlog
