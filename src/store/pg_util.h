// The adapter around libpq (PostgreSQL's C client library) for the
// PostgreSQL store (pg_store.cc). DESIGN.md has each third-party library used
// from one adapter: for libpq it is this file pair with pg_store.cc and
// pg_statements.h, which hold the store's schema and SQL. No libpq type
// reaches a public header.
//
// Every statement is prepared once per connection (PQprepare, with the
// parameters' types) and run with PQexecPrepared, with its parameters sent in
// binary form (text and bytea as their raw bytes, int8 and float8 in network
// byte order, so a float reads back bit for bit) and its results asked for
// in binary form too. SQLSTATEs map to a Status as the store's callers
// expect (see StatusFromSqlstate).
#ifndef CANDOR_STORE_PG_UTIL_H_
#define CANDOR_STORE_PG_UTIL_H_

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "candor/status.h"

namespace candor::store::pg {

// One parameter of a statement: its type (a built-in OID) and its value in
// PostgreSQL's binary format.
struct Param {
  static Param Text(std::string_view s);   // text (no NUL bytes; valid UTF-8)
  static Param Bytes(std::string_view s);  // bytea
  static Param Int(int64_t v);             // int8
  static Param Double(double v);           // float8
  static Param Bool(bool v);               // bool
  static Param TextArray(const std::vector<std::string>& items);  // text[], one dimension

  Oid type = 0;
  std::string value;
};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

// A statement's result (rows in binary format). The readers expect the
// column types the store's SQL produces: Int reads int8/int4/int2, Double
// float8/float4, Bool bool; Bytes any column's raw bytes (text, bytea).
class Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  const PGresult* get() const { return r_.get(); }
  int rows() const { return PQntuples(r_.get()); }
  // Rows changed by an INSERT, UPDATE or DELETE.
  int64_t affected() const;
  bool IsNull(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  int64_t Int(int row, int col) const;
  double Double(int row, int col) const;
  bool Bool(int row, int col) const;
  std::string Bytes(int row, int col) const;
  const char* Data(int row, int col) const { return PQgetvalue(r_.get(), row, col); }
  size_t Size(int row, int col) const {
    return static_cast<size_t>(PQgetlength(r_.get(), row, col));
  }

 private:
  std::unique_ptr<PGresult, ResultDeleter> r_;
};

// What a failed statement's SQLSTATE means to the store (see pg_util.cc):
// 23505 (unique) AlreadyExists, 23503 (foreign key) NotFound, other
// integrity and data errors (22xxx, 23xxx) InvalidArgument, a lost or
// refused connection (08xxx, 57Pxx, 53300) Throttling (retry later),
// 40001/40P01 (serialization, deadlock) Throttling once retries are spent,
// 53xxx ResourceExhausted, anything else Internal.
Status StatusFromSqlstate(std::string_view sqlstate, std::string_view what,
                          std::string_view message);

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;

// Connects with a libpq connection string or postgresql:// URI; Throttling
// when the server cannot be reached (it may come back) or does not answer
// within connect_timeout (kConnectTimeoutSeconds unless the string sets
// it), InvalidArgument for a malformed string.
StatusOr<Conn> Connect(const std::string& conninfo);
inline constexpr int kConnectTimeoutSeconds = 5;

// One connection and the calls on it.
//
// Thread safety: not safe for concurrent use; the owner serialises every
// call (PostgresStore::mutex_).
class PgDb {
 public:
  explicit PgDb(Conn conn) : conn_(std::move(conn)) {}

  // Runs one statement with `params`; the error Status names `what`.
  StatusOr<Result> Exec(std::string_view sql, const std::vector<Param>& params,
                        std::string_view what);
  // Runs one query with `params` and hands `row` each of its rows as it
  // arrives (libpq's single-row mode), so that the server produces the next
  // rows while the caller handles this one, and only one row is held in
  // memory. After `row` fails, the rest of the rows are read and dropped
  // (no cancel: a cancel request can race with the next statement) and that
  // Status is returned.
  Status ExecStreamed(std::string_view sql, const std::vector<Param>& params,
                      std::string_view what,
                      const std::function<Status(const Result&, int row)>& row);
  // Runs `sql` (any number of statements, no parameters, results dropped).
  Status ExecScript(const std::string& sql, std::string_view what);

  // Runs `body` in one transaction: SERIALIZABLE when `write` (every write
  // transaction then behaves as if the writers ran one at a time, as SQLite's
  // BEGIN IMMEDIATE makes them), REPEATABLE READ READ ONLY otherwise (one
  // snapshot for a multi-statement read). COMMIT when `body` returns Ok,
  // ROLLBACK otherwise. A serialization failure or deadlock (40001, 40P01),
  // in the body or at COMMIT, runs the whole transaction again, up to
  // kMaxAttempts times, then fails with Throttling: `body` must start from
  // scratch each time (clear what it collects).
  Status InTransaction(bool write, std::string_view what, const std::function<Status()>& body);

  static constexpr int kMaxAttempts = 5;

  // Runs `body` in one READ COMMITTED transaction, not retried: each
  // statement sees what committed before it began, so a writer that takes a
  // lock first (the PostgreSQL audit log's pg_advisory_xact_lock) reads what
  // the lock's previous holder committed; a SERIALIZABLE snapshot, taken at
  // the transaction's first statement, would not. A session that died while
  // idle is made again first (EnsureConnected); a loss during the
  // transaction fails it with Throttling, and the next call reconnects.
  Status InReadCommittedTransaction(std::string_view what, const std::function<Status()>& body);

  // Where the store is, for messages: host, port and database, never the
  // password.
  std::string Describe() const;

 private:
  // One attempt: `begin`, `body`, then COMMIT, or ROLLBACK when either fails
  // (also when `body` throws, rethrown).
  Status RunTransaction(const char* begin, std::string_view what,
                        const std::function<Status()>& body);
  // Before a call: a connection that was lost, or that the server closed
  // while it was idle, is reset (once); Throttling when the server still
  // cannot be reached.
  Status EnsureConnected();
  Status ErrorOf(const PGresult* r, std::string_view what);
  // The name `sql` is prepared under on this connection (prepared now, with
  // `types`, if it is not yet).
  StatusOr<std::string> Prepared(std::string_view sql, const std::vector<Oid>& types,
                                 std::string_view what);

  // Finds a prepared statement by the std::string_view it is asked for.
  struct SqlHash {
    using is_transparent = void;
    size_t operator()(std::string_view sql) const { return std::hash<std::string_view>()(sql); }
  };

  Conn conn_;
  // SQL -> the name it is prepared under on this connection. Grows with
  // every distinct SQL: the store passes constants.
  std::unordered_map<std::string, std::string, SqlHash, std::equal_to<>> prepared_;
  bool in_transaction_ = false;
  // The last reconnection failed (said once on stderr, until one succeeds).
  bool unreachable_ = false;
  // Set by a statement that failed with 40001 or 40P01 (see InTransaction).
  bool retryable_failure_ = false;
};

}  // namespace candor::store::pg

#endif  // CANDOR_STORE_PG_UTIL_H_
