#include "server/key_ring.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>

namespace candor::server {
namespace {

// The keys of `store` with their roles; `path` names where they came from.
StatusOr<std::shared_ptr<const KeySnapshot>> Snapshot(CredentialStore store,
                                                      const std::string& path) {
  auto ring = std::make_shared<KeySnapshot>();
  ring->store = std::move(store);
  for (const Credential& c : ring->store.credentials()) {
    auto it = c.attributes.find("role");
    if (it == c.attributes.end()) {
      return Status::InvalidArgument(path + ": principal [" + c.principal +
                                     "] has no role (add a line `role = searcher`, or admin, "
                                     "enroller, analyst, auditor; several with commas)");
    }
    auto roles = policy::ParseRoles(it->second);
    if (!roles.ok()) {
      return Status::InvalidArgument(path + ": principal [" + c.principal +
                                     "]: " + roles.status().message());
    }
    ring->roles[c.principal] = *roles;
    if (auto reason = c.attributes.find("reason"); reason != c.attributes.end()) {
      CANDOR_RETURN_IF_ERROR(ValidateReason(reason->second));
    }
  }
  return std::shared_ptr<const KeySnapshot>(ring);
}

StatusOr<std::shared_ptr<const KeySnapshot>> ReadKeys(const std::string& path) {
  if (path.empty()) return std::shared_ptr<const KeySnapshot>(std::make_shared<KeySnapshot>());
  CANDOR_ASSIGN_OR_RETURN(CredentialStore store, CredentialStore::Load(path));
  return Snapshot(std::move(store), path);
}

StatusOr<std::shared_ptr<const KeySnapshot>> ReadSharedKeys(store::PgAccessKeys& keys) {
  CANDOR_ASSIGN_OR_RETURN(std::vector<store::AccessKeyRecord> records, keys.List());
  std::vector<Credential> credentials;
  for (const store::AccessKeyRecord& r : records) credentials.push_back(CredentialFromRecord(r));
  auto store = CredentialStore::FromCredentials(std::move(credentials));
  if (!store.ok()) {
    return Status(store.status().code(), "the database's access keys: " + store.status().message());
  }
  return Snapshot(std::move(*store), "the database's access keys");
}

}  // namespace

Credential CredentialFromRecord(const store::AccessKeyRecord& record) {
  Credential c{.principal = record.principal,
               .access_key_id = record.access_key_id,
               .secret_access_key = record.secret_access_key};
  c.attributes["role"] = record.roles;
  if (!record.reason.empty()) c.attributes["reason"] = record.reason;
  return c;
}

store::AccessKeyRecord RecordFromCredential(const Credential& credential) {
  store::AccessKeyRecord r{.principal = credential.principal,
                           .access_key_id = credential.access_key_id,
                           .secret_access_key = credential.secret_access_key};
  if (auto it = credential.attributes.find("role"); it != credential.attributes.end()) {
    r.roles = it->second;
  }
  if (auto it = credential.attributes.find("reason"); it != credential.attributes.end()) {
    r.reason = it->second;
  }
  r.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  return r;
}

StatusOr<std::unique_ptr<KeyRing>> KeyRing::Load(const std::string& path) {
  CANDOR_ASSIGN_OR_RETURN(auto keys, ReadKeys(path));
  return std::unique_ptr<KeyRing>(new KeyRing(path, nullptr, std::move(keys)));
}

StatusOr<std::unique_ptr<KeyRing>> KeyRing::OpenShared(const std::string& conninfo) {
  CANDOR_ASSIGN_OR_RETURN(auto shared, store::PgAccessKeys::Open(conninfo));
  CANDOR_ASSIGN_OR_RETURN(const int64_t version, shared->Version());
  CANDOR_ASSIGN_OR_RETURN(auto keys, ReadSharedKeys(*shared));
  std::unique_ptr<KeyRing> ring(new KeyRing("", std::move(shared), std::move(keys)));
  ring->version_ = version;
  ring->poller_ = std::thread([r = ring.get()] { r->Poll(); });
  return ring;
}

KeyRing::~KeyRing() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_wake_.notify_all();
  if (poller_.joinable()) poller_.join();
}

void KeyRing::Poll() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    stop_wake_.wait_for(lock, std::chrono::seconds(1));
    if (stopping_) return;
    lock.unlock();
    RefreshShared(false);
    lock.lock();
  }
}

void KeyRing::RefreshShared(bool wait) {
  std::unique_lock refresh(refresh_mu_, std::defer_lock);
  if (wait ? !refresh.try_lock_for(std::chrono::seconds(2)) : !refresh.try_lock()) {
    return;  // another thread is reading them
  }
  // The version before the keys: a change between the two reads is read
  // again next time, never missed.
  auto version = shared_->Version();
  Status read = version.status();
  if (read.ok() && *version == version_) {
    read_failing_ = false;
    return;
  }
  if (read.ok()) {
    auto keys = ReadSharedKeys(*shared_);
    if (keys.ok()) {
      version_ = *version;
      read_failing_ = false;
      std::lock_guard lock(mu_);
      keys_ = std::move(*keys);
      return;
    }
    read = keys.status();
  }
  // Once per outage, not once a second.
  if (!read_failing_) {
    std::fprintf(stderr, "candor: keeping the access keys last read: %s\n",
                 read.ToString().c_str());
  }
  read_failing_ = true;
}

