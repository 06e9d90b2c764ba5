#include "eval/identify.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "embed/embedder.h"
#include "eval/utkface.h"

namespace candor::eval {

StatusOr<UtkFaceEmbeddings> EmbedUtkFace(Engine& engine, const std::string& data_dir,
                                         const EmbedRunOptions& lfw_options) {
  namespace fs = std::filesystem;
  UtkFaceEmbeddings out;
  CANDOR_ASSIGN_OR_RETURN(out.paths, ListUtkFaceImages(data_dir));
  EmbedRunOptions options = lfw_options;
  if (!options.cache_path.empty()) {
    options.cache_path = fs::path(lfw_options.cache_path).parent_path().string() + "/utkface.emb";
  }
  options.progress_label = "utkface";
  CANDOR_ASSIGN_OR_RETURN(out.embeddings, EmbedImages(engine, out.paths, options));
  for (const std::string& path : out.paths) {
    const std::optional<UtkFaceLabel> label =
        ParseUtkFaceFileName(fs::path(path).filename().string());
    out.group.push_back(label ? UtkFaceGroupIndex(*label) : kUtkFaceGroups);
  }
  return out;
}

StatusOr<IdentifyReport> EvaluateIdentification(Engine& engine, const std::string& data_dir,
                                                const EmbedRunOptions& options) {
  std::vector<int> identity;
  CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> lfw, ListLfwImages(data_dir + "/lfw", &identity));

  // Per LFW identity, its images in order.
  std::map<int, std::vector<size_t>> images_of;
  for (size_t i = 0; i < lfw.size(); ++i) images_of[identity[i]].push_back(i);

  EmbedRunOptions lfw_options = options;
  lfw_options.progress_label = "lfw";
  CANDOR_ASSIGN_OR_RETURN(auto lfw_embeddings, EmbedImages(engine, lfw, lfw_options));
  CANDOR_ASSIGN_OR_RETURN(UtkFaceEmbeddings utk, EmbedUtkFace(engine, data_dir, options));

  struct GalleryFace {
    const std::vector<float>* embedding;
    int lfw_identity;   // -1 for UTKFace
    std::string group;  // UTKFace only
  };
  std::vector<GalleryFace> gallery;
  std::vector<std::pair<const std::vector<float>*, int>> mated;  // (embedding, identity)
  std::vector<const std::vector<float>*> non_mated;
  IdentifyReport report;
  for (const auto& [person, images] : images_of) {
    if (images.size() >= 2) {
      const ImageEmbedding& enrol = lfw_embeddings[images[0]];
      const ImageEmbedding& probe = lfw_embeddings[images[1]];
      if (!enrol.has_face) continue;
      gallery.push_back({&enrol.embedding, person, ""});
      ++report.gallery_lfw;
      if (probe.has_face) mated.push_back({&probe.embedding, person});
    } else if (lfw_embeddings[images[0]].has_face) {
      non_mated.push_back(&lfw_embeddings[images[0]].embedding);
    }
  }
  for (size_t i = 0; i < utk.paths.size(); ++i) {
    if (!utk.embeddings[i].has_face) continue;
    const std::string group = UtkFaceGroupName(utk.group[i]);  // "unknown" past the last group
    gallery.push_back({&utk.embeddings[i].embedding, -1, group});
    ++report.gallery_utkface;
    ++report.gallery_by_group[group];
  }
  report.gallery_size = static_cast<int>(gallery.size());
  report.mated_probes = static_cast<int>(mated.size());
  report.non_mated_probes = static_cast<int>(non_mated.size());

  const Calibration& calibration = engine.calibration();
  for (float s : {80.f, 90.f, 95.f, 99.f}) {
    report.rows.push_back({s, FalseMatchRateAt(s), 0, 0, 0, {}});
  }
  std::vector<float> scores(gallery.size());
  for (const auto& [embedding, person] : mated) {
    for (size_t g = 0; g < gallery.size(); ++g) scores[g] = embed::Cosine(*embedding, *gallery[g].embedding);
    std::vector<size_t> order(gallery.size());
    for (size_t g = 0; g < order.size(); ++g) order[g] = g;
    std::partial_sort(order.begin(), order.begin() + 5, order.end(),
                      [&](size_t a, size_t b) { return scores[a] > scores[b]; });
    report.rank1 += gallery[order[0]].lfw_identity == person;
    for (int r = 0; r < 5; ++r) {
      if (gallery[order[r]].lfw_identity == person) {
        ++report.rank5;
        break;
      }
    }
    const float best_similarity = calibration.Similarity(scores[order[0]]);
    for (IdentifyThresholdRow& row : report.rows) {
      row.mated_hits += gallery[order[0]].lfw_identity == person && best_similarity >= row.similarity;
    }
  }
  for (const std::vector<float>* embedding : non_mated) {
    std::vector<int> matches(report.rows.size(), 0);
    for (const GalleryFace& g : gallery) {
      const float similarity = calibration.Similarity(embed::Cosine(*embedding, *g.embedding));
      for (size_t r = 0; r < report.rows.size(); ++r) {
        if (similarity < report.rows[r].similarity) continue;
        ++matches[r];
        ++report.rows[r].false_matches;
        if (g.lfw_identity < 0) ++report.rows[r].false_matches_by_group[g.group];
      }
    }
    for (size_t r = 0; r < report.rows.size(); ++r) report.rows[r].non_mated_with_match += matches[r] > 0;
  }
  return report;
}

}  // namespace candor::eval
