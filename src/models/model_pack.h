// The model pack: where the ONNX files are, and proof that they are the ones
// the project was measured with.
//
// A ModelPack is immutable after Load() and safe to share between threads.
#ifndef CANDOR_MODELS_MODEL_PACK_H_
#define CANDOR_MODELS_MODEL_PACK_H_

#include <map>
#include <string>

#include "candor/status.h"

namespace candor::models {

struct ModelFile {
  std::string role;    // "detect", "feature", ...
  std::string path;    // absolute path on disk
  std::string sha256;  // expected, lower-case hex
};

class ModelPack {
 public:
  // Reads `manifest_path` (models/manifest.json) and checks that every file it
  // names exists in `model_dir` with the right SHA-256. Nothing is loaded
  // half-way: the first missing or corrupt file fails the whole pack, with an
  // error that names the file and says how to fetch the pack.
  static StatusOr<ModelPack> Load(const std::string& manifest_path, const std::string& model_dir);

  // The FaceModelVersion string every stored vector carries.
  const std::string& face_model_version() const { return face_model_version_; }
  const std::string& model_dir() const { return model_dir_; }

  // The verified path of a role, or NotFound.
  StatusOr<std::string> PathOf(const std::string& role) const;

 private:
  std::string face_model_version_;
  std::string model_dir_;
  std::map<std::string, ModelFile> files_;
};

// SHA-256 of a file as lower-case hex (OpenSSL EVP), or IOError.
StatusOr<std::string> Sha256File(const std::string& path);

// How a user gets the pack, appended to every "missing or corrupt" error.
inline constexpr const char* kFetchHint =
    "run tools/fetch_models.sh (or the README's set-up command) to fetch and verify the model pack";

}  // namespace candor::models

#endif  // CANDOR_MODELS_MODEL_PACK_H_
