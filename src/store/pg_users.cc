// The PostgreSQL store's users, policies, tags and audit journal: the twins
// of sqlite_users.cc, sqlite_policies.cc, sqlite_tags.cc and
// sqlite_journal.cc (pg_store.cc says where PostgreSQL differs).
#include <algorithm>
#include <cmath>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "store/pg_statements.h"
#include "store/pg_store_impl.h"

namespace candor::store::pg {

using namespace pg_sql;  // NOLINT: the statements, as pg_store.cc

// ---------------------------------------------------------------------------
// Users (sqlite_users.cc).

StatusOr<UserRecord> PostgresStore::ReadUser(const std::string& collection_id,
                                             const std::string& user_id) {
  CANDOR_ASSIGN_OR_RETURN(Result r,
                          Exec(kGetUser, {Param::Text(collection_id), Param::Text(user_id)},
                               "read user " + Quoted(user_id)));
  if (r.rows() == 0) {
    return Status::NotFound("user " + Quoted(user_id) + " does not exist in collection " +
                            Quoted(collection_id));
  }
  return UserRecord{r.Bytes(0, 0), r.Int(0, 1), r.Int(0, 2)};
}

StatusOr<std::vector<std::string>> PostgresStore::ReadFacesOfUser(const std::string& collection_id,
                                                                  const std::string& user_id) {
  CANDOR_ASSIGN_OR_RETURN(Result r,
                          Exec(kFacesOfUser, {Param::Text(collection_id), Param::Text(user_id)},
                               "read faces of user " + Quoted(user_id)));
  std::vector<std::string> face_ids;
  for (int i = 0; i < r.rows(); ++i) face_ids.push_back(r.Bytes(i, 0));
  return face_ids;
}

Status PostgresStore::CreateUser(const std::string& collection_id, const UserRecord& user,
                                 const TokenWrite* token) {
  if (user.user_id.empty()) return Status::InvalidArgument("user id is empty");
  std::lock_guard lock(mutex_);
  const std::string what =
      "create user " + Quoted(user.user_id) + " in collection " + Quoted(collection_id);
  return InTransaction(true, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    auto r = Exec(kInsertUser,
                  {Param::Text(collection_id), Param::Text(user.user_id),
                   Param::Int(user.created_ms)},
                  what);
    if (r.status().code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("user " + Quoted(user.user_id) + " already exists");
    }
    CANDOR_RETURN_IF_ERROR(r.status());
    NoteChange({{"CollectionId", collection_id}, {"UserId", user.user_id}});
    LogChange(ChangeKind::kUsersChanged, collection_id);
    return WriteToken(collection_id, token);
  });
}

StatusOr<UserRecord> PostgresStore::GetUser(const std::string& collection_id,
                                            const std::string& user_id) {
  std::lock_guard lock(mutex_);
  UserRecord user;
  CANDOR_RETURN_IF_ERROR(InTransaction(false, "read user " + Quoted(user_id), [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_ASSIGN_OR_RETURN(user, ReadUser(collection_id, user_id));
    return Status::Ok();
  }));
  return user;
}

StatusOr<std::vector<UserRecord>> PostgresStore::ListUsers(const std::string& collection_id,
                                                           const std::string& after_user_id,
                                                           int limit) {
  CANDOR_RETURN_IF_ERROR(ValidateLimit(limit));
  std::lock_guard lock(mutex_);
  std::vector<UserRecord> users;
  const std::string what = "list users of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(false, what, [&]() -> Status {
    users.clear();
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_ASSIGN_OR_RETURN(
        Result r, Exec(kListUsers,
                       {Param::Text(collection_id), Param::Text(after_user_id), Param::Int(limit)},
                       what));
    for (int i = 0; i < r.rows(); ++i) users.push_back({r.Bytes(i, 0), r.Int(i, 1), r.Int(i, 2)});
    return Status::Ok();
  }));
  return users;
}

StatusOr<std::vector<std::string>> PostgresStore::FacesOfUser(const std::string& collection_id,
                                                              const std::string& user_id) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> face_ids;
  const std::string what = "read faces of user " + Quoted(user_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(false, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_ASSIGN_OR_RETURN(face_ids, ReadFacesOfUser(collection_id, user_id));
    return Status::Ok();
  }));
  return face_ids;
}

