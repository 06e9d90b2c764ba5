#include "store/pg_util.h"

#include <endian.h>
#include <poll.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>
#include <utility>

namespace candor::store::pg {
namespace {

// Built-in type OIDs (pg_type.h is in the server headers, not libpq's).
constexpr Oid kBoolOid = 16;
constexpr Oid kByteaOid = 17;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kTextArrayOid = 1009;

std::string BigEndian64(uint64_t v) {
  const uint64_t be = htobe64(v);
  return std::string(reinterpret_cast<const char*>(&be), sizeof(be));
}

uint64_t ReadBigEndian(const char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// libpq's messages on one line: runs of white space (its line breaks and
// tabs) become one space, none at the ends.
std::string Trimmed(const char* message) {
  std::string m;
  bool space = false;
  for (const char* p = message == nullptr ? "" : message; *p != '\0'; ++p) {
    if (*p == '\n' || *p == '\t' || *p == '\r' || *p == ' ') {
      space = !m.empty();
      continue;
    }
    if (space) m += ' ';
    space = false;
    m += *p;
  }
  return m;
}

// Why a connection failed, without where to: libpq says `connection to
// server at "HOST" (ADDR), port PORT failed: REASON` (or `on socket "PATH"`)
// and may add a hint after REASON ("Is the server running on that host
// ...?").
std::string ConnectFailure(const std::string& message) {
  const std::string_view failed = " failed: ";
  const size_t at = message.find(failed);
  std::string reason = at == std::string::npos ? message : message.substr(at + failed.size());
  if (const size_t hint = reason.find(" Is the server running"); hint != std::string::npos) {
    reason.resize(hint);
  }
  return reason.substr(0, 200);
}

bool Retryable(std::string_view sqlstate) { return sqlstate == "40001" || sqlstate == "40P01"; }

}  // namespace

Param Param::Text(std::string_view s) { return {kTextOid, std::string(s)}; }
Param Param::Bytes(std::string_view s) { return {kByteaOid, std::string(s)}; }
Param Param::TextArray(const std::vector<std::string>& items) {
  // PostgreSQL's binary array (array_send): dimensions, a has-nulls flag,
  // the element type, each dimension's length and lower bound, then each
  // element as its length and bytes; all integers 4 bytes, big-endian.
  std::string out;
  auto int32 = [&](uint32_t v) { out += BigEndian64(v).substr(4); };
  int32(items.empty() ? 0 : 1);
  int32(0);
  int32(kTextOid);
  if (!items.empty()) {
    int32(static_cast<uint32_t>(items.size()));
    int32(1);
  }
  for (const std::string& item : items) {
    int32(static_cast<uint32_t>(item.size()));
    out += item;
  }
  return {kTextArrayOid, std::move(out)};
}
Param Param::Int(int64_t v) { return {kInt8Oid, BigEndian64(static_cast<uint64_t>(v))}; }
Param Param::Double(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  return {kFloat8Oid, BigEndian64(bits)};
}
Param Param::Bool(bool v) { return {kBoolOid, std::string(1, v ? '\1' : '\0')}; }

int64_t Result::affected() const {
  const char* n = PQcmdTuples(r_.get());
  return n == nullptr || *n == '\0' ? 0 : std::stoll(n);
}

int64_t Result::Int(int row, int col) const {
  const char* p = Data(row, col);
  const size_t n = Size(row, col);
  const uint64_t raw = ReadBigEndian(p, n);
  switch (n) {
    case 8: return static_cast<int64_t>(raw);
    case 4: return static_cast<int32_t>(static_cast<uint32_t>(raw));
    case 2: return static_cast<int16_t>(static_cast<uint16_t>(raw));
    default: return 0;  // NULL
  }
}

double Result::Double(int row, int col) const {
  const char* p = Data(row, col);
  const size_t n = Size(row, col);
  if (n == 8) {
    const uint64_t bits = ReadBigEndian(p, 8);
    double d;
    std::memcpy(&d, &bits, sizeof(d));
    return d;
  }
  if (n == 4) {
    const uint32_t bits = static_cast<uint32_t>(ReadBigEndian(p, 4));
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
  }
  return 0;
}

bool Result::Bool(int row, int col) const { return Size(row, col) == 1 && Data(row, col)[0] != 0; }

std::string Result::Bytes(int row, int col) const {
  return std::string(Data(row, col), Size(row, col));
}

Status StatusFromSqlstate(std::string_view sqlstate, std::string_view what,
                          std::string_view message) {
  std::string m = "PostgreSQL: cannot " + std::string(what) + ": " + std::string(message);
  if (!sqlstate.empty()) m += " (SQLSTATE " + std::string(sqlstate) + ")";
  const std::string_view cls = sqlstate.substr(0, std::min<size_t>(2, sqlstate.size()));
  if (sqlstate == "23505") return Status::AlreadyExists(std::move(m));
  if (sqlstate == "23503") return Status::NotFound(std::move(m));
  if (cls == "23" || cls == "22") return Status::InvalidArgument(std::move(m));
  if (Retryable(sqlstate)) {
    return Status::Throttling(m + "; the transaction conflicted with others " +
                              std::to_string(PgDb::kMaxAttempts) + " times, retry later");
  }
  if (sqlstate.empty() || cls == "08" || sqlstate == "57P01" || sqlstate == "57P02" ||
      sqlstate == "57P03" || sqlstate == "53300") {
    return Status::Throttling(m + "; the database is unavailable, retry later");
  }
  if (cls == "53") return Status::ResourceExhausted(std::move(m));
  return Status::Internal(std::move(m));
}

StatusOr<Conn> Connect(const std::string& conninfo) {
  char* parse_error = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &parse_error);
  if (options == nullptr) {
    std::string m = Trimmed(parse_error);
    PQfreemem(parse_error);
    return Status::InvalidArgument("not a PostgreSQL connection string: " + m);
  }
  PQconninfoFree(options);
  // A server that takes the TCP connection but never answers (hung, or
  // behind a half-open network path) would hold the caller, and with it
  // every call of the node behind the store's mutex, forever: libpq waits
  // without end unless connect_timeout is set. kConnectTimeoutSeconds is
  // the default, before `conninfo` (expanded as the dbname keyword), so that
  // a connect_timeout there wins. PQreset reuses it.
  const std::string timeout = std::to_string(kConnectTimeoutSeconds);
  const char* const keywords[] = {"connect_timeout", "dbname", nullptr};
  const char* const values[] = {timeout.c_str(), conninfo.c_str(), nullptr};
  Conn conn(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (conn == nullptr) return Status::ResourceExhausted("libpq could not allocate a connection");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    return Status::Throttling("cannot connect to PostgreSQL: " +
                              Trimmed(PQerrorMessage(conn.get())) +
                              "; the database is unavailable, retry later");
  }
  // Text goes both ways as the UTF-8 bytes the store is given, whatever
  // PGCLIENTENCODING or the connection string say (the server would
  // otherwise convert it).
  if (PQsetClientEncoding(conn.get(), "UTF8") != 0) {
    return Status::Unsupported("PostgreSQL: cannot set the client encoding to UTF8: " +
                               Trimmed(PQerrorMessage(conn.get())));
  }
  // No NOTICEs printed on stderr (libpq's default processor does).
  PQsetNoticeProcessor(conn.get(), [](void*, const char*) {}, nullptr);
  return conn;
}

std::string PgDb::Describe() const {
  std::string s = "PostgreSQL database ";
  const char* db = PQdb(conn_.get());
  s += db == nullptr ? "?" : db;
  const char* host = PQhost(conn_.get());
  const char* port = PQport(conn_.get());
  s += " on ";
  s += host == nullptr ? "?" : host;
  s += ":";
  s += port == nullptr ? "?" : port;
  return s;
}

Status PgDb::EnsureConnected() {
  // An idle session has nothing to read unless the server said goodbye (its
  // shutdown or restart, pg_terminate_backend: a FATAL message, then the end
  // of the stream). Read that now, not as the answer to the call's first
  // statement, so that the first call after the server is back does not fail
  // on a session that died while this node was idle. Nothing was sent yet,
  // so nothing can have half happened. (A few rounds: the message and the
  // end of the stream may come in separate reads.)
  for (int round = 0; round < 4 && PQstatus(conn_.get()) == CONNECTION_OK; ++round) {
    pollfd readable = {PQsocket(conn_.get()), POLLIN, 0};
    if (readable.fd < 0 || ::poll(&readable, 1, 0) <= 0) break;
    if (PQconsumeInput(conn_.get()) == 0) break;  // the status is CONNECTION_BAD now
  }
  if (PQstatus(conn_.get()) == CONNECTION_OK) return Status::Ok();
  PQreset(conn_.get());
  // A new session: the statements prepared on the old one are gone.
  prepared_.clear();
  if (PQstatus(conn_.get()) == CONNECTION_OK) {
    PQsetClientEncoding(conn_.get(), "UTF8");
    if (unreachable_) {
      std::fprintf(stderr, "candor: store: connected again to %s\n", Describe().c_str());
    }
    unreachable_ = false;
    return Status::Ok();
  }
  // The operator reads where the database is and libpq's whole message, once
  // per outage; the caller (an API client: the message becomes the answer's)
  // only why, not the database's host, port, socket path or name.
  const std::string detail = Trimmed(PQerrorMessage(conn_.get()));
  if (!unreachable_) {
    std::fprintf(stderr, "candor: store: lost the connection to %s: %s\n", Describe().c_str(),
                 detail.c_str());
  }
  unreachable_ = true;
  return Status::Throttling("the store's database cannot be reached (" + ConnectFailure(detail) +
                            "); retry later");
}

Status PgDb::ErrorOf(const PGresult* r, std::string_view what) {
  const char* state = r == nullptr ? nullptr : PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const std::string sqlstate = state == nullptr ? "" : state;
  if (Retryable(sqlstate)) retryable_failure_ = true;
  const char* primary = r == nullptr ? nullptr : PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  const std::string message = Trimmed(primary != nullptr ? primary : PQerrorMessage(conn_.get()));
  return StatusFromSqlstate(sqlstate, what, message);
}

namespace {

// Parameters as libpq takes them: every value binary, pointing into `params`
// (which must outlive this).
struct BoundParams {
  explicit BoundParams(const std::vector<Param>& params) {
    for (const Param& p : params) {
      types.push_back(p.type);
      values.push_back(p.value.data());
      lengths.push_back(static_cast<int>(p.value.size()));
      formats.push_back(1);
    }
  }
  int count() const { return static_cast<int>(types.size()); }

  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

}  // namespace

StatusOr<Result> PgDb::Exec(std::string_view sql, const std::vector<Param>& params,
                            std::string_view what) {
  if (!in_transaction_) CANDOR_RETURN_IF_ERROR(EnsureConnected());
  const BoundParams bound(params);
  CANDOR_ASSIGN_OR_RETURN(const std::string name, Prepared(sql, bound.types, what));
  Result result(PQexecPrepared(conn_.get(), name.c_str(), bound.count(), bound.values.data(),
                               bound.lengths.data(), bound.formats.data(), 1));
  const ExecStatusType st =
      result.get() == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorOf(result.get(), what);
  return result;
}

StatusOr<std::string> PgDb::Prepared(std::string_view sql, const std::vector<Oid>& types,
                                     std::string_view what) {
  // Prepared once per connection (named statements outlive transactions,
  // rolled back ones included), then only bound and executed.
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    const std::string name = "candor_" + std::to_string(prepared_.size() + 1);
    const std::string query(sql);
    Result prepared(PQprepare(conn_.get(), name.c_str(), query.c_str(),
                              static_cast<int>(types.size()), types.data()));
    if (prepared.get() == nullptr || PQresultStatus(prepared.get()) != PGRES_COMMAND_OK) {
      return ErrorOf(prepared.get(), what);
    }
    it = prepared_.emplace(query, name).first;
  }
  return it->second;
}

Status PgDb::ExecStreamed(std::string_view sql, const std::vector<Param>& params,
                          std::string_view what,
                          const std::function<Status(const Result&, int row)>& row) {
  if (!in_transaction_) CANDOR_RETURN_IF_ERROR(EnsureConnected());
  const BoundParams bound(params);
  CANDOR_ASSIGN_OR_RETURN(const std::string name, Prepared(sql, bound.types, what));
  if (PQsendQueryPrepared(conn_.get(), name.c_str(), bound.count(), bound.values.data(),
                          bound.lengths.data(), bound.formats.data(), 1) != 1) {
    return ErrorOf(nullptr, what);
  }
  // Right after the send, as libpq requires. Should it refuse, the rows come
  // in one result, which the loop below handles the same way.
  (void)PQsetSingleRowMode(conn_.get());
  Status status;
  // Every result up to the null one is read, whatever happened, so that the
  // connection is ready for the next statement.
  for (;;) {
    Result r(PQgetResult(conn_.get()));
    if (r.get() == nullptr) break;
    const ExecStatusType st = PQresultStatus(r.get());
    if (st == PGRES_SINGLE_TUPLE || st == PGRES_TUPLES_OK) {
      for (int i = 0; i < r.rows() && status.ok(); ++i) status = row(r, i);
    } else if (status.ok()) {
      status = ErrorOf(r.get(), what);
    }
  }
  return status;
}

Status PgDb::ExecScript(const std::string& sql, std::string_view what) {
  if (!in_transaction_) CANDOR_RETURN_IF_ERROR(EnsureConnected());
  Result result(PQexec(conn_.get(), sql.c_str()));
  const ExecStatusType st =
      result.get() == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(result.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return ErrorOf(result.get(), what);
  return Status::Ok();
}

Status PgDb::InTransaction(bool write, std::string_view what,
                           const std::function<Status()>& body) {
  const char* begin = write ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                            : "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  std::minstd_rand jitter(static_cast<unsigned>(
      std::chrono::steady_clock::now().time_since_epoch().count()));
  Status status;
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    retryable_failure_ = false;
    status = RunTransaction(begin, what, body);
    if (status.ok() || !retryable_failure_) return status;
    // Another transaction won: wait a little (more each time) and run again.
    std::this_thread::sleep_for(std::chrono::milliseconds(jitter() % (5 << attempt)));
  }
  return status;
}

Status PgDb::InReadCommittedTransaction(std::string_view what,
                                        const std::function<Status()>& body) {
  return RunTransaction("BEGIN ISOLATION LEVEL READ COMMITTED", what, body);
}

Status PgDb::RunTransaction(const char* begin, std::string_view what,
                            const std::function<Status()>& body) {
  CANDOR_RETURN_IF_ERROR(EnsureConnected());
  CANDOR_RETURN_IF_ERROR(ExecScript(begin, what));
  in_transaction_ = true;
  Status status;
  try {
    status = body();
  } catch (...) {
    in_transaction_ = false;
    (void)ExecScript("ROLLBACK", what);
    throw;
  }
  if (status.ok()) status = ExecScript("COMMIT", what);
  in_transaction_ = false;
  // After a failed COMMIT the transaction is over already; ROLLBACK then
  // only warns. A lost connection fails it too, which changes nothing.
  if (!status.ok()) (void)ExecScript("ROLLBACK", what);
  return status;
}

}  // namespace candor::store::pg
