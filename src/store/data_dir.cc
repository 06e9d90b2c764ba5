#include "store/data_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
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

// Removes group and other permissions from `path` (a directory or regular
// file, not followed if a link) if it has any, saying so.
Status RestrictMode(const std::string& path, const struct stat& st) {
  if ((st.st_mode & 077) == 0) return Status::Ok();
  const mode_t wanted = S_ISDIR(st.st_mode) ? 0700 : 0600;
  if (::chmod(path.c_str(), wanted) != 0) {
    return ErrnoStatus(errno, "cannot restrict the mode of " + path);
  }
  std::fprintf(stderr, "candor: %s was mode %04o; made %04o (it holds biometric data)\n",
               path.c_str(), static_cast<unsigned>(st.st_mode & 07777),
               static_cast<unsigned>(wanted));
  return Status::Ok();
}

// The directory itself and everything below it.
Status MakePrivate(const std::string& dir) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) return ErrnoStatus(errno, "cannot access " + dir);
  CANDOR_RETURN_IF_ERROR(RestrictMode(dir, st));
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const std::string path = it->path().string();
    if (::lstat(path.c_str(), &st) != 0) continue;  // gone meanwhile
    if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) continue;  // links, sockets
    CANDOR_RETURN_IF_ERROR(RestrictMode(path, st));
  }
  if (ec) return ErrnoStatus(ec.value(), "cannot list " + dir);
  return Status::Ok();
}

}  // namespace

Status CreatePrivateFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::Ok();
    return ErrnoStatus(errno, "cannot create " + path);
  }
  ::close(fd);
  return Status::Ok();
}

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
    return MakePrivate(data_dir);
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
