// Campaign 1: process crashes (docs/DURABILITY.md).
//
// A child process (evlog_crash_child) produces to a store on the real file
// system from several threads, to topics of every durability mode, while a
// group consumer commits its positions; it reports every acknowledgement
// through a pipe. The parent SIGKILLs it after a random delay (sometimes
// during its own recovery), reopens the store, and checks:
//   * every acknowledged record is present at its acknowledged offset and
//     intact (a process crash keeps the page cache, so in EVERY mode);
//   * offsets are contiguous from 0; no record is duplicated; a batch is
//     all there or not at all; every record returned checks;
//   * each committed group offset is at least the last acknowledged commit,
//     at most the log end, and never lower than at an earlier reopen.
// One store is reused across EVLOG_RELIABILITY_KILLS_PER_STORE kills, so
// recovery also runs over the debris of earlier crashes.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "reliability/crash_protocol.h"
#include "reliability/reliability_util.h"

#ifndef EVLOG_CRASH_CHILD_PATH
#error "EVLOG_CRASH_CHILD_PATH must name the evlog_crash_child executable"
#endif

namespace evlog::reliability {
namespace {

namespace fs = std::filesystem;

struct ChildRun {
  std::vector<Ack> acks;
  int wait_status = 0;
  bool killed = false;  // we sent SIGKILL (false: it exited on its own)
};

// Starts the child, lets it run `delay_us` (counted from its kReady ack if
// `after_ready`, else from the fork), kills it and collects its acks.
ChildRun RunAndKill(const std::string& dir, uint64_t seed, uint64_t run,
                    int64_t delay_us, bool after_ready,
                    const std::string& err_path) {
  int fds[2];
  REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // Child: the ack pipe becomes fd 3, stderr goes to a file.
    ::dup2(fds[1], 3);
    int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err >= 0) ::dup2(err, 2);
    std::string s = std::to_string(seed), r = std::to_string(run);
    ::execl(EVLOG_CRASH_CHILD_PATH, "evlog_crash_child", "produce", dir.c_str(),
            s.c_str(), r.c_str(), "3", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  ChildRun out;
  std::string buf;
  auto drain = [&](int timeout_ms) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return true;
    char chunk[8192];
    ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n <= 0) return false;  // EOF: the child is gone
    buf.append(chunk, static_cast<size_t>(n));
    return true;
  };
  bool open = true;
  if (after_ready) {
    while (open && buf.size() < sizeof(Ack)) open = drain(-1);
  }
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(delay_us);
  while (open && std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    open = drain(static_cast<int>(std::max<int64_t>(0, left.count())));
  }
  if (open) {
    ::kill(pid, SIGKILL);
    out.killed = true;
  }
  while (drain(-1)) {
  }
  ::close(fds[0]);
  REQUIRE(::waitpid(pid, &out.wait_status, 0) == pid);
  size_t n = buf.size() / sizeof(Ack);
  out.acks.resize(n);
  // A child killed before its first ack sent nothing: no memcpy from null.
  if (n > 0) std::memcpy(out.acks.data(), buf.data(), n * sizeof(Ack));
  return out;
}

