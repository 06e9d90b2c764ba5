// What the benchmarks on a PostgreSQL server share: a database of their own
// on a superuser's connection string (sync_bench, erasure_pg_bench).
#ifndef CANDOR_BENCH_PG_BENCH_SUPPORT_H_
#define CANDOR_BENCH_PG_BENCH_SUPPORT_H_

#include <libpq-fe.h>

#include <cstdio>
#include <cstring>
#include <string>

namespace candor::bench {

// Runs `sql` on the database of `uri`; false (with the reason on stderr)
// when it fails.
inline bool Admin(const std::string& uri, const std::string& sql) {
  PGconn* conn = PQconnectdb(uri.c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PGresult* r = PQexec(conn, sql.c_str());
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) std::fprintf(stderr, "%s: %s", sql.c_str(), PQresultErrorMessage(r));
    PQclear(r);
  } else {
    std::fprintf(stderr, "cannot connect to %s: %s", uri.c_str(), PQerrorMessage(conn));
  }
  PQfinish(conn);
  return ok;
}

// The server's connection string with dbname replaced.
inline std::string WithDatabase(const std::string& uri, const std::string& name) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), &err);
  if (options == nullptr) return "";
  std::string out;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::strcmp(o->keyword, "dbname") == 0 || o->val == nullptr) continue;
    out += std::string(o->keyword) + "='" + o->val + "' ";
  }
  PQconninfoFree(options);
  return out + "dbname='" + name + "'";
}

}  // namespace candor::bench

#endif  // CANDOR_BENCH_PG_BENCH_SUPPORT_H_
