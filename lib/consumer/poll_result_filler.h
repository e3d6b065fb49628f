// consumer/poll_result_filler.h: lets a Consumer implementation other than
// ConsumerImpl (the Kafka backend, lib/kafka) fill a PollResult: its records
// and the objects that keep their views alive.
//
// Thread safety: as PollResult (a plain value).

#ifndef EVLOG_CONSUMER_POLL_RESULT_FILLER_H_
#define EVLOG_CONSUMER_POLL_RESULT_FILLER_H_

#include <memory>
#include <utility>

#include "evlog/consumer.h"

namespace evlog {

class PollResultFiller {
 public:
  static void Add(PollResult* r, const ConsumerRecord& record) {
    r->records_.push_back(record);
  }
  // `owner` must keep every view of the records added alive.
  static void KeepAlive(PollResult* r, std::shared_ptr<const void> owner) {
    r->keep_alive_.push_back(std::move(owner));
  }
};

}  // namespace evlog

#endif  // EVLOG_CONSUMER_POLL_RESULT_FILLER_H_
