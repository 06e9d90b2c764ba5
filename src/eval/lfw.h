// Labeled Faces in the Wild: the standard 10-fold verification protocol
// (pairs.txt), and embeddings of every LFW image for calibration.
#ifndef CANDOR_EVAL_LFW_H_
#define CANDOR_EVAL_LFW_H_

#include <string>
#include <vector>

#include "candor/engine.h"
#include "candor/status.h"
#include "eval/metrics.h"

namespace candor::eval {

struct LfwPair {
  std::string name1;
  int index1 = 0;
  std::string name2;
  int index2 = 0;
  bool same = false;
  int fold = 0;
};

// Parses pairs.txt: a header "folds pairs_per_class", then per fold that many
// "name i j" lines (same person) followed by as many "name1 i name2 j" lines.
// Any deviation is InvalidArgument naming the line.
StatusOr<std::vector<LfwPair>> ParseLfwPairs(const std::string& text);

// <root>/images/<name>/<name>_<NNNN>.jpg
std::string LfwImagePath(const std::string& root, const std::string& name, int index);

struct EmbedRunOptions {
  int threads = 0;             // 0: hardware threads
  std::string cache_path;      // empty: no cache
  std::string progress_label = "embedding";
};

// One embedding per image: of the face nearest the image centre among the
// three largest (LFW images are centred on their subject). Images where no
// face is found have has_face == false. Unreadable files are an error.
struct ImageEmbedding {
  std::string path;
  bool has_face = false;
  std::vector<float> embedding;
};
StatusOr<std::vector<ImageEmbedding>> EmbedImages(Engine& engine,
                                                  const std::vector<std::string>& paths,
                                                  const EmbedRunOptions& options);

struct LfwEvaluation {
  VerificationReport report;
  double tar_at_far_1e3 = 0;
  double tar_at_far_1e2 = 0;
  int images = 0;
  int images_without_face = 0;
  int pairs = 0;
  double embed_seconds = 0;
  std::vector<ScoredPair> scored;  // pairs with a missing face score -1
};

StatusOr<LfwEvaluation> EvaluateLfw(Engine& engine, const std::string& lfw_root,
                                    const EmbedRunOptions& options);

// The images of pairs.txt, each once, in the order pairs.txt names them
// first (what EvaluateLfw embeds).
StatusOr<std::vector<std::string>> LfwPairImages(const std::string& lfw_root);

// Every image of the LFW folder, and the identity (folder) of each.
StatusOr<std::vector<std::string>> ListLfwImages(const std::string& lfw_root,
                                                 std::vector<int>* identity);

}  // namespace candor::eval

#endif  // CANDOR_EVAL_LFW_H_
