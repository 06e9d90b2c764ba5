#include "eval/fairness.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "eval/utkface.h"
#include "index/dot_product.h"

namespace candor::eval {
namespace {

namespace fs = std::filesystem;

// Appends the embeddings with a face to `faces`, keeping `keep[i]` rows'
// labels through `on_row(i)`.
template <typename OnRow>
Status AddEmbeddings(const std::vector<ImageEmbedding>& embeddings, FaceSet* faces, OnRow on_row) {
  for (size_t i = 0; i < embeddings.size(); ++i) {
    if (!embeddings[i].has_face) continue;
    if (faces->dimension == 0) faces->dimension = embeddings[i].embedding.size();
    if (embeddings[i].embedding.size() != faces->dimension) {
      return Status::Internal("embeddings of different lengths in " + embeddings[i].path);
    }
    faces->vectors.insert(faces->vectors.end(), embeddings[i].embedding.begin(),
                          embeddings[i].embedding.end());
    faces->files.push_back(fs::path(embeddings[i].path).filename().string());
    on_row(i);
  }
  return Status::Ok();
}

// The rows of `faces` that `selection` admits (fold and age).
std::vector<size_t> SelectedRows(const FaceSet& faces, const PairSelection& selection) {
  std::vector<size_t> rows;
  for (size_t i = 0; i < faces.rows(); ++i) {
    if (selection.fold >= 0 && faces.fold[i] != selection.fold) continue;
    if (faces.age[i] >= 0 && faces.age[i] < selection.min_age) continue;
    rows.push_back(i);
  }
  return rows;
}

// Calls visit(a, b, cosine) for every pair a < b of `rows` (indices of faces).
template <typename Visit>
void ForEachPair(const FaceSet& faces, const std::vector<size_t>& rows, Visit visit) {
  const size_t n = rows.size(), dim = faces.dimension;
  if (n < 2) return;
  std::vector<float> packed(n * dim);
  for (size_t i = 0; i < n; ++i) {
    std::copy_n(faces.row(rows[i]), dim, packed.begin() + static_cast<std::ptrdiff_t>(i * dim));
  }
  const index::ScoreRowsF32Fn score_rows = index::BestKernels().score_rows_f32;
  std::vector<float> scores(n);
  for (size_t i = 0; i + 1 < n; ++i) {
    const size_t count = n - i - 1;
    score_rows(packed.data() + (i + 1) * dim, count, dim, packed.data() + i * dim, scores.data());
    for (size_t k = 0; k < count; ++k) visit(rows[i], rows[i + 1 + k], scores[k]);
  }
}

std::map<std::string, std::pair<std::string, std::string>> ReadGroupsTsv(const std::string& path,
                                                                         Status* status) {
  std::map<std::string, std::pair<std::string, std::string>> groups;
  std::ifstream in(path);
  if (!in) {
    *status = Status::NotFound("no LFW group labels at " + path);
    return groups;
  }
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string identity, group, gender;
    if (!std::getline(fields, identity, '\t') || !std::getline(fields, group, '\t') ||
        !std::getline(fields, gender, '\t')) {
      continue;
    }
    if (identity == "identity") continue;  // the header
    groups[identity] = {group, gender};
  }
  if (groups.empty()) *status = Status::InvalidArgument(path + " has no group labels");
  return groups;
}

}  // namespace

StatusOr<FaceSet> LoadLfwWithGroups(Engine& engine, const std::string& data_dir,
                                    const EmbedRunOptions& run) {
  const std::string root = data_dir + "/lfw";
  Status read_status;
  const auto labels = ReadGroupsTsv(root + "/groups.tsv", &read_status);
  CANDOR_RETURN_IF_ERROR(read_status);
  std::vector<int> identity;
  CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> paths, ListLfwImages(root, &identity));
  CANDOR_ASSIGN_OR_RETURN(std::vector<ImageEmbedding> embeddings, EmbedImages(engine, paths, run));
  FaceSet faces;
  faces.name = "LFW";
  faces.identities_known = true;
  faces.images = static_cast<int>(paths.size());
  faces.group_names = {"African", "Asian", "Caucasian", "Indian"};
  CANDOR_RETURN_IF_ERROR(AddEmbeddings(embeddings, &faces, [&](size_t i) {
    const std::string person = fs::path(paths[i]).parent_path().filename().string();
    int group = -1;
    if (auto it = labels.find(person); it != labels.end()) {
      auto g = std::find(faces.group_names.begin(), faces.group_names.end(), it->second.first);
      if (g != faces.group_names.end()) group = static_cast<int>(g - faces.group_names.begin());
    }
    faces.identity.push_back(identity[i]);
    faces.group.push_back(group);
    faces.age.push_back(-1);
    faces.fold.push_back(identity[i] % 2);  // by person: no one is in both folds
  }));
  return faces;
}

