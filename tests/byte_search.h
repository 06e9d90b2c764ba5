// Searching files' bytes for a stored vector, for the erasure tests
// (erasure_test.cc on the SQLite store's data directory, erasure_pg_test.cc
// on a PostgreSQL database's files).
#ifndef CANDOR_TESTS_BYTE_SEARCH_H_
#define CANDOR_TESTS_BYTE_SEARCH_H_

#include <cstddef>
#include <map>
#include <set>
#include <string>

namespace candor::testing {

// An erased vector is looked for by every aligned piece of this many bytes,
// so a remnant of a partly overwritten row counts as found.
inline constexpr size_t kErasurePiece = 32;

// Where any aligned kErasurePiece-byte piece of `vector_bytes` is among
// `files` (name -> bytes), as "name@offset", the first found in each file.
inline std::set<std::string> FilesWithAnyPiece(const std::map<std::string, std::string>& files,
                                               const std::string& vector_bytes) {
  std::set<std::string> where;
  for (const auto& [name, bytes] : files) {
    for (size_t at = 0; at + kErasurePiece <= vector_bytes.size(); at += kErasurePiece) {
      const size_t found = bytes.find(vector_bytes.substr(at, kErasurePiece));
      if (found != std::string::npos) {
        where.insert(name + "@" + std::to_string(found));
        break;
      }
    }
  }
  return where;
}

// "a, b, c", or "nowhere".
inline std::string JoinPlaces(const std::set<std::string>& places) {
  std::string joined;
  for (const std::string& p : places) joined += (joined.empty() ? "" : ", ") + p;
  return joined.empty() ? "nowhere" : joined;
}

}  // namespace candor::testing

#endif  // CANDOR_TESTS_BYTE_SEARCH_H_
