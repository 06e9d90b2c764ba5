#include "server/credentials.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

namespace candor::server {
namespace {

constexpr std::string_view kAccessKeyIdKey = "aws_access_key_id";
constexpr std::string_view kSecretKey = "aws_secret_access_key";

// Generated ids: "CKIA" (Candor's counterpart of AWS's "AKIA") and 16
// characters of the RFC 4648 base32 alphabet, as AWS ids use.
constexpr std::string_view kKeyIdPrefix = "CKIA";
constexpr size_t kKeyIdRandomChars = 16;
constexpr std::string_view kKeyIdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
// Secrets: 40 characters of the base64 alphabet, as AWS secrets are.
constexpr size_t kSecretChars = 40;
constexpr std::string_view kSecretAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Removes an inline comment: ';' or '#' at the start of a word (preceded by
// whitespace), as in "role = operator   ; a note". Secrets never contain
// either character, and one glued to a value is kept as part of it.
std::string_view StripInlineComment(std::string_view s) {
  for (size_t i = 1; i < s.size(); ++i) {
    if ((s[i] == ';' || s[i] == '#') && IsSpace(s[i - 1])) return s.substr(0, i);
  }
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Status LineError(int line, const std::string& what) {
  return Status::InvalidArgument("credentials line " + std::to_string(line) + ": " + what);
}

// A principal name or attribute as it can be written back to the file.
bool HasLineBreakOrNul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

std::string RandomString(size_t length, std::string_view alphabet) {
  // The alphabets have 32 and 64 characters, divisors of 256: taking a byte
  // modulo the size is unbiased.
  std::string bytes(length, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(length)) != 1) {
    // Without a working CSPRNG no key can be issued safely; this is a broken
    // environment, not bad input.
    std::fprintf(stderr, "candor: OpenSSL RAND_bytes failed\n");
    std::abort();
  }
  std::string out(length, '\0');
  for (size_t i = 0; i < length; ++i) {
    out[i] = alphabet[static_cast<unsigned char>(bytes[i]) % alphabet.size()];
  }
  return out;
}

Status ReadAll(int fd, const std::string& path, std::string* out) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) return Status::Ok();
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
    }
    out->append(buffer, static_cast<size_t>(n));
  }
}

Status WriteAll(int fd, const std::string& path, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("cannot write " + path + ": " + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<CredentialStore> CredentialStore::Parse(std::string_view text) {
  CredentialStore store;
  std::set<std::string, std::less<>> principals;
  // The section being read and the line of its header, for messages.
  std::optional<Credential> current;
  int current_line = 0;
  std::set<std::string> current_keys;

  auto finish_section = [&]() -> Status {
    if (!current) return Status::Ok();
    if (current->access_key_id.empty() || current->secret_access_key.empty()) {
      return LineError(current_line, "section [" + current->principal + "] needs both " +
                                         std::string(kAccessKeyIdKey) + " and " +
                                         std::string(kSecretKey));
    }
    store.by_key_id_.emplace(current->access_key_id, store.credentials_.size());
    store.credentials_.push_back(std::move(*current));
    current.reset();
    return Status::Ok();
  };

  int line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_number;
    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.find('\0') != std::string_view::npos) return LineError(line_number, "NUL byte");

    if (line.front() == '[') {
      const std::string_view header = Trim(StripInlineComment(line));
      if (header.back() != ']') return LineError(line_number, "section header without ']'");
      const std::string_view name = Trim(header.substr(1, header.size() - 2));
      if (name.empty()) return LineError(line_number, "empty section name");
      CANDOR_RETURN_IF_ERROR(finish_section());
      if (principals.count(name)) {
        return LineError(line_number, "duplicate principal [" + std::string(name) + "]");
      }
      principals.emplace(name);
      current = Credential{.principal = std::string(name)};
      current_line = line_number;
      current_keys.clear();
      continue;
    }

    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) return LineError(line_number, "expected key = value");
    const std::string key = Lower(Trim(line.substr(0, eq)));
    const std::string value(Trim(StripInlineComment(Trim(line.substr(eq + 1)))));
    if (key.empty()) return LineError(line_number, "empty key");
    if (!current) return LineError(line_number, "key '" + key + "' outside a [principal] section");
    if (!current_keys.insert(key).second) {
      return LineError(line_number, "duplicate key '" + key + "' in [" + current->principal + "]");
    }
    if (value.empty()) return LineError(line_number, "empty value for '" + key + "'");
    if (key == kAccessKeyIdKey) {
      if (store.by_key_id_.count(value)) {
        return LineError(line_number, "duplicate access key id " + value);
      }
      current->access_key_id = value;
    } else if (key == kSecretKey) {
      current->secret_access_key = value;
    } else {
      current->attributes[key] = value;
    }
  }
  CANDOR_RETURN_IF_ERROR(finish_section());
  return store;
}

StatusOr<CredentialStore> CredentialStore::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open credentials file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError("cannot read credentials file " + path);
  auto store = Parse(text.str());
  if (!store.ok()) return Status(store.status().code(), path + ": " + store.status().message());
  return store;
}

StatusOr<CredentialStore> CredentialStore::FromCredentials(std::vector<Credential> credentials) {
  CredentialStore store;
  std::set<std::string, std::less<>> principals;
  for (Credential& c : credentials) {
    if (c.principal.empty() || c.access_key_id.empty() || c.secret_access_key.empty()) {
      return Status::InvalidArgument("a key without principal, id or secret");
    }
    if (!principals.insert(c.principal).second) {
      return Status::InvalidArgument("duplicate principal [" + c.principal + "]");
    }
    if (!store.by_key_id_.emplace(c.access_key_id, store.credentials_.size()).second) {
      return Status::InvalidArgument("duplicate access key id " + c.access_key_id);
    }
    store.credentials_.push_back(std::move(c));
  }
  return store;
}