StatusOr<FaceSet> LoadUtkFaceWithGroups(Engine& engine, const std::string& data_dir,
                                        const EmbedRunOptions& run) {
  CANDOR_ASSIGN_OR_RETURN(std::vector<std::string> listed, ListUtkFaceImages(data_dir));
  std::vector<std::string> paths;
  std::vector<UtkFaceLabel> labels;
  for (const std::string& p : listed) {
    if (auto label = ParseUtkFaceFileName(fs::path(p).filename().string())) {
      paths.push_back(p);
      labels.push_back(*label);
    }
  }
  if (paths.empty()) return Status::NotFound("no labelled images in " + data_dir + "/utkface/images");
  CANDOR_ASSIGN_OR_RETURN(std::vector<ImageEmbedding> embeddings, EmbedImages(engine, paths, run));
  FaceSet faces;
  faces.name = "UTKFace";
  faces.images = static_cast<int>(paths.size());
  for (int g = 0; g < kUtkFaceGroups; ++g) faces.group_names.push_back(UtkFaceGroupName(g));
  CANDOR_RETURN_IF_ERROR(AddEmbeddings(embeddings, &faces, [&](size_t i) {
    faces.identity.push_back(static_cast<int>(i));
    faces.group.push_back(UtkFaceGroupIndex(labels[i]));
    faces.age.push_back(labels[i].age);
    faces.fold.push_back(static_cast<int>(i % 2));
  }));
  return faces;
}

std::vector<float> AllImpostorCosines(const FaceSet& faces, const PairSelection& selection) {
  std::vector<float> out;
  ForEachPair(faces, SelectedRows(faces, selection), [&](size_t a, size_t b, float cosine) {
    if (faces.identity[a] == faces.identity[b] || cosine > selection.duplicate_cosine) return;
    out.push_back(cosine);
  });
  return out;
}

std::vector<GroupImpostors> WithinGroupImpostors(const FaceSet& faces,
                                                 const PairSelection& selection) {
  std::vector<std::vector<size_t>> rows_of(faces.group_names.size());
  for (size_t r : SelectedRows(faces, selection)) {
    if (faces.group[r] >= 0) rows_of[static_cast<size_t>(faces.group[r])].push_back(r);
  }
  std::vector<GroupImpostors> out;
  for (size_t g = 0; g < rows_of.size(); ++g) {
    GroupImpostors group{faces.name + "/" + faces.group_names[g], {}};
    ForEachPair(faces, rows_of[g], [&](size_t a, size_t b, float cosine) {
      if (faces.identity[a] == faces.identity[b] || cosine > selection.duplicate_cosine) return;
      group.cosines.push_back(cosine);
    });
    out.push_back(std::move(group));
  }
  return out;
}

StatusOr<Calibration> FitShippedCalibration(const FaceSet& lfw, const FaceSet& utkface, int fold,
                                            Calibration::Metadata metadata) {
  PairSelection lfw_pairs;
  lfw_pairs.fold = fold;
  PairSelection utk_pairs;
  utk_pairs.fold = fold;
  utk_pairs.min_age = 18;
  utk_pairs.duplicate_cosine = 0.9f;
  std::vector<float> base = AllImpostorCosines(lfw, lfw_pairs);
  std::vector<GroupImpostors> groups = WithinGroupImpostors(lfw, lfw_pairs);
  for (GroupImpostors& g : WithinGroupImpostors(utkface, utk_pairs)) {
    if (!utkface.identities_known) g.min_expected_matches = kMinExpectedWithoutIdentities;
    groups.push_back(std::move(g));
  }
  metadata.method = kShippedCalibrationMethod;
  metadata.impostor_pairs = static_cast<long long>(base.size());
  for (const GroupImpostors& g : groups) metadata.impostor_pairs += static_cast<long long>(g.cosines.size());
  return FitWorstGroupCalibration(std::move(base), std::move(groups), WorstGroupOptions{},
                                  std::move(metadata));
}

void FairnessTable::Add(const FairnessTable& other) {
  if (groups.empty()) {
    *this = other;
    return;
  }
  for (size_t g = 0; g < groups.size() && g < other.groups.size(); ++g) {
    GroupRates& to = groups[g];
    const GroupRates& from = other.groups[g];
    to.impostor_pairs += from.impostor_pairs;
    to.likely_duplicates += from.likely_duplicates;
    to.genuine_pairs += from.genuine_pairs;
    for (size_t s = 0; s < to.false_matches.size(); ++s) {
      to.false_matches[s] += from.false_matches[s];
      to.false_non_matches[s] += from.false_non_matches[s];
    }
  }
}

