// Access keys of the principals allowed to call the service, read from a
// credentials file in the AWS CLI's INI format, one section per principal:
//
//   [alice]
//   aws_access_key_id = CKIA...
//   aws_secret_access_key = ...
//   role = operator            ; any other key is kept as an attribute
//
// `candor keys create` writes such a file (mode 0600) and prints the lines to
// give to `aws configure`.
//
// Thread safety: a loaded CredentialStore is immutable and may be shared.
#ifndef CANDOR_SERVER_CREDENTIALS_H_
#define CANDOR_SERVER_CREDENTIALS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "candor/status.h"

namespace candor::server {

struct Credential {
  std::string principal;  // the section name
  std::string access_key_id;
  std::string secret_access_key;
  std::map<std::string, std::string> attributes;  // other keys of the section
};

class CredentialStore {
 public:
  CredentialStore() = default;
  // Fails with a message naming the line of the first problem: a key outside
  // a section, a section without both keys, a duplicate principal or access
  // key id, an unreadable file. Warns nothing; the caller decides about file
  // permissions (see PermissionsTooOpen).
  static StatusOr<CredentialStore> Load(const std::string& path);
  static StatusOr<CredentialStore> Parse(std::string_view text);
  // The keys of the cluster's key ring (store/pg_keys.h): InvalidArgument for
  // an empty field or a duplicate principal or key id.
  static StatusOr<CredentialStore> FromCredentials(std::vector<Credential> credentials);

  // nullptr when the key is unknown. Constant time in the secret, not needed
  // in the id (ids are not secret).
  const Credential* Find(std::string_view access_key_id) const;
  const std::vector<Credential>& credentials() const { return credentials_; }
  bool empty() const { return credentials_.empty(); }

 private:
  std::vector<Credential> credentials_;
  std::map<std::string, size_t, std::less<>> by_key_id_;
};

// True when group or others may read the file.
bool PermissionsTooOpen(const std::string& path);

// A new key pair: an id "CKIA" + 16 characters of [A-Z2-7], a secret of 40
// characters of [A-Za-z0-9+/], both from OpenSSL's RAND_bytes.
Credential GenerateCredential(const std::string& principal);

// InvalidArgument for what a credentials file could not hold and read back
// as the same credential: a principal with brackets, line breaks, NUL or
// spaces at its ends; an id or secret with spaces or `;#=`; an attribute
// that is not a plain lower-case key with a one-line value.
Status ValidateCredential(const Credential& credential);

// Appends a section for `credential` to the file (created with mode 0600),
// refusing a principal or key id already in it.
Status AppendCredential(const std::string& path, const Credential& credential);

// Rewrites the file without the key (comments are not kept); NotFound when
// the key is not in it.
Status RemoveCredential(const std::string& path, const std::string& access_key_id);

}  // namespace candor::server

#endif  // CANDOR_SERVER_CREDENTIALS_H_
