// KafkaConsumer: construction, assignment, positions and commits. Poll,
// rebalances and Close are in consumer_poll.cc.

#include "kafka/kafka_consumer.h"

#include <algorithm>
#include <regex>

#include "absl/strings/str_cat.h"
#include "consumer/consumer_impl.h"
#include "kafka/errors.h"
#include "util/string_view.h"

namespace evlog::kafka {

namespace {

const char* StrategyName(AssignmentStrategy s) {
  switch (s) {
    case AssignmentStrategy::kRange:
      return "range";
    case AssignmentStrategy::kRoundRobin:
      return "roundrobin";
    case AssignmentStrategy::kCooperativeSticky:
      return "cooperative-sticky";
  }
  return "range";
}

const char* ResetName(AutoOffsetReset r) {
  switch (r) {
    case AutoOffsetReset::kEarliest:
      return "earliest";
    case AutoOffsetReset::kLatest:
      return "latest";
    case AutoOffsetReset::kError:
      return "error";
  }
  return "latest";
}

}  // namespace

absl::StatusOr<std::unique_ptr<KafkaConsumer>> KafkaConsumer::New(
    const KafkaStoreOptions& store_options, const ConsumerOptions& options) {
  if (absl::Status s = ConsumerImpl::Validate(options); !s.ok()) return s;
  if (options.read_durable_only) {
    return Unimplemented("ConsumerOptions::read_durable_only",
                         "Kafka has no per-record sync state; an acknowledged "
                         "(acks=all) record is already replicated");
  }
  std::unique_ptr<KafkaConsumer> c(new KafkaConsumer(store_options, options));
  Settings settings = {
      {"client.id", options.client_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
      {"allow.auto.create.topics", "false"},
      {"auto.offset.reset", ResetName(options.auto_offset_reset)},
      {"partition.assignment.strategy",
       StrategyName(options.assignment_strategy)},
      {"max.poll.interval.ms", std::to_string(options.max_poll_interval_ms)},
  };
  // librdkafka needs a group.id for a high-level consumer even when it only
  // assigns by hand; without one evlog refuses commits itself.
  settings.push_back({"group.id", options.group_id.empty()
                                      ? std::string("evlog-no-group")
                                      : options.group_id});
  KafkaConsumer* raw = c.get();
  auto client = Client::New(RD_KAFKA_CONSUMER, store_options, settings,
                            [raw](rd_kafka_conf_t* conf) {
                              rd_kafka_conf_set_rebalance_cb(conf, OnRebalance);
                              rd_kafka_conf_set_opaque(conf, raw);
                            });
  if (!client.ok()) return client.status();
  c->client_ = *std::move(client);
  rd_kafka_poll_set_consumer(c->client_->get());
  c->consumer_queue_ = rd_kafka_queue_get_consumer(c->client_->get());
  c->commit_queue_ = rd_kafka_queue_new(c->client_->get());
  c->next_auto_commit_ms_ = SteadyNowMs() + options.auto_commit_interval_ms;
  return c;
}

KafkaConsumer::KafkaConsumer(const KafkaStoreOptions& store_options,
                             const ConsumerOptions& options)
    : store_options_(store_options), options_(options) {}

KafkaConsumer::~KafkaConsumer() {
  Close().IgnoreError();
  if (commit_queue_ != nullptr) rd_kafka_queue_destroy(commit_queue_);
  if (consumer_queue_ != nullptr) rd_kafka_queue_destroy(consumer_queue_);
  // client_ goes when the last PollResult holding it does.
}

absl::Status KafkaConsumer::CheckOpen() const {
  if (closed_) return absl::FailedPreconditionError("consumer is closed");
  return absl::OkStatus();
}

absl::Status KafkaConsumer::CheckGroup(std::string_view what) const {
  if (options_.group_id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(what), " needs ConsumerOptions::group_id"));
  }
  return absl::OkStatus();
}

