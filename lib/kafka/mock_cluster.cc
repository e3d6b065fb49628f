// The mock cluster of evlog/kafka_mock.h over librdkafka's
// rd_kafka_mock_cluster_new. The mock needs an rd_kafka_t to run its broker
// threads on; it is a plain producer handle owned here and used for nothing
// else.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "absl/strings/str_cat.h"
#include "evlog/kafka_mock.h"
#include "kafka/errors.h"
#include "util/string_view.h"

namespace evlog::kafka {

struct MockCluster::Handles {
  rd_kafka_t* rk = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  ~Handles() {
    if (cluster != nullptr) rd_kafka_mock_cluster_destroy(cluster);
    if (rk != nullptr) rd_kafka_destroy(rk);
  }
};

absl::StatusOr<std::unique_ptr<MockCluster>> MockCluster::Start(
    int32_t brokers) {
  if (brokers < 1)
    return absl::InvalidArgumentError("MockCluster needs >= 1 broker");
  auto handles = std::make_unique<Handles>();
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  // Silences "no bootstrap.servers configured" from the carrier handle.
  rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
  handles->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (handles->rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(absl::StrCat("mock cluster handle: ", err));
  }
  handles->cluster = rd_kafka_mock_cluster_new(handles->rk, brokers);
  if (handles->cluster == nullptr) {
    return absl::InternalError("rd_kafka_mock_cluster_new failed");
  }
  std::string bootstrap = rd_kafka_mock_cluster_bootstraps(handles->cluster);
  return std::unique_ptr<MockCluster>(
      new MockCluster(std::move(handles), std::move(bootstrap)));
}

MockCluster::MockCluster(std::unique_ptr<Handles> handles,
                         std::string bootstrap)
    : handles_(std::move(handles)), bootstrap_(std::move(bootstrap)) {}

MockCluster::~MockCluster() = default;

absl::Status MockCluster::CreateTopic(const std::string& name,
                                      int32_t partitions) {
  return FromKafka(rd_kafka_mock_topic_create(handles_->cluster, name.c_str(),
                                              partitions, 1),
                   absl::StrCat("mock cluster: creating topic ", name));
}

absl::Status MockCluster::SetBrokerDown(int32_t broker_id) {
  return FromKafka(rd_kafka_mock_broker_set_down(handles_->cluster, broker_id),
                   "mock cluster: broker down");
}

absl::Status MockCluster::SetBrokerUp(int32_t broker_id) {
  return FromKafka(rd_kafka_mock_broker_set_up(handles_->cluster, broker_id),
                   "mock cluster: broker up");
}

void MockCluster::PushRequestErrors(int16_t api_key,
                                    const std::vector<int16_t>& errors) {
  std::vector<rd_kafka_resp_err_t> errs;
  for (int16_t e : errors) errs.push_back(static_cast<rd_kafka_resp_err_t>(e));
  rd_kafka_mock_push_request_errors_array(handles_->cluster, api_key,
                                          errs.size(), errs.data());
}

}  // namespace evlog::kafka
