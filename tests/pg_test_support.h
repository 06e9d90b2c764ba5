// The PostgreSQL server of the store tests, and the two backends as a test
// parameter.
//
// One server per test binary: the one named by $CANDOR_TEST_PG_URI (a
// superuser's postgresql:// URI or libpq connection string) when it is set,
// else a private cluster that the binary starts with tools/pg_test_server.sh
// at its first Postgres test (in a fresh directory under /tmp) and stops at
// exit. Each test gets a database of its own (CREATE DATABASE
// candor_test_<pid>_<n>), dropped when it ends. When no server can be had,
// the Postgres cases fail with the reason: none skips itself into green.
#ifndef CANDOR_TESTS_PG_TEST_SUPPORT_H_
#define CANDOR_TESTS_PG_TEST_SUPPORT_H_

#include <libpq-fe.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

namespace candor::store::test_support {

enum class Backend { kSqlite, kPostgres };

// So that gtest prints "Postgres" rather than the enum's bytes.
inline void PrintTo(Backend backend, std::ostream* os) {
  *os << (backend == Backend::kSqlite ? "Sqlite" : "Postgres");
}

inline std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

class PgTestServer {
 public:
  // The process's server, started on first use.
  static PgTestServer& Get() {
    static PgTestServer server;
    return server;
  }

  // Empty when the server is usable; otherwise why not.
  const std::string& error() const { return error_; }
  const std::string& uri() const { return uri_; }

  // Creates an empty database; sets *name and returns its connection string,
  // or returns "" and sets *error.
  std::string CreateDatabase(std::string* name, std::string* error,
                             const std::string& options = "") {
    if (!error_.empty()) {
      *error = error_;
      return "";
    }
    {
      std::lock_guard lock(mu_);
      *name = "candor_test_" + std::to_string(::getpid()) + "_" + std::to_string(++next_);
    }
    if (!Admin("CREATE DATABASE " + *name + (options.empty() ? "" : " " + options), error)) {
      return "";
    }
    return WithDatabase(*name);
  }

  void DropDatabase(const std::string& name) {
    std::string error;
    EXPECT_TRUE(Admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)", &error)) << error;
  }

  // The connection string of the server's database `name`: the server's
  // with dbname replaced (every other option kept).
  std::string WithDatabase(const std::string& name) const {
    char* err = nullptr;
    PQconninfoOption* options = PQconninfoParse(uri_.c_str(), &err);
    if (options == nullptr) {
      PQfreemem(err);
      return "";
    }
    std::string out;
    for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
      std::string value;
      if (std::string(o->keyword) == "dbname") {
        value = name;
      } else if (o->val != nullptr) {
        value = o->val;
      } else {
        continue;
      }
      std::string quoted;
      for (char c : value) {
        if (c == '\'' || c == '\\') quoted += '\\';
        quoted += c;
      }
      out += std::string(o->keyword) + "='" + quoted + "' ";
    }
    PQconninfoFree(options);
    if (out.find("dbname=") == std::string::npos) out += "dbname='" + name + "'";
    return out;
  }

  ~PgTestServer() {
    if (dir_.empty()) return;
    const std::string stop = Script() + " stop '" + dir_ + "' >/dev/null 2>&1";
    (void)std::system(stop.c_str());
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

 private:
  PgTestServer() {
    if (const char* env = std::getenv("CANDOR_TEST_PG_URI"); env != nullptr && *env != '\0') {
      uri_ = env;
    } else {
      char pattern[] = "/tmp/candor-pg-XXXXXX";
      if (::mkdtemp(pattern) == nullptr) {
        error_ = "cannot make a directory for the PostgreSQL test server";
        return;
      }
      dir_ = pattern;
      // The script's watcher stops the server if this process dies before
      // the destructor runs (a crash, kill -9).
      const std::string start = "CANDOR_PG_STOP_WITH_PID=" + std::to_string(::getpid()) + " " +
                                Script() + " start '" + dir_ + "'";
      FILE* out = ::popen(start.c_str(), "r");
      std::string printed;
      if (out != nullptr) {
        char buf[512];
        size_t n;
        while ((n = std::fread(buf, 1, sizeof(buf), out)) > 0) printed.append(buf, n);
        const int rc = ::pclose(out);
        if (rc != 0) {
          error_ = "could not start PostgreSQL with `" + start + "` (status " +
                   std::to_string(WEXITSTATUS(rc)) +
                   ", its messages are above); install postgresql-15 (tools/setup.sh) or set "
                   "CANDOR_TEST_PG_URI to a server's URI";
          return;
        }
      }
      while (!printed.empty() && (printed.back() == '\n' || printed.back() == ' ')) {
        printed.pop_back();
      }
      uri_ = printed;
    }
    std::string error;
    if (!Admin("SELECT 1", &error)) {
      error_ = "the PostgreSQL test server " + uri_ + " cannot be used: " + error;
    }
  }

  static std::string Script() {
    return std::string(CANDOR_SOURCE_DIR) + "/tools/pg_test_server.sh";
  }

  // Runs `sql` on the server's own database.
  bool Admin(const std::string& sql, std::string* error) const {
    PGconn* conn = PQconnectdb(uri_.c_str());
    bool ok = PQstatus(conn) == CONNECTION_OK;
    if (!ok) {
      *error = "cannot connect to " + uri_ + ": " + PQerrorMessage(conn);
    } else {
      PGresult* r = PQexec(conn, sql.c_str());
      ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
      if (!ok) *error = sql + ": " + PQresultErrorMessage(r);
      PQclear(r);
    }
    PQfinish(conn);
    return ok;
  }

  std::string uri_;
  std::string dir_;  // of the cluster started here; empty for $CANDOR_TEST_PG_URI
  std::string error_;
  std::mutex mu_;
  int next_ = 0;
};

// The one integer `sql` returns on the database of `conninfo`, or -1.
inline int64_t PgRawInt(const std::string& conninfo, const std::string& sql) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  int64_t value = -1;
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
      value = std::stoll(PQgetvalue(r, 0, 0));
    } else {
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    }
    PQclear(r);
  } else {
    ADD_FAILURE() << "cannot connect: " << PQerrorMessage(conn);
  }
  PQfinish(conn);
  return value;
}

// Runs `sql` (fixtures only) on the database of `conninfo`.
inline void PgRawExec(const std::string& conninfo, const std::string& sql) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
  PGresult* r = PQexec(conn, sql.c_str());
  EXPECT_TRUE(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
      << sql << ": " << PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(conn);
}

// A database of its own for one test, dropped at the end.
class PgTestDatabase {
 public:
  PgTestDatabase() = default;
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;
  ~PgTestDatabase() {
    if (!name_.empty()) PgTestServer::Get().DropDatabase(name_);
  }
  // False, with the reason in *error, when no server or database can be had.
  // `options` follow CREATE DATABASE's name (e.g. "ENCODING 'LATIN1' ...").
  bool Create(std::string* error, const std::string& options = "") {
    conninfo_ = PgTestServer::Get().CreateDatabase(&name_, error, options);
    if (conninfo_.empty()) name_.clear();
    return !conninfo_.empty();
  }
  const std::string& conninfo() const { return conninfo_; }

 private:
  std::string name_;
  std::string conninfo_;
};

}  // namespace candor::store::test_support

#endif  // CANDOR_TESTS_PG_TEST_SUPPORT_H_
