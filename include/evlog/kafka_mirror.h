// evlog/kafka_mirror.h: copies topics from one Store to another -- a local
// store to a Kafka cluster (store-and-forward: an edge device logs locally
// and forwards when the link is up) or Kafka topics into a local store.
// Both sides are evlog::Store, so any pair of backends works.
//
//   evlog::kafka::MirrorOptions o;
//   o.topics = {"events"};
//   o.source_id = "edge-17";
//   auto mirror = evlog::kafka::Mirror::New(local.get(), kafka.get(), o);
//   std::thread t([&] { (*mirror)->Run(); });   // until Stop()
//   ...; (*mirror)->Stop(); t.join();
//
// Mapping: a target topic has the source's partition count (created when
// missing; kFailedPrecondition if it exists with another count); record i
// of source partition p goes to target partition p, in order, with key,
// value, timestamp and headers, plus four headers naming its source
// position: evlog-mirror-source (source_id), evlog-mirror-topic,
// evlog-mirror-partition and evlog-mirror-offset (decimal).
//
// Resumable, at-least-once: a new Mirror reads the last record of each
// target partition and continues after the source offset its headers name,
// so after a crash or SIGKILL nothing is lost and nothing already in the
// target is copied again -- except records of the batch in flight at the
// crash that the target stored after the mirror's last look: at most
// `max_batch_records` duplicates per partition per crash. The target
// partitions must be written by this mirror only.
//
// While the target (or source) is unreachable, Run retries with
// exponential backoff; the source's producers are not affected. Status()
// reports the lag per partition.
//
// Thread safety: Run and RunOnce from one thread; Stop and Status from any.

#ifndef EVLOG_KAFKA_MIRROR_H_
#define EVLOG_KAFKA_MIRROR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "evlog/consumer.h"
#include "evlog/store.h"

namespace evlog::kafka {

struct MirrorOptions {
  // Source topics to copy. Required (kInvalidArgument if empty).
  std::vector<std::string> topics;
  // Written to every copied record's evlog-mirror-source header. Default
  // "evlog".
  std::string source_id = "evlog";
  // Most records sent in one batch (also the duplicate bound per partition
  // per crash). Default 500. Must be >= 1.
  int32_t max_batch_records = 500;
  // Backoff of Run after an error: starts here, doubles up to the max.
  // Defaults 100 ms and 10000 ms.
  int64_t initial_backoff_ms = 100;
  int64_t max_backoff_ms = 10000;
};

struct MirrorPartitionStatus {
  TopicPartition tp;
  Offset next;        // next source offset to copy
  Offset source_end;  // source end offset at the last look
  int64_t lag = 0;    // source_end - next
};

struct MirrorStatus {
  std::vector<MirrorPartitionStatus> partitions;  // sorted
  int64_t lag = 0;                                // sum over the partitions
  int64_t records_copied = 0;                     // by this Mirror object
  int64_t errors = 0;       // failed rounds (each followed by a backoff)
  absl::Status last_error;  // of the latest failed round; OK if none
};

class Mirror {
 public:
  // Creates missing target topics and reads the resume positions. Neither
  // store is owned; both must outlive the mirror.
  static absl::StatusOr<std::unique_ptr<Mirror>> New(
      Store* source, Store* target, const MirrorOptions& options);
  ~Mirror();

  // Copies until the target has caught up with the source's end offsets as
  // of the call; returns the records copied. Errors of either store.
  absl::StatusOr<int64_t> RunOnce();
  // RunOnce in a loop (waiting up to 100 ms for new source records between
  // rounds, backing off after errors) until Stop(). Returns OK after Stop.
  absl::Status Run();
  void Stop();
  MirrorStatus Status() const;

 private:
  struct State;
  explicit Mirror(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace evlog::kafka

#endif  // EVLOG_KAFKA_MIRROR_H_
