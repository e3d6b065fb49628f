// What the producer tests share: an in-memory store with one topic "t".

#ifndef EVLOG_TESTS_PRODUCER_PRODUCER_TEST_UTIL_H_
#define EVLOG_TESTS_PRODUCER_PRODUCER_TEST_UTIL_H_

#include <catch2/catch.hpp>
#include <memory>

#include "env/mem_env.h"
#include "evlog/options.h"
#include "store/store_impl.h"

namespace evlog::test {

// A store on `env` without a maintenance thread, holding topic "t" with
// `partitions` partitions and `config`.
inline std::unique_ptr<StoreImpl> OpenProducerTestStore(
    MemEnv* env, int partitions, const TopicConfig& config) {
  StoreOptions o;
  o.env = env;
  o.maintenance_interval_ms = 0;
  auto s = StoreImpl::Open("/s", o, nullptr);
  REQUIRE(s.ok());
  REQUIRE((*s)->CreateTopic("t", partitions, config).ok());
  return *std::move(s);
}

}  // namespace evlog::test

#endif  // EVLOG_TESTS_PRODUCER_PRODUCER_TEST_UTIL_H_