absl::Status KafkaConsumer::CheckOwned(
    const std::vector<TopicPartition>& partitions) const {
  for (const TopicPartition& tp : partitions) {
    if (!positions_.contains(tp)) {
      return absl::FailedPreconditionError(
          absl::StrCat(ToString(tp), " is not assigned to this consumer"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<TopicPartition, std::optional<Offset>>>
KafkaConsumer::StartPositions(const std::vector<TopicPartition>& partitions) {
  std::map<TopicPartition, std::optional<Offset>> out;
  if (partitions.empty()) return out;
  rd_kafka_t* rk = client_->get();
  if (!options_.group_id.empty()) {
    PartitionList list = ToPartitionList(partitions);
    absl::Status s = FromKafka(
        rd_kafka_committed(rk, list.get(),
                           static_cast<int>(store_options_.timeout_ms)),
        "reading committed offsets");
    if (!s.ok()) return s;
    for (int i = 0; i < list->cnt; ++i) {
      const rd_kafka_topic_partition_t& e = list->elems[i];
      if (e.err == RD_KAFKA_RESP_ERR_NO_ERROR && e.offset >= 0) {
        out[{e.topic, PartitionId(e.partition)}] = Offset(e.offset);
      }
    }
  }
  for (const TopicPartition& tp : partitions) {
    if (out.contains(tp)) continue;
    if (options_.auto_offset_reset == AutoOffsetReset::kError) {
      out[tp] = std::nullopt;
      continue;
    }
    auto w = QueryWatermarks(rk, tp, store_options_.timeout_ms);
    if (!w.ok()) return w.status();
    out[tp] = options_.auto_offset_reset == AutoOffsetReset::kEarliest
                  ? w->low
                  : w->high;
  }
  return out;
}

absl::Status KafkaConsumer::Assign(
    const std::vector<TopicPartition>& partitions) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (mode_ == Mode::kSubscribed) {
    return absl::FailedPreconditionError(
        "Assign while subscribed; Unsubscribe first");
  }
  rd_kafka_t* rk = client_->get();
  if (absl::Status s =
          CheckPartitions(rk, partitions, store_options_.timeout_ms);
      !s.ok()) {
    return s;
  }
  std::vector<TopicPartition> fresh;
  for (const TopicPartition& tp : partitions) {
    if (!positions_.contains(tp)) fresh.push_back(tp);
  }
  auto start = StartPositions(fresh);
  if (!start.ok()) return start.status();
  std::map<TopicPartition, std::optional<Offset>> next;
  for (const TopicPartition& tp : partitions) {
    auto it = positions_.find(tp);
    next[tp] = it != positions_.end() ? it->second : (*start)[tp];
  }
  PartitionList list(
      rd_kafka_topic_partition_list_new(static_cast<int>(next.size())));
  for (const auto& [tp, pos] : next) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(),
                                      tp.partition.value())
        ->offset = pos ? pos->value() : RD_KAFKA_OFFSET_INVALID;
  }
  absl::Status s =
      FromKafka(rd_kafka_assign(rk, next.empty() ? nullptr : list.get()),
                "assigning partitions");
  if (!s.ok()) return s;
  positions_ = std::move(next);
  std::erase_if(paused_, [&](const TopicPartition& tp) {
    return !positions_.contains(tp);
  });
  mode_ = positions_.empty() ? Mode::kNone : Mode::kManual;
  return absl::OkStatus();
}

absl::Status KafkaConsumer::Subscribe(const std::vector<std::string>& topics) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (topics.empty()) return Unsubscribe();
  if (absl::Status s = CheckGroup("Subscribe"); !s.ok()) return s;
  if (mode_ == Mode::kManual) {
    return absl::FailedPreconditionError(
        "Subscribe while partitions are assigned by hand; Assign({}) first");
  }
  auto known = ListTopicPartitions(client_->get(), store_options_.timeout_ms);
  if (!known.ok()) return known.status();
  PartitionList list(
      rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const std::string& t : topics) {
    if (!known->contains(t))
      return absl::NotFoundError(absl::StrCat("unknown topic ", t));
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(),
                                      RD_KAFKA_PARTITION_UA);
  }
  absl::Status s =
      FromKafka(rd_kafka_subscribe(client_->get(), list.get()), "subscribing");
  if (s.ok()) {
    mode_ = Mode::kSubscribed;
    subscribed_topics_ = topics;
    std::sort(subscribed_topics_.begin(), subscribed_topics_.end());
    subscribed_pattern_.clear();
  }
  return s;
}

