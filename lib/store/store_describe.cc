// The store describing itself: DescribeTopic and Metrics (the parts of
// StoreImpl that read every partition's state and the observers' counters).

#include <algorithm>
#include <string>
#include <vector>

#include "format/batch_codec.h"
#include "format/format.h"
#include "store/store_impl.h"

namespace evlog {

namespace {

// One partition's state, for DescribeTopic and Metrics.
PartitionDescription DescribePartition(const PartitionLog& log, PartitionId p) {
  PartitionDescription pd;
  pd.partition = p;
  pd.start_offset = log.start_offset();
  pd.end_offset = log.end_offset();
  pd.durable_end_offset = log.durable_end_offset();
  for (const auto& seg : log.Segments()) {
    ++pd.segments;
    pd.bytes += seg->data_bytes();
    if (seg->empty()) continue;
    if (pd.oldest_timestamp_ms < 0) {
      format::FrameInfo frame;
      std::string why;
      size_t pos = format::kSegmentHeaderSize;
      if (format::ParseFrame(seg->data() + pos, seg->end_position() - pos,
                             &frame, &why) == format::FrameStatus::kOk) {
        pd.oldest_timestamp_ms = frame.first_timestamp;
      }
    }
    pd.newest_timestamp_ms =
        std::max(pd.newest_timestamp_ms, seg->max_timestamp());
  }
  return pd;
}

}  // namespace

absl::StatusOr<TopicDescription> StoreImpl::DescribeTopic(
    const std::string& name) const {
  auto found = FindTopic(name);
  if (!found.ok()) return found.status();
  const Topic& topic = **found;
  TopicDescription d;
  d.name = topic.name();
  d.config = topic.config();
  for (int32_t p = 0; p < topic.partition_count(); ++p) {
    d.partitions.push_back(
        DescribePartition(*topic.partition(PartitionId(p)), PartitionId(p)));
  }
  return d;
}

MetricsSnapshot StoreImpl::Metrics() const {
  MetricsSnapshot m;
  m.time_ms = env_->clock()->NowMs();
  m.counters = observer_->Counters();
  m.sync_latency = observer_->SyncLatency();
  std::vector<std::shared_ptr<Topic>> topics = registry_.Snapshot();
  for (const auto& t : topics) {
    for (int32_t p = 0; p < t->partition_count(); ++p) {
      const PartitionLog& log = *t->partition(PartitionId(p));
      const PartitionDescription d = DescribePartition(log, PartitionId(p));
      PartitionMetrics pm;
      pm.tp = {t->name(), PartitionId(p)};
      pm.start_offset = d.start_offset;
      pm.end_offset = d.end_offset;
      pm.durable_end_offset = d.durable_end_offset;
      pm.records = d.end_offset - d.start_offset;
      pm.bytes = d.bytes;
      pm.segments = d.segments;
      pm.oldest_timestamp_ms = d.oldest_timestamp_ms;
      pm.newest_timestamp_ms = d.newest_timestamp_ms;
      if (const PartitionObserver* o = log.observer()) {
        const PartitionCounts c = o->Counts();
        pm.appends = c.appends;
        pm.records_appended = c.records_appended;
        pm.bytes_appended = c.bytes_appended;
        pm.syncs = c.syncs;
        pm.segments_rolled = c.segments_rolled;
        pm.rolls_without_spare = c.rolls_without_spare;
        pm.segments_prepared = c.segments_prepared;
        pm.segments_deleted = c.segments_deleted;
        pm.retention_held_segments = o->retention_held();
      }
      pm.failed = !log.health().ok();
      m.partitions.push_back(std::move(pm));
    }
  }
  if (closed() || groups_ == nullptr) return m;
  for (const std::string& id : groups_->ListGroups()) {
    auto d = groups_->DescribeGroup(id);
    if (!d.ok()) continue;  // deleted meanwhile
    GroupMetrics g;
    g.group_id = d->group_id;
    g.state = d->state;
    g.generation = d->generation;
    g.members = static_cast<int64_t>(d->members.size());
    g.partitions = static_cast<int64_t>(d->partitions.size());
    for (const GroupPartitionDescription& p : d->partitions) {
      if (p.lag) {
        g.lag += *p.lag;
      } else {
        ++g.partitions_without_commit;
      }
    }
    m.groups.push_back(std::move(g));
  }
  return m;
}

}  // namespace evlog
