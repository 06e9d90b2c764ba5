#include "models/model_pack.h"

#include <openssl/evp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

namespace candor::models {

StatusOr<std::string> Sha256File(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return Status::IOError("cannot open " + path);
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) {
    return Status::Internal("OpenSSL SHA-256 init failed");
  }
  std::vector<unsigned char> buffer(1 << 16);
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
    EVP_DigestUpdate(ctx.get(), buffer.data(), n);
  }
  if (std::ferror(file.get())) return Status::IOError("read error on " + path);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

StatusOr<ModelPack> ModelPack::Load(const std::string& manifest_path,
                                    const std::string& model_dir) {
  std::ifstream in(manifest_path);
  if (!in) return Status::NotFound("model manifest not found: " + manifest_path);
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("model manifest " + manifest_path + " is not valid JSON: " + e.what());
  }
  ModelPack pack;
  pack.model_dir_ = model_dir;
  try {
    pack.face_model_version_ = manifest.at("face_model_version").get<std::string>();
    for (const auto& [role, entry] : manifest.at("models").items()) {
      ModelFile file;
      file.role = role;
      file.path = (std::filesystem::path(model_dir) / entry.at("file").get<std::string>()).string();
      file.sha256 = entry.at("sha256").get<std::string>();
      pack.files_[role] = file;
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption("model manifest " + manifest_path + " is malformed: " + e.what());
  }
  for (const auto& [role, file] : pack.files_) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file.path, ec)) {
      return Status::NotFound("model file for '" + role + "' is missing: " + file.path + "; " +
                              kFetchHint);
    }
    CANDOR_ASSIGN_OR_RETURN(std::string actual, Sha256File(file.path));
    if (actual != file.sha256) {
      return Status::Corruption("model file " + file.path + " is corrupt: SHA-256 " + actual +
                                ", expected " + file.sha256 + "; " + kFetchHint);
    }
  }
  return pack;
}

StatusOr<std::string> ModelPack::PathOf(const std::string& role) const {
  auto it = files_.find(role);
  if (it == files_.end()) return Status::NotFound("no model for role '" + role + "' in the pack");
  return it->second.path;
}

}  // namespace candor::models
