#include "eval/utkface.h"

#include <algorithm>
#include <filesystem>

namespace candor::eval {
namespace {

// Reads digits up to the next '_' into *value; false unless 1..max_digits
// digits are followed by '_'. Advances *pos past the '_'.
bool ReadField(std::string_view name, size_t* pos, size_t max_digits, int* value) {
  size_t i = *pos;
  int v = 0;
  while (i < name.size() && name[i] >= '0' && name[i] <= '9') {
    if (i - *pos >= max_digits) return false;
    v = v * 10 + (name[i] - '0');
    ++i;
  }
  if (i == *pos || i >= name.size() || name[i] != '_') return false;
  *value = v;
  *pos = i + 1;
  return true;
}

}  // namespace

std::optional<UtkFaceLabel> ParseUtkFaceFileName(std::string_view file_name) {
  UtkFaceLabel label;
  size_t pos = 0;
  if (!ReadField(file_name, &pos, 3, &label.age) || !ReadField(file_name, &pos, 1, &label.gender) ||
      !ReadField(file_name, &pos, 1, &label.race)) {
    return std::nullopt;
  }
  if (label.age > 150 || label.gender >= kUtkFaceGenders || label.race >= kUtkFaceRaces) {
    return std::nullopt;
  }
  return label;
}

int UtkFaceGroupIndex(const UtkFaceLabel& label) {
  return label.race * kUtkFaceGenders + label.gender;
}

std::string UtkFaceGroupName(int group_index) {
  static const char* const kRace[kUtkFaceRaces] = {"White", "Black", "Asian", "Indian", "Others"};
  if (group_index < 0 || group_index >= kUtkFaceGroups) return "unknown";
  return std::string(kRace[group_index / kUtkFaceGenders]) + "/" +
         (group_index % kUtkFaceGenders == 0 ? "Male" : "Female");
}

std::string UtkFaceGroup(const std::string& file_name) {
  const std::optional<UtkFaceLabel> label = ParseUtkFaceFileName(file_name);
  return label ? UtkFaceGroupName(UtkFaceGroupIndex(*label)) : "unknown";
}

StatusOr<std::vector<std::string>> ListUtkFaceImages(const std::string& data_dir) {
  namespace fs = std::filesystem;
  const std::string dir = data_dir + "/utkface/images";
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) paths.push_back(entry.path().string());
  }
  if (ec) return Status::NotFound("cannot list " + dir + ": " + ec.message());
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace candor::eval
