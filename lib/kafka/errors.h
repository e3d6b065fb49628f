// kafka/errors.h: Kafka's error codes mapped onto evlog's one error table
// (evlog/kafka.h lists the mapping).
//
// Thread safety: stateless functions.

#ifndef EVLOG_KAFKA_ERRORS_H_
#define EVLOG_KAFKA_ERRORS_H_

#include <librdkafka/rdkafka.h>

#include <string_view>

#include "absl/status/status.h"

namespace evlog::kafka {

// The status for `err` (OK for RD_KAFKA_RESP_ERR_NO_ERROR); the message is
// "<context>: <Kafka's error name>: <description>".
absl::Status FromKafka(rd_kafka_resp_err_t err, std::string_view context);

// Same for an rd_kafka_error_t, which it destroys. Null is OK.
absl::Status FromKafkaError(rd_kafka_error_t* error, std::string_view context);

// kUnimplemented for `feature`, with the reason Kafka cannot do it.
absl::Status Unimplemented(std::string_view feature, std::string_view reason);

}  // namespace evlog::kafka

#endif  // EVLOG_KAFKA_ERRORS_H_
