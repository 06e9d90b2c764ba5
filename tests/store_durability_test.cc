// kill -9 in the middle of writes, or a full disk, loses no committed face.
//
// A child process opens the store and writes in a loop: one face per
// InsertFaces call, and now and then a DeleteFaces of an earlier face (which
// also checkpoints the WAL). Through a pipe it reports each intent before the
// call ("i 12", "d 7") and each success after it ("I 12", "D 7"). The parent
// kills the child with SIGKILL after a random 20-200 ms (fixed seed), reopens
// the store, and checks:
//  - every face reported inserted (and not deleted) is there, every field and
//    every embedding byte exact;
//  - every face reported deleted is gone;
//  - nothing is there that was never attempted, and no row is half-written
//    (the store would report an embedding of the wrong size as Corruption).
//
// Then a full disk, simulated with SQLite's max_page_count and real on a
// small tmpfs: the failing insert is ResourceExhausted and changes nothing;
// every face committed before it is still there, also after reopening.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_store.h"
#include "store/store.h"
#include "test_support.h"

namespace candor::store {
namespace {

constexpr int kRounds = 30;
constexpr int kMinKillMs = 20;
constexpr int kMaxKillMs = 200;
// The child deletes face `n - kDeleteLag` after inserting every kDeleteEvery-th face.
constexpr int kDeleteEvery = 10;
constexpr int kDeleteLag = 5;

const CollectionRecord kCollection = {"c", "faceplugin-0.0.1", 1, 0, 0};

using TempDir = ::candor::testing::TempDir;

// Face number n: every field derived from n, so the parent knows what the
// child wrote without being told.
FaceRecord MakeFace(int64_t n) {
  FaceRecord face;
  char id[40];
  std::snprintf(id, sizeof(id), "0000d00d-0000-4000-8000-%012lld", static_cast<long long>(n));
  face.face_id = id;
  face.image_id = "image-" + std::to_string(n);
  face.external_image_id = "photo-" + std::to_string(n) + ".jpg";
  face.user_id = "user-" + std::to_string(n % 7);
  face.box = {0.25f, 0.125f, 0.5f + n * 1e-6f, 0.375f};
  face.confidence = 99.5f;
  face.face_model_version = "faceplugin-0.0.1";
  face.indexed_ms = 1700000000000 + n;
  std::mt19937 rng(static_cast<uint32_t>(n));
  std::normal_distribution<float> normal;
  face.embedding.resize(512);
  for (float& x : face.embedding) x = normal(rng);
  return face;
}

std::string Bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// The child: writes until killed. Never returns.
[[noreturn]] void WriteUntilKilled(const std::string& data_dir, int64_t first, int report_fd) {
  auto say = [&](const std::string& line) {
    const std::string text = line + "\n";  // < PIPE_BUF: written atomically
    if (::write(report_fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      ::_exit(4);
    }
  };
  auto store = Store::OpenSqlite(data_dir);
  if (!store.ok()) {
    say("E open: " + store.status().ToString());
    ::_exit(2);
  }
  for (int64_t n = first;; ++n) {
    std::vector<FaceRecord> one = {MakeFace(n)};
    say("i " + std::to_string(n));
    Status status = store.value()->InsertFaces("c", &one);
    if (!status.ok()) {
      say("E insert: " + status.ToString());
      ::_exit(3);
    }
    say("I " + std::to_string(n));
    if ((n - first) % kDeleteEvery == kDeleteEvery - 1) {
      const int64_t victim = n - kDeleteLag;
      say("d " + std::to_string(victim));
      auto deleted = store.value()->DeleteFaces("c", {MakeFace(victim).face_id});
      if (!deleted.ok() || deleted->size() != 1) {
        say("E delete: " + deleted.status().ToString());
        ::_exit(3);
      }
      say("D " + std::to_string(victim));
    }
  }
}

std::string ReadAll(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t got;
  while ((got = ::read(fd, buffer, sizeof(buffer))) > 0) text.append(buffer, got);
  return text;
}

TEST(StoreDurabilityTest, KillNineLosesNoCommittedFace) {
  TempDir dir;
  {
    auto store = Store::OpenSqlite(dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE(store.value()->CreateCollection(kCollection).ok());
  }
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> kill_after_ms(kMinKillMs, kMaxKillMs);
  // What the parent knows of each face number the child touched.
  enum class Known { kPresent, kAbsent, kInFlight };
  std::map<int64_t, Known> known;
  int64_t inserts = 0, deletes = 0, in_flight_committed = 0;
  const auto start = std::chrono::steady_clock::now();

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    const int64_t first = int64_t{round} * 1000000;
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(pipe_fds[0]);
      WriteUntilKilled(dir.path(), first, pipe_fds[1]);
    }
    ::close(pipe_fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms(rng)));
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    const std::string report = ReadAll(pipe_fds[0]);
    ::close(pipe_fds[0]);
    int wait_status = 0;
    ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGKILL)
        << "the child ended by itself; its report ends with: "
        << report.substr(report.size() > 200 ? report.size() - 200 : 0);