std::string ReadText(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// What the parent knows about the store across kills.
struct Expected {
  // Per topic index and partition: offset -> uid of acknowledged records.
  std::map<std::pair<int, int>, std::map<int64_t, uint64_t>> acked;
  // Per topic index and partition: highest committed offset acknowledged or
  // seen at a reopen.
  std::map<std::pair<int, int>, int64_t> commit_floor;
};

TEST_CASE("campaign 1: SIGKILL at random moments loses no acknowledged record",
          "[reliability][process_crash]") {
  const int64_t kills = Param("KILLS", 12);
  const int64_t per_store = std::max<int64_t>(1, Param("KILLS_PER_STORE", 40));
  const int64_t max_delay_us = Param("KILL_MAX_US", 40000);
  const int64_t startup_us = 20000;
  const uint64_t seed = FirstSeed();
  std::mt19937_64 rng(seed);

  // tmpfs by default: a process crash keeps the page cache whatever the file
  // system, and tmpfs makes each trial cheap. EVLOG_RELIABILITY_CRASH_DIR
  // (e.g. /tmp on a disk) runs the same campaign on another file system.
  const char* base = std::getenv("EVLOG_RELIABILITY_CRASH_DIR");
  std::string parent =
      base && *base ? base
                    : (fs::is_directory("/dev/shm") ? "/dev/shm" : "/tmp");
  std::string tmpl_s = parent + "/evlog-crash-XXXXXX";
  std::vector<char> tmpl(tmpl_s.begin(), tmpl_s.end());
  tmpl.push_back('\0');
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  const fs::path root = tmpl.data();
  const std::string dir = (root / "store").string();
  const std::string err_path = (root / "child.err").string();

  Figures fig;
  fig.campaign = "process_crash";
  fig.seed = seed;
  Expected exp;
  int64_t commits_checked = 0, commit_regressions = 0, duplicates = 0,
          torn_batches = 0, corrupt_seen_by_child = 0, early_exits = 0,
          readies = 0, gaps = 0, close_errors = 0;

  for (int64_t kill = 0; kill < kills; ++kill) {
    if (kill % per_store == 0) {
      fs::remove_all(dir);
      exp = Expected();
    }
    // Mostly mid-production, counted from the child's "ready"; one kill in 8
    // lands in its startup: recovery and topic creation.
    const bool in_startup = rng() % 8 == 0;
    int64_t delay = in_startup ? static_cast<int64_t>(rng() % startup_us)
                               : static_cast<int64_t>(rng() % max_delay_us);
    const uint64_t run = static_cast<uint64_t>(kill) + 1;
    ChildRun child = RunAndKill(dir, seed, run, delay, !in_startup, err_path);
    INFO("seed " << seed << " kill " << kill << " (run " << run << ", delay "
                 << delay << " us); child stderr: " << ReadText(err_path));
    if (!child.killed || !WIFSIGNALED(child.wait_status) ||
        WTERMSIG(child.wait_status) != SIGKILL) {
      ++early_exits;
      FAIL("the child ended on its own: status " << child.wait_status);
    }
    ++fig.trials;
    for (const Ack& a : child.acks) {
      REQUIRE(a.magic == Ack().magic);
      if (a.kind == Ack::kRecord) {
        ++fig.records_acked;
        exp.acked[{a.topic, a.partition}][a.offset] = a.uid;
      } else if (a.kind == Ack::kCommit) {
        int64_t& floor = exp.commit_floor[{a.topic, a.partition}];
        floor = std::max(floor, a.offset);
      } else if (a.kind == Ack::kReady) {
        ++readies;
      } else if (a.kind == Ack::kCorruptSeen) {
        ++corrupt_seen_by_child;
      }
    }

    // Reopen and check.
    absl::StatusOr<std::unique_ptr<Store>> store;
    StoreOptions so;
    so.maintenance_interval_ms = 0;
    fig.recovery_us.push_back(TimeUs([&] { store = Store::Open(dir, so); }));
    if (!store.ok()) {
      // A finding: keep the store for reproduction, go on with a new one so
      // that the campaign still yields its figures.
      ++fig.errors;
      std::string kept =
          (fs::path(parent) / ("evlog-crash-failed-" + std::to_string(seed) +
                               "-" + std::to_string(kill)))
              .string();
      fs::remove_all(kept);
      if (fig.errors <= 5) {
        fs::rename(dir, kept);  // the first few, for inspection
      } else {
        fs::remove_all(dir);
        kept = "(not kept: more than 5)";
      }
      FAIL_CHECK("reopen failed: " << store.status() << " (store kept in "
                                   << kept << ")");
      exp = Expected();
      continue;
    }
    std::set<uint64_t> seen;
    for (int t = 0; t < static_cast<int>(kCrashTopics.size()); ++t) {
      if (!(*store)->DescribeTopic(kCrashTopics[t]).ok()) {
        // Killed before the topic was created: nothing can be acknowledged.
        for (int p = 0; p < kCrashPartitions; ++p)
          CHECK(exp.acked[{t, p}].empty());
        continue;
      }
      for (int p = 0; p < kCrashPartitions; ++p) {
        INFO("topic " << kCrashTopics[t] << " partition " << p);
        auto records = ReadPartition(**store, kCrashTopics[t], p);
        if (!records.ok()) {
          ++fig.errors;
          FAIL_CHECK("read failed: " << records.status());
          continue;
        }
        std::map<int64_t, Uid> by_offset;
        for (size_t i = 0; i < records->size(); ++i) {
          const ReadRecord& r = (*records)[i];
          ++fig.records_checked;
          if (r.offset != static_cast<int64_t>(i)) {  // contiguous from 0
            ++gaps;
            FAIL_CHECK("offset " << r.offset << " at position " << i);
          }
          auto uid = CheckRecord(r);
          if (!uid) {
            ++fig.corrupt;
            FAIL_CHECK("corrupt record returned at offset " << r.offset);
            continue;
          }
          if (!seen.insert(uid->id).second) {
            ++duplicates;
            FAIL_CHECK("duplicate record " << uid->id << " at offset "
                                           << r.offset);
          }
          by_offset[r.offset] = *uid;
        }
        // Batches: all records or none.
        for (const auto& [off, uid] : by_offset) {
          if (uid.batch_index != 0) continue;
          for (uint32_t j = 1; j < uid.batch_count; ++j) {
            auto it = by_offset.find(off + j);
            if (it == by_offset.end() || it->second.id != uid.id + j) {
              ++torn_batches;
              FAIL_CHECK("batch at offset " << off << " is torn at member "
                                            << j);
              break;
            }
          }
        }
        for (const auto& [off, id] : exp.acked[{t, p}]) {
          auto it = by_offset.find(off);
          if (it == by_offset.end() || it->second.id != id) {
            ++fig.lost;
            FAIL_CHECK("acknowledged record " << id << " at offset " << off
                                              << " lost");
          }
        }
      }
    }
    // Committed offsets: never below an acknowledged commit or an earlier
    // reopen, never past the log end.
    {
      ConsumerOptions co;
      co.group_id = kCrashGroup;
      auto c = (*store)->NewConsumer(co);
      REQUIRE(c.ok());
      for (int t = 0; t < static_cast<int>(kCrashTopics.size()); ++t) {
        auto d = (*store)->DescribeTopic(kCrashTopics[t]);
        if (!d.ok()) continue;
        for (int p = 0; p < kCrashPartitions; ++p) {
          TopicPartition tp{kCrashTopics[t], PartitionId(p)};
          auto got = (*c)->Committed({tp});
          REQUIRE(got.ok());
          int64_t committed = got->at(tp) ? got->at(tp)->value() : 0;
          int64_t& floor = exp.commit_floor[{t, p}];
          ++commits_checked;
          if (committed < floor) {
            ++commit_regressions;
            FAIL_CHECK("committed offset of " << kCrashTopics[t] << "-" << p
                                              << " went back from " << floor
                                              << " to " << committed);
          }
          CHECK(committed <= d->partitions[p].end_offset.value());
          floor = std::max(floor, committed);
        }
      }
      (*c)->Close().IgnoreError();
    }
    if (absl::Status closed = (*store)->Close(); !closed.ok()) {
      ++close_errors;
      FAIL_CHECK("closing the recovered store failed: " << closed);
    }
  }
  fs::remove_all(root);
  fig.extra =
      "duplicates=" + std::to_string(duplicates) +
      " gaps=" + std::to_string(gaps) +
      " close_errors=" + std::to_string(close_errors) +
      " torn_batches=" + std::to_string(torn_batches) +
      " commits_checked=" + std::to_string(commits_checked) +
      " commit_regressions=" + std::to_string(commit_regressions) +
      " corrupt_seen_by_child=" + std::to_string(corrupt_seen_by_child) +
      " early_exits=" + std::to_string(early_exits) +
      " kills_after_ready=" + std::to_string(readies) + " dir=" + parent;
  fig.Report();
  CHECK(corrupt_seen_by_child == 0);
}

}  // namespace
}  // namespace evlog::reliability
