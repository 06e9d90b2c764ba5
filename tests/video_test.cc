// The video analyzer on the shared Hamilton clip (9.2 s, 640x360, 29.97
// fps), and the tracker on hand-made faces.
//
// What the clip shows (checked by eye on frames written with ffmpeg, then
// pinned here): 0.0-0.7 s a wide shot, Lin-Manuel Miranda singing on the
// right (a face about 40 pixels high) and Alex Lacamoire at the piano on the
// left (about 25 pixels); a cut; 2.7-7.0 s Lin-Manuel in close-up (frame
// 210, 7007 ms, is his last); from frame 216 (7207 ms) the audience (the
// Obamas and others), neither of the two.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>

#include "candor/video.h"
#include "collections_fixture.h"
#include "test_support.h"
#include "video/face_tracker.h"

namespace candor {
namespace {

using testing::CollectionsFixture;
using testing::DataDir;
using testing::ReadFile;
using testing::TempDir;

std::string Clip() { return DataDir() + "/video/short_hamilton_clip.mp4"; }

class VideoTest : public CollectionsFixture {
 protected:
  // Enrols the two reference photos; returns FaceId -> name.
  std::map<std::string, std::string> Enrol() {
    std::map<std::string, std::string> names;
    EXPECT_TRUE(collections_->CreateCollection("ham").ok());
    for (const char* name : {"lin-manuel-miranda", "alex-lacamoire"}) {
      IndexFacesRequest r;
      r.collection_id = "ham";
      r.external_image_id = name;
      r.image_bytes = ReadFile(DataDir() + "/video/" + name + ".png");
      auto indexed = collections_->IndexFaces(r);
      EXPECT_TRUE(indexed.ok()) << indexed.status().ToString();
      if (indexed.ok() && indexed->face_records.size() == 1) {
        names[indexed->face_records[0].face.face_id] = name;
      }
    }
    EXPECT_EQ(names.size(), 2u);
    return names;
  }