FairnessTable MeasureGroups(const FaceSet& faces, const Calibration& calibration,
                            const std::vector<float>& similarities, const PairSelection& selection,
                            const std::string& dataset) {
  FairnessTable table;
  table.dataset = dataset;
  table.identities_known = faces.identities_known;
  table.similarities = similarities;
  std::vector<std::vector<size_t>> rows_of(faces.group_names.size());
  for (size_t r : SelectedRows(faces, selection)) {
    if (faces.group[r] >= 0) rows_of[static_cast<size_t>(faces.group[r])].push_back(r);
  }
  const size_t n = similarities.size();
  for (size_t g = 0; g < rows_of.size(); ++g) {
    GroupRates rates;
    rates.group = faces.group_names[g];
    rates.false_matches.assign(n, 0);
    rates.false_non_matches.assign(n, 0);
    ForEachPair(faces, rows_of[g], [&](size_t a, size_t b, float cosine) {
      const float similarity = calibration.Similarity(cosine);
      if (faces.identities_known && faces.identity[a] == faces.identity[b]) {
        ++rates.genuine_pairs;
        for (size_t s = 0; s < n; ++s) rates.false_non_matches[s] += similarity < similarities[s];
        return;
      }
      if (cosine > selection.duplicate_cosine) {
        ++rates.likely_duplicates;
        return;
      }
      ++rates.impostor_pairs;
      for (size_t s = 0; s < n; ++s) rates.false_matches[s] += similarity >= similarities[s];
    });
    table.groups.push_back(std::move(rates));
  }
  return table;
}

RateRatio CompareGroupRates(const FairnessTable& table, size_t s) {
  RateRatio out;
  const GroupRates* worst = nullptr;
  const GroupRates* best = nullptr;
  auto rate = [s](const GroupRates& g) {
    return static_cast<double>(g.false_matches[s]) / static_cast<double>(g.impostor_pairs);
  };
  for (const GroupRates& g : table.groups) {
    if (g.impostor_pairs == 0) continue;
    if (!worst || rate(g) > rate(*worst)) worst = &g;
    if (!best || rate(g) < rate(*best)) best = &g;
  }
  if (!worst) return out;
  out.worst_group = worst->group;
  out.best_group = best->group;
  out.worst_rate = rate(*worst);
  out.best_rate = rate(*best);
  if (out.best_rate > 0) {
    out.ratio = out.worst_rate / out.best_rate;
  } else if (out.worst_rate > 0) {
    out.ratio = std::numeric_limits<double>::infinity();
  }
  const ProportionInterval w = ClopperPearson(worst->false_matches[s], worst->impostor_pairs);
  const ProportionInterval b = ClopperPearson(best->false_matches[s], best->impostor_pairs);
  out.ratio_lower_bound = b.upper > 0 ? w.lower / b.upper : 0;
  return out;
}

StatusOr<FairnessReport> EvaluateFairness(Engine& engine, const std::string& data_dir,
                                          const EmbedRunOptions& lfw_run,
                                          const EmbedRunOptions& utkface_run,
                                          const FairnessOptions& options) {
  CANDOR_ASSIGN_OR_RETURN(FaceSet lfw, LoadLfwWithGroups(engine, data_dir, lfw_run));
  CANDOR_ASSIGN_OR_RETURN(FaceSet utk, LoadUtkFaceWithGroups(engine, data_dir, utkface_run));
  FairnessReport report;
  report.cross_fitted = options.cross_fit;
  report.lfw_images = lfw.images;
  report.lfw_faces = static_cast<int>(lfw.rows());
  report.utkface_images = utk.images;
  report.utkface_faces = static_cast<int>(utk.rows());
  report.calibration_method = engine.calibration().metadata().method;
  report.calibration_version =
      options.cross_fit ? "cross-fitted (2 folds)" : engine.calibration().version();

  const std::vector<float>& sims = options.similarities;
  PairSelection adults{-1, 18, 0.9f};
  PairSelection all_ages{-1, 0, 0.9f};
  PairSelection lfw_all;
  const std::string lfw_name = "LFW with groups.tsv (identities known)";
  const std::string adults_name = "UTKFace, 18 and over (no identities)";
  const std::string all_name = "UTKFace, all ages (no identities)";
  if (!options.cross_fit) {
    const Calibration& c = engine.calibration();
    report.tables.push_back(MeasureGroups(lfw, c, sims, lfw_all, lfw_name));
    report.tables.push_back(MeasureGroups(utk, c, sims, adults, adults_name));
    report.tables.push_back(MeasureGroups(utk, c, sims, all_ages, all_name));
    return report;
  }
  report.tables.resize(3);
  for (int fold = 0; fold < 2; ++fold) {
    Calibration::Metadata metadata;
    metadata.face_model_version = engine.face_model_version();
    metadata.method = report.calibration_method;
    CANDOR_ASSIGN_OR_RETURN(Calibration fitted, FitShippedCalibration(lfw, utk, 1 - fold, metadata));
    lfw_all.fold = adults.fold = all_ages.fold = fold;
    report.tables[0].Add(MeasureGroups(lfw, fitted, sims, lfw_all, lfw_name));
    report.tables[1].Add(MeasureGroups(utk, fitted, sims, adults, adults_name));
    report.tables[2].Add(MeasureGroups(utk, fitted, sims, all_ages, all_name));
  }
  return report;
}

}  // namespace candor::eval
