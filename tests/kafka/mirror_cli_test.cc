// `evlog mirror` run in-process: a store directory copied to the mock
// cluster with --once, then --status reports no lag.

#ifdef EVLOG_TEST_CLI

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "backends.h"
#include "cli.h"
#include "evlog/producer.h"

namespace evlog::kafka_test {
namespace {

int RunCli(std::vector<std::string> argv, std::string* out) {
  std::istringstream in;
  std::ostringstream o, e;
  cli::Io io{&in, &o, &e};
  int rc = cli::Main(argv, io);
  *out = o.str() + e.str();
  return rc;
}

TEST_CASE("evlog mirror --once copies a store directory to Kafka",
          "[kafka][mirror][cli]") {
  if (std::getenv("EVLOG_KAFKA_BOOTSTRAP") != nullptr)
    return;  // topic made on the mock
  auto mock = kafka::MockCluster::Start();
  REQUIRE(mock.ok());
  std::string dir = (std::filesystem::temp_directory_path() /
                     ("evlog-mirror-cli-" + std::to_string(::getpid())))
                        .string();
  std::filesystem::remove_all(dir);
  {
    auto store = Store::Open(dir);
    REQUIRE(store.ok());
    REQUIRE((*store)->CreateTopic("events", 2).ok());
    auto producer = (*store)->NewProducer();
    for (int i = 0; i < 30; ++i) {
      REQUIRE((*producer)
                  ->Send("events", {.key = std::to_string(i), .value = "v"})
                  .ok());
    }
  }
  // The CLI talks to the cluster as to a real one; the mock cannot create
  // topics through the Admin API, so the target topic is made here.
  REQUIRE((*mock)->CreateTopic("events", 2).ok());
  std::string out;
  int rc = RunCli(
      {"mirror", "--dir", dir, "--bootstrap", (*mock)->bootstrap_servers(),
       "--topic", "events", "--once", "--source-id", "edge"},
      &out);
  INFO(out);
  REQUIRE(rc == 0);
  CHECK(out.find("lag 0, copied 30") != std::string::npos);
  rc = RunCli({"mirror", "--dir", dir, "--bootstrap",
               (*mock)->bootstrap_servers(), "--topic", "events", "--status"},
              &out);
  REQUIRE(rc == 0);
  CHECK(out.find("lag 0, copied 0") !=
        std::string::npos);  // resumed: nothing left
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace evlog::kafka_test

#endif  // EVLOG_TEST_CLI
