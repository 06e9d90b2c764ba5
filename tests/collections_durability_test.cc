// Nothing acknowledged is lost: a child process runs IndexFaces in a loop and
// reports every FaceId it was given; the parent kills it with SIGKILL at
// random moments, reopens the collection, and checks that every reported face
// is there, searchable, and that no half-written face exists. Then searches
// run concurrently with indexing and must only ever see committed faces.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "candor/collections.h"
#include "eval/lfw.h"
#include "test_support.h"

namespace candor {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> SomeLfwImages(size_t n) {
  auto paths = eval::ListLfwImages(testing::DataDir() + "/lfw", nullptr);
  std::vector<std::string> out;
  for (size_t i = 0; paths.ok() && i < paths->size() && out.size() < n; i += 37) {
    out.push_back((*paths)[i]);
  }
  return out;
}

// prefix + number (written this way: GCC 12 warns falsely on "x" + to_string).
std::string ExternalId(const char* prefix, size_t n) {
  std::string id(prefix);
  id += std::to_string(n);
  return id;
}

// The child: index images forever, writing "<face_id>\n" after each
// acknowledged IndexFaces; "ready\n" once the engine is loaded.
[[noreturn]] void IndexForever(const std::string& dir, const std::vector<std::string>& images,
                               int fd, int start) {
  auto engine = Engine::Create({.workers = 1});
  if (!engine.ok()) _exit(2);
  auto collections = Collections::Open(engine->get(), {.data_dir = dir});
  if (!collections.ok()) _exit(3);
  (void)!write(fd, "ready\n", 6);
  for (size_t i = start;; ++i) {
    const std::string& path = images[i % images.size()];
    auto r = (*collections)->IndexFaces({.collection_id = "durable",
                                         .image_bytes = testing::ReadFile(path),
                                         .external_image_id = ExternalId("img", i % images.size()),
                                         .max_faces = 1,
                                         .quality_filter = QualityFilter::kNone});
    if (!r.ok()) _exit(4);
    for (const IndexedFace& f : r->face_records) {
      const std::string line = f.face.face_id + "\n";
      (void)!write(fd, line.data(), line.size());
    }
  }
}

TEST(CollectionsDurabilityTest, KilledIndexingLosesNothingAcknowledged) {
  testing::TempDir temp_dir;
  const std::string& dir = temp_dir.path();
  const std::vector<std::string> images = SomeLfwImages(60);
  ASSERT_EQ(images.size(), 60u);
  {
    // Create the collection without an engine in this process: the parent
    // must not start OpenCV's threads before it forks.
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto engine = Engine::Create({.workers = 1});
      auto c = Collections::Open(engine->get(), {.data_dir = dir});
      _exit(c.ok() && (*c)->CreateCollection("durable").ok() ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::mt19937 rng(20261123);
  std::vector<std::string> acknowledged;
  constexpr int kRounds = 8;
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      IndexForever(dir, images, fds[1], round * 7);
    }
    close(fds[1]);
    FILE* in = fdopen(fds[0], "r");
    char line[128];
    ASSERT_NE(fgets(line, sizeof(line), in), nullptr);  // "ready"
    // Kill at a random moment while faces are being written.
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + rng() % 900));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status)) << "the child stopped by itself in round " << round;
    // Everything the child reported before it died was acknowledged.
    while (fgets(line, sizeof(line), in) != nullptr) {
      std::string id(line);
      if (!id.empty() && id.back() == '\n') id.pop_back();
      if (id.size() == 36) acknowledged.push_back(id);
    }
    fclose(in);
  }
  ASSERT_GT(acknowledged.size(), 10u) << "too few faces were indexed to test anything";

  auto engine = Engine::Create({.workers = 1});
  ASSERT_TRUE(engine.ok());
  auto collections = Collections::Open(engine->get(), {.data_dir = dir});
  ASSERT_TRUE(collections.ok()) << collections.status().ToString();
  std::set<std::string> stored;
  for (std::string token;;) {
    auto page = (*collections)->ListFaces("durable", token, 4096);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const StoredFace& f : page->faces) {
      stored.insert(f.face_id);
      // No half-written face: every field that IndexFaces sets is set.
      EXPECT_EQ(f.image_id.size(), 36u);
      EXPECT_FALSE(f.external_image_id.empty());
      EXPECT_GT(f.box.width, 0.f);
      EXPECT_GT(f.confidence, 0.f);
      EXPECT_GT(f.indexed_ms, 0);
    }
    token = page->next_token;
    if (token.empty()) break;
  }
  for (const std::string& id : acknowledged) EXPECT_TRUE(stored.count(id)) << "lost " << id;
  // Each acknowledged face is searchable: SearchFaces by its id finds the
  // copies of the same image indexed in other rounds, and the index holds
  // exactly what the store holds.
  auto r = (*collections)->SearchFaces({.collection_id = "durable", .max_faces = 4096},
                                       acknowledged.front());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->faces_searched + 1, static_cast<int64_t>(stored.size()));
  std::printf("%zu faces acknowledged over %d kills, %zu stored\n", acknowledged.size(), kRounds,
              stored.size());
  collections->reset();
}

TEST(CollectionsDurabilityTest, SearchesDuringIndexingSeeOnlyCommittedFaces) {
  testing::TempDir temp_dir;
  const std::string& dir = temp_dir.path();
  auto engine = Engine::Create({.workers = 2});
  ASSERT_TRUE(engine.ok());
  auto c = Collections::Open(engine->get(), {.data_dir = dir});
  ASSERT_TRUE(c.ok());
  Collections& collections = **c;
  ASSERT_TRUE(collections.CreateCollection("live").ok());
  const std::vector<std::string> images = SomeLfwImages(24);
  const std::string probe = testing::ReadFile(images[0]);
  std::atomic<bool> done{false};
  std::atomic<int> searches{0}, bad{0};
  std::thread searcher([&] {
    int64_t last_searched = 0;
    while (!done) {
      auto r = collections.SearchFacesByImage({.collection_id = "live", .face_match_threshold = 0,
                                               .max_faces = 4096},
                                              probe);
      if (!r.ok()) {
        ++bad;
        continue;
      }
      // The collection only grows: a later search never sees fewer faces,
      // and every match is a face the store can return.
      if (r->faces_searched < last_searched) ++bad;
      last_searched = r->faces_searched;
      if (static_cast<int64_t>(r->matches.size()) > r->faces_searched) ++bad;
      ++searches;
    }
  });
  for (size_t i = 0; i < images.size(); ++i) {
    auto r = collections.IndexFaces({.collection_id = "live", .image_bytes = testing::ReadFile(images[i]),
                                     .external_image_id = ExternalId("i", i), .max_faces = 1,
                                     .quality_filter = QualityFilter::kNone});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  done = true;
  searcher.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(searches.load(), 3);
  auto final_search = collections.SearchFacesByImage(
      {.collection_id = "live", .face_match_threshold = 0, .max_faces = 4096}, probe);
  ASSERT_TRUE(final_search.ok());
  EXPECT_EQ(final_search->faces_searched, 24);
  EXPECT_EQ(final_search->matches.size(), 24u);
  c->reset();
}

}  // namespace
}  // namespace candor