const Credential* CredentialStore::Find(std::string_view access_key_id) const {
  auto it = by_key_id_.find(access_key_id);
  return it == by_key_id_.end() ? nullptr : &credentials_[it->second];
}

bool PermissionsTooOpen(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return false;
  return (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
}

Credential GenerateCredential(const std::string& principal) {
  Credential c;
  c.principal = principal;
  c.access_key_id = std::string(kKeyIdPrefix) + RandomString(kKeyIdRandomChars, kKeyIdAlphabet);
  c.secret_access_key = RandomString(kSecretChars, kSecretAlphabet);
  return c;
}

namespace {

// The credentials file opened, locked (flock, until destruction), read and
// parsed: the start of every change to it.
struct LockedFile {
  int fd = -1;
  std::string text;
  CredentialStore store;

  Status Open(const std::string& path, int flags) {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
    if (fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX) != 0) {
      return Status::IOError("cannot lock " + path + ": " + std::strerror(errno));
    }
    CANDOR_RETURN_IF_ERROR(ReadAll(fd, path, &text));
    auto parsed = CredentialStore::Parse(text);
    if (!parsed.ok()) return Status(parsed.status().code(), path + ": " + parsed.status().message());
    store = std::move(parsed).value();
    return Status::Ok();
  }
  ~LockedFile() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Status ValidateCredential(const Credential& credential) {
  const std::string_view principal = credential.principal;
  if (principal.empty() || Trim(principal) != principal || HasLineBreakOrNul(principal) ||
      principal.find_first_of("[]") != std::string_view::npos) {
    return Status::InvalidArgument("invalid principal name '" + credential.principal + "'");
  }
  auto plain = [](std::string_view v) {
    return !v.empty() && Trim(v) == v && !HasLineBreakOrNul(v) &&
           v.find_first_of(";#= \t") == std::string_view::npos;
  };
  if (!plain(credential.access_key_id) || !plain(credential.secret_access_key)) {
    return Status::InvalidArgument("invalid access key id or secret");
  }
  for (const auto& [key, value] : credential.attributes) {
    if (!plain(key) || Lower(key) != key || key == kAccessKeyIdKey || key == kSecretKey ||
        value.empty() || Trim(value) != value || HasLineBreakOrNul(value) ||
        value.find_first_of(";#") != std::string::npos) {
      return Status::InvalidArgument("invalid attribute '" + key + "'");
    }
  }
  return Status::Ok();
}

Status AppendCredential(const std::string& path, const Credential& credential) {
  // Refuse what could not be read back as the same credential.
  CANDOR_RETURN_IF_ERROR(ValidateCredential(credential));

  // Two `candor keys create` at once must not interleave their sections or
  // both pass the duplicate check.
  LockedFile file;
  CANDOR_RETURN_IF_ERROR(file.Open(path, O_RDWR | O_CREAT));
  const int fd = file.fd;
  const std::string& existing = file.text;
  const CredentialStore* store = &file.store;
  for (const Credential& c : store->credentials()) {
    if (c.principal == credential.principal) {
      return Status::AlreadyExists("principal [" + c.principal + "] is already in " + path);
    }
  }
  if (store->Find(credential.access_key_id) != nullptr) {
    return Status::AlreadyExists("access key id " + credential.access_key_id + " is already in " +
                                 path);
  }

  std::string section;
  if (!existing.empty()) section += existing.back() == '\n' ? "\n" : "\n\n";
  section += "[" + credential.principal + "]\n";
  section += std::string(kAccessKeyIdKey) + " = " + credential.access_key_id + "\n";
  section += std::string(kSecretKey) + " = " + credential.secret_access_key + "\n";
  for (const auto& [key, value] : credential.attributes) section += key + " = " + value + "\n";
  if (::lseek(fd, 0, SEEK_END) < 0) {
    return Status::IOError("cannot seek " + path + ": " + std::strerror(errno));
  }
  CANDOR_RETURN_IF_ERROR(WriteAll(fd, path, section));
  if (::fsync(fd) != 0) return Status::IOError("cannot sync " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

Status RemoveCredential(const std::string& path, const std::string& access_key_id) {
  LockedFile file;
  CANDOR_RETURN_IF_ERROR(file.Open(path, O_RDWR));
  const CredentialStore* store = &file.store;
  if (store->Find(access_key_id) == nullptr) {
    return Status::NotFound("access key id " + access_key_id + " is not in " + path);
  }
  // Rewritten without the key (comments are not kept), then renamed over the
  // file, so that a crash leaves either the old file or the new one.
  std::string text = "# Candor access keys (rewritten by candor when a key was deleted)\n";
  for (const Credential& c : store->credentials()) {
    if (c.access_key_id == access_key_id) continue;
    text += "\n[" + c.principal + "]\n";
    text += std::string(kAccessKeyIdKey) + " = " + c.access_key_id + "\n";
    text += std::string(kSecretKey) + " = " + c.secret_access_key + "\n";
    for (const auto& [key, value] : c.attributes) text += key + " = " + value + "\n";
  }
  const std::string tmp = path + ".tmp";
  const int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) return Status::IOError("cannot write " + tmp + ": " + std::strerror(errno));
  Status written = WriteAll(out, tmp, text);
  const bool synced = ::fsync(out) == 0;
  ::close(out);
  if (!written.ok()) return written;
  if (!synced) return Status::IOError("cannot sync " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot replace " + path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace candor::server
