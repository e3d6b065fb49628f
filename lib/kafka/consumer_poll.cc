// KafkaConsumer: Poll, Wakeup, rebalances, auto-commit and Close.

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "kafka/errors.h"
#include "kafka/kafka_consumer.h"
#include "kafka/message_batch.h"
#include "util/string_view.h"

namespace evlog::kafka {
namespace {

// Errors a consumer reports but recovers from by itself (librdkafka keeps
// retrying): Poll does not surface them.
bool Transient(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR__TRANSPORT ||
         err == RD_KAFKA_RESP_ERR__TIMED_OUT ||
         err == RD_KAFKA_RESP_ERR__PARTITION_EOF ||
         err == RD_KAFKA_RESP_ERR__RESOLVE;
}

bool Cooperative(rd_kafka_t* rk) {
  return std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
}

}  // namespace

void KafkaConsumer::OnRebalance(rd_kafka_t*, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* partitions,
                                void* opaque) {
  static_cast<KafkaConsumer*>(opaque)->Rebalance(err, partitions);
}

void KafkaConsumer::Rebalance(rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t* partitions) {
  bool cooperative = Cooperative(client_->get());
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    Assigned(partitions, cooperative);
  } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    Revoked(partitions, cooperative);
  } else {
    pending_error_ = FromKafka(err, "rebalance");
    rd_kafka_assign(client_->get(), nullptr);
    positions_.clear();
    paused_.clear();
  }
}

void KafkaConsumer::Assigned(rd_kafka_topic_partition_list_t* partitions,
                             bool cooperative) {
  rd_kafka_t* rk = client_->get();
  std::vector<TopicPartition> added = FromPartitionList(partitions);
  auto start = StartPositions(added);
  if (!start.ok()) {
    // librdkafka then starts from the committed offset or auto.offset.reset
    // itself; evlog learns each position from the first record.
    pending_error_ = start.status();
    start = std::map<TopicPartition, std::optional<Offset>>();
  }
  for (int i = 0; i < partitions->cnt; ++i) {
    rd_kafka_topic_partition_t& e = partitions->elems[i];
    auto it = start->find({e.topic, PartitionId(e.partition)});
    e.offset = it != start->end() && it->second ? it->second->value()
                                                : RD_KAFKA_OFFSET_INVALID;
  }
  absl::Status s =
      cooperative ? FromKafkaError(rd_kafka_incremental_assign(rk, partitions),
                                   "assigning")
                  : FromKafka(rd_kafka_assign(rk, partitions), "assigning");
  if (!s.ok()) {
    pending_error_ = s;
    return;
  }
  if (!cooperative) positions_.clear();
  for (const TopicPartition& tp : added) {
    auto it = start->find(tp);
    positions_[tp] = it != start->end() ? it->second : std::nullopt;
  }
  generation_ = generation_ < 0 ? 1 : generation_ + 1;
  if (options_.listener != nullptr && !added.empty()) {
    options_.listener->OnPartitionsAssigned(*this, added);
  }
}

void KafkaConsumer::Revoked(rd_kafka_topic_partition_list_t* partitions,
                            bool cooperative) {
  rd_kafka_t* rk = client_->get();
  std::vector<TopicPartition> revoked = FromPartitionList(partitions);
  bool lost = rd_kafka_assignment_lost(rk) != 0;
  if (!lost && options_.enable_auto_commit && !options_.group_id.empty()) {
    std::vector<TopicPartitionOffset> offsets;
    for (const TopicPartition& tp : revoked) {
      auto it = positions_.find(tp);
      if (it != positions_.end() && it->second)
        offsets.push_back({tp, *it->second});
    }
    CommitNow(offsets).IgnoreError();  // at-least-once: redelivered if lost
  }
  if (options_.listener != nullptr && !revoked.empty()) {
    if (lost) {
      options_.listener->OnPartitionsLost(*this, revoked);
    } else {
      options_.listener->OnPartitionsRevoked(*this, revoked);
    }
  }
  if (cooperative) {
    FromKafkaError(rd_kafka_incremental_unassign(rk, partitions), "unassigning")
        .IgnoreError();
    for (const TopicPartition& tp : revoked) {
      positions_.erase(tp);
      paused_.erase(tp);
    }
  } else {
    rd_kafka_assign(rk, nullptr);
    positions_.clear();
    paused_.clear();
  }
}

absl::Status KafkaConsumer::MaybeAutoCommit(bool force, bool sync) {
  if (!options_.enable_auto_commit || options_.group_id.empty())
    return absl::OkStatus();
  int64_t now = SteadyNowMs();
  if (!force && now < next_auto_commit_ms_) return absl::OkStatus();
  next_auto_commit_ms_ = now + options_.auto_commit_interval_ms;
  std::vector<TopicPartitionOffset> offsets = CurrentPositions();
  if (offsets.empty()) return absl::OkStatus();
  if (sync) return CommitNow(offsets);
  PartitionList list = ToPartitionList(offsets);
  rd_kafka_commit(client_->get(), list.get(), /*async=*/1);  // failures ignored
  return absl::OkStatus();
}