std::shared_ptr<const KeySnapshot> KeyRing::CurrentFor(std::string_view access_key_id) {
  std::shared_ptr<const KeySnapshot> keys = Current();
  if (!shared_ || keys->store.Find(access_key_id) != nullptr) return keys;
  {
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    if (now - unknown_checked_ < std::chrono::milliseconds(250)) return keys_;
    unknown_checked_ = now;
  }
  RefreshShared(true);
  std::lock_guard lock(mu_);
  return keys_;
}

std::shared_ptr<const KeySnapshot> KeyRing::Current() {
  std::unique_lock lock(mu_);
  if (path_.empty() && !shared_) return keys_;
  const auto now = Clock::now();
  if (shared_) return keys_;  // the poller reads them (Poll)
  if (now - checked_ < std::chrono::seconds(1)) return keys_;
  checked_ = now;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return keys_;
  const auto stamp = std::make_pair(
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
      static_cast<int64_t>(st.st_size));
  if (stamp == stamp_) return keys_;
  stamp_ = stamp;
  lock.unlock();
  Status reloaded = Reload();
  if (!reloaded.ok()) {
    std::fprintf(stderr, "candor: keeping the previous keys: %s\n", reloaded.ToString().c_str());
  }
  lock.lock();
  return keys_;
}

Status KeyRing::Reload() {
  CANDOR_ASSIGN_OR_RETURN(auto keys, ReadKeys(path_));
  std::lock_guard lock(mu_);
  keys_ = std::move(keys);
  return Status::Ok();
}

StatusOr<nlohmann::json> KeyRing::Create(const nlohmann::json& body,
                                         const ServiceContext::KeyAdmin::Record& record) {
  const auto principal = body.find("Principal");
  const auto roles = body.find("Roles");
  if (principal == body.end() || !principal->is_string()) {
    return Status::InvalidArgument("Principal (a string) is required");
  }
  if (roles == body.end() || !roles->is_array() || roles->empty()) {
    return Status::InvalidArgument("Roles (a list of role names) is required");
  }
  std::string role_text;
  for (const auto& r : *roles) {
    if (!r.is_string()) return Status::Serialization("Roles must be strings");
    if (!role_text.empty()) role_text += ',';
    role_text += r.get<std::string>();
  }
  CANDOR_ASSIGN_OR_RETURN(auto parsed, policy::ParseRoles(role_text));
  Credential c = GenerateCredential(principal->get<std::string>());
  c.attributes["role"] = policy::RolesText(parsed);
  if (auto reason = body.find("Reason"); reason != body.end() && !reason->is_null()) {
    if (!reason->is_string()) return Status::Serialization("Reason must be a string");
    CANDOR_RETURN_IF_ERROR(ValidateReason(reason->get<std::string>()));
    if (!reason->get<std::string>().empty()) c.attributes["reason"] = reason->get<std::string>();
  }
  nlohmann::json role_list = nlohmann::json::array();
  for (policy::Role r : parsed) role_list.push_back(policy::RoleName(r));
  CANDOR_RETURN_IF_ERROR(record(
      {{"Principal", c.principal}, {"AccessKeyId", c.access_key_id}, {"Roles", role_list}}));
  if (shared_) {
    CANDOR_RETURN_IF_ERROR(ValidateCredential(c));
    CANDOR_RETURN_IF_ERROR(shared_->Insert(RecordFromCredential(c)));
    RefreshShared(true);
  } else {
    CANDOR_RETURN_IF_ERROR(AppendCredential(path_, c));
    CANDOR_RETURN_IF_ERROR(Reload());
  }
  return nlohmann::json{{"Principal", c.principal},
                        {"AccessKeyId", c.access_key_id},
                        {"SecretAccessKey", c.secret_access_key},
                        {"Roles", role_list}};
}

StatusOr<nlohmann::json> KeyRing::List() {
  if (shared_) RefreshShared(true);
  nlohmann::json keys = nlohmann::json::array();
  for (const Credential& c : Current()->store.credentials()) {
    nlohmann::json k = {{"Principal", c.principal}, {"AccessKeyId", c.access_key_id}};
    if (auto r = c.attributes.find("role"); r != c.attributes.end()) k["Roles"] = r->second;
    if (auto r = c.attributes.find("reason"); r != c.attributes.end()) k["Reason"] = r->second;
    keys.push_back(k);
  }
  return nlohmann::json{{"AccessKeys", keys}};
}

StatusOr<nlohmann::json> KeyRing::Delete(const nlohmann::json& body,
                                         const ServiceContext::KeyAdmin::Record& record) {
  const auto id = body.find("AccessKeyId");
  if (id == body.end() || !id->is_string()) {
    return Status::InvalidArgument("AccessKeyId (a string) is required");
  }
  if (shared_) RefreshShared(true);  // another node's key may be the one
  bool known = false;
  for (const Credential& c : Current()->store.credentials()) {
    known = known || c.access_key_id == id->get<std::string>();
  }
  if (!known) return Status::NotFound("no access key " + id->get<std::string>());
  CANDOR_RETURN_IF_ERROR(record({{"AccessKeyId", id->get<std::string>()}, {"Deleted", true}}));
  if (shared_) {
    CANDOR_RETURN_IF_ERROR(shared_->Delete(id->get<std::string>()));
    RefreshShared(true);
  } else {
    CANDOR_RETURN_IF_ERROR(RemoveCredential(path_, id->get<std::string>()));
    CANDOR_RETURN_IF_ERROR(Reload());
  }
  return nlohmann::json{{"AccessKeyId", id->get<std::string>()}, {"Deleted", true}};
}

}  // namespace candor::server
