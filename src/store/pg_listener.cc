// The change notifier of the PostgreSQL store (store/change_feed.h): a
// connection of its own that LISTENs on channel candor_changes (pg_changes.cc
// notifies it at every commit of a change row), waited on with poll(2)
// together with an eventfd that Wake() writes. Notifications carry the new
// row's number, but only wake the follower: it reads the log itself, so a
// notification lost with a connection costs nothing but time.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "store/change_feed.h"
#include "store/pg_util.h"

namespace candor::store {
namespace {

// Runs one statement without parameters on `conn`; false when it failed.
bool Run(PGconn* conn, const char* sql) {
  PGresult* r = PQexec(conn, sql);
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  return ok;
}

// Thread safety: as ChangeNotifier's; `conn_` is used by Wait's thread only.
class PgChangeNotifier final : public ChangeNotifier {
 public:
  PgChangeNotifier(pg::Conn conn, int wake_fd) : conn_(std::move(conn)), wake_fd_(wake_fd) {}
  ~PgChangeNotifier() override { ::close(wake_fd_); }

  // Names the session and LISTENs; false when the connection failed.
  bool Listen() {
    listening_ = Run(conn_.get(), "SET application_name = 'candor-listener'") &&
                 Run(conn_.get(), "LISTEN candor_changes");
    return listening_;
  }

  void Wait(int timeout_ms) override {
    if (PQstatus(conn_.get()) != CONNECTION_OK || !listening_) {
      Reconnect(timeout_ms);
      return;
    }
    pollfd fds[2] = {{PQsocket(conn_.get()), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, timeout_ms) <= 0) return;  // timeout (or EINTR)
    if ((fds[1].revents & POLLIN) != 0) {
      uint64_t count;
      (void)!::read(wake_fd_, &count, sizeof(count));
    }
    if (fds[0].revents == 0) return;
    // Reads what arrived: notifications, or the server's goodbye (a restart,
    // pg_terminate_backend), after which the status is CONNECTION_BAD.
    if (PQconsumeInput(conn_.get()) == 0 || PQstatus(conn_.get()) != CONNECTION_OK) {
      Reconnect(timeout_ms);
      return;
    }
    while (PGnotify* n = PQnotifies(conn_.get())) PQfreemem(n);
  }

  void Wake() override {
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
  }

  int64_t reconnects() const override { return reconnects_.load(); }

 private:
  // One attempt (a connection that is up but not listening, after a LISTEN
  // that failed, only LISTENs again); on failure waits `timeout_ms` (or a
  // Wake) before the caller's next Wait tries again.
  void Reconnect(int timeout_ms) {
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      listening_ = false;
      PQreset(conn_.get());
      if (PQstatus(conn_.get()) == CONNECTION_OK) ++reconnects_;
    }
    if (PQstatus(conn_.get()) == CONNECTION_OK && Listen()) return;
    pollfd wake = {wake_fd_, POLLIN, 0};
    if (::poll(&wake, 1, timeout_ms) > 0) {
      uint64_t count;
      (void)!::read(wake_fd_, &count, sizeof(count));
    }
  }

  pg::Conn conn_;
  bool listening_ = false;  // the session has LISTENed (Wait's thread only)
  const int wake_fd_;
  std::atomic<int64_t> reconnects_{0};
};

}  // namespace

StatusOr<std::unique_ptr<ChangeNotifier>> OpenPostgresChangeNotifier(const std::string& conninfo) {
  CANDOR_ASSIGN_OR_RETURN(pg::Conn conn, pg::Connect(conninfo));
  const int wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) return Status::Internal("cannot make an eventfd for the change listener");
  auto notifier = std::make_unique<PgChangeNotifier>(std::move(conn), wake_fd);
  if (!notifier->Listen()) {
    return Status::Throttling("cannot LISTEN for the store's changes; retry later");
  }
  return std::unique_ptr<ChangeNotifier>(std::move(notifier));
}

}  // namespace candor::store