  struct Seen {
    std::vector<VideoFace> faces;
    std::vector<VideoTrackMatch> matches;
    StatusOr<VideoSummary> summary = Status::Internal("not run");
  };
  Seen Run(const VideoOptions& options, const std::string& source) {
    Seen seen;
    auto analyzer = VideoAnalyzer::Create(engine_, collections_.get(), options);
    EXPECT_TRUE(analyzer.ok()) << analyzer.status().ToString();
    if (!analyzer.ok()) return seen;
    VideoObserver observer;
    observer.on_face = [&](const VideoFace& f) { seen.faces.push_back(f); };
    observer.on_match = [&](const VideoTrackMatch& m) { seen.matches.push_back(m); };
    seen.summary = (*analyzer)->Run(source, observer);
    return seen;
  }
};

TEST_F(VideoTest, DetectsAndTracksTheClip) {
  Seen seen = Run({}, Clip());
  ASSERT_TRUE(seen.summary.ok()) << seen.summary.status().ToString();
  const VideoMetadata& meta = seen.summary->metadata;
  EXPECT_EQ(meta.frame_width, 640);
  EXPECT_EQ(meta.frame_height, 360);
  EXPECT_NEAR(meta.frame_rate, 29.97, 0.01);
  EXPECT_NEAR(meta.duration_ms, 9175, 100);
  EXPECT_EQ(meta.codec, "avc1");
  const VideoProgress& p = seen.summary->progress;
  EXPECT_EQ(p.frames_read, 275);
  // 5 frames analysed per second of video.
  EXPECT_NEAR(p.frames_analysed, 46, 2);
  EXPECT_EQ(p.searches, 0);
  EXPECT_TRUE(seen.matches.empty());
  // Two faces in the first frame; the close-up of 2.7-7.0 s is not one
  // track per frame.
  int at_zero = 0;
  std::map<int64_t, int> faces_per_track;
  for (const VideoFace& f : seen.faces) {
    if (f.timestamp_ms == 0) ++at_zero;
    if (f.timestamp_ms >= 3000 && f.timestamp_ms <= 5600) ++faces_per_track[f.track_index];
    EXPECT_GE(f.face.box.left, -0.05f);
    EXPECT_LE(f.face.box.right(), 1.05f);  // ratios of the frame
  }
  EXPECT_EQ(at_zero, 2);
  // 14 analysed frames of one face, in one track (or two: a fast move
  // can break the overlap, and the embedding then joins the face to the
  // wide shot's track of the same person).
  int faces = 0;
  for (const auto& [track, n] : faces_per_track) faces += n;
  EXPECT_GE(faces, 12);
  EXPECT_LE(faces_per_track.size(), 2u);
  // RetinaFace also finds the dim audience behind Lin-Manuel at 1.6-2.6 s
  // (checked by eye: six faces of 57-98 px at 2002 ms, one box between two
  // of them at 70-80% confidence) and more of the audience from 7.2 s: 18
  // tracks where RFB-320 made 12, not one per analysed face (46 frames).
  int at_2002 = 0;
  for (const VideoFace& f : seen.faces) at_2002 += f.timestamp_ms == 2002;
  EXPECT_GE(at_2002, 5);
  EXPECT_LE(p.tracks, 20);
}

TEST_F(VideoTest, SearchFindsLinManuelAtPinnedTimesAndNobodyElse) {
  std::map<std::string, std::string> names = Enrol();
  VideoOptions options;
  options.collection_id = "ham";
  options.face_match_threshold = 99;  // the default policy floor
  Seen seen = Run(options, Clip());
  ASSERT_TRUE(seen.summary.ok()) << seen.summary.status().ToString();
  bool early = false, close_up = false;
  std::set<int64_t> lin_tracks;
  for (const VideoTrackMatch& m : seen.matches) {
    if (!m.matches.empty()) lin_tracks.insert(m.track_index);
    EXPECT_EQ(m.faces_searched, 2);
    for (const SearchMatch& s : m.matches) {
      EXPECT_EQ(names[s.face.face_id], "lin-manuel-miranda") << "at " << m.timestamp_ms << " ms";
      EXPECT_TRUE(m.timestamp_ms <= 700 || (m.timestamp_ms >= 2700 && m.timestamp_ms <= 7050))
          << "a match at " << m.timestamp_ms << " ms, when Lin-Manuel is not on screen";
      if (m.timestamp_ms <= 700) early = true;
      if (m.timestamp_ms >= 2700) close_up = true;
    }
  }
  // In the wide shot of the first 0.7 s his face is small; with the
  // worst-group calibration (Similarity 99 at cosine 0.633, was 0.476 with
  // the all-pairs LFW table) it no longer reaches the floor there: the cost
  // of a Similarity that holds for every group falls on false non-matches.
  std::printf("Lin-Manuel matched at 99 in the wide shot: %s\n", early ? "yes" : "no");
  EXPECT_TRUE(close_up);
  // No face of the audience (from 7.2 s) is reported under a track that was
  // matched to Lin-Manuel (a cut must not carry his track to someone else).
  for (const VideoFace& f : seen.faces) {
    if (f.timestamp_ms >= 7100) {
      EXPECT_EQ(lin_tracks.count(f.track_index), 0u) << "at " << f.timestamp_ms << " ms";
    }
  }
}

// Alex Lacamoire's face at the piano is about 25 pixels high for 0.7 s: the
// model ranks him first for that track, but at a Similarity (about 13 with
// the worst-group calibration of 2026-12-07; 31 with the all-pairs table
// before it: the same cosine, 0.16) far below any threshold that could be
// defended, so he is NOT found at 80 or
// 99. This pins the weakness so that a better model or pipeline shows up
// here; and no face of the audience matches either person above 80.
TEST_F(VideoTest, AlexAtThePianoIsRankedFirstButTooSmallToMatch) {
  std::map<std::string, std::string> names = Enrol();
  VideoOptions options;
  options.collection_id = "ham";
  options.face_match_threshold = 0;
  Seen seen = Run(options, Clip());
  ASSERT_TRUE(seen.summary.ok()) << seen.summary.status().ToString();
  bool pianist = false;
  for (const VideoTrackMatch& m : seen.matches) {
    ASSERT_FALSE(m.matches.empty());
    const std::string& top = names[m.matches[0].face.face_id];
    if (m.timestamp_ms <= 700 && m.face.box.left < 0.2f) {
      pianist = true;
      std::printf("pianist at %lld ms: %s, Similarity %.1f\n",
                  static_cast<long long>(m.timestamp_ms), top.c_str(), m.matches[0].similarity);
      EXPECT_EQ(top, "alex-lacamoire");
      EXPECT_GT(m.matches[0].similarity, 6.f);
      EXPECT_LT(m.matches[0].similarity, 80.f);
    }
    if (m.timestamp_ms >= 7100) {
      EXPECT_LT(m.matches[0].similarity, 80.f) << "audience face matched " << top;
    }
  }
  EXPECT_TRUE(pianist);
}

TEST_F(VideoTest, BadSourcesAndOptionsAreTypedErrors) {
  TempDir tmp;
  Seen missing = Run({}, tmp.path() + "/nope.mp4");
  EXPECT_EQ(missing.summary.status().code(), StatusCode::kInvalidArgument);
  const std::string garbage = tmp.path() + "/garbage.mp4";
  std::ofstream(garbage) << std::string(4096, '\x5a');
  Seen bad = Run({}, garbage);
  EXPECT_EQ(bad.summary.status().code(), StatusCode::kInvalidArgument);
  // A truncated file decodes what it has, or is refused; never a crash.
  const std::string whole = ReadFile(Clip());
  const std::string cut = tmp.path() + "/cut.mp4";
  std::ofstream(cut, std::ios::binary) << whole.substr(0, whole.size() / 3);
  Seen truncated = Run({}, cut);
  if (truncated.summary.ok()) {
    EXPECT_LT(truncated.summary->progress.frames_read, 275);
  } else {
    EXPECT_EQ(truncated.summary.status().code(), StatusCode::kInvalidArgument);
  }

  VideoOptions o;
  o.face_match_threshold = 101;
  EXPECT_EQ(VideoAnalyzer::Create(engine_, collections_.get(), o).status().code(),
            StatusCode::kInvalidArgument);
  o = {};
  o.max_matches = 0;
  EXPECT_EQ(VideoAnalyzer::Create(engine_, collections_.get(), o).status().code(),
            StatusCode::kInvalidArgument);
  o = {};
  o.analysis_fps = -1;
  EXPECT_EQ(VideoAnalyzer::Create(engine_, collections_.get(), o).status().code(),
            StatusCode::kInvalidArgument);
  o = {};
  o.collection_id = "no-such-collection";
  EXPECT_EQ(VideoAnalyzer::Create(engine_, collections_.get(), o).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(VideoAnalyzer::Create(engine_, nullptr, o).status().code(),
            StatusCode::kInvalidArgument);
}

Face FaceAt(float left, float top, float size) {
  Face f;
  f.box = {left, top, size, size};
  f.confidence = 99;
  f.quality.sharpness = 50;
  return f;
}

std::vector<float> Unit(int hot, int dim = 8) {
  std::vector<float> v(dim, 0.f);
  v[hot] = 1;
  return v;
}

TEST(FaceTrackerTest, OverlapContinuesATrackAndEmbeddingRevivesALostOne) {
  video::FaceTracker tracker(/*revive_cosine=*/0.5f, /*split_cosine=*/0.3f);
  // Frame 1: two new faces, both to be embedded.
  auto a = tracker.Assign({FaceAt(10, 10, 100), FaceAt(300, 10, 100)}, 0);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].track_index, -1);
  EXPECT_TRUE(a[0].embed);
  auto r0 = tracker.Resolve(FaceAt(10, 10, 100), Unit(0), 0);
  auto r1 = tracker.Resolve(FaceAt(300, 10, 100), Unit(1), 0);
  EXPECT_NE(r0.track_index, r1.track_index);
  EXPECT_TRUE(r0.search);
  // Frame 2: both moved a little; the tracks continue by overlap.
  a = tracker.Assign({FaceAt(305, 12, 100), FaceAt(14, 10, 100)}, 200);
  EXPECT_EQ(a[0].track_index, r1.track_index);
  EXPECT_EQ(a[1].track_index, r0.track_index);
  // Far away 3 s later (lost), the first person returns: same track by
  // embedding; a stranger gets a new one.
  a = tracker.Assign({FaceAt(600, 300, 100), FaceAt(900, 300, 100)}, 3200);
  EXPECT_EQ(a[0].track_index, -1);
  EXPECT_EQ(tracker.Resolve(FaceAt(600, 300, 100), Unit(0), 3200).track_index, r0.track_index);
  EXPECT_EQ(tracker.Resolve(FaceAt(900, 300, 100), Unit(2), 3200).track_index, 2);
  EXPECT_EQ(tracker.tracks(), 3);
  // After kReviveMs unseen, a track is forgotten.
  a = tracker.Assign({FaceAt(10, 10, 100)}, 3200 + video::FaceTracker::kReviveMs + 1);
  EXPECT_EQ(tracker.Resolve(FaceAt(10, 10, 100), Unit(1), 9000).track_index, 3);
}

TEST(FaceTrackerTest, ACutToSomeoneElseInTheSamePlaceStartsANewTrack) {
  video::FaceTracker tracker(0.5f, 0.3f);
  tracker.Assign({FaceAt(100, 100, 100)}, 0);
  const int64_t first = tracker.Resolve(FaceAt(100, 100, 100), Unit(0), 0).track_index;
  // The same place after a cut: joined by overlap, but to be verified.
  auto a = tracker.Assign({FaceAt(110, 100, 100)}, 200, /*scene_change=*/true);
  ASSERT_EQ(a[0].track_index, first);
  ASSERT_TRUE(a[0].verify);
  EXPECT_FALSE(tracker.Verify(first, Unit(3)));
  const auto split = tracker.Split(first, FaceAt(110, 100, 100), Unit(3), 200);
  EXPECT_NE(split.track_index, first);
  EXPECT_TRUE(split.search);
  // The same person passes the check, and without a cut it is not asked
  // for again within kVerifyMs.
  a = tracker.Assign({FaceAt(112, 100, 100)}, 400, true);
  ASSERT_EQ(a[0].track_index, split.track_index);
  EXPECT_TRUE(tracker.Verify(split.track_index, Unit(3)));
  a = tracker.Assign({FaceAt(114, 100, 100)}, 600, false);
  EXPECT_FALSE(a[0].verify);
}

TEST(FaceTrackerTest, TemplateIsTheMeanOfTheTrackEmbeddings) {
  video::FaceTracker tracker(0.5f, 0.3f);
  tracker.Assign({FaceAt(0, 0, 100)}, 0);
  const int64_t t = tracker.Resolve(FaceAt(0, 0, 100), Unit(0), 0).track_index;
  auto a = tracker.Assign({FaceAt(2, 0, 100)}, 200);
  ASSERT_TRUE(a[0].embed);  // the template is not full yet
  tracker.Embedded(t, FaceAt(2, 0, 100), Unit(1), 200);
  const std::vector<float> mean = tracker.Template(t);
  EXPECT_NEAR(mean[0], 0.70710677f, 1e-6);
  EXPECT_NEAR(mean[1], 0.70710677f, 1e-6);
  EXPECT_TRUE(tracker.Template(99).empty());
}

}  // namespace
}  // namespace candor
