// The audit log on PostgreSQL (pg_audit_db.h): one hash chain that several
// processes (the nodes of a cluster) append to.
//
// One chain, no fork, no gap: every append transaction first takes a
// transaction-scoped advisory lock (kAppendLockKey), then reads the chain's
// head (the last record and the last checkpoint) and inserts after it. The
// transaction runs at READ COMMITTED so that its reads, made after the lock
// was granted, see what the lock's previous holder committed (a
// SERIALIZABLE snapshot would be taken before the wait). The lock is
// released at COMMIT, after the records are visible. So the database
// decides the order of the nodes' records, and seq is dense: a transaction
// that fails leaves nothing behind, and the next one reads the same head.
//
// Within a process appends are group-committed (group_commit.h): one
// transaction, one lock and one WAL flush per batch.
//
// Checkpoints: each node signs with its own key (AuditOptions::key_path)
// and records its public key beside the signature; whichever node appends
// when a checkpoint falls due (every `checkpoint_every` records of the
// chain, every `checkpoint_seconds`, and at each node's Close) signs the
// chain head, records of other nodes included.
//
// A lost connection (PostgreSQL restarted, a network cut) fails the batch
// with Throttling, so the call it records fails (no unaudited search); the
// next call reconnects (PgDb resets a lost connection before its next
// statement). Queries and Verify use a second connection, so they never wait
// behind a commit.
#include "audit/pg_audit_log.h"

#include <filesystem>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/audit_crypto.h"
#include "audit/audit_event.h"
#include "audit/audit_query.h"
#include "audit/audit_verify.h"
#include "audit/chained_audit_log.h"
#include "audit/pg_audit_db.h"
#include "store/data_dir.h"

namespace candor::audit {
namespace {

using store::pg::Param;
using store::pg::PgDb;
using store::pg::Result;

// Serialises appends to the chain across processes ("candor-A" in ASCII).
constexpr int64_t kAppendLockKey = 0x63616e646f722d41;

constexpr char kLockChain[] = "SELECT pg_advisory_xact_lock($1)";
constexpr char kLastEvent[] = "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1";
constexpr char kLastCheckpoint[] =
    "SELECT seq, time_ms FROM audit_checkpoints ORDER BY seq DESC LIMIT 1";
constexpr char kInsertEvent[] =
    "INSERT INTO audit_events (seq, time_ms, principal, operation, collection_id, event_json,"
    " prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
constexpr char kInsertCheckpoint[] =
    "INSERT INTO audit_checkpoints (seq, hash, time_ms, signature, signer_public_key_pem)"
    " VALUES ($1, $2, $3, $4, $5)";

// Owns both connections and the keys. Thread safety: every method may be
// called concurrently (the contract of AuditLog); writer_ is used only by
// group commit's current leader, reader_ under reader_mutex_.
class PgAuditLog final : public ChainedAuditLog {
 public:
  PgAuditLog(AuditOptions options, std::optional<SigningKey> key, std::vector<SigningKey> trusted,
             std::string trusted_source, int64_t created_ms, std::unique_ptr<PgDb> writer,
             std::unique_ptr<PgDb> reader)
      : ChainedAuditLog(options),
        key_(std::move(key)),
        trusted_(std::move(trusted)),
        trusted_source_(std::move(trusted_source)),
        created_ms_(created_ms),
        writer_(std::move(writer)),
        reader_(std::move(reader)) {}

  // The closing checkpoint; as the SQLite log's, its failure is only lost
  // (the next checkpoint of any node signs those records).
  ~PgAuditLog() override {
    if (writer_ != nullptr) static_cast<void>(Checkpoint());
  }

  StatusOr<AuditPage> Query(const AuditQuery& query) override;

  StatusOr<VerifyReport> Verify() override {
    std::lock_guard lock(reader_mutex_);
    return VerifyPgAuditLog(*reader_, trusted_, trusted_source_);
  }

  std::string public_key_pem() const override {
    if (key_) return key_->public_pem();
    return trusted_.size() == 1 ? trusted_[0].public_pem() : std::string();
  }