StatusOr<std::vector<std::string>> PostgresStore::DeleteUser(const std::string& collection_id,
                                                             const std::string& user_id,
                                                             const TokenWrite* token) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> face_ids;
  const std::string what =
      "delete user " + Quoted(user_id) + " of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(true, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_RETURN_IF_ERROR(ReadUser(collection_id, user_id).status());
    CANDOR_ASSIGN_OR_RETURN(face_ids, ReadFacesOfUser(collection_id, user_id));
    for (const char* sql : {kClearUserOfFaces, kDeleteUser}) {
      CANDOR_RETURN_IF_ERROR(
          Exec(sql, {Param::Text(collection_id), Param::Text(user_id)}, what).status());
    }
    NoteChange({{"CollectionId", collection_id}, {"DeletedUserId", user_id}});
    LogChange(ChangeKind::kUsersChanged, collection_id, face_ids);
    return WriteToken(collection_id, token);
  }));
  return face_ids;
}

Status PostgresStore::UpdateUserFaces(const std::string& collection_id, const std::string& user_id,
                                      const std::vector<std::string>& associate,
                                      const std::vector<std::string>& disassociate,
                                      int max_user_faces, const TokenWrite* token) {
  if (user_id.empty()) return Status::InvalidArgument("user id is empty");
  std::lock_guard lock(mutex_);
  const std::string what =
      "update faces of user " + Quoted(user_id) + " in collection " + Quoted(collection_id);
  return InTransaction(true, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_RETURN_IF_ERROR(ReadUser(collection_id, user_id).status());
    // A face listed twice is changed once.
    std::set<std::string> seen;
    const auto apply = [&](const char* sql, const std::string& face_id) -> Status {
      if (!seen.insert(face_id).second) return Status::Ok();
      CANDOR_ASSIGN_OR_RETURN(
          Result r,
          Exec(sql, {Param::Text(collection_id), Param::Text(face_id), Param::Text(user_id)},
               what));
      if (r.affected() == 0) {
        return Status::Conflict("face " + Quoted(face_id) + " changed while user " +
                                Quoted(user_id) +
                                " was being updated; nothing was changed, retry the call");
      }
      return Status::Ok();
    };
    for (const std::string& face_id : disassociate) {
      CANDOR_RETURN_IF_ERROR(apply(kDisassociateFace, face_id));
    }
    for (const std::string& face_id : associate) {
      CANDOR_RETURN_IF_ERROR(apply(kAssociateFace, face_id));
    }
    NoteChange({{"CollectionId", collection_id},
                {"UserId", user_id},
                {"AssociatedFaceIds", associate},
                {"DisassociatedFaceIds", disassociate}});
    std::vector<std::string> changed(seen.begin(), seen.end());
    LogChange(ChangeKind::kUsersChanged, collection_id, std::move(changed));
    CANDOR_ASSIGN_OR_RETURN(const UserRecord user, ReadUser(collection_id, user_id));
    if (user.face_count > max_user_faces) {
      return Status::Conflict("user " + Quoted(user_id) + " would hold " +
                              std::to_string(user.face_count) + " faces, more than " +
                              std::to_string(max_user_faces) + "; nothing was changed");
    }
    return WriteToken(collection_id, token);
  });
}

// ---------------------------------------------------------------------------
// Policies and tags (sqlite_policies.cc, sqlite_tags.cc).

StatusOr<std::optional<PolicyRecord>> PostgresStore::GetPolicy(const std::string& collection_id) {
  std::lock_guard lock(mutex_);
  std::optional<PolicyRecord> policy;
  const std::string what = "read the policy of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(false, what, [&]() -> Status {
    policy.reset();
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_ASSIGN_OR_RETURN(Result r, Exec(kGetPolicy, {Param::Text(collection_id)}, what));
    if (r.rows() == 0) return Status::Ok();
    PolicyRecord& p = policy.emplace();
    p.purpose = r.Bytes(0, 0);
    p.threshold_floor = static_cast<float>(r.Double(0, 1));
    p.refuse_below_floor = r.Bool(0, 2);
    p.max_faces = r.Int(0, 3);
    p.reason_required = r.Bool(0, 4);
    p.retention_days = r.Int(0, 5);
    p.updated_ms = r.Int(0, 6);
    return Status::Ok();
  }));
  return policy;
}

