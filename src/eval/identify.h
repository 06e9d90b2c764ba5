// 1:N identification on the shared data: a gallery of enrolled faces, mated
// probes (another photo of an enrolled person) and non-mated probes (people
// who are not enrolled), scored by exact search over the embeddings.
//
// Gallery: the first LFW image of every LFW person with two or more images,
// plus every UTKFace image as distractors (UTKFace has no identities but
// race and gender labels, so false matches can be broken down by group).
// Mated probes: the second image of each enrolled LFW person. Non-mated
// probes: one image each of the LFW people with a single image, who are in
// neither part of the gallery. (UTKFace may contain some LFW people; that
// can only add false matches, never hide one.)
#ifndef CANDOR_EVAL_IDENTIFY_H_
#define CANDOR_EVAL_IDENTIFY_H_

#include <map>
#include <string>
#include <vector>

#include "candor/engine.h"
#include "eval/lfw.h"

namespace candor::eval {

struct IdentifyThresholdRow {
  float similarity = 0;
  double expected_fmr = 0;        // the calibration's rate at this similarity
  int mated_hits = 0;             // right person at rank 1 and at or above the threshold
  int non_mated_with_match = 0;   // non-mated probes with any match (FPIR numerator)
  int false_matches = 0;          // all matches of non-mated probes
  // False matches falling on UTKFace gallery faces, by "race/gender" label.
  std::map<std::string, int> false_matches_by_group;
};

struct IdentifyReport {
  int gallery_size = 0;
  int gallery_lfw = 0;
  int gallery_utkface = 0;
  int mated_probes = 0;
  int non_mated_probes = 0;
  int rank1 = 0;  // mated probes whose best gallery face is the right person
  int rank5 = 0;
  std::map<std::string, int> gallery_by_group;  // UTKFace composition
  std::vector<IdentifyThresholdRow> rows;        // Similarity 80, 90, 95, 99
};

// Every UTKFace image of <data_dir>/utkface/images embedded, for galleries of
// distractors (here and in `eval news`). The embeddings are cached in
// utkface.emb beside lfw_options.cache_path (the LFW cache), the file that
// `eval demographics` uses; no cache when that is empty.
struct UtkFaceEmbeddings {
  std::vector<std::string> paths;          // sorted
  std::vector<ImageEmbedding> embeddings;  // one per path; has_face false where none was found
  std::vector<int> group;  // UtkFaceGroupIndex, kUtkFaceGroups where the name does not parse
};
StatusOr<UtkFaceEmbeddings> EmbedUtkFace(Engine& engine, const std::string& data_dir,
                                         const EmbedRunOptions& lfw_options);

StatusOr<IdentifyReport> EvaluateIdentification(Engine& engine, const std::string& data_dir,
                                                const EmbedRunOptions& options);

}  // namespace candor::eval

#endif  // CANDOR_EVAL_IDENTIFY_H_
