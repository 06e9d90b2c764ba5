#include "server/key_ring.h"

#include <sys/stat.h>

#include <cstdio>

namespace candor::server {
namespace {

StatusOr<std::shared_ptr<const KeySnapshot>> ReadKeys(const std::string& path) {
  auto ring = std::make_shared<KeySnapshot>();
  if (path.empty()) return std::shared_ptr<const KeySnapshot>(ring);
  CANDOR_ASSIGN_OR_RETURN(ring->store, CredentialStore::Load(path));
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

}  // namespace

StatusOr<std::unique_ptr<KeyRing>> KeyRing::Load(const std::string& path) {
  CANDOR_ASSIGN_OR_RETURN(auto keys, ReadKeys(path));
  return std::unique_ptr<KeyRing>(new KeyRing(path, std::move(keys)));
}

std::shared_ptr<const KeySnapshot> KeyRing::Current() {
  std::unique_lock lock(mu_);
  if (path_.empty()) return keys_;
  const auto now = Clock::now();
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
  CANDOR_RETURN_IF_ERROR(AppendCredential(path_, c));
  CANDOR_RETURN_IF_ERROR(Reload());
  return nlohmann::json{{"Principal", c.principal},
                        {"AccessKeyId", c.access_key_id},
                        {"SecretAccessKey", c.secret_access_key},
                        {"Roles", role_list}};
}

StatusOr<nlohmann::json> KeyRing::List() {
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
  bool known = false;
  for (const Credential& c : Current()->store.credentials()) {
    known = known || c.access_key_id == id->get<std::string>();
  }
  if (!known) return Status::NotFound("no access key " + id->get<std::string>());
  CANDOR_RETURN_IF_ERROR(record({{"AccessKeyId", id->get<std::string>()}, {"Deleted", true}}));
  CANDOR_RETURN_IF_ERROR(RemoveCredential(path_, id->get<std::string>()));
  CANDOR_RETURN_IF_ERROR(Reload());
  return nlohmann::json{{"AccessKeyId", id->get<std::string>()}, {"Deleted", true}};
}

}  // namespace candor::server
