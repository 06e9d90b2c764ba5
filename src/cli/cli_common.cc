#include "cli/cli_common.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace candor::cli {

StatusOr<std::unique_ptr<Engine>> MakeEngine(const GlobalOptions& global, EngineOptions options) {
  if (!global.model_dir.empty()) options.model_dir = global.model_dir;
  if (global.workers > 0) options.workers = global.workers;
  return Engine::Create(options);
}

StatusOr<std::vector<std::string>> ExpandImagePaths(const std::vector<std::string>& args) {
  namespace fs = std::filesystem;
  static const std::vector<std::string> kExtensions = {".jpg", ".jpeg", ".png", ".webp",
                                                       ".bmp", ".tif", ".tiff"};
  std::vector<std::string> out;
  for (const std::string& arg : args) {
    std::error_code ec;
    const fs::file_status st = fs::status(arg, ec);
    if (ec || !fs::exists(st)) return Status::NotFound("no such file or directory: " + arg);
    if (fs::is_directory(st)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(arg, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file()) continue;
        std::string ext = it->path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
        if (std::find(kExtensions.begin(), kExtensions.end(), ext) != kExtensions.end()) {
          found.push_back(it->path().string());
        }
      }
      if (ec) return Status::IOError("cannot walk " + arg + ": " + ec.message());
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(arg);
    }
  }
  return out;
}

StatusOr<std::string> ReadFileBytes(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) return Status::InvalidArgument(path + " is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  // Refuse before reading what the decoder would refuse anyway (5 MB limit),
  // with a margin so that the decoder names the error.
  const auto size = fs::file_size(path, ec);
  if (!ec && size > 64u * 1024 * 1024) {
    return Status::ImageTooLarge(path + " is " + std::to_string(size) + " bytes");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Fail(const Status& status) {
  std::fprintf(stderr, "candor: %s\n", status.ToString().c_str());
  return status.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

std::string DataDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* v = std::getenv("CANDOR_DATA"); v != nullptr && *v != '\0') return v;
  return CANDOR_DEFAULT_DATA_DIR;
}

}  // namespace candor::cli
