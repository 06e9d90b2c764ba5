// How each attribute network's input is cut and normalised: one InputSpec per
// network, in one place, with the source of every constant.
//
// The specs are data so that tests can run a network with a deliberately
// wrong variant (BGR for RGB, another crop) and show that the chosen one
// measures better (tests/analyze_test.cc).
//
// Thread safety: the specs are constants; the functions are pure.
#ifndef CANDOR_ANALYZE_PREPROCESS_H_
#define CANDOR_ANALYZE_PREPROCESS_H_

#include <opencv2/core.hpp>

#include "candor/types.h"

namespace candor::analyze {

struct InputSpec {
  // The region cut around the detector box: the box scaled by `box_scale`
  // about its centre (SquareAround when `square`, else ScaleAbout); with
  // `anchor_top_left` the scaled box keeps the detector box's top-left
  // corner instead of its centre.
  float box_scale = 1.f;
  bool square = false;
  bool anchor_top_left = false;
  cv::Size size;  // network input, width x height
  // Blob channels: 1 = grey; 3 = colour, in RGB order when `rgb`, else BGR.
  int channels = 3;
  bool rgb = true;
  // value = (pixel * pixel_scale - mean[c]) / std[c], c in blob order.
  double pixel_scale = 1.0 / 255;
  cv::Scalar mean = cv::Scalar::all(0);
  cv::Scalar std = cv::Scalar::all(1);
};

// ImageNet statistics (RGB), as in torchvision's transforms.Normalize
// examples, used by Hopenet's PyTorch training code.
inline const cv::Scalar kImageNetMeanRgb(0.485, 0.456, 0.406);
inline const cv::Scalar kImageNetStdRgb(0.229, 0.224, 0.225);
// The ImageNet means in BGR order on 0..255 pixels, no scaling: Keras'
// imagenet_utils.preprocess_input in "caffe" mode, which HSE FaceRes was
// trained with (age_gender_train.py calls preprocess_input on RGB images;
// the mode flips them to BGR and subtracts these).
inline const cv::Scalar kCaffeMeanBgr(103.939, 116.779, 123.68);

// The region of `box` a spec cuts (pixels, may reach past the image).
cv::Rect2f RegionFor(const BoundingBox& box, const InputSpec& spec);

// Samples `region` of `image` (BGR CV_8UC3 or grey CV_8UC1; borders
// replicated) into a 1 x channels x H x W float blob normalised per `spec`.
cv::Mat MakeBlob(const cv::Mat& image, const cv::Rect2f& region, const InputSpec& spec);

// The five networks' inputs; see the .cc for the source of each choice.
struct AnalyzerInputs {
  InputSpec age_gender;  // HSE FaceRes: one network for both
  InputSpec expression;
  InputSpec pose;
  InputSpec eye;  // region from landmarks, see EyeRegions()
  InputSpec liveness;
  // Eye crop side as a multiple of the eye's corner-to-corner width.
  float eye_crop_scale = 1.6f;
  // Not an input but a rule on FaceRes's output, kept here with the other
  // measured choices: AgeRange is the central interval holding this much of
  // the predicted age distribution (faceres.h, preprocess.cc).
  double age_range_mass = 0.8;
};

const AnalyzerInputs& DefaultAnalyzerInputs();

// Square crops around the subject's two eyes (image-left eye first): centred
// on the mean of the four eyelid points, side = corner-to-corner width times
// `scale`.
struct EyeRegions {
  cv::Rect2f left;
  cv::Rect2f right;
};
EyeRegions EyeRegionsFrom(const Landmarks68& points, float scale);

}  // namespace candor::analyze

#endif  // CANDOR_ANALYZE_PREPROCESS_H_
