// The SQLite store's users (Rekognition's UserId): a row in `users` per
// user, and faces.user_id naming the user a face is associated with ('' for
// none). A face's user is only ever set or cleared by the statements here,
// conditionally on its current value, so that two writers (the server and
// the CLI on one data directory) cannot silently overwrite each other.
#include <sqlite3.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "store/sqlite_store_impl.h"
#include "store/statements.h"

namespace candor::store {

StatusOr<UserRecord> SqliteStore::ReadUser(const std::string& collection_id,
                                           const std::string& user_id) {
  CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kGetUser));
  stmt.Bind(1, collection_id);
  stmt.Bind(2, user_id);
  const int rc = stmt.Step();
  if (rc == SQLITE_DONE) {
    return Status::NotFound("user " + Quoted(user_id) + " does not exist in collection " +
                            Quoted(collection_id));
  }
  if (rc != SQLITE_ROW) return Error(rc, "read user " + Quoted(user_id));
  return UserRecord{stmt.Text(0), stmt.Int(1), stmt.Int(2)};
}

StatusOr<std::vector<std::string>> SqliteStore::ReadFacesOfUser(const std::string& collection_id,
                                                                const std::string& user_id) {
  CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kFacesOfUser));
  stmt.Bind(1, collection_id);
  stmt.Bind(2, user_id);
  std::vector<std::string> face_ids;
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) face_ids.push_back(stmt.Text(0));
  if (rc != SQLITE_DONE) return Error(rc, "read faces of user " + Quoted(user_id));
  return face_ids;
}

Status SqliteStore::CreateUser(const std::string& collection_id, const UserRecord& user,
                               const TokenWrite* token) {
  if (user.user_id.empty()) return Status::InvalidArgument("user id is empty");
  std::lock_guard lock(mutex_);
  const std::string what =
      "create user " + Quoted(user.user_id) + " in collection " + Quoted(collection_id);
  return InTransaction(true, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    {
      CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kInsertUser));
      stmt.Bind(1, collection_id);
      stmt.Bind(2, user.user_id);
      stmt.Bind(3, user.created_ms);
      const int rc = stmt.Step();
      if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE) {
        return Status::AlreadyExists("user " + Quoted(user.user_id) + " already exists");
      }
      if (rc != SQLITE_DONE) return Error(rc, what);
    }
    NoteChange({{"CollectionId", collection_id}, {"UserId", user.user_id}});
    return WriteToken(collection_id, token);
  });
}

StatusOr<UserRecord> SqliteStore::GetUser(const std::string& collection_id,
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

StatusOr<std::vector<UserRecord>> SqliteStore::ListUsers(const std::string& collection_id,
                                                         const std::string& after_user_id,
                                                         int limit) {
  CANDOR_RETURN_IF_ERROR(ValidateLimit(limit));
  std::lock_guard lock(mutex_);
  std::vector<UserRecord> users;
  const std::string what = "list users of collection " + Quoted(collection_id);
  CANDOR_RETURN_IF_ERROR(InTransaction(false, what, [&]() -> Status {
    CANDOR_RETURN_IF_ERROR(CheckCollectionExists(collection_id));
    CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(kListUsers));
    stmt.Bind(1, collection_id);
    stmt.Bind(2, after_user_id);
    stmt.Bind(3, static_cast<int64_t>(limit));
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      users.push_back({stmt.Text(0), stmt.Int(1), stmt.Int(2)});
    }
    return rc == SQLITE_DONE ? Status::Ok() : Error(rc, what);
  }));
  return users;
}

StatusOr<std::vector<std::string>> SqliteStore::FacesOfUser(const std::string& collection_id,
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

StatusOr<std::vector<std::string>> SqliteStore::DeleteUser(const std::string& collection_id,
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
      CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
      stmt.Bind(1, collection_id);
      stmt.Bind(2, user_id);
      const int rc = stmt.Step();
      if (rc != SQLITE_DONE) return Error(rc, what);
    }
    NoteChange({{"CollectionId", collection_id}, {"DeletedUserId", user_id}});
    return WriteToken(collection_id, token);
  }));
  return face_ids;
}

Status SqliteStore::UpdateUserFaces(const std::string& collection_id, const std::string& user_id,
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
      CANDOR_ASSIGN_OR_RETURN(Statement stmt, Prepare(sql));
      stmt.Bind(1, collection_id);
      stmt.Bind(2, face_id);
      stmt.Bind(3, user_id);
      const int rc = stmt.Step();
      if (rc != SQLITE_DONE) return Error(rc, what);
      if (sqlite3_changes64(db_.handle()) == 0) {
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
    CANDOR_ASSIGN_OR_RETURN(const UserRecord user, ReadUser(collection_id, user_id));
    if (user.face_count > max_user_faces) {
      return Status::Conflict("user " + Quoted(user_id) + " would hold " +
                              std::to_string(user.face_count) + " faces, more than " +
                              std::to_string(max_user_faces) + "; nothing was changed");
    }
    return WriteToken(collection_id, token);
  });
}

}  // namespace candor::store