absl::Status KafkaConsumer::SubscribePattern(const std::string& regex) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (absl::Status s = CheckGroup("SubscribePattern"); !s.ok()) return s;
  if (mode_ == Mode::kManual) {
    return absl::FailedPreconditionError(
        "SubscribePattern while partitions are assigned by hand; Assign({}) "
        "first");
  }
  // Validated with std::regex as on the embedded store; librdkafka matches
  // it (POSIX extended, whole name anchored here) against the cluster's
  // topics and follows new ones itself.
  try {
    std::regex check(regex);
  } catch (const std::regex_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad topic pattern '", regex, "': ", e.what()));
  }
  PartitionList list(rd_kafka_topic_partition_list_new(1));
  const std::string anchored = absl::StrCat("^", regex, "$");
  rd_kafka_topic_partition_list_add(list.get(), anchored.c_str(),
                                    RD_KAFKA_PARTITION_UA);
  absl::Status s = FromKafka(rd_kafka_subscribe(client_->get(), list.get()),
                             "subscribing to a pattern");
  if (s.ok()) {
    mode_ = Mode::kSubscribed;
    subscribed_pattern_ = regex;
    subscribed_topics_.clear();
  }
  return s;
}

std::vector<std::string> KafkaConsumer::Subscription() const {
  if (mode_ != Mode::kSubscribed) return {};
  if (subscribed_pattern_.empty()) return subscribed_topics_;
  // The topics the pattern matches now.
  std::vector<std::string> out;
  auto known = ListTopicPartitions(client_->get(), store_options_.timeout_ms);
  if (!known.ok()) return out;
  std::regex re(subscribed_pattern_);
  for (const auto& [name, n] : *known) {
    if (std::regex_match(name, re)) out.push_back(name);
  }
  return out;  // sorted: a std::map's order
}

absl::StatusOr<std::vector<TopicPartition>> KafkaConsumer::PartitionsFor(
    const std::string& topic) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  auto known = ListTopicPartitions(client_->get(), store_options_.timeout_ms);
  if (!known.ok()) return known.status();
  auto it = known->find(topic);
  if (it == known->end()) {
    return absl::NotFoundError(absl::StrCat("unknown topic ", topic));
  }
  std::vector<TopicPartition> out;
  for (int32_t p = 0; p < it->second; ++p)
    out.push_back({topic, PartitionId(p)});
  return out;
}

absl::Status KafkaConsumer::Unsubscribe() {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (mode_ == Mode::kManual) return Assign({});
  if (mode_ != Mode::kSubscribed) return absl::OkStatus();
  absl::Status commit = MaybeAutoCommit(/*force=*/true, /*sync=*/true);
  absl::Status s =
      FromKafka(rd_kafka_unsubscribe(client_->get()), "unsubscribing");
  // librdkafka revokes in a later poll: serve it here, as evlog promises
  // OnPartitionsRevoked before Unsubscribe returns.
  ServeUntilUnassigned();
  mode_ = Mode::kNone;
  subscribed_topics_.clear();
  subscribed_pattern_.clear();
  generation_ = -1;
  return s.ok() ? commit : s;
}

std::vector<TopicPartition> KafkaConsumer::Assignment() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, pos] : positions_) out.push_back(tp);
  return out;
}

int64_t KafkaConsumer::GroupGeneration() const { return generation_; }

std::string KafkaConsumer::MemberId() const {
  if (mode_ != Mode::kSubscribed) return "";
  char* id = rd_kafka_memberid(client_->get());
  if (id == nullptr) return "";
  std::string out(id);
  rd_kafka_mem_free(client_->get(), id);
  return out;
}

absl::Status KafkaConsumer::Seek(const TopicPartition& tp, Offset offset) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (absl::Status s = CheckOwned({tp}); !s.ok()) return s;
  if (offset.value() < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("negative offset for ", ToString(tp)));
  }
  PartitionList list =
      ToPartitionList(std::vector<TopicPartitionOffset>{{tp, offset}});
  absl::Status s = FromKafkaError(
      rd_kafka_seek_partitions(client_->get(), list.get(),
                               static_cast<int>(store_options_.timeout_ms)),
      absl::StrCat("seeking ", ToString(tp)));
  if (s.ok())
    s = FromKafka(list->elems[0].err, absl::StrCat("seeking ", ToString(tp)));
  if (s.ok()) positions_[tp] = offset;
  return s;
}