Status PostgresStore::PutPolicy(const std::string& collection_id, const PolicyRecord& policy) {
  // PostgreSQL would store a NaN or an infinity as is; neither is a floor.
  if (!std::isfinite(policy.threshold_floor)) {
    return Status::InvalidArgument("the threshold floor of collection " + Quoted(collection_id) +
                                   " is not finite");
  }
  std::lock_guard lock(mutex_);
  const std::string what = "store the policy of collection " + Quoted(collection_id);
  return InTransaction(true, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    // float -> double -> float is exact, so the floor reads back bit for bit.
    CANDOR_RETURN_IF_ERROR(
        Exec(kPutPolicy,
             {Param::Text(collection_id), Param::Text(policy.purpose),
              Param::Double(policy.threshold_floor), Param::Bool(policy.refuse_below_floor),
              Param::Int(policy.max_faces), Param::Bool(policy.reason_required),
              Param::Int(policy.retention_days), Param::Int(NowMs())},
             what)
            .status());
    LogChange(ChangeKind::kPolicyChanged, collection_id);
    return Status::Ok();
  });
}

StatusOr<std::map<std::string, std::string>> PostgresStore::GetTags(
    const std::string& collection_id) {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::string> tags;
  const std::string what = "read the tags of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(false, what, [&]() -> Status {
    tags.clear();
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_ASSIGN_OR_RETURN(Result r, Exec(kGetTags, {Param::Text(collection_id)}, what));
    for (int i = 0; i < r.rows(); ++i) tags[r.Bytes(i, 0)] = r.Bytes(i, 1);
    return Status::Ok();
  }));
  return tags;
}

Status PostgresStore::UpdateTags(const std::string& collection_id,
                                 const std::map<std::string, std::string>& set,
                                 const std::vector<std::string>& remove, size_t max_tags) {
  std::lock_guard lock(mutex_);
  const std::string what = "change the tags of collection " + Quoted(collection_id);
  return InTransaction(true, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    for (const std::string& key : remove) {
      CANDOR_RETURN_IF_ERROR(
          Exec(kDeleteTag, {Param::Text(collection_id), Param::Text(key)}, what).status());
    }
    for (const auto& [key, value] : set) {
      CANDOR_RETURN_IF_ERROR(
          Exec(kPutTag, {Param::Text(collection_id), Param::Text(key), Param::Text(value)}, what)
              .status());
    }
    CANDOR_ASSIGN_OR_RETURN(Result count, Exec(kCountTags, {Param::Text(collection_id)}, what));
    if (static_cast<size_t>(count.Int(0, 0)) > max_tags) {
      // Returning an error rolls the transaction back: nothing changed.
      return Status::ServiceQuotaExceeded("collection " + Quoted(collection_id) +
                                          " would hold more than " + std::to_string(max_tags) +
                                          " tags");
    }
    return Status::Ok();
  });
}

// ---------------------------------------------------------------------------
// The audit journal (sqlite_journal.cc).

StatusOr<std::vector<JournalEntry>> PostgresStore::ListJournal() {
  std::vector<std::string> resolved;
  {
    std::lock_guard lock(resolved_mu_);
    resolved = resolved_;
  }
  std::lock_guard lock(mutex_);
  CANDOR_ASSIGN_OR_RETURN(Result r, Exec(kListJournal, {}, "read the audit journal"));
  std::vector<JournalEntry> out;
  for (int i = 0; i < r.rows(); ++i) {
    JournalEntry e;
    e.id = r.Int(i, 0);
    e.request_id = r.Bytes(i, 1);
    if (std::find(resolved.begin(), resolved.end(), e.request_id) != resolved.end()) continue;
    e.entry = nlohmann::json::parse(r.Bytes(i, 2), nullptr, false);
    if (!e.entry.is_object()) {
      return Status::Corruption(db_.Describe() + ": audit journal row " + std::to_string(e.id) +
                                " is not a JSON object");
    }
    out.push_back(std::move(e));
  }
  return out;
}

void PostgresStore::ResolveJournal(const std::string& request_id) {
  std::lock_guard lock(resolved_mu_);
  resolved_.push_back(request_id);
}

Status PostgresStore::FlushJournal() {
  {
    std::lock_guard lock(resolved_mu_);
    if (resolved_.empty()) return Status::Ok();
  }
  std::lock_guard lock(mutex_);
  return InTransaction(true, "delete resolved audit journal rows", [] { return Status::Ok(); });
}

}  // namespace candor::store::pg
