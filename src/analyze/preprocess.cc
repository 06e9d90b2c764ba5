#include "analyze/preprocess.h"

#include <algorithm>
#include <cmath>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "image/crop.h"

namespace candor::analyze {

cv::Rect2f RegionFor(const BoundingBox& box, const InputSpec& spec) {
  if (spec.square) return image::SquareAround(box, spec.box_scale);
  if (spec.anchor_top_left) {
    return {box.left, box.top, box.width * spec.box_scale, box.height * spec.box_scale};
  }
  return image::ScaleAbout(box, spec.box_scale);
}

cv::Mat MakeBlob(const cv::Mat& image, const cv::Rect2f& region, const InputSpec& spec) {
  cv::Mat source = image;
  if (spec.channels == 1 && image.channels() == 3) {
    cv::cvtColor(image, source, cv::COLOR_BGR2GRAY);
  } else if (spec.channels == 3 && image.channels() == 1) {
    cv::cvtColor(image, source, cv::COLOR_GRAY2BGR);
  }
  cv::Mat crop = image::CropResize(source, region, spec.size);
  if (spec.channels == 3 && spec.rgb) cv::cvtColor(crop, crop, cv::COLOR_BGR2RGB);
  cv::Mat values;
  crop.convertTo(values, CV_32F, spec.pixel_scale);
  // Per-channel (x - mean) / std; blobFromImage only takes one scale factor.
  values -= spec.mean;
  cv::Scalar inverse_std;
  for (int c = 0; c < 4; ++c) inverse_std[c] = spec.std[c] != 0 ? 1.0 / spec.std[c] : 1.0;
  cv::multiply(values, inverse_std, values);
  return cv::dnn::blobFromImage(values);
}

// Every choice below was measured on labelled faces; tests/analyze_test.cc
// repeats the measurements and fails if the chosen value stops winning. The
// package's JavaScript fed RGB from RGBA canvases to every colour network;
// that is right only for the pose network (see below).
const AnalyzerInputs& DefaultAnalyzerInputs() {
  static const AnalyzerInputs kInputs = [] {
    AnalyzerInputs in;
    // HSE FaceRes "deep" (age and gender): 224x224 of a square of 1.4x the
    // detector box about its centre, BGR, 0..255 minus the caffe means
    // (upstream's training preprocessing, see kCaffeMeanBgr). Tuned on a
    // random 1,000 UTKFace images (seed 0), measured on the other 5,000
    // (README): crop 1.4 gave age MAE 5.38 against 5.56 (1.2) and 5.85
    // (1.0); Human's RGB 0..255 input 6.32; gender 91.2% at 1.4.
    // tests/analyze_test.cc checks that BGR beats RGB.
    in.age_gender.box_scale = 1.4f;
    in.age_gender.square = true;
    in.age_gender.size = {224, 224};
    in.age_gender.rgb = false;
    in.age_gender.pixel_scale = 1.0;
    in.age_gender.mean = kCaffeMeanBgr;
    // AgeRange: the central 80% of FaceRes's age distribution (faceres.h).
    // The distribution is roughly calibrated: on analyze_test's 200 UTKFace
    // faces its central half held the true age for 50.5% of them and its
    // central 80% for 74.5%, 15.6 years wide on average (about three times
    // the MAE). On all 5,997 UTKFace faces (`candor eval attributes`) the
    // central 80% held the true age for 79.5%: from 71.6% (White women) to
    // 85.3% (Others women) per group.
    in.age_range_mass = 0.8;
    // mini-Xception (oarriaga/face_classification, trained on FER-2013):
    // 64x64 grey, x/255 scaled to -1..1 (its preprocess_input with v2=True:
    // x / 255, - 0.5, * 2). FER-2013 images are square and the detector's
    // box covers about 1/1.16 of their side, so a square of 1.15x the box
    // reproduces the training framing; on all 7,178 FER-2013 test images
    // (upscaled to 192x192 for the detector) top-1 was 56.6% at 1.15, 56.4%
    // at 1.1 and 1.2, 55.2% at 1.0 and 58.3% for the whole 48x48 image,
    // which only FER's own crops can use.
    in.expression.box_scale = 1.15f;
    in.expression.square = true;
    in.expression.size = {64, 64};
    in.expression.channels = 1;
    in.expression.pixel_scale = 2.0 / 255;
    in.expression.mean = cv::Scalar::all(1.0);
    // Hopenet-lite: the box grown by a quarter of its size on each side (the
    // package), 224x224, ImageNet mean/std, RGB: Hopenet trains on PIL
    // images. On LFW, yaw correlates with the landmarks' nose offset at
    // -0.96 (RGB) against -0.90 (BGR) on one sample of 193 faces, -0.976
    // against -0.966 on another of 97: RGB is never worse.
    in.pose.box_scale = 1.5f;
    in.pose.size = {224, 224};
    in.pose.mean = kImageNetMeanRgb;
    in.pose.std = kImageNetStdRgb;
    // Eye-state net: 24x24 grey, x/255 (the package).
    in.eye.size = {24, 24};
    in.eye.channels = 1;
    // MiniFASNet-like anti-spoofing (Silent-Face-Anti-Spoofing's 2.7_80x80
    // family, trained on cv2 BGR images): 2.7x the box, 128x128, raw 0..255,
    // BGR. On NUAA (100 live, 100 print attacks) BGR separates perfectly
    // (AUC 1.00) and RGB does not (AUC 0.74).
    in.liveness.box_scale = 2.7f;
    in.liveness.size = {128, 128};
    in.liveness.rgb = false;
    in.liveness.pixel_scale = 1.0;
    return in;
  }();
  return kInputs;
}

EyeRegions EyeRegionsFrom(const Landmarks68& p, float scale) {
  auto square = [&](int a, int b, int c, int d, int corner_left, int corner_right) {
    const float cx = (p[a].x + p[b].x + p[c].x + p[d].x) / 4;
    const float cy = (p[a].y + p[b].y + p[c].y + p[d].y) / 4;
    // Corner-to-corner distance rather than its x extent, so that a rolled
    // head does not get a smaller crop.
    const float width =
        std::hypot(p[corner_right].x - p[corner_left].x, p[corner_right].y - p[corner_left].y);
    const float side = std::max(1.f, width * scale);
    return cv::Rect2f(cx - side / 2, cy - side / 2, side, side);
  };
  return {square(37, 38, 40, 41, 36, 39), square(43, 44, 46, 47, 42, 45)};
}

}  // namespace candor::analyze