absl::Status KafkaConsumer::SeekToBeginning(
    const std::vector<TopicPartition>& partitions) {
  auto offsets =
      BeginningOffsets(partitions.empty() ? Assignment() : partitions);
  if (!offsets.ok()) return offsets.status();
  for (const auto& [tp, o] : *offsets) {
    if (absl::Status s = Seek(tp, o); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status KafkaConsumer::SeekToEnd(
    const std::vector<TopicPartition>& partitions) {
  auto offsets = EndOffsets(partitions.empty() ? Assignment() : partitions);
  if (!offsets.ok()) return offsets.status();
  for (const auto& [tp, o] : *offsets) {
    if (absl::Status s = Seek(tp, o); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<Offset> KafkaConsumer::Position(const TopicPartition& tp) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (absl::Status s = CheckOwned({tp}); !s.ok()) return s;
  const std::optional<Offset>& pos = positions_[tp];
  if (!pos) {
    return absl::OutOfRangeError(absl::StrCat(
        ToString(tp),
        " has no committed offset and auto_offset_reset is kError"));
  }
  return *pos;
}

absl::StatusOr<std::map<TopicPartition, std::optional<Offset>>>
KafkaConsumer::OffsetsForTimes(
    const std::map<TopicPartition, int64_t>& timestamps_ms) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  std::vector<TopicPartitionOffset> query;
  std::vector<TopicPartition> partitions;
  for (const auto& [tp, ts] : timestamps_ms) {
    query.push_back({tp, Offset(ts)});
    partitions.push_back(tp);
  }
  std::map<TopicPartition, std::optional<Offset>> out;
  if (query.empty()) return out;
  rd_kafka_t* rk = client_->get();
  if (absl::Status s =
          CheckPartitions(rk, partitions, store_options_.timeout_ms);
      !s.ok()) {
    return s;
  }
  PartitionList list = ToPartitionList(query);
  absl::Status s = FromKafka(
      rd_kafka_offsets_for_times(rk, list.get(),
                                 static_cast<int>(store_options_.timeout_ms)),
      "offsets for times");
  if (!s.ok()) return s;
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& e = list->elems[i];
    TopicPartition tp{e.topic, PartitionId(e.partition)};
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return FromKafka(e.err,
                       absl::StrCat("offset for time of ", ToString(tp)));
    }
    out[tp] =
        e.offset >= 0 ? std::optional<Offset>(Offset(e.offset)) : std::nullopt;
  }
  return out;
}

absl::StatusOr<std::map<TopicPartition, Offset>> KafkaConsumer::Watermark(
    const std::vector<TopicPartition>& partitions, bool high) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  rd_kafka_t* rk = client_->get();
  if (absl::Status s =
          CheckPartitions(rk, partitions, store_options_.timeout_ms);
      !s.ok()) {
    return s;
  }
  std::map<TopicPartition, Offset> out;
  for (const TopicPartition& tp : partitions) {
    auto w = QueryWatermarks(rk, tp, store_options_.timeout_ms);
    if (!w.ok()) return w.status();
    out[tp] = high ? w->high : w->low;
  }
  return out;
}

absl::StatusOr<std::map<TopicPartition, Offset>>
KafkaConsumer::BeginningOffsets(const std::vector<TopicPartition>& partitions) {
  return Watermark(partitions, /*high=*/false);
}

absl::StatusOr<std::map<TopicPartition, Offset>> KafkaConsumer::EndOffsets(
    const std::vector<TopicPartition>& partitions) {
  return Watermark(partitions, /*high=*/true);
}

absl::Status KafkaConsumer::Pause(
    const std::vector<TopicPartition>& partitions) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (absl::Status s = CheckOwned(partitions); !s.ok()) return s;
  PartitionList list = ToPartitionList(partitions);
  absl::Status s = FromKafka(
      rd_kafka_pause_partitions(client_->get(), list.get()), "pausing");
  if (s.ok()) paused_.insert(partitions.begin(), partitions.end());
  return s;
}

absl::Status KafkaConsumer::Resume(
    const std::vector<TopicPartition>& partitions) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (absl::Status s = CheckOwned(partitions); !s.ok()) return s;
  for (const TopicPartition& tp : partitions) {
    // Poll dropped whatever librdkafka had fetched of a paused partition:
    // fetch again from evlog's position.
    const std::optional<Offset> pos = positions_[tp];
    if (paused_.contains(tp) && pos) {
      if (absl::Status s = Seek(tp, *pos); !s.ok()) return s;
    }
  }
  PartitionList list = ToPartitionList(partitions);
  absl::Status s = FromKafka(
      rd_kafka_resume_partitions(client_->get(), list.get()), "resuming");
  if (s.ok()) {
    for (const TopicPartition& tp : partitions) paused_.erase(tp);
  }
  return s;
}

std::vector<TopicPartition> KafkaConsumer::Paused() const {
  return std::vector<TopicPartition>(paused_.begin(), paused_.end());
}

