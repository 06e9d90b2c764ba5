// candor keys ...: access keys of the principals allowed to call the service,
// kept in a credentials file (src/server/credentials.h).
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "policy/roles.h"
#include "server/credentials.h"
#include "server/operations.h"
#include "store/data_dir.h"

namespace candor::cli {
namespace {

struct KeysArgs {
  std::string credentials_path;
  std::string principal;
  std::string role;
  std::string reason;
  std::string access_key_id;
};

int RunCreate(const KeysArgs& args) {
  auto roles = policy::ParseRoles(args.role);
  if (!roles.ok()) return Fail(roles.status());
  server::Credential credential = server::GenerateCredential(args.principal);
  credential.attributes["role"] = policy::RolesText(*roles);
  if (!args.reason.empty()) {
    const Status valid = server::ValidateReason(args.reason);
    if (!valid.ok()) return Fail(valid);
    credential.attributes["reason"] = args.reason;
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

int RunList(const KeysArgs& args) {
  auto store = server::CredentialStore::Load(args.credentials_path);
  if (!store.ok()) return Fail(store.status());
  if (server::PermissionsTooOpen(args.credentials_path)) {
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
  const Status removed = server::RemoveCredential(args.credentials_path, args.access_key_id);
  if (!removed.ok()) return Fail(removed);
  std::fprintf(stderr,
               "candor: removed %s from %s (a running service forgets it at its next key change "
               "through the API, or at restart)\n",
               args.access_key_id.c_str(), args.credentials_path.c_str());
  return 0;
}

}  // namespace

void RegisterKeys(CLI::App& app, const GlobalOptions& global, int* exit_code) {
  auto args = std::make_shared<KeysArgs>();
  CLI::App* cmd = app.add_subcommand("keys", "access keys of the service's principals");
  cmd->require_subcommand(1);

  CLI::App* create = cmd->add_subcommand(
      "create", "generate a key pair for a principal and append it to the credentials file");
  create
      ->add_option("--credentials", args->credentials_path,
                   "credentials file (created with mode 0600 if missing)")
      ->required();
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
  list->add_option("--credentials", args->credentials_path, "credentials file")->required();
  list->callback([args, exit_code] { *exit_code = RunList(*args); });

  CLI::App* remove = cmd->add_subcommand("delete", "remove an access key from the file");
  remove->add_option("--credentials", args->credentials_path, "credentials file")->required();
  remove->add_option("access_key_id", args->access_key_id, "the key's id")->required();
  remove->callback([args, exit_code] { *exit_code = RunDelete(*args); });
}

}  // namespace candor::cli
