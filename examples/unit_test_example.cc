// unit_test_example: testing application code that uses evlog, against
// Store::OpenInMemory() -- the same API and semantics as a store on disk,
// with nothing on disk, so each test starts from a fresh, private store and
// runs in microseconds. (Catch2 here; any test framework works.)

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "evlog/evlog.h"

// ---- The application code under test --------------------------------------
// Records orders in a topic and computes a customer's total by reading it.
class OrderBook {
 public:
  explicit OrderBook(evlog::Store* store) : store_(store) {}

  absl::Status Init() { return store_->CreateTopic("orders", 4); }

  absl::Status Place(const std::string& customer, int64_t cents) {
    auto producer = store_->NewProducer();
    if (!producer.ok()) return producer.status();
    std::string value = std::to_string(cents);
    return (*producer)
        ->Send("orders", {.key = customer, .value = value})
        .status();
  }

  absl::StatusOr<int64_t> Total(const std::string& customer) {
    evlog::ConsumerOptions o;
    o.auto_offset_reset = evlog::AutoOffsetReset::kEarliest;
    auto consumer = store_->NewConsumer(o);
    if (!consumer.ok()) return consumer.status();
    // All of a customer's orders are in the partition its key hashes to.
    evlog::TopicPartition tp{"orders", evlog::PartitionForKey(customer, 4)};
    if (auto s = (*consumer)->Assign({tp}); !s.ok()) return s;
    auto ends = (*consumer)->EndOffsets({tp});
    if (!ends.ok()) return ends.status();
    int64_t total = 0;
    while (true) {
      auto pos = (*consumer)->Position(tp);
      if (!pos.ok()) return pos.status();
      if (*pos >= (*ends)[tp]) return total;
      auto batch = (*consumer)->Poll(std::chrono::milliseconds(10));
      if (!batch.ok()) return batch.status();
      for (const auto& r : *batch) {
        if (r.record.key() == customer)
          total += std::stoll(std::string(*r.record.value()));
      }
    }
  }

 private:
  evlog::Store* store_;
};

// ---- The tests --------------------------------------------------------------
TEST_CASE("OrderBook sums a customer's orders") {
  auto store = evlog::Store::OpenInMemory();
  REQUIRE(store.ok());
  OrderBook book(store->get());
  REQUIRE(book.Init().ok());
  REQUIRE(book.Place("ada", 250).ok());
  REQUIRE(book.Place("grace", 100).ok());
  REQUIRE(book.Place("ada", 50).ok());
  auto total = book.Total("ada");
  REQUIRE(total.ok());
  CHECK(*total == 300);
}

TEST_CASE("OrderBook reports an unknown topic as kNotFound") {
  auto store = evlog::Store::OpenInMemory();
  REQUIRE(store.ok());
  OrderBook book(store->get());  // Init() not called: no topic
  CHECK(absl::IsNotFound(book.Place("ada", 1)));
}

TEST_CASE("Each test gets its own empty in-memory store") {
  auto store = evlog::Store::OpenInMemory();
  REQUIRE(store.ok());
  CHECK((*store)->ListTopics().empty());
}
