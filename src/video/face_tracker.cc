#include "video/face_tracker.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "embed/embedder.h"

namespace candor::video {

float RecognitionQuality(const Face& face) {
  const float size = std::clamp(face.box.height / 112.f, 0.f, 1.f);
  // 0 at 60 degrees of yaw or 45 of pitch.
  const float frontal = std::max(0.f, 1.f - std::abs(face.pose.yaw) / 60.f) *
                        std::max(0.f, 1.f - std::abs(face.pose.pitch) / 45.f);
  const float sharp = 0.5f + 0.5f * std::clamp(face.quality.sharpness / 100.f, 0.f, 1.f);
  return std::clamp(face.confidence / 100.f, 0.f, 1.f) * size * frontal * sharp;
}

FaceTracker::Track* FaceTracker::Find(int64_t index) {
  for (Track& t : tracks_) {
    if (t.index == index) return &t;
  }
  return nullptr;
}

std::vector<FaceTracker::Assignment> FaceTracker::Assign(const std::vector<Face>& faces,
                                                         int64_t timestamp_ms,
                                                         bool scene_change) {
  // Forget tracks lost too long ago to come back.
  std::erase_if(tracks_, [&](const Track& t) { return timestamp_ms - t.last_seen_ms > kReviveMs; });

  // Greedy matching on IoU, best pairs first, live tracks only.
  std::vector<std::tuple<float, size_t, size_t>> pairs;
  for (size_t f = 0; f < faces.size(); ++f) {
    for (size_t t = 0; t < tracks_.size(); ++t) {
      if (timestamp_ms - tracks_[t].last_seen_ms > kLostAfterMs) continue;
      const float iou = IoU(faces[f].box, tracks_[t].box);
      if (iou >= kMinIoU) pairs.emplace_back(iou, f, t);
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
    return std::get<0>(a) > std::get<0>(b);
  });
  std::vector<Assignment> out(faces.size());
  std::vector<bool> face_used(faces.size()), track_used(tracks_.size());
  for (const auto& [iou, f, t] : pairs) {
    if (face_used[f] || track_used[t]) continue;
    face_used[f] = track_used[t] = true;
    Track& track = tracks_[t];
    track.previous_box = track.box;
    track.previous_seen_ms = track.last_seen_ms;
    track.box = faces[f].box;
    track.last_seen_ms = timestamp_ms;
    out[f].track_index = track.index;
    const int64_t since = timestamp_ms - track.last_embedded_ms;
    out[f].verify = track.faces > 0 &&
                    (scene_change || timestamp_ms - track.last_verified_ms >= kVerifyMs);
    out[f].embed = out[f].verify ||
                   (track.faces < kTemplateFaces && since >= kTemplateSpacingMs) ||
                   (RecognitionQuality(faces[f]) > track.best_quality * kBetterBy &&
                    since >= kReembedMs);
  }
  for (size_t f = 0; f < faces.size(); ++f) {
    if (!face_used[f]) out[f] = {-1, true};
  }
  return out;
}

FaceTracker::Resolution FaceTracker::Resolve(const Face& face, const std::vector<float>& embedding,
                                             int64_t timestamp_ms) {
  return Place(face, embedding, timestamp_ms, -1);
}

bool FaceTracker::Verify(int64_t track_index, const std::vector<float>& embedding) {
  Track* t = Find(track_index);
  if (t == nullptr || t->faces == 0) return true;
  if (embed::Cosine(embedding, Template(track_index)) >= split_cosine_) {
    t->last_verified_ms = t->last_seen_ms;
    return true;
  }
  // Not this person: the track was not seen in this frame after all.
  t->box = t->previous_box;
  t->last_seen_ms = t->previous_seen_ms;
  return false;
}

FaceTracker::Resolution FaceTracker::Split(int64_t failed_track, const Face& face,
                                           const std::vector<float>& embedding,
                                           int64_t timestamp_ms) {
  return Place(face, embedding, timestamp_ms, failed_track);
}

FaceTracker::Resolution FaceTracker::Place(const Face& face, const std::vector<float>& embedding,
                                           int64_t timestamp_ms, int64_t exclude) {
  Track* best = nullptr;
  float best_cosine = revive_cosine_;
  for (Track& t : tracks_) {
    // Only tracks not seen in this frame: two faces of one frame are two people.
    if (t.last_seen_ms == timestamp_ms || t.faces == 0 || t.index == exclude) continue;
    const float cosine = embed::Cosine(embedding, Template(t.index));
    if (cosine >= best_cosine) {
      best_cosine = cosine;
      best = &t;
    }
  }
  if (best == nullptr) {
    tracks_.push_back({});
    best = &tracks_.back();
    best->index = next_index_++;
  }
  best->last_verified_ms = timestamp_ms;
  best->box = face.box;
  best->last_seen_ms = timestamp_ms;
  const bool search = Embedded(best->index, face, embedding, timestamp_ms);
  return {best->index, search};
}

bool FaceTracker::Embedded(int64_t track_index, const Face& face,
                           const std::vector<float>& embedding, int64_t timestamp_ms) {
  Track* t = Find(track_index);
  if (t == nullptr) return false;
  t->last_embedded_ms = timestamp_ms;
  const float quality = RecognitionQuality(face);
  const bool better = t->faces > 0 && quality > t->best_quality * kBetterBy;
  t->best_quality = std::max(t->best_quality, quality);
  if (t->sum.empty()) t->sum.assign(embedding.size(), 0.f);
  if (t->sum.size() != embedding.size()) return false;
  for (size_t i = 0; i < embedding.size(); ++i) t->sum[i] += embedding[i];
  ++t->faces;
  return t->faces == 1 || t->faces == 3 || t->faces == kTemplateFaces || better;
}

std::vector<float> FaceTracker::Template(int64_t track_index) {
  Track* t = Find(track_index);
  if (t == nullptr || t->faces == 0) return {};
  std::vector<float> out = t->sum;
  double norm = 0;
  for (float v : out) norm += static_cast<double>(v) * v;
  const float inv = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.f;
  for (float& v : out) v *= inv;
  return out;
}

}  // namespace candor::video
