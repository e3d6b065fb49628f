// bench/lmdb_db.h: a minimal RAII handle on an LMDB environment, the
// baseline the partition-log benchmarks are compared with.
//
// One environment, one unnamed database, default key order (memcmp), which
// is why keys are big-endian sequence numbers (bench_util.h): each put is
// then valid with MDB_APPEND, LMDB's fastest write path.
//
// Thread safety: not thread-safe; one benchmark thread.

#ifndef EVLOG_BENCH_LMDB_DB_H_
#define EVLOG_BENCH_LMDB_DB_H_

#include <lmdb.h>

#include <memory>
#include <string>

namespace evlog::bench {

// Address space reserved for the database. With MDB_WRITEMAP LMDB
// ftruncate()s the file to this size; the file is sparse, so only pages
// really written take disk space.
inline constexpr size_t kLmdbMapBytes = size_t{32} << 30;

// Env flags of the "no sync" baselines: commits do not fsync (like evlog's
// Durability::kNone), pages are written in place through a shared writable
// map (like evlog's segments) and meta pages are not synced either.
inline constexpr unsigned kLmdbNoSyncFlags =
    MDB_NOSYNC | MDB_WRITEMAP | MDB_NOMETASYNC;

class LmdbDb {
 public:
  // Opens a new environment in the existing directory `dir` with `env_flags`.
  // Returns null and sets *error on failure.
  static std::unique_ptr<LmdbDb> Open(const std::string& dir,
                                      unsigned env_flags, std::string* error) {
    std::unique_ptr<LmdbDb> db(new LmdbDb);
    int rc = mdb_env_create(&db->env_);
    if (rc == 0) rc = mdb_env_set_mapsize(db->env_, kLmdbMapBytes);
    if (rc == 0) rc = mdb_env_open(db->env_, dir.c_str(), env_flags, 0644);
    MDB_txn* txn = nullptr;
    if (rc == 0) rc = mdb_txn_begin(db->env_, nullptr, 0, &txn);
    if (rc == 0) rc = mdb_dbi_open(txn, nullptr, 0, &db->dbi_);
    if (rc == 0) {
      rc = mdb_txn_commit(txn);
    } else if (txn != nullptr) {
      mdb_txn_abort(txn);
    }
    if (rc != 0) {
      *error = std::string("lmdb open ") + dir + ": " + mdb_strerror(rc);
      return nullptr;
    }
    return db;
  }

  ~LmdbDb() {
    if (env_ != nullptr) mdb_env_close(env_);
  }
  LmdbDb(const LmdbDb&) = delete;
  LmdbDb& operator=(const LmdbDb&) = delete;

  MDB_env* env() const { return env_; }
  MDB_dbi dbi() const { return dbi_; }

 private:
  LmdbDb() = default;

  MDB_env* env_ = nullptr;
  MDB_dbi dbi_ = 0;
};

}  // namespace evlog::bench

#endif  // EVLOG_BENCH_LMDB_DB_H_
