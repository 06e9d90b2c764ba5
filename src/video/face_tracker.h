// Associates the faces of successive analysed frames into tracks (one
// person's appearance), and says which faces are worth an embedding.
//
// A face joins the live track whose last box overlaps it most (IoU at least
// kMinIoU; greedy, best pairs first). A face that joins no track is embedded;
// if the embedding is close to that of a track lost in the last kReviveMs
// (cosine at least `revive_cosine`, a false-match rate of about 1e-5), the
// track continues under its old index (a person who turned away or was
// hidden for a moment); otherwise a new track starts. A track is embedded
// again when a face clearly better than its best one appears (quality score
// kBetterBy times higher, at most once per kReembedMs), so that a search is
// made with the best view of the person, not the first. The first
// kTemplateFaces faces of a track (at least kTemplateSpacingMs apart) are
// all embedded, and a track is searched with the mean of its embeddings (a
// template): for the small, blurred faces of video, one view is often too
// little (measured on the Hamilton clip: a 25-pixel face scores Similarity
// 31 against its enrolment photo alone; see tests/video_test.cc).
//
// Overlap alone would carry a track across a cut to whoever stands where
// the last face was (on the Hamilton clip, a face of the audience took over
// Lin-Manuel Miranda's track). So a face joined by overlap is embedded and
// checked against its track's template at a scene change (the caller says
// when) and at least once every kVerifyMs; one that fails the check
// (cosine below `split_cosine`) leaves the track: Split() places it as
// Resolve() would, never back in the track it failed.
//
// Not safe for concurrent use.
#ifndef CANDOR_VIDEO_FACE_TRACKER_H_
#define CANDOR_VIDEO_FACE_TRACKER_H_

#include <cstdint>
#include <vector>

#include "candor/types.h"

namespace candor::video {

// How good a face is for recognition, 0..1: detector confidence, size (up
// to 112 pixels high, the embedder's input), frontal pose, sharpness.
float RecognitionQuality(const Face& face);

class FaceTracker {
 public:
  static constexpr float kMinIoU = 0.3f;
  static constexpr int64_t kLostAfterMs = 1000;  // unseen this long: lost
  static constexpr int64_t kReviveMs = 5000;     // lost tracks searched for a returning face
  static constexpr float kBetterBy = 1.25f;
  static constexpr int64_t kReembedMs = 1000;
  static constexpr int kTemplateFaces = 5;
  static constexpr int64_t kTemplateSpacingMs = 100;
  static constexpr int64_t kVerifyMs = 1000;

  FaceTracker(float revive_cosine, float split_cosine)
      : revive_cosine_(revive_cosine), split_cosine_(split_cosine) {}

  // What to do with each face of a frame, in the order of `faces`.
  struct Assignment {
    int64_t track_index = -1;  // -1: embed the face, then call Resolve
    bool embed = false;        // embed it (and search with it)
    bool verify = false;       // embed it and check it with Verify first
  };
  // `scene_change`: the frame differs from the last one analysed enough to
  // be a cut; every face joined by overlap is then verified.
  std::vector<Assignment> Assign(const std::vector<Face>& faces, int64_t timestamp_ms,
                                 bool scene_change = false);

  // Whether an embedded face joined to `track_index` by overlap is the same
  // person as the track's template.
  bool Verify(int64_t track_index, const std::vector<float>& embedding);

  // For a face Assign could not place: its embedding decides between a lost
  // track and a new one.
  struct Resolution {
    int64_t track_index = -1;
    bool search = false;  // the track's template changed enough to search again
  };
  Resolution Resolve(const Face& face, const std::vector<float>& embedding, int64_t timestamp_ms);
  // A face that failed Verify for `failed_track`: placed as by Resolve, but
  // never in that track.
  Resolution Split(int64_t failed_track, const Face& face, const std::vector<float>& embedding,
                   int64_t timestamp_ms);

  // After embedding a face of a known track (Assignment::embed): adds it to
  // the track's template. Returns whether to search again (the template
  // reached 1, 3 or kTemplateFaces faces, or this face is clearly better).
  bool Embedded(int64_t track_index, const Face& face, const std::vector<float>& embedding,
                int64_t timestamp_ms);

  // The unit-length mean of the track's embeddings (empty if none).
  std::vector<float> Template(int64_t track_index);

  int64_t tracks() const { return next_index_; }

 private:
  struct Track {
    int64_t index = 0;
    BoundingBox box;
    int64_t last_seen_ms = 0;
    int64_t last_embedded_ms = 0;
    int64_t last_verified_ms = 0;
    BoundingBox previous_box;       // before this frame's Assign
    int64_t previous_seen_ms = 0;
    float best_quality = 0;
    std::vector<float> sum;  // of the embeddings of the template
    int faces = 0;           // in `sum`
  };
  Track* Find(int64_t index);
  Resolution Place(const Face& face, const std::vector<float>& embedding, int64_t timestamp_ms,
                   int64_t exclude);

  float revive_cosine_;
  float split_cosine_;
  int64_t next_index_ = 0;
  std::vector<Track> tracks_;  // live and recently lost
};

}  // namespace candor::video

#endif  // CANDOR_VIDEO_FACE_TRACKER_H_
