// The audit log on SQLite (audit_db.h), with group commit.
//
// Group commit (group_commit.h): the leader inserts its batch's records and
// any checkpoint that falls due in one transaction (one fsync). A
// failed transaction fails every record of its batch and leaves nothing
// behind: the chain head is read inside each transaction, never cached, so
// there is no state to roll back (and a second process appending to the
// same file cannot fork the chain).
//
// Queries and Verify use a second, read-only connection, so they never wait
// for an fsync (WAL readers see the last commit).
#include "audit/audit_log.h"

#include <functional>
#include <limits>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/audit_crypto.h"
#include "audit/audit_db.h"
#include "audit/audit_event.h"
#include "audit/audit_query.h"
#include "audit/audit_verify.h"
#include "audit/chained_audit_log.h"
#include "audit/pg_audit_log.h"

namespace candor::audit {
namespace {

constexpr char kInsertEvent[] =
    "INSERT INTO events (seq, time_ms, principal, operation, collection_id, event_json,"
    " prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr char kInsertCheckpoint[] =
    "INSERT INTO checkpoints (seq, hash, time_ms, signature) VALUES (?1, ?2, ?3, ?4)";
constexpr char kLastEvent[] = "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1";
constexpr char kLastCheckpoint[] = "SELECT seq, time_ms FROM checkpoints ORDER BY seq DESC LIMIT 1";
constexpr char kReadMeta[] = "SELECT public_key_pem, created_ms FROM meta WHERE id = 1";

struct Meta {
  std::string public_key_pem;
  int64_t created_ms = 0;
};

StatusOr<Meta> ReadMeta(AuditDb& db) {
  CANDOR_ASSIGN_OR_RETURN(store::Statement stmt, db.Prepare(kReadMeta));
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) return Status::Corruption(db.path() + " has no public key (meta row)");
  if (rc != SQLITE_ROW) return db.Error(rc, "read the audit log's public key");
  return Meta{stmt.Text(0), stmt.Int(1)};
}

// Owns both connections and the key. Thread safety: every method may be
// called concurrently (the contract of AuditLog); the writer connection is
// used only by the current leader, the reader under reader_mutex_.
class AuditLogImpl final : public ChainedAuditLog {
 public:
  AuditLogImpl(AuditOptions options, SigningKey key, std::string key_source, Meta meta,
               std::unique_ptr<AuditDb> writer, std::unique_ptr<AuditDb> reader)
      : ChainedAuditLog(options),
        key_(std::move(key)),
        key_source_(std::move(key_source)),
        meta_(std::move(meta)),
        writer_(std::move(writer)),
        reader_(std::move(reader)) {}

  // The closing checkpoint. Its failure cannot be returned from here; the
  // records it would have signed stay verifiable by their chain, and the next
  // writer's first checkpoint signs them.
  ~AuditLogImpl() override {
    if (writer_ != nullptr) static_cast<void>(Checkpoint());
  }

  StatusOr<AuditPage> Query(const AuditQuery& query) override;

  StatusOr<VerifyReport> Verify() override {
    std::lock_guard lock(reader_mutex_);
    return VerifyAuditLog(*reader_, key_, key_source_);
  }

  std::string public_key_pem() const override { return meta_.public_key_pem; }

 private:
  bool writable() const override { return writer_ != nullptr; }
  Status ReadOnly() const override {
    return Status::PermissionDenied("the audit log " + options_.path + " is open read-only");
  }
  Status InWriteTransaction(const std::function<Status()>& body) override {
    return writer_->InTransaction(true, "append to the audit log", body);
  }
  StatusOr<ChainHead> ReadHead() override;
  Status InsertEvent(int64_t seq, int64_t time_ms, const AuditEvent& event,
                     const std::string& json, const std::string& prev_hash,
                     const std::string& hash) override;
  Status InsertCheckpoint(const ChainHead& head, int64_t now_ms) override;

  const SigningKey key_;
  const std::string key_source_;
  const Meta meta_;

  // Used only by group commit's current leader (null when read-only).
  std::unique_ptr<AuditDb> writer_;

