// UTKFace on the shared data: listing the images and reading the labels that
// its file names carry (age_gender_race_date.jpg.chip.jpg).
//
// UTKFace has no identities, only these labels, so it serves as a pool of
// impostors (and distractors) that can be broken down by race and gender.
// The labels are the data set's, assigned by its authors; "Others" is a
// catch-all of several populations, not one group.
//
// Thread safety: pure functions.
#ifndef CANDOR_EVAL_UTKFACE_H_
#define CANDOR_EVAL_UTKFACE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "candor/status.h"

namespace candor::eval {

// The labels of one UTKFace image. Codes as documented by the data set
// (https://susanqq.github.io/UTKFace/): gender 0 male, 1 female; race
// 0 White, 1 Black, 2 Asian, 3 Indian, 4 Others.
struct UtkFaceLabel {
  int age = 0;     // years, 0..150
  int gender = 0;  // 0..1
  int race = 0;    // 0..4
};

inline constexpr int kUtkFaceGenders = 2;
inline constexpr int kUtkFaceRaces = 5;
// race x gender groups, indexed by UtkFaceGroupIndex.
inline constexpr int kUtkFaceGroups = kUtkFaceRaces * kUtkFaceGenders;

// Parses the file name (no directory) "age_gender_race_..." strictly: age is
// 1 to 3 digits, gender and race one digit each in range, and each is
// followed by '_'. Anything else (missing fields, signs, spaces, overflow)
// is nullopt; the date after the third '_' is not read.
std::optional<UtkFaceLabel> ParseUtkFaceFileName(std::string_view file_name);

// race * 2 + gender: White/Male 0, White/Female 1, Black/Male 2, ...
int UtkFaceGroupIndex(const UtkFaceLabel& label);
// "White/Male" etc. for a group index in [0, kUtkFaceGroups).
std::string UtkFaceGroupName(int group_index);

// "White/Male" etc. from a file name; "unknown" when the name does not parse.
std::string UtkFaceGroup(const std::string& file_name);

// Every regular file of <data_dir>/utkface/images, as full paths, sorted.
StatusOr<std::vector<std::string>> ListUtkFaceImages(const std::string& data_dir);

}  // namespace candor::eval

#endif  // CANDOR_EVAL_UTKFACE_H_
