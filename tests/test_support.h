// Helpers shared by the tests: where the shared data is, reading files.
#ifndef CANDOR_TESTS_TEST_SUPPORT_H_
#define CANDOR_TESTS_TEST_SUPPORT_H_

#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace candor::testing {

// A fresh directory under /tmp, removed with its contents at the end.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/candor-test-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    if (made == nullptr) std::abort();
    path_ = made;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// $CANDOR_DATA, else ../shared/data beside the source tree.
inline std::string DataDir() {
  if (const char* v = std::getenv("CANDOR_DATA"); v != nullptr && *v != '\0') return v;
  return CANDOR_DEFAULT_DATA_DIR;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The n-th photo (in name order) of a person in the shared LFW, which is a
// subset: photos are listed, never guessed. Empty when there is none.
inline std::string Lfw(const std::string& name, size_t n) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(DataDir() + "/lfw/images/" + name, ec)) {
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return n < files.size() ? files[n] : "";
}

inline std::string LfwImage(const std::string& name, int index) {
  char number[8];
  std::snprintf(number, sizeof(number), "%04d", index);
  return DataDir() + "/lfw/images/" + name + "/" + name + "_" + number + ".jpg";
}

// A copy of a JPEG with an APP1 Exif segment carrying `orientation` (1..8)
// inserted after SOI: a little-endian TIFF header and one IFD entry.
inline std::string WithExifOrientation(const std::string& jpeg, int orientation) {
  const std::string tiff = std::string("II\x2a\x00\x08\x00\x00\x00", 8) +
                           std::string("\x01\x00", 2) +                   // one entry
                           std::string("\x12\x01\x03\x00\x01\x00\x00\x00", 8) +  // 0x112 SHORT x1
                           std::string(1, static_cast<char>(orientation)) +
                           std::string("\x00\x00\x00", 3) + std::string(4, '\0');  // no next IFD
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const size_t length = payload.size() + 2;
  std::string segment = "\xff\xe1";
  segment += static_cast<char>(length >> 8);
  segment += static_cast<char>(length & 0xff);
  segment += payload;
  return jpeg.substr(0, 2) + segment + jpeg.substr(2);
}

}  // namespace candor::testing

#endif  // CANDOR_TESTS_TEST_SUPPORT_H_
