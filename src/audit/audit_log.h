// The audit log: an append-only, tamper-evident record of every call that
// reads or writes biometric data (and of every refused call and policy
// change).
//
// Storage: its own SQLite file (<data_dir>/audit.db, WAL, synchronous=FULL),
// apart from the biometric store, so that erasing faces never touches it and
// it never holds a vector (only FaceIds, similarities and counts). With
// AuditOptions::store_uri, the tables audit_* of a PostgreSQL database
// instead (pg_audit_log.cc): one chain that several nodes append to, the
// order decided by the database, each node signing checkpoints with its own
// key.
//
// Tamper evidence: record n carries hash_n = SHA-256(hash_{n-1} || the
// canonical JSON of its fields) (hash_0 = 64 zeros), so editing, deleting,
// inserting or reordering records breaks the chain at the first record
// touched. Every `checkpoint_every` records, every `checkpoint_seconds` and
// on Close, a checkpoint (seq, hash, time) is signed with an Ed25519 key kept
// in `key_path` (mode 0600; keep it off the data directory's disk to resist
// someone who can rewrite both), which also detects a truncated tail up to
// the last checkpoint. Verify() reports every problem with the seq it is at.
//
// Durability: Append returns once the record is committed (fsync); appends
// from concurrent threads are committed together (group commit), so the cost
// per call is a fraction of an fsync at saturation. If the record cannot be
// written, Append fails and the caller must fail the call it records (no
// unaudited search).
//
// Thread safety: all methods may be called concurrently.
#ifndef CANDOR_AUDIT_AUDIT_LOG_H_
#define CANDOR_AUDIT_AUDIT_LOG_H_

#include <cstdint>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "candor/status.h"

namespace candor::audit {

struct AuditEvent {
  int64_t seq = 0;        // assigned by Append, from 1
  int64_t time_ms = 0;    // wall clock, ms since the epoch; set by Append when 0
  std::string principal;  // the access key's principal, "anonymous", "system" (retention)
  std::string source;     // remote address, "cli", or "retention"
  std::string request_id;
  std::string operation;      // "SearchFacesByImage", "IndexFaces", "RetentionErase",
                              // "PutCollectionPolicy", ...
  std::string collection_id;  // empty when none
  std::string purpose;        // the collection's stated purpose at the time
  std::string reason;         // the caller's reason (case reference); empty when none
  std::optional<double> threshold_requested;  // FaceMatchThreshold asked
  std::optional<double> threshold_applied;    // after the policy floor
  std::optional<int64_t> max_faces;           // MaxFaces (or MaxUsers) applied
  int64_t faces_searched = 0;
  // What came back or changed, e.g. {"FaceMatches": [{"FaceId", "Similarity"}]},
  // {"FaceIds": [...]}, {"Policy": {...}}. Never vectors or images.
  nlohmann::json results = nlohmann::json::object();
  std::string outcome;    // "ok" or the error type (AccessDeniedException, ...)
  std::string prev_hash;  // hex, assigned by Append
  std::string hash;       // hex, assigned by Append
};

struct AuditQuery {
  int64_t from_ms = 0;                                  // inclusive
  int64_t to_ms = std::numeric_limits<int64_t>::max();  // exclusive
  std::string principal;                                // empty: any
  std::string collection_id;                            // empty: any
  std::string operation;                                // empty: any
  int max_results = 100;                                // 1..1000
  std::string next_token;                               // from a previous page
};

struct AuditPage {
  std::vector<AuditEvent> events;  // in seq order
  std::string next_token;          // empty on the last page
};

struct VerifyReport {
  bool ok = true;
  int64_t records = 0;
  int64_t checkpoints = 0;
  int64_t last_checkpoint_seq = 0;
  int64_t last_seq = 0;  // the last record's; records after last_checkpoint_seq are not signed yet
  // One line per problem, each naming the seq, e.g. "record 17: its hash does
  // not match its contents (edited)", "record 18: follows record 16 (record
  // 17 deleted, or records reordered)", "checkpoint at 2000: bad signature",
  // "records end at 1500 but checkpoint 2000 covers more (tail deleted)".
  std::vector<std::string> problems;
  // PostgreSQL logs: the key ids (KeyId) of the keys that signed checkpoints,
  // in the order first seen. Empty for an SQLite log (one key).
  std::vector<std::string> signers;
};

struct AuditOptions {
  std::string path;             // the SQLite file, e.g. <data_dir>/audit.db
  std::string key_path;         // Ed25519 private key (PEM); created with mode 0600 if missing
  int checkpoint_every = 1000;  // records, >= 1
  int checkpoint_seconds = 60;  // >= 1
  // For `candor audit verify` and `candor audit query` beside a running
  // server: the file is opened read-only (nothing is created or written;
  // Append and Checkpoint fail), `key_path` may hold the private key or only
  // its public key (PEM), and when `key_path` is empty the checkpoints are
  // checked against the public key stored in the log itself, which proves
  // less (someone who rewrites the file can re-sign it with a key of theirs).
  bool read_only = false;
  // A PostgreSQL connection string (postgresql://...): the log is the
  // audit_* tables of that database (created when missing unless read-only)
  // and `path` is not used. Several processes may append, each with its own
  // `key_path` (created when missing: a node joining a cluster has none
  // yet); each checkpoint records the public key that signed it.
  std::string store_uri;
  // PostgreSQL logs, verifying: the public (or private) keys, PEM files,
  // that checkpoints must be signed with; `key_path` counts as one when
  // read-only. None: each checkpoint is checked against the key recorded
  // beside it, which proves less (someone who can write the database can
  // rewrite the chain and sign it with a key of theirs).
  std::vector<std::string> trusted_key_paths;
};

class AuditLog {
 public:
  // Refuses a file that is not an audit log, and a key that does not match
  // the public key recorded in the log when it was created.
  static StatusOr<std::unique_ptr<AuditLog>> Open(const AuditOptions& options);
  virtual ~AuditLog() = default;

  // Assigns seq, time (when 0), prev_hash and hash, and commits.
  virtual Status Append(AuditEvent& event) = 0;
  virtual StatusOr<AuditPage> Query(const AuditQuery& query) = 0;
  // Reads the whole log (also from a separate process, read-only).
  virtual StatusOr<VerifyReport> Verify() = 0;
  virtual Status Checkpoint() = 0;
  // The PEM public key checkpoints are signed with (also stored in the log).
  virtual std::string public_key_pem() const = 0;
};

// The canonical JSON hashed for an event (every field but hash, keys sorted,
// no whitespace, UTF-8; absent optionals are null). Invalid UTF-8 is replaced
// here (Append refuses it instead, so stored records never hold any).
std::string CanonicalJson(const AuditEvent& event);
// hash_n: lowercase hex SHA-256 of prev_hash (as its 64 hex characters)
// followed by the canonical JSON, so that anyone can recompute a chain, e.g.
// `printf '%s%s' "$prev_hash" "$json" | sha256sum`.
std::string ChainHash(std::string_view prev_hash, std::string_view canonical_json);
// hash_0, the prev_hash of record 1.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";
nlohmann::json ToJson(const AuditEvent& event);  // all fields, for queries and reports
// A short name of a public key for reports: the first 16 hex digits of the
// SHA-256 of its PEM text.
std::string KeyId(std::string_view public_key_pem);

}  // namespace candor::audit

#endif  // CANDOR_AUDIT_AUDIT_LOG_H_
