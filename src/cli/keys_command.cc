// candor keys ...: access keys of the principals allowed to call the service,
// kept in a credentials file (src/server/credentials.h), or with --store in a
// cluster's PostgreSQL database (src/store/pg_keys.h), where every node of
// the cluster reads them.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "policy/roles.h"
#include "server/credentials.h"
#include "server/key_ring.h"
#include "server/operations.h"
#include "store/data_dir.h"
#include "store/pg_keys.h"

namespace candor::cli {
namespace {

struct KeysArgs {
  std::string credentials_path;
  std::string store;  // a cluster's database instead of the file
  std::string principal;
  std::string role;
  std::string reason;
  std::string access_key_id;
};

// Exactly one of --credentials and --store (CLI11 refuses both).
bool HasKeyPlace(const KeysArgs& args) {
  if (!args.credentials_path.empty() || !args.store.empty()) return true;
  (void)Fail(Status::InvalidArgument("where are the keys? --credentials FILE or --store URI"));
  return false;
}

int RunCreate(const KeysArgs& args) {
  if (!HasKeyPlace(args)) return 2;
  auto roles = policy::ParseRoles(args.role);
  if (!roles.ok()) return Fail(roles.status());
  server::Credential credential = server::GenerateCredential(args.principal);
  credential.attributes["role"] = policy::RolesText(*roles);
  if (!args.reason.empty()) {
    const Status valid = server::ValidateReason(args.reason);
    if (!valid.ok()) return Fail(valid);
    credential.attributes["reason"] = args.reason;
  }
  if (!args.store.empty()) {
    credential.attributes["role"] = policy::RolesText(*roles);
    const Status valid = server::ValidateCredential(credential);
    if (!valid.ok()) return Fail(valid);
    auto keys = store::PgAccessKeys::Open(args.store);
    if (!keys.ok()) return Fail(keys.status());
    const Status added = (*keys)->Insert(server::RecordFromCredential(credential));
    if (!added.ok()) return Fail(added);
    std::printf("aws_access_key_id = %s\naws_secret_access_key = %s\n",
                credential.access_key_id.c_str(), credential.secret_access_key.c_str());
    std::fprintf(stderr,
                 "candor: added [%s] to the cluster's database (every node reads it within a "
                 "second); give these two lines to `aws configure` (the secret is not shown "
                 "again)\n",
                 credential.principal.c_str());
    return 0;
  }
  // A credentials file in a folder that does not exist yet: the folder is
  // made, private (an existing one is left as it is).
  const std::filesystem::path folder = std::filesystem::path(args.credentials_path).parent_path();
  if (!folder.empty() && !std::filesystem::exists(folder)) {
    const Status made = store::EnsureDataDirectory(folder.string());
    if (!made.ok()) return Fail(made);
  }
  const Status appended = server::AppendCredential(args.credentials_path, credential);
  if (!appended.ok()) return Fail(appended);
  // Exactly the lines of ~/.aws/credentials, so they can be pasted there.
  std::printf("aws_access_key_id = %s\naws_secret_access_key = %s\n",
              credential.access_key_id.c_str(), credential.secret_access_key.c_str());
  std::fprintf(stderr,
               "candor: added [%s] to %s; give these two lines to `aws configure` (the secret is "
               "not shown again)\n",
               credential.principal.c_str(), args.credentials_path.c_str());
  return 0;
}

// The keys of the cluster's database, as a CredentialStore.
StatusOr<server::CredentialStore> LoadShared(const std::string& uri) {
  CANDOR_ASSIGN_OR_RETURN(auto keys, store::PgAccessKeys::Open(uri));
  CANDOR_ASSIGN_OR_RETURN(std::vector<store::AccessKeyRecord> records, keys->List());
  std::vector<server::Credential> credentials;
  for (const auto& r : records) credentials.push_back(server::CredentialFromRecord(r));
  return server::CredentialStore::FromCredentials(std::move(credentials));
}

int RunList(const KeysArgs& args) {
  if (!HasKeyPlace(args)) return 2;
  auto store = args.store.empty() ? server::CredentialStore::Load(args.credentials_path)
                                  : LoadShared(args.store);
  if (!store.ok()) return Fail(store.status());
  if (args.store.empty() && server::PermissionsTooOpen(args.credentials_path)) {
    std::fprintf(stderr, "candor: warning: %s is readable by group or others (chmod 600 it)\n",
                 args.credentials_path.c_str());
  }
  // Never the secrets.
  for (const server::Credential& c : store->credentials()) {
    auto role = c.attributes.find("role");
    auto reason = c.attributes.find("reason");
    std::printf("%s %s roles=%s%s%s\n", c.principal.c_str(), c.access_key_id.c_str(),
                role == c.attributes.end() ? "(none)" : role->second.c_str(),
                reason == c.attributes.end() ? "" : " reason=",
                reason == c.attributes.end() ? "" : reason->second.c_str());
  }
  return 0;
}

int RunDelete(const KeysArgs& args) {
  if (!HasKeyPlace(args)) return 2;
  if (!args.store.empty()) {
    auto keys = store::PgAccessKeys::Open(args.store);
    if (!keys.ok()) return Fail(keys.status());
    const Status removed = (*keys)->Delete(args.access_key_id);
    if (!removed.ok()) return Fail(removed);
    std::fprintf(stderr,
                 "candor: removed %s from the cluster's database (every node refuses it within "
                 "a second)\n",
                 args.access_key_id.c_str());
    return 0;
  }
  const Status removed = server::RemoveCredential(args.credentials_path, args.access_key_id);
  if (!removed.ok()) return Fail(removed);
  std::fprintf(stderr,
               "candor: removed %s from %s (a running service forgets it at its next key change "
               "through the API, or at restart)\n",
               args.access_key_id.c_str(), args.credentials_path.c_str());
  return 0;
}

// Copies the keys of a credentials file into a cluster's database, once (a
// node with --store reads no file): keys already there, by id, are kept.
int RunImport(const KeysArgs& args) {
  auto file = server::CredentialStore::Load(args.credentials_path);
  if (!file.ok()) return Fail(file.status());
  auto keys = store::PgAccessKeys::Open(args.store);
  if (!keys.ok()) return Fail(keys.status());
  auto existing = (*keys)->List();
  if (!existing.ok()) return Fail(existing.status());
  int added = 0, kept = 0;
  for (const server::Credential& c : file->credentials()) {
    bool present = false;
    for (const auto& r : *existing) present = present || r.access_key_id == c.access_key_id;
    if (present) {
      ++kept;
      continue;
    }
    auto role = c.attributes.find("role");
    if (role == c.attributes.end()) {
      return Fail(Status::InvalidArgument(args.credentials_path + ": principal [" + c.principal +
                                          "] has no role; nothing after it was imported"));
    }
    auto roles = policy::ParseRoles(role->second);
    if (!roles.ok()) return Fail(roles.status());
    Status valid = server::ValidateCredential(c);
    if (valid.ok()) valid = (*keys)->Insert(server::RecordFromCredential(c));
    if (!valid.ok()) {
      return Fail(Status(valid.code(), "[" + c.principal + "]: " + valid.message() +
                                           " (" + std::to_string(added) +
                                           " keys imported before it)"));
    }
    ++added;
  }
  std::fprintf(stderr, "candor: imported %d keys from %s (%d were there already)\n", added,
               args.credentials_path.c_str(), kept);
  return 0;
}

}  // namespace

void RegisterKeys(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<KeysArgs>();
  CLI::App* cmd = app.add_subcommand("keys", "access keys of the service's principals");
  cmd->require_subcommand(1);

  CLI::App* create = cmd->add_subcommand(
      "create", "generate a key pair for a principal and append it to the credentials file");
  const char* kStoreHelp =
      "a cluster's PostgreSQL database (postgresql://USER@HOST:PORT/DB, as `candor serve "
      "--store`) instead of a file";
  CLI::Option* create_file = create->add_option(
      "--credentials", args->credentials_path,
      "credentials file (created with mode 0600 if missing)");
  create->add_option("--store", args->store, kStoreHelp)->excludes(create_file);
  create->add_option("--principal", args->principal, "name of the principal (the section)")
      ->required();
  create
      ->add_option("--role", args->role,
                   "roles, comma-separated: admin, enroller, searcher, analyst, auditor")
      ->required();
  create->add_option("--reason", args->reason,
                     "bind the key to one case: every request it signs carries this reason");
  create->callback([args, exit_code] { *exit_code = RunCreate(*args); });

  CLI::App* list = cmd->add_subcommand("list", "principals and access key ids (never secrets)");
  CLI::Option* list_file = list->add_option("--credentials", args->credentials_path,
                                            "credentials file");
  list->add_option("--store", args->store, kStoreHelp)->excludes(list_file);
  list->callback([args, exit_code] { *exit_code = RunList(*args); });

  CLI::App* remove = cmd->add_subcommand("delete", "remove an access key from the file");
  CLI::Option* remove_file = remove->add_option("--credentials", args->credentials_path,
                                                "credentials file");
  remove->add_option("--store", args->store, kStoreHelp)->excludes(remove_file);
  remove->add_option("access_key_id", args->access_key_id, "the key's id")->required();
  remove->callback([args, exit_code] { *exit_code = RunDelete(*args); });

  CLI::App* import = cmd->add_subcommand(
      "import", "copy a credentials file's keys into a cluster's database (once, before its "
                "nodes start with --store)");
  import->add_option("--credentials", args->credentials_path, "credentials file")->required();
  import->add_option("--store", args->store, kStoreHelp)->required();
  import->callback([args, exit_code] { *exit_code = RunImport(*args); });
}

}  // namespace candor::cli
