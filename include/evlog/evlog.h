// evlog/evlog.h: the whole public API in one include.
//
// evlog is Kafka's log semantics as an in-process C++20 library: topics split
// into partitions, each an append-only log of records with contiguous
// offsets, kept in memory-mapped segment files; producers append, consumers
// (alone or in groups with committed offsets) read.
//
//   #include "evlog/evlog.h"
//
//   auto store = evlog::Store::Open("/var/lib/myapp/events");
//   (*store)->CreateTopic("orders", 3);
//   auto producer = (*store)->NewProducer();
//   (*producer)->Send("orders", {.key = "order-17", .value = "{}"});
//
// Including the individual headers instead is equally supported; start with
// evlog/store.h, the entry point. Error codes are tabled there.

#ifndef EVLOG_EVLOG_H_
#define EVLOG_EVLOG_H_

#include "evlog/consumer.h"  // IWYU pragma: export
#include "evlog/env.h"       // IWYU pragma: export
#include "evlog/group.h"     // IWYU pragma: export
#include "evlog/options.h"   // IWYU pragma: export
#include "evlog/producer.h"  // IWYU pragma: export
#include "evlog/record.h"    // IWYU pragma: export
#include "evlog/store.h"     // IWYU pragma: export
#include "evlog/types.h"     // IWYU pragma: export
#include "evlog/version.h"   // IWYU pragma: export

#endif  // EVLOG_EVLOG_H_