  std::mutex reader_mutex_;
  std::unique_ptr<AuditDb> reader_;  // guarded by reader_mutex_
};

Status AuditLogImpl::InsertEvent(int64_t seq, int64_t time_ms, const AuditEvent& event,
                                 const std::string& json, const std::string& prev_hash,
                                 const std::string& hash) {
  CANDOR_ASSIGN_OR_RETURN(store::Statement insert, writer_->Prepare(kInsertEvent));
  insert.Bind(1, seq);
  insert.Bind(2, time_ms);
  insert.Bind(3, event.principal);
  insert.Bind(4, event.operation);
  insert.Bind(5, event.collection_id);
  insert.Bind(6, json);
  insert.Bind(7, prev_hash);
  insert.Bind(8, hash);
  const int rc = insert.Step();
  if (rc != SQLITE_DONE) return writer_->Error(rc, "append to the audit log");
  return Status::Ok();
}

StatusOr<ChainHead> AuditLogImpl::ReadHead() {
  ChainHead head;
  head.checkpoint_ms = meta_.created_ms;
  {
    CANDOR_ASSIGN_OR_RETURN(store::Statement last, writer_->Prepare(kLastEvent));
    const int rc = last.Step();
    if (rc == SQLITE_ROW) {
      head.seq = last.Int(0);
      head.hash = last.Text(1);
    } else if (rc != SQLITE_DONE) {
      return writer_->Error(rc, "read the audit log's last record");
    }
  }
  CANDOR_ASSIGN_OR_RETURN(store::Statement checkpoint, writer_->Prepare(kLastCheckpoint));
  const int rc = checkpoint.Step();
  if (rc == SQLITE_ROW) {
    head.checkpoint_seq = checkpoint.Int(0);
    head.checkpoint_ms = checkpoint.Int(1);
  } else if (rc != SQLITE_DONE) {
    return writer_->Error(rc, "read the audit log's last checkpoint");
  }
  return head;
}

Status AuditLogImpl::InsertCheckpoint(const ChainHead& head, int64_t now_ms) {
  CANDOR_ASSIGN_OR_RETURN(const std::string signature,
                          key_.Sign(CheckpointMessage(head.seq, head.hash, now_ms)));
  CANDOR_ASSIGN_OR_RETURN(store::Statement insert, writer_->Prepare(kInsertCheckpoint));
  insert.Bind(1, head.seq);
  insert.Bind(2, head.hash);
  insert.Bind(3, now_ms);
  insert.Bind(4, HexEncode(signature));
  const int rc = insert.Step();
  if (rc != SQLITE_DONE) return writer_->Error(rc, "write an audit checkpoint");
  return Status::Ok();
}

StatusOr<AuditPage> AuditLogImpl::Query(const AuditQuery& query) {
  std::string digest;
  CANDOR_ASSIGN_OR_RETURN(const int64_t start_seq, CheckQuery(query, &digest));
  // One statement per combination of filters (16 at most, cached), so that
  // each can use its index. Pages are in seq order, so the plan walks seq (or
  // an index of one column, whose entries are in seq order for each value)
  // from the token's seq; a time range also bounds that walk to the seqs of
  // the records inside it, found on events_by_time alone, so that a window
  // in the past of a long log does not scan the records before and after it.
  std::string sql = "SELECT seq, event_json, hash FROM events WHERE ";
  if (query.from_ms != 0 || query.to_ms != std::numeric_limits<int64_t>::max()) {
    sql +=
        "seq >= max(?1, (SELECT min(seq) FROM events WHERE time_ms >= ?2 AND time_ms < ?3))"
        " AND seq <= (SELECT max(seq) FROM events WHERE time_ms >= ?2 AND time_ms < ?3) AND ";
  }
  sql += "seq >= ?1 AND time_ms >= ?2 AND time_ms < ?3";
  std::vector<const std::string*> equal;
  const std::pair<const char*, const std::string*> filters[] = {
      {"principal", &query.principal},
      {"collection_id", &query.collection_id},
      {"operation", &query.operation},
  };
  for (const auto& [column, value] : filters) {
    if (value->empty()) continue;
    equal.push_back(value);
    sql += std::string(" AND ") + column + " = ?" + std::to_string(3 + equal.size());
  }
  sql += " ORDER BY seq LIMIT ?" + std::to_string(4 + equal.size());

  AuditPage page;
  std::lock_guard lock(reader_mutex_);
  CANDOR_ASSIGN_OR_RETURN(store::Statement stmt, reader_->Prepare(sql));
  stmt.Bind(1, start_seq);
  stmt.Bind(2, query.from_ms);
  stmt.Bind(3, query.to_ms);
  for (size_t i = 0; i < equal.size(); ++i) stmt.Bind(static_cast<int>(4 + i), *equal[i]);
  // One more than a page: whether there is a next one, and where it starts.
  stmt.Bind(static_cast<int>(4 + equal.size()), int64_t{query.max_results} + 1);
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    const int64_t seq = stmt.Int(0);
    if (page.events.size() == static_cast<size_t>(query.max_results)) {
      page.next_token = EncodeToken(seq, digest);
      break;
    }
    const nlohmann::json body = nlohmann::json::parse(stmt.Text(1), nullptr, false);
    StatusOr<AuditEvent> event = body.is_discarded()
                                     ? StatusOr<AuditEvent>(Status::Corruption("not JSON"))
                                     : EventFromJson(body);
    if (!event.ok()) {
      return Status::Corruption("record " + std::to_string(seq) + " of " + options_.path +
                                " cannot be read (" + event.status().message() +
                                "); run `candor audit verify`");
    }
    event->hash = stmt.Text(2);
    page.events.push_back(std::move(*event));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return reader_->Error(rc, "query the audit log");
  return page;
}

Status ValidateOptions(const AuditOptions& options) {
  if (options.path.empty()) return Status::InvalidArgument("the audit log's path is empty");
  if (options.key_path.empty() && !options.read_only) {
    return Status::InvalidArgument("the audit log's signing key path is empty");
  }
  if (options.checkpoint_every < 1 || options.checkpoint_seconds < 1) {
    return Status::InvalidArgument("audit checkpoints must be at least every record and second");
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<AuditLog>> OpenReadOnly(const AuditOptions& options) {
  bool empty = false;
  CANDOR_ASSIGN_OR_RETURN(std::unique_ptr<AuditDb> reader,
                          AuditDb::Open(options.path, /*read_only=*/true, &empty));
  CANDOR_ASSIGN_OR_RETURN(Meta meta, ReadMeta(*reader));
  // A key that does not match is not refused here: Verify reports it, with
  // every checkpoint it then fails.
  if (options.key_path.empty()) {
    StatusOr<SigningKey> own = SigningKey::FromPublicPem(meta.public_key_pem);
    if (!own.ok()) {
      return Status::Corruption("the public key recorded in " + options.path +
                                " cannot be read: " + own.status().message());
    }
    return std::unique_ptr<AuditLog>(new AuditLogImpl(options, std::move(*own),
                                                      "the log's own public key", std::move(meta),
                                                      nullptr, std::move(reader)));
  }
  CANDOR_ASSIGN_OR_RETURN(SigningKey key, SigningKey::FromFile(options.key_path, false, true));
  return std::unique_ptr<AuditLog>(new AuditLogImpl(options, std::move(key), options.key_path,
                                                    std::move(meta), nullptr, std::move(reader)));
}

}  // namespace

StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const AuditOptions& options) {
  if (!options.store_uri.empty()) return OpenPgAuditLog(options);
  CANDOR_RETURN_IF_ERROR(ValidateOptions(options));
  if (options.read_only) return OpenReadOnly(options);

  bool empty = false;
  CANDOR_ASSIGN_OR_RETURN(std::unique_ptr<AuditDb> writer,
                          AuditDb::Open(options.path, /*read_only=*/false, &empty));
  // A key is made only for a new log: an existing one needs its own.
  StatusOr<SigningKey> key = SigningKey::FromFile(options.key_path, /*create=*/empty, false);
  if (!key.ok()) {
    if (key.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("the audit log " + options.path + " exists but its signing key " +
                              options.key_path + " does not; restore the key (a new one would" +
                              " not match the checkpoints already signed)");
    }
    return key.status();
  }
  if (empty) CANDOR_RETURN_IF_ERROR(writer->CreateSchema(key->public_pem(), AuditNowMs()));
  CANDOR_ASSIGN_OR_RETURN(Meta meta, ReadMeta(*writer));
  StatusOr<SigningKey> log_key = SigningKey::FromPublicPem(meta.public_key_pem);
  if (!log_key.ok()) {
    return Status::Corruption("the public key recorded in " + options.path +
                              " cannot be read: " + log_key.status().message());
  }
  if (!key->SamePublicKey(*log_key)) {
    return Status::PermissionDenied("the signing key " + options.key_path +
                                    " is not the key the audit log " + options.path +
                                    " was created with (the key was replaced, or this is another"
                                    " log's key); nothing was written");
  }
  bool unused = false;
  CANDOR_ASSIGN_OR_RETURN(std::unique_ptr<AuditDb> reader,
                          AuditDb::Open(options.path, /*read_only=*/true, &unused));
  return std::unique_ptr<AuditLog>(new AuditLogImpl(options, std::move(*key), options.key_path,
                                                    std::move(meta), std::move(writer),
                                                    std::move(reader)));
}

}  // namespace candor::audit