    std::istringstream lines(report);
    std::string line;
    while (std::getline(lines, line)) {
      ASSERT_GE(line.size(), 3u) << "torn report line: " << line;
      ASSERT_NE(line[0], 'E') << line;
      const int64_t n = std::stoll(line.substr(2));
      switch (line[0]) {
        case 'i':
        case 'd':
          known[n] = Known::kInFlight;
          break;
        case 'I':
          known[n] = Known::kPresent;
          ++inserts;
          break;
        case 'D':
          known[n] = Known::kAbsent;
          ++deletes;
          break;
        default:
          FAIL() << "unexpected report line: " << line;
      }
    }

    // Reopen (recovering the WAL) and read everything back.
    auto store = Store::OpenSqlite(dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    std::map<std::string, FaceRecord> stored;
    std::string after;
    for (;;) {
      // A half-written embedding would fail this with Corruption.
      auto page = store.value()->ListFaces("c", after, 500, /*with_embeddings=*/true);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      if (page->empty()) break;
      for (auto& f : *page) stored[f.face_id] = f;
      after = page->back().face_id;
    }

    int in_flight = 0;
    size_t accounted = 0;
    for (auto& [n, state] : known) {
      const FaceRecord expected = MakeFace(n);
      auto it = stored.find(expected.face_id);
      const bool present = it != stored.end();
      if (state == Known::kPresent) {
        ASSERT_TRUE(present) << "committed face " << n << " was lost";
      } else if (state == Known::kAbsent) {
        ASSERT_FALSE(present) << "deleted face " << n << " is back";
      }
      if (state == Known::kInFlight) {
        // The call the kill interrupted: either outcome is fine, but only
        // one call is ever in flight.
        ++in_flight;
        if (present) ++in_flight_committed;
        state = present ? Known::kPresent : Known::kAbsent;
      }
      if (!present) continue;
      ++accounted;
      const FaceRecord& f = it->second;
      EXPECT_GT(f.row_id, 0);
      EXPECT_EQ(f.image_id, expected.image_id);
      EXPECT_EQ(f.external_image_id, expected.external_image_id);
      EXPECT_EQ(f.user_id, expected.user_id);
      EXPECT_EQ(f.box.left, expected.box.left);
      EXPECT_EQ(f.box.top, expected.box.top);
      EXPECT_EQ(f.box.width, expected.box.width);
      EXPECT_EQ(f.box.height, expected.box.height);
      EXPECT_EQ(f.confidence, expected.confidence);
      EXPECT_EQ(f.face_model_version, expected.face_model_version);
      EXPECT_EQ(f.indexed_ms, expected.indexed_ms);
      ASSERT_EQ(Bytes(f.embedding), Bytes(expected.embedding)) << "embedding of face " << n;
    }
    EXPECT_LE(in_flight, 1);
    // Every stored face is one the child attempted.
    ASSERT_EQ(accounted, stored.size()) << "the store holds faces that were never written";
    ASSERT_FALSE(::testing::Test::HasFailure());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GT(inserts, 10 * kRounds) << "the child hardly wrote anything";
  std::cout << kRounds << " kills; " << inserts << " inserts and " << deletes
            << " deletes reported committed; " << in_flight_committed
            << " interrupted calls had committed; " << seconds << " s\n";
}

// ---------------------------------------------------------------------------
// A full disk: the failed call changes nothing, every earlier commit stays.

// Inserts one face per call until a call fails; returns the faces committed
// and sets `*failure`.
std::vector<FaceRecord> FillUntilFailure(Store* store, Status* failure) {
  std::vector<FaceRecord> committed;
  for (int n = 0; n < 20000; ++n) {
    std::vector<FaceRecord> one = {MakeFace(n)};
    *failure = store->InsertFaces("c", &one);
    if (!failure->ok()) return committed;
    committed.push_back(one[0]);
  }
  *failure = Status::Internal("the disk never filled up");
  return committed;
}

// Empty when every committed face is in the store, with its exact bytes.
std::string CheckAllPresent(Store* store, const std::vector<FaceRecord>& committed) {
  std::vector<FaceRecord> stored;
  Status status = store->ForEachFace("c", [&](const FaceRecord& f) { stored.push_back(f); });
  if (!status.ok()) return "ForEachFace: " + status.ToString();
  if (stored.size() != committed.size()) {
    return std::to_string(stored.size()) + " faces stored, " + std::to_string(committed.size()) +
           " committed";
  }
  for (size_t i = 0; i < stored.size(); ++i) {
    if (stored[i].face_id != committed[i].face_id || stored[i].row_id != committed[i].row_id ||
        Bytes(stored[i].embedding) != Bytes(committed[i].embedding)) {
      return "face " + committed[i].face_id + " differs";
    }
  }
  return "";
}

// SQLite's max_page_count caps the database as a full file system would, and
// fails the write with SQLITE_FULL as it does on ENOSPC.
TEST(StoreDiskFullTest, MaxPageCountFailsWithResourceExhausted) {
  TempDir dir;
  SqliteStoreOptions options;
  options.max_page_count_for_testing = 64;  // 1 MiB at 16 KiB pages
  std::vector<FaceRecord> committed;
  {
    auto store = OpenSqliteStore(dir.path(), options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE(store.value()->CreateCollection(kCollection).ok());
    Status failure;
    committed = FillUntilFailure(store.value().get(), &failure);
    EXPECT_EQ(failure.code(), StatusCode::kResourceExhausted) << failure.ToString();
    EXPECT_NE(failure.message().find("disk full"), std::string::npos) << failure.ToString();
    EXPECT_GT(committed.size(), 100u);
    std::vector<FaceRecord> batch = {MakeFace(30000), MakeFace(30001)};
    EXPECT_EQ(store.value()->InsertFaces("c", &batch).code(), StatusCode::kResourceExhausted);
    EXPECT_EQ(CheckAllPresent(store.value().get(), committed), "");
    // Reading and deleting still work on a full database.
    EXPECT_EQ(store.value()->DeleteFaces("c", {committed.back().face_id})->size(), 1u);
    committed.pop_back();
  }
  auto reopened = Store::OpenSqlite(dir.path());
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(CheckAllPresent(reopened.value().get(), committed), "");
  std::vector<FaceRecord> more = {MakeFace(40000)};
  EXPECT_TRUE(reopened.value()->InsertFaces("c", &more).ok());
}

// A real full file system: a 4 MiB tmpfs, mounted in a child process's own
// mount namespace (so nothing outside the child sees it, and it vanishes with
// the child). Needs CAP_SYS_ADMIN; skipped where that is not available.
TEST(StoreDiskFullTest, FullTmpfsFailsWithResourceExhausted) {
  TempDir dir;
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(report[0]);
    auto say = [&](const std::string& text) {
      (void)!::write(report[1], text.data(), text.size());
      ::_exit(0);
    };
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=4m,mode=0700") != 0) {
      say(std::string("SKIP: cannot mount a tmpfs: ") + std::strerror(errno));
    }
    const std::string data = dir.path() + "/data";
    std::vector<FaceRecord> committed;
    {
      auto store = Store::OpenSqlite(data);
      if (!store.ok()) say("open: " + store.status().ToString());
      if (!store.value()->CreateCollection(kCollection).ok()) say("create failed");
      Status failure;
      committed = FillUntilFailure(store.value().get(), &failure);
      if (failure.code() != StatusCode::kResourceExhausted ||
          failure.message().find("disk full") == std::string::npos) {
        say("expected disk full, got " + failure.ToString());
      }
      if (committed.size() < 5) say("only " + std::to_string(committed.size()) + " faces fit");
      const std::string check = CheckAllPresent(store.value().get(), committed);
      if (!check.empty()) say("before reopening: " + check);
    }
    auto store = Store::OpenSqlite(data);
    if (!store.ok()) say("reopen on the full disk: " + store.status().ToString());
    const std::string check = CheckAllPresent(store.value().get(), committed);
    say(check.empty() ? "OK " + std::to_string(committed.size()) : "after reopening: " + check);
  }
  ::close(report[1]);
  std::string text;
  char buffer[512];
  ssize_t got;
  while ((got = ::read(report[0], buffer, sizeof(buffer))) > 0) text.append(buffer, got);
  ::close(report[0]);
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFEXITED(wait_status)) << "the child died: " << text;
  if (text.rfind("SKIP", 0) == 0) GTEST_SKIP() << text;
  EXPECT_EQ(text.rfind("OK ", 0), 0u) << text;
  std::cout << "faces that fit on the 4 MiB tmpfs: " << text.substr(3) << "\n";
}

}  // namespace
}  // namespace candor::store
