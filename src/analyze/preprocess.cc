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
    // SSR-Net (age and gender): 64x64 of the box scaled 1.4 about its centre
    // (the package's alignAgeImage(img, box, 1.4)). The networks match the
    // PyTorch re-implementation oukohou/SSR_Net_Pytorch, which trains on
    // cv2.imread images, so BGR, with torchvision's ImageNet mean/std applied
    // in blob order (0.485 to B). Measured on 1,200 UTKFace faces: BGR gives
    // age correlation 0.24 and gender AUC 0.79, RGB 0.03 and 0.67.
    in.age.box_scale = 1.4f;
    in.age.size = {64, 64};
    in.age.rgb = false;
    in.age.mean = kImageNetMeanRgb;
    in.age.std = kImageNetStdRgb;
    in.gender = in.age;
    // Gender sees a wider crop: on 1,200 UTKFace faces accuracy 0.721 -> 0.747
    // and AUC 0.793 -> 0.825 for 1.8 against 1.4 (age gets worse at 1.8).
    // Both SSR-Net files are mostly dead: stages 2 and 3 have weights below
    // 1e-39 (decayed to zero), so their outputs are constants and only the
    // first stage's deltas carry signal. No preprocessing rescues the age
    // network (MAE 15.6 years, worse than always answering the median).
    in.gender.box_scale = 1.8f;
    // DenseNet-121 expression net, trained on FER-2013: 224x224, x/255 (the
    // package); ImageNet mean/std drops FER-2013 accuracy from 0.49 to 0.20.
    // FER-2013 images are square and the detector's box covers about 1/1.16
    // of their side, so a square of 1.15x the box reproduces the training
    // framing. On 140 FER-2013 faces: whole image 0.54, square 1.2x 0.50,
    // the package's top-left-anchored 1.2x rectangle 0.45 (it also shifts
    // the face off-centre on real photos), centred 1.2x rectangle 0.45.
    in.expression.box_scale = 1.15f;
    in.expression.square = true;
    in.expression.size = {224, 224};
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
