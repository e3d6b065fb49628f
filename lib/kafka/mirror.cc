// The Mirror of evlog/kafka_mirror.h: a manually assigned consumer on the
// source, a producer on the target, and per partition the next source
// offset to copy -- read back from the target's last record at start.

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "evlog/kafka_mirror.h"
#include "evlog/producer.h"

namespace evlog::kafka {
namespace {

constexpr char kSourceHeader[] = "evlog-mirror-source";
constexpr char kTopicHeader[] = "evlog-mirror-topic";
constexpr char kPartitionHeader[] = "evlog-mirror-partition";
constexpr char kOffsetHeader[] = "evlog-mirror-offset";

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

struct Mirror::State {
  Store* source = nullptr;
  Store* target = nullptr;
  MirrorOptions options;
  std::unique_ptr<Consumer> reader;  // on the source, manual assignment
  std::unique_ptr<Producer> writer;  // on the target
  std::atomic<bool> stop{false};
  std::mutex mu;  // guards the fields below and wakes a backoff early
  std::condition_variable wake;
  std::map<TopicPartition, MirrorPartitionStatus> partitions;
  int64_t records_copied = 0;
  int64_t errors = 0;
  absl::Status last_error;
};

Mirror::Mirror(std::unique_ptr<State> state) : state_(std::move(state)) {}
Mirror::~Mirror() = default;

// The source offset after the last record of `tp` in the target, from its
// evlog-mirror-offset header; nullopt when the target partition is empty.
static absl::StatusOr<std::optional<Offset>> ResumeOffset(
    Store& target, const TopicPartition& tp) {
  ConsumerOptions o;
  o.auto_offset_reset = AutoOffsetReset::kEarliest;
  auto c = target.NewConsumer(o);
  if (!c.ok()) return c.status();
  auto ends = (*c)->EndOffsets({tp});
  if (!ends.ok()) return ends.status();
  auto begins = (*c)->BeginningOffsets({tp});
  if (!begins.ok()) return begins.status();
  Offset end = ends->at(tp);
  if (end <= begins->at(tp)) return std::optional<Offset>();
  if (absl::Status s = (*c)->Assign({tp}); !s.ok()) return s;
  if (absl::Status s = (*c)->Seek(tp, end - 1); !s.ok()) return s;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  PollResult r;
  while (std::chrono::steady_clock::now() < deadline) {
    if (absl::Status s = (*c)->Poll(std::chrono::milliseconds(200), &r);
        !s.ok())
      return s;
    for (const ConsumerRecord& rec : r) {
      if (rec.record.offset() != end - 1) continue;
      for (const HeaderView& h : rec.record.headers()) {
        if (h.key == kOffsetHeader && h.value) {
          if (auto v = ParseInt(*h.value))
            return std::optional<Offset>(Offset(*v + 1));
        }
      }
      return absl::FailedPreconditionError(
          absl::StrCat("the last record of target ", ToString(tp),
                       " has no evlog-mirror-offset header: the target is not "
                       "written by a mirror"));
    }
  }
  return absl::UnavailableError(
      absl::StrCat("reading the last record of target ", ToString(tp)));
}

absl::StatusOr<std::unique_ptr<Mirror>> Mirror::New(
    Store* source, Store* target, const MirrorOptions& options) {
  if (options.topics.empty())
    return absl::InvalidArgumentError("MirrorOptions::topics is empty");
  if (options.max_batch_records < 1 || options.initial_backoff_ms < 1 ||
      options.max_backoff_ms < options.initial_backoff_ms) {
    return absl::InvalidArgumentError(
        "MirrorOptions: max_batch_records and initial_backoff_ms must be >= 1, "
        "max_backoff_ms >= initial_backoff_ms");
  }
  auto state = std::make_unique<State>();
  state->source = source;
  state->target = target;
  state->options = options;
  std::vector<TopicPartition> all;
  for (const std::string& topic : options.topics) {
    auto d = source->DescribeTopic(topic);
    if (!d.ok()) return d.status();
    int32_t n = static_cast<int32_t>(d->partitions.size());
    absl::Status created = target->CreateTopic(topic, n);
    if (!created.ok() && !absl::IsAlreadyExists(created)) return created;
    auto td = target->DescribeTopic(topic);
    if (!td.ok()) return td.status();
    if (static_cast<int32_t>(td->partitions.size()) != n) {
      return absl::FailedPreconditionError(
          absl::StrCat("target topic ", topic, " has ", td->partitions.size(),
                       " partitions, the source ", n));
    }
    for (const PartitionDescription& p : d->partitions) {
      TopicPartition tp{topic, p.partition};
      auto resume = ResumeOffset(*target, tp);
      if (!resume.ok()) return resume.status();
      Offset next = resume->value_or(p.start_offset);
      state->partitions[tp] = {tp, next, p.end_offset, p.end_offset - next};
      all.push_back(tp);
    }
  }
  ConsumerOptions co;
  co.auto_offset_reset = AutoOffsetReset::kEarliest;
  co.max_poll_records = options.max_batch_records;
  auto reader = source->NewConsumer(co);
  if (!reader.ok()) return reader.status();
  if (absl::Status s = (*reader)->Assign(all); !s.ok()) return s;
  for (const auto& [tp, st] : state->partitions) {
    if (absl::Status s = (*reader)->Seek(tp, st.next); !s.ok()) return s;
  }
  auto writer = target->NewProducer();
  if (!writer.ok()) return writer.status();
  state->reader = *std::move(reader);
  state->writer = *std::move(writer);
  return std::unique_ptr<Mirror>(new Mirror(std::move(state)));
}

absl::StatusOr<int64_t> Mirror::RunOnce() {
  State& st = *state_;
  // A read-only embedded source (e.g. `evlog mirror` beside the owning
  // application) picks up what its owner wrote; other stores are current.
  if (absl::Status r = st.source->Refresh();
      !r.ok() && !absl::IsUnimplemented(r))
    return r;
  std::vector<TopicPartition> all;
  for (const auto& [tp, p] : st.partitions) all.push_back(tp);
  auto ends = st.reader->EndOffsets(all);
  if (!ends.ok()) return ends.status();
  {
    std::lock_guard<std::mutex> lock(st.mu);
    for (auto& [tp, p] : st.partitions) {
      p.source_end = ends->at(tp);
      p.lag = std::max<int64_t>(0, p.source_end - p.next);
    }
  }
  auto caught_up = [&] {
    std::lock_guard<std::mutex> lock(st.mu);
    for (const auto& [tp, p] : st.partitions) {
      if (p.next < ends->at(tp)) return false;
    }
    return true;
  };
  int64_t copied = 0;
  PollResult batch;
  while (!caught_up() && !st.stop.load()) {
    if (absl::Status s =
            st.reader->Poll(std::chrono::milliseconds(100), &batch);
        !s.ok()) {
      return s;
    }
    // Group by partition, keeping each partition's order.
    std::map<TopicPartition, std::vector<const ConsumerRecord*>> by_partition;
    for (const ConsumerRecord& r : batch) {
      by_partition[{std::string(r.topic), r.partition}].push_back(&r);
    }
    for (const auto& [tp, recs] : by_partition) {
      std::vector<std::vector<HeaderView>> headers(recs.size());
      std::vector<std::string> offsets(recs.size());
      std::vector<Record> out;
      std::string partition_text = std::to_string(tp.partition.value());
      for (size_t i = 0; i < recs.size(); ++i) {
        const RecordView& v = recs[i]->record;
        headers[i] = v.headers();
        offsets[i] = std::to_string(v.offset().value());
        headers[i].push_back({kSourceHeader, st.options.source_id});
        headers[i].push_back({kTopicHeader, tp.topic});
        headers[i].push_back({kPartitionHeader, partition_text});
        headers[i].push_back({kOffsetHeader, offsets[i]});
        out.push_back({.key = v.key(),
                       .value = v.value(),
                       .headers = headers[i],
                       .timestamp_ms = v.timestamp_ms()});
      }
      SendOptions so;
      so.partition = tp.partition;
      auto sent = st.writer->SendBatch(tp.topic, out, so);
      if (!sent.ok()) {
        // Re-read every partition from its first record not known to be
        // copied (this poll's records of other partitions are not sent).
        std::lock_guard<std::mutex> lock(st.mu);
        for (const auto& [other, p] : st.partitions) {
          st.reader->Seek(other, p.next).IgnoreError();
        }
        return sent.status();
      }
      std::lock_guard<std::mutex> lock(st.mu);
      MirrorPartitionStatus& p = st.partitions[tp];
      p.next = recs.back()->record.offset() + 1;
      p.lag = std::max<int64_t>(0, p.source_end - p.next);
      st.records_copied += static_cast<int64_t>(recs.size());
      copied += static_cast<int64_t>(recs.size());
    }
  }
  return copied;
}

absl::Status Mirror::Run() {
  State& st = *state_;
  int64_t backoff = st.options.initial_backoff_ms;
  while (!st.stop.load()) {
    auto n = RunOnce();
    std::unique_lock<std::mutex> lock(st.mu);
    if (n.ok()) {
      backoff = st.options.initial_backoff_ms;
      if (*n == 0) st.wake.wait_for(lock, std::chrono::milliseconds(100));
      continue;
    }
    ++st.errors;
    st.last_error = n.status();
    st.wake.wait_for(lock, std::chrono::milliseconds(backoff),
                     [&] { return st.stop.load(); });
    backoff = std::min(backoff * 2, st.options.max_backoff_ms);
  }
  return absl::OkStatus();
}

void Mirror::Stop() {
  state_->stop.store(true);
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->wake.notify_all();
}

MirrorStatus Mirror::Status() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  MirrorStatus s;
  for (const auto& [tp, p] : state_->partitions) {
    s.partitions.push_back(p);
    s.lag += p.lag;
  }
  s.records_copied = state_->records_copied;
  s.errors = state_->errors;
  s.last_error = state_->last_error;
  return s;
}

}  // namespace evlog::kafka
