#include "store/data_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace candor::store {
namespace {

// The first 16 bytes of every SQLite 3 database file, NUL included
// (https://www.sqlite.org/fileformat.html#the_database_header).
constexpr char kSqliteHeaderMagic[] = "SQLite format 3";
// SQLite's header is 100 bytes; a shorter non-empty file is not a database.
constexpr size_t kSqliteHeaderBytes = 100;

Status ErrnoStatus(int error, const std::string& what) {
  const std::string detail = what + ": " + std::strerror(error);
  if (error == EACCES || error == EPERM || error == EROFS) return Status::PermissionDenied(detail);
  if (error == ENOSPC || error == EDQUOT) return Status::ResourceExhausted("disk full: " + detail);
  return Status::IOError(detail);
}

// The size of a file, -1 when it does not exist or cannot be read.
int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

}  // namespace

Status FsyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open directory " + dir);
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus(error, "cannot sync directory " + dir);
  return Status::Ok();
}

Status EnsureDataDirectory(const std::string& data_dir) {
  struct stat st;
  if (::stat(data_dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument(data_dir + " is not a directory");
    return Status::Ok();
  }
  if (errno != ENOENT) return ErrnoStatus(errno, "cannot access data directory " + data_dir);
  std::filesystem::path dir = std::filesystem::path(data_dir).lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // "a/b/" names "a/b"
  std::filesystem::path parent = dir.parent_path();
  if (parent.empty()) parent = ".";
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) return ErrnoStatus(ec.value(), "cannot create directory " + parent.string());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, "cannot create data directory " + data_dir);
  }
  // mkdir's mode is filtered by the umask; make sure of 0700.
  if (::chmod(dir.c_str(), 0700) != 0) {
    return ErrnoStatus(errno, "cannot set the mode of data directory " + data_dir);
  }
  return FsyncDirectory(parent.string());
}

Status CheckDatabaseFileHeader(const std::string& path, bool* is_new) {
  *is_new = false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      *is_new = true;
      return Status::Ok();
    }
    return ErrnoStatus(errno, "cannot open " + path);
  }
  struct stat st;
  char header[kSqliteHeaderBytes];
  ssize_t got = -1;
  int error = 0;
  if (::fstat(fd, &st) != 0) {
    error = errno;
  } else if (S_ISREG(st.st_mode) && st.st_size > 0) {
    got = ::pread(fd, header, sizeof(header), 0);
    if (got < 0) error = errno;
  }
  ::close(fd);
  if (error != 0) return ErrnoStatus(error, "cannot read " + path);
  if (!S_ISREG(st.st_mode)) return Status::Corruption(path + " is not a regular file");
  if (st.st_size == 0) {
    *is_new = true;  // SQLite's own empty database: nothing in it yet
    return Status::Ok();
  }
  const std::string unchanged = "; it was left unchanged";
  if (got < static_cast<ssize_t>(kSqliteHeaderBytes) ||
      std::memcmp(header, kSqliteHeaderMagic, sizeof(kSqliteHeaderMagic)) != 0) {
    return Status::Corruption(path + " is not a SQLite database (" + std::to_string(st.st_size) +
                              " bytes without the SQLite header)" + unchanged);
  }
  // Big-endian page size at offset 16; 1 stands for 65536.
  const auto* bytes = reinterpret_cast<const unsigned char*>(header);
  int64_t page_size = (bytes[16] << 8) | bytes[17];
  if (page_size == 1) page_size = 65536;
  if (page_size < 512 || (page_size & (page_size - 1)) != 0) {
    return Status::Corruption(path + " has an invalid page size " + std::to_string(page_size) +
                              unchanged);
  }
  // SQLite writes the database file in whole pages; a partial last page is
  // a truncated copy, which SQLite itself would read as zeros. Only checked
  // when no WAL or rollback journal might still complete the file.
  if (st.st_size % page_size != 0 && FileSize(path + "-wal") <= 0 &&
      FileSize(path + "-journal") <= 0) {
    return Status::Corruption(path + " is truncated: " + std::to_string(st.st_size) +
                              " bytes is not a whole number of " + std::to_string(page_size) +
                              "-byte pages" + unchanged);
  }
  return Status::Ok();
}

}  // namespace candor::store