std::vector<TopicPartitionOffset> KafkaConsumer::CurrentPositions() const {
  std::vector<TopicPartitionOffset> out;
  for (const auto& [tp, pos] : positions_) {
    if (pos) out.push_back({tp, *pos});
  }
  return out;
}

absl::Status KafkaConsumer::CommitNow(
    const std::vector<TopicPartitionOffset>& offsets) {
  if (offsets.empty()) return absl::OkStatus();
  PartitionList list = ToPartitionList(offsets);
  absl::Status s =
      FromKafka(rd_kafka_commit(client_->get(), list.get(), /*async=*/0),
                "committing offsets");
  for (int i = 0; s.ok() && i < list->cnt; ++i) {
    s = FromKafka(list->elems[i].err,
                  absl::StrCat("committing ", list->elems[i].topic, "-",
                               list->elems[i].partition));
  }
  return s;
}

absl::Status KafkaConsumer::CommitSync() {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (absl::Status s = CheckGroup("committing"); !s.ok()) return s;
  return CommitNow(CurrentPositions());
}

absl::Status KafkaConsumer::CommitSync(
    const std::vector<TopicPartitionOffset>& offsets) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (absl::Status s = CheckGroup("committing"); !s.ok()) return s;
  std::vector<TopicPartition> partitions;
  for (const TopicPartitionOffset& o : offsets) partitions.push_back(o.tp);
  if (absl::Status s = CheckOwned(partitions); !s.ok()) return s;
  return CommitNow(offsets);
}

void KafkaConsumer::OnCommitted(rd_kafka_t*, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t* offsets,
                                void* opaque) {
  auto* cb = static_cast<CommitCallback*>(opaque);
  absl::Status s = FromKafka(err, "committing offsets");
  for (int i = 0; s.ok() && offsets != nullptr && i < offsets->cnt; ++i) {
    s = FromKafka(offsets->elems[i].err, "committing offsets");
  }
  (*cb)(s);
  delete cb;
}

void KafkaConsumer::CommitAsync(CommitCallback callback) {
  absl::Status s = CheckOpen();
  if (s.ok()) s = CheckGroup("committing");
  if (!s.ok()) {
    if (callback) callback(s);
    return;
  }
  CommitAsync(CurrentPositions(), std::move(callback));
}

void KafkaConsumer::CommitAsync(
    const std::vector<TopicPartitionOffset>& offsets, CommitCallback callback) {
  absl::Status s = CheckOpen();
  if (s.ok()) s = CheckGroup("committing");
  std::vector<TopicPartition> partitions;
  for (const TopicPartitionOffset& o : offsets) partitions.push_back(o.tp);
  if (s.ok()) s = CheckOwned(partitions);
  if (!s.ok() || offsets.empty()) {
    if (callback) callback(s);
    return;
  }
  PartitionList list = ToPartitionList(offsets);
  if (!callback) {
    rd_kafka_commit(client_->get(), list.get(), /*async=*/1);
    return;
  }
  // The outcome is delivered on this thread by a later Poll or Close.
  ++async_commits_pending_;
  rd_kafka_commit_queue(client_->get(), list.get(), commit_queue_, OnCommitted,
                        new CommitCallback(std::move(callback)));
}

absl::StatusOr<std::map<TopicPartition, std::optional<Offset>>>
KafkaConsumer::Committed(const std::vector<TopicPartition>& partitions) {
  if (absl::Status s = CheckOpen(); !s.ok()) return s;
  if (absl::Status s = CheckGroup("committed offsets"); !s.ok()) return s;
  rd_kafka_t* rk = client_->get();
  if (absl::Status s =
          CheckPartitions(rk, partitions, store_options_.timeout_ms);
      !s.ok()) {
    return s;
  }
  std::map<TopicPartition, std::optional<Offset>> out;
  if (partitions.empty()) return out;
  PartitionList list = ToPartitionList(partitions);
  absl::Status s =
      FromKafka(rd_kafka_committed(rk, list.get(),
                                   static_cast<int>(store_options_.timeout_ms)),
                "reading committed offsets");
  if (!s.ok()) return s;
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& e = list->elems[i];
    out[{e.topic, PartitionId(e.partition)}] =
        e.offset >= 0 ? std::optional<Offset>(Offset(e.offset)) : std::nullopt;
  }
  return out;
}

}  // namespace evlog::kafka
