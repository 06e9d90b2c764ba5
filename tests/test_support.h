// Helpers shared by the tests: where the shared data is, reading files.
#ifndef CANDOR_TESTS_TEST_SUPPORT_H_
#define CANDOR_TESTS_TEST_SUPPORT_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace candor::testing {

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

inline std::string LfwImage(const std::string& name, int index) {
  char number[8];
  std::snprintf(number, sizeof(number), "%04d", index);
  return DataDir() + "/lfw/images/" + name + "/" + name + "_" + number + ".jpg";
}

}  // namespace candor::testing

#endif  // CANDOR_TESTS_TEST_SUPPORT_H_
