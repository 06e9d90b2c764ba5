#include "eval/lfw.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "core/parallel.h"
#include "core/progress.h"
#include "embed/embedder.h"
#include "eval/embedding_cache.h"

namespace candor::eval {
namespace {

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ParseIndex(const std::string& token, int* out) {
  if (token.empty() || token.size() > 6) return false;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
  }
  *out = std::stoi(token);
  return *out > 0;
}

// The face nearest the centre of the image, among those given.
const EmbeddedFace* CentralFace(const EmbedResult& result) {
  const EmbeddedFace* best = nullptr;
  float best_distance = 0;
  const float cx = result.image.width / 2.f, cy = result.image.height / 2.f;
  for (const EmbeddedFace& f : result.faces) {
    const float dx = f.face.box.left + f.face.box.width / 2 - cx;
    const float dy = f.face.box.top + f.face.box.height / 2 - cy;
    const float d = dx * dx + dy * dy;
    if (best == nullptr || d < best_distance) {
      best = &f;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace

StatusOr<std::vector<LfwPair>> ParseLfwPairs(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  int folds = 0, per_class = 0;
  if (!std::getline(in, line)) return Status::InvalidArgument("pairs.txt is empty");
  {
    std::istringstream header(line);
    if (!(header >> folds >> per_class) || folds < 1 || folds > 100 || per_class < 1 ||
        per_class > 100000) {
      return Status::InvalidArgument("pairs.txt header must be '<folds> <pairs per class>'");
    }
  }
  std::vector<LfwPair> pairs;
  int line_number = 1;
  for (int fold = 0; fold < folds; ++fold) {
    for (int k = 0; k < 2 * per_class; ++k) {
      ++line_number;
      if (!std::getline(in, line)) {
        return Status::InvalidArgument("pairs.txt ends early at line " + std::to_string(line_number));
      }
      std::istringstream fields(line);
      std::vector<std::string> t;
      for (std::string f; fields >> f;) t.push_back(f);
      LfwPair p;
      p.fold = fold;
      p.same = k < per_class;
      bool ok;
      if (p.same) {
        ok = t.size() == 3 && ParseIndex(t[1], &p.index1) && ParseIndex(t[2], &p.index2);
        if (ok) p.name1 = p.name2 = t[0];
      } else {
        ok = t.size() == 4 && ParseIndex(t[1], &p.index1) && ParseIndex(t[3], &p.index2);
        if (ok) {
          p.name1 = t[0];
          p.name2 = t[2];
        }
      }
      const auto bad_name = [](const std::string& n) {
        return n.empty() || n.find('/') != std::string::npos || n.find("..") != std::string::npos;
      };
      if (!ok || bad_name(p.name1) || bad_name(p.name2)) {
        return Status::InvalidArgument("pairs.txt line " + std::to_string(line_number) +
                                       " is malformed: '" + line.substr(0, 200) + "'");
      }
      pairs.push_back(std::move(p));
    }
  }
  return pairs;
}

std::string LfwImagePath(const std::string& root, const std::string& name, int index) {
  char number[16];
  std::snprintf(number, sizeof(number), "%04d", index);
  return root + "/images/" + name + "/" + name + "_" + number + ".jpg";
}

StatusOr<std::vector<ImageEmbedding>> EmbedImages(Engine& engine,
                                                  const std::vector<std::string>& paths,
                                                  const EmbedRunOptions& options) {
  const int threads =
      options.threads > 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  EmbeddingCache cache(options.cache_path, engine.embedding_fingerprint(), 512);
  std::vector<ImageEmbedding> out(paths.size());
  core::Progress progress(options.progress_label, paths.size());
  std::mutex error_mutex;
  Status first_error;
  core::ParallelFor(paths.size(), threads, [&](size_t i) {
    out[i].path = paths[i];
    auto bytes = ReadFile(paths[i]);
    if (!bytes.ok()) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (first_error.ok()) first_error = bytes.status();
      return;
    }
    const Digest digest = Sha256(*bytes);
    if (auto hit = cache.Lookup(digest)) {
      out[i].has_face = hit->has_face;
      out[i].embedding = std::move(hit->values);
    } else {
      auto result = engine.EmbedFaces(*bytes, 3);
      if (!result.ok()) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (first_error.ok()) first_error = Status(result.status().code(), paths[i] + ": " + result.status().message());
        return;
      }
      if (const EmbeddedFace* f = CentralFace(*result)) {
        out[i].has_face = true;
        out[i].embedding = f->embedding;
      }
      cache.Insert(digest, {out[i].has_face, out[i].embedding});
    }
    progress.Advance();
  });
  progress.Finish();
  CANDOR_RETURN_IF_ERROR(first_error);
  CANDOR_RETURN_IF_ERROR(cache.Save());
  return out;
}

StatusOr<std::vector<std::string>> LfwPairImages(const std::string& root) {
  CANDOR_ASSIGN_OR_RETURN(std::string text, ReadFile(root + "/pairs.txt"));
  CANDOR_ASSIGN_OR_RETURN(std::vector<LfwPair> pairs, ParseLfwPairs(text));
  std::set<std::string> seen;
  std::vector<std::string> paths;
  for (const LfwPair& p : pairs) {
    for (const std::string& path :
         {LfwImagePath(root, p.name1, p.index1), LfwImagePath(root, p.name2, p.index2)}) {
      if (seen.insert(path).second) paths.push_back(path);
    }
  }
  return paths;
}

StatusOr<LfwEvaluation> EvaluateLfw(Engine& engine, const std::string& root,
                                    const EmbedRunOptions& options) {
  CANDOR_ASSIGN_OR_RETURN(std::string text, ReadFile(root + "/pairs.txt"));
  CANDOR_ASSIGN_OR_RETURN(std::vector<LfwPair> pairs, ParseLfwPairs(text));
  CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> paths, LfwPairImages(root));
  std::map<std::string, size_t> index_of;
  for (size_t i = 0; i < paths.size(); ++i) index_of[paths[i]] = i;
  LfwEvaluation eval;
  const auto start = std::chrono::steady_clock::now();
  CANDOR_ASSIGN_OR_RETURN(std::vector<ImageEmbedding> embeddings, EmbedImages(engine, paths, options));
  eval.embed_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  eval.images = static_cast<int>(paths.size());
  for (const ImageEmbedding& e : embeddings) eval.images_without_face += !e.has_face;
  std::vector<float> genuine, impostor;
  for (const LfwPair& p : pairs) {
    const ImageEmbedding& a = embeddings[index_of[LfwImagePath(root, p.name1, p.index1)]];
    const ImageEmbedding& b = embeddings[index_of[LfwImagePath(root, p.name2, p.index2)]];
    float score = -1;  // a missing face counts against the system
    if (a.has_face && b.has_face) score = embed::Cosine(a.embedding, b.embedding);
    eval.scored.push_back({score, p.same, p.fold});
    (p.same ? genuine : impostor).push_back(score);
  }
  eval.pairs = static_cast<int>(pairs.size());
  eval.report = TenFold(eval.scored, 10);
  eval.tar_at_far_1e3 = TarAtFar(genuine, impostor, 1e-3);
  eval.tar_at_far_1e2 = TarAtFar(genuine, impostor, 1e-2);
  return eval;
}

StatusOr<std::vector<std::string>> ListLfwImages(const std::string& root,
                                                 std::vector<int>* identity) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> people;
  for (const auto& entry : fs::directory_iterator(root + "/images", ec)) {
    if (entry.is_directory()) people.push_back(entry.path().filename().string());
  }
  if (ec) return Status::NotFound("cannot list " + root + "/images: " + ec.message());
  std::sort(people.begin(), people.end());
  std::vector<std::string> paths;
  for (size_t person = 0; person < people.size(); ++person) {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(root + "/images/" + people[person], ec)) {
      if (entry.is_regular_file() && entry.path().extension() == ".jpg") {
        files.push_back(entry.path().string());
      }
    }
    std::sort(files.begin(), files.end());
    for (auto& f : files) {
      paths.push_back(std::move(f));
      if (identity) identity->push_back(static_cast<int>(person));
    }
  }
  return paths;
}

}  // namespace candor::eval