 private:
  bool writable() const override { return writer_ != nullptr; }
  Status ReadOnly() const override {
    return Status::PermissionDenied("the audit log in PostgreSQL is open read-only");
  }
  Status InWriteTransaction(const std::function<Status()>& body) override {
    return writer_->InReadCommittedTransaction("append to the audit log", body);
  }
  Status LockChain() override {
    return writer_->Exec(kLockChain, {Param::Int(kAppendLockKey)}, "lock the audit chain")
        .status();
  }
  // PostgreSQL's text holds no NUL byte (the JSON escapes it, a column
  // would not): refused for this event only, rather than failing the
  // batch's transaction.
  Status CheckStorable(const AuditEvent& event) override {
    if (event.principal.find('\0') != std::string::npos ||
        event.operation.find('\0') != std::string::npos ||
        event.collection_id.find('\0') != std::string::npos) {
      return Status::InvalidArgument(
          "audit event cannot be recorded: its principal, operation or collection holds a NUL");
    }
    return Status::Ok();
  }
  StatusOr<ChainHead> ReadHead() override;
  Status InsertEvent(int64_t seq, int64_t time_ms, const AuditEvent& event,
                     const std::string& json, const std::string& prev_hash,
                     const std::string& hash) override {
    return writer_
        ->Exec(kInsertEvent,
               {Param::Int(seq), Param::Int(time_ms), Param::Text(event.principal),
                Param::Text(event.operation), Param::Text(event.collection_id),
                Param::Text(json), Param::Text(prev_hash), Param::Text(hash)},
               "append to the audit log")
        .status();
  }
  Status InsertCheckpoint(const ChainHead& head, int64_t now_ms) override;

  const std::optional<SigningKey> key_;  // this node's (none when read-only)
  const std::vector<SigningKey> trusted_;
  const std::string trusted_source_;
  const int64_t created_ms_;

  // Used only by group commit's current leader (null when read-only).
  std::unique_ptr<PgDb> writer_;

