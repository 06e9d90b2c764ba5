// candor keys ...: access keys of the principals allowed to call the service,
// kept in a credentials file (src/server/credentials.h).
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "server/credentials.h"

namespace candor::cli {
namespace {

struct KeysArgs {
  std::string credentials_path;
  std::string principal;
  std::string role;
};

int RunCreate(const KeysArgs& args) {
  server::Credential credential = server::GenerateCredential(args.principal);
  if (!args.role.empty()) credential.attributes["role"] = args.role;
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
    std::printf("%s %s\n", c.principal.c_str(), c.access_key_id.c_str());
  }
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
  create->add_option("--role", args->role, "stored as the principal's `role` attribute");
  create->callback([args, exit_code] { *exit_code = RunCreate(*args); });

  CLI::App* list = cmd->add_subcommand("list", "principals and access key ids (never secrets)");
  list->add_option("--credentials", args->credentials_path, "credentials file")->required();
  list->callback([args, exit_code] { *exit_code = RunList(*args); });
}

}  // namespace candor::cli