void KafkaConsumer::ServeCommitCallbacks(int timeout_ms) {
  int64_t deadline = SteadyNowMs() + timeout_ms;
  while (async_commits_pending_ > 0) {
    int64_t left = deadline - SteadyNowMs();
    rd_kafka_event_t* ev = rd_kafka_queue_poll(
        commit_queue_, left > 0 ? static_cast<int>(left) : 0);
    if (ev == nullptr) {
      if (left <= 0) return;
      continue;
    }
    if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_OFFSET_COMMIT) {
      --async_commits_pending_;
      auto* cb = static_cast<CommitCallback*>(rd_kafka_event_opaque(ev));
      absl::Status s =
          FromKafka(rd_kafka_event_error(ev), "committing offsets");
      const rd_kafka_topic_partition_list_t* offsets =
          rd_kafka_event_topic_partition_list(ev);
      for (int i = 0; s.ok() && offsets != nullptr && i < offsets->cnt; ++i) {
        s = FromKafka(offsets->elems[i].err, "committing offsets");
      }
      if (cb != nullptr) {
        (*cb)(s);
        delete cb;
      }
    }
    rd_kafka_event_destroy(ev);
  }
}

void KafkaConsumer::ServeUntilUnassigned() {
  int64_t deadline = SteadyNowMs() + store_options_.timeout_ms;
  while (!positions_.empty() && SteadyNowMs() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(client_->get(), 50);
    if (m != nullptr) rd_kafka_message_destroy(m);
  }
}

absl::Status KafkaConsumer::Poll(std::chrono::nanoseconds timeout,
                                 PollResult* out) {
  out->Clear();
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (wakeup_.exchange(false)) return absl::CancelledError("consumer woken up");
  if (!pending_error_.ok())
    return std::exchange(pending_error_, absl::OkStatus());
  MaybeAutoCommit(/*force=*/false, /*sync=*/false).IgnoreError();
  ServeCommitCallbacks(0);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto batch = std::make_shared<MessageBatch>(client_);
  rd_kafka_t* rk = client_->get();
  while (batch->size() < static_cast<size_t>(options_.max_poll_records)) {
    int wait_ms = 0;
    if (batch->empty()) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() > 0) wait_ms = static_cast<int>(left.count());
    }
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, wait_ms);
    if (m == nullptr) {
      // Wakeup's yield, a rebalance or the timeout ended the wait. A record
      // already taken is returned first; the wake-up then ends the next Poll.
      if (batch->empty() && wakeup_.exchange(false)) {
        return absl::CancelledError("consumer woken up");
      }
      if (batch->empty() && !pending_error_.ok()) {
        return std::exchange(pending_error_, absl::OkStatus());
      }
      if (!batch->empty() || std::chrono::steady_clock::now() >= deadline)
        break;
      continue;
    }
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_resp_err_t err = m->err;
      std::string where =
          m->rkt != nullptr
              ? absl::StrCat(rd_kafka_topic_name(m->rkt), "-", m->partition)
              : std::string("consumer");
      rd_kafka_message_destroy(m);
      if (Transient(err)) continue;
      absl::Status s = FromKafka(err, where);
      if (batch->empty()) return s;
      pending_error_ = s;  // after the records already taken
      break;
    }
    TopicPartition tp{rd_kafka_topic_name(m->rkt), PartitionId(m->partition)};
    auto it = positions_.find(tp);
    // Drop records of partitions no longer owned or paused (Resume fetches
    // them again from the position), and any fetched before a Seek.
    if (it == positions_.end() || paused_.contains(tp) ||
        (it->second && m->offset < it->second->value())) {
      rd_kafka_message_destroy(m);
      continue;
    }
    it->second = Offset(m->offset + 1);
    batch->Add(m);
  }
  if (!batch->empty()) MessageBatch::Publish(std::move(batch), out);
  return absl::OkStatus();
}

void KafkaConsumer::Wakeup() {
  wakeup_.store(true);
  rd_kafka_queue_yield(consumer_queue_);
}

absl::Status KafkaConsumer::Close() {
  if (closed_) return absl::OkStatus();
  // The final auto-commit. A rebalance started by another member refuses
  // commits until this member rejoins, which it does inside a poll: serve
  // the queue and commit the same offsets again (a revocation served
  // meanwhile clears the positions, so they are taken first; records met
  // are dropped, the consumer is closing).
  std::vector<TopicPartitionOffset> final_offsets;
  if (options_.enable_auto_commit && !options_.group_id.empty()) {
    final_offsets = CurrentPositions();
  }
  absl::Status s = CommitNow(final_offsets);
  auto rejoining = [](const absl::Status& st) {
    return st.code() == absl::StatusCode::kFailedPrecondition &&
           (st.message().find("REBALANCE_IN_PROGRESS") !=
                std::string_view::npos ||
            st.message().find("ILLEGAL_GENERATION") != std::string_view::npos);
  };
  int64_t deadline = SteadyNowMs() + store_options_.timeout_ms;
  while (rejoining(s) && SteadyNowMs() < deadline) {
    for (int i = 0; i < 5; ++i) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(client_->get(), 100);
      if (m != nullptr) rd_kafka_message_destroy(m);
    }
    s = CommitNow(final_offsets);
  }
  ServeCommitCallbacks(static_cast<int>(store_options_.timeout_ms));
  // Serves the final revocation (listener) and leaves the group.
  absl::Status c = FromKafka(rd_kafka_consumer_close(client_->get()),
                             "closing the consumer");
  closed_ = true;
  positions_.clear();
  paused_.clear();
  mode_ = Mode::kNone;
  return s.ok() ? c : s;
}

}  // namespace evlog::kafka