  std::mutex reader_mutex_;
  std::unique_ptr<PgDb> reader_;  // guarded by reader_mutex_
};

StatusOr<ChainHead> PgAuditLog::ReadHead() {
  ChainHead head;
  head.checkpoint_ms = created_ms_;
  CANDOR_ASSIGN_OR_RETURN(Result last,
                          writer_->Exec(kLastEvent, {}, "read the audit log's last record"));
  if (last.rows() == 1) {
    head.seq = last.Int(0, 0);
    head.hash = last.Bytes(0, 1);
  }
  CANDOR_ASSIGN_OR_RETURN(Result checkpoint, writer_->Exec(kLastCheckpoint, {},
                                                           "read the audit log's last checkpoint"));
  if (checkpoint.rows() == 1) {
    head.checkpoint_seq = checkpoint.Int(0, 0);
    head.checkpoint_ms = checkpoint.Int(0, 1);
  }
  return head;
}

Status PgAuditLog::InsertCheckpoint(const ChainHead& head, int64_t now_ms) {
  CANDOR_ASSIGN_OR_RETURN(const std::string signature,
                          key_->Sign(CheckpointMessage(head.seq, head.hash, now_ms)));
  return writer_
      ->Exec(kInsertCheckpoint,
             {Param::Int(head.seq), Param::Text(head.hash), Param::Int(now_ms),
              Param::Text(HexEncode(signature)), Param::Text(key_->public_pem())},
             "write an audit checkpoint")
      .status();
}

StatusOr<AuditPage> PgAuditLog::Query(const AuditQuery& query) {
  std::string digest;
  CANDOR_ASSIGN_OR_RETURN(const int64_t start_seq, CheckQuery(query, &digest));
  // As the SQLite log's Query (audit_log.cc): one statement per combination
  // of filters, each walking an index in seq order from the token's seq, a
  // time range bounding the walk to the seqs of the records inside it.
  std::string sql = "SELECT seq, event_json, hash FROM audit_events WHERE ";
  if (query.from_ms != 0 || query.to_ms != std::numeric_limits<int64_t>::max()) {
    sql +=
        "seq >= GREATEST($1, (SELECT min(seq) FROM audit_events WHERE time_ms >= $2 AND"
        " time_ms < $3)) AND seq <= (SELECT max(seq) FROM audit_events WHERE time_ms >= $2"
        " AND time_ms < $3) AND ";
  }
  sql += "seq >= $1 AND time_ms >= $2 AND time_ms < $3";
  std::vector<Param> params = {Param::Int(start_seq), Param::Int(query.from_ms),
                               Param::Int(query.to_ms)};
  const std::pair<const char*, const std::string*> filters[] = {
      {"principal", &query.principal},
      {"collection_id", &query.collection_id},
      {"operation", &query.operation},
  };
  for (const auto& [column, value] : filters) {
    if (value->empty()) continue;
    // No stored value holds a NUL (WriteBatch refuses them); PostgreSQL
    // would refuse the parameter.
    if (value->find('\0') != std::string::npos) return AuditPage{};
    params.push_back(Param::Text(*value));
    sql += std::string(" AND ") + column + " = $" + std::to_string(params.size());
  }
  // One more than a page: whether there is a next one, and where it starts.
  params.push_back(Param::Int(int64_t{query.max_results} + 1));
  sql += " ORDER BY seq LIMIT $" + std::to_string(params.size());

  AuditPage page;
  std::lock_guard lock(reader_mutex_);
  CANDOR_ASSIGN_OR_RETURN(Result rows, reader_->Exec(sql, params, "query the audit log"));
  for (int i = 0; i < rows.rows(); ++i) {
    const int64_t seq = rows.Int(i, 0);
    if (page.events.size() == static_cast<size_t>(query.max_results)) {
      page.next_token = EncodeToken(seq, digest);
      break;
    }
    const nlohmann::json body = nlohmann::json::parse(rows.Bytes(i, 1), nullptr, false);
    StatusOr<AuditEvent> event = body.is_discarded()
                                     ? StatusOr<AuditEvent>(Status::Corruption("not JSON"))
                                     : EventFromJson(body);
    if (!event.ok()) {
      return Status::Corruption("record " + std::to_string(seq) + " of the audit log in " +
                                reader_->Describe() + " cannot be read (" +
                                event.status().message() + "); run `candor audit verify`");
    }
    event->hash = rows.Bytes(i, 2);
    page.events.push_back(std::move(*event));
  }
  return page;
}

// The trusted keys of `options` (key_path when read-only, and
// trusted_key_paths) and how a report names them.
Status LoadTrusted(const AuditOptions& options, std::vector<SigningKey>* keys,
                   std::string* source) {
  std::vector<std::string> paths = options.trusted_key_paths;
  if (options.read_only && !options.key_path.empty()) paths.insert(paths.begin(), options.key_path);
  for (const std::string& path : paths) {
    CANDOR_ASSIGN_OR_RETURN(SigningKey key, SigningKey::FromFile(path, false, true));
    keys->push_back(std::move(key));
    *source += (source->empty() ? "" : ", ") + path;
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<AuditLog>> OpenPgAuditLog(const AuditOptions& options) {
  if (options.key_path.empty() && !options.read_only) {
    return Status::InvalidArgument("the audit log's signing key path is empty");
  }
  if (options.checkpoint_every < 1 || options.checkpoint_seconds < 1) {
    return Status::InvalidArgument("audit checkpoints must be at least every record and second");
  }
  std::vector<SigningKey> trusted;
  std::string source;
  CANDOR_RETURN_IF_ERROR(LoadTrusted(options, &trusted, &source));
  std::optional<SigningKey> key;
  std::unique_ptr<PgDb> writer;
  if (!options.read_only) {
    // Each node has its own key; a node joining the cluster makes one, in
    // its data directory (made, mode 0700, as the SQLite log makes it).
    const std::string dir = std::filesystem::path(options.key_path).parent_path().string();
    if (!dir.empty()) CANDOR_RETURN_IF_ERROR(store::EnsureDataDirectory(dir));
    CANDOR_ASSIGN_OR_RETURN(SigningKey own, SigningKey::FromFile(options.key_path, true, false));
    key = std::move(own);
    CANDOR_ASSIGN_OR_RETURN(writer, OpenPgAuditDb(options.store_uri, /*read_only=*/false));
  }
  CANDOR_ASSIGN_OR_RETURN(std::unique_ptr<PgDb> reader,
                          OpenPgAuditDb(options.store_uri, /*read_only=*/true));
  CANDOR_ASSIGN_OR_RETURN(const int64_t created_ms, ReadPgAuditCreatedMs(*reader));
  return std::unique_ptr<AuditLog>(new PgAuditLog(options, std::move(key), std::move(trusted),
                                                  std::move(source), created_ms, std::move(writer),
                                                  std::move(reader)));
}

}  // namespace candor::audit
