// The two inference backends of DnnNet (ONNX Runtime, OpenCV DNN) give the
// same outputs for every network of the pack on real images, so switching
// the default backend changes speed and nothing else. Also: the backend
// switch refuses what it cannot honour instead of falling back silently.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "models/dnn_net.h"
#include "test_support.h"

namespace candor {
namespace {

using models::DnnNet;
using models::InferenceBackend;

// One network of the pack and the input it is fed in the engine.
struct NetCase {
  const char* file;
  int channels;
  int width;
  int height;
  std::vector<std::string> outputs;  // empty: all, in the network's order
  int batch = 1;  // 2: the image and its mirror, as the embedder's flip-averaging
};

std::vector<NetCase> Cases() {
  return {
      {"retinaface_mnv2.onnx", 3, 640, 480,
       {"bbox_8", "bbox_16", "bbox_32", "landmark_8", "landmark_16", "landmark_32", "class_8",
        "class_16", "class_32"}},
      {"retinaface_mnv2.onnx", 3, 256, 256, {"bbox_8", "class_32"}},
      {"fr_landmark.onnx", 1, 64, 64, {}},
      {"fr_feature.onnx", 3, 112, 112, {}},
      {"fr_feature.onnx", 3, 112, 112, {}, 2},
      {"fr_pose.onnx", 3, 224, 224, {"output", "617", "618"}},
      {"hse_faceres_deep.onnx", 3, 224, 224, {"age_pred/Softmax:0", "gender_pred/Sigmoid:0"}},
      {"mini_xception_fer.onnx", 1, 64, 64, {}},
      {"fr_eye.onnx", 1, 24, 24, {}},
      {"fr_liveness.onnx", 3, 128, 128, {}},
  };
}

// A real photo as the network's input: the detector gets raw 0..255 RGB of
// a whole WIDER frame, as FaceDetector feeds it; the face networks get the
// central face region of an LFW photo, scaled to about -1..1.
cv::Mat BlobOf(const NetCase& c, const std::string& image_path) {
  cv::Mat image = cv::imread(image_path, cv::IMREAD_COLOR);
  if (image.empty()) return {};
  const bool detector = std::string(c.file).starts_with("retinaface");
  if (!detector) image = image(cv::Rect(image.cols / 5, image.rows / 5, image.cols * 3 / 5,
                                        image.rows * 3 / 5)).clone();
  if (c.channels == 1) cv::cvtColor(image, image, cv::COLOR_BGR2GRAY);
  cv::resize(image, image, cv::Size(c.width, c.height), 0, 0, cv::INTER_AREA);
  if (detector) return cv::dnn::blobFromImage(image, 1.0, cv::Size(), cv::Scalar(), true, false);
  std::vector<cv::Mat> images{image};
  if (c.batch == 2) {
    cv::Mat mirrored;
    cv::flip(image, mirrored, 1);
    images.push_back(mirrored);
  }
  return cv::dnn::blobFromImages(images, 1.0 / 127.5, cv::Size(), cv::Scalar::all(127.5), true,
                                 false);
}

double MaxAbs(const cv::Mat& m) {
  double lo = 0, hi = 0;
  cv::minMaxIdx(m.reshape(1, 1), &lo, &hi);
  return std::max(std::abs(lo), std::abs(hi));
}

TEST(InferenceBackendTest, OnnxRuntimeMatchesOpenCvOnEveryNetworkOfThePack) {
  if (!models::OnnxRuntimeBuilt()) {
    GTEST_FAIL() << "this build has no ONNX Runtime: run tools/fetch_onnxruntime.sh, then "
                    "configure with -DCANDOR_ONNXRUNTIME=ON";
  }
  const std::vector<std::string> images = {
      testing::DataDir() + "/widerface_val200/images/0_Parade_Parade_0_102.jpg",
      testing::LfwImage("Aaron_Eckhart", 1),
  };
  for (const NetCase& c : Cases()) {
    const std::string path = std::string(CANDOR_DEFAULT_MODEL_DIR) + "/" + c.file;
    auto cv_net = DnnNet::Load(path, InferenceBackend::kOpenCv);
    auto ort_net = DnnNet::Load(path, InferenceBackend::kOnnxRuntime);
    ASSERT_TRUE(cv_net.ok()) << cv_net.status().ToString();
    ASSERT_TRUE(ort_net.ok()) << ort_net.status().ToString();
    EXPECT_EQ(ort_net->backend(), InferenceBackend::kOnnxRuntime);
    const std::string& image = std::string(c.file).starts_with("retinaface") ? images[0] : images[1];
    const cv::Mat blob = BlobOf(c, image);
    ASSERT_FALSE(blob.empty()) << image;

    std::vector<cv::Mat> want, got;
    ASSERT_TRUE(cv_net->Forward(blob, &want, c.outputs).ok());
    ASSERT_TRUE(ort_net->Forward(blob, &got, c.outputs).ok());
    ASSERT_EQ(got.size(), want.size()) << c.file;
    for (size_t i = 0; i < want.size(); ++i) {
      SCOPED_TRACE(std::string(c.file) + " " + std::to_string(c.width) + "x" +
                   std::to_string(c.height) + " batch " + std::to_string(c.batch) + " output " +
                   std::to_string(i));
      ASSERT_EQ(got[i].type(), CV_32F);
      ASSERT_EQ(got[i].total(), want[i].total());
      ASSERT_EQ(got[i].size[0], c.batch);
      // OpenCV folds a batch of this file into one row ([1, 1024]: its
      // Reshape is fixed at batch 1); ORT stacks the samples ([2, 512]). The
      // values lie in the same order, which is all the embedder reads.
      if (c.batch == 1) {
        ASSERT_EQ(got[i].dims, want[i].dims);
        for (int d = 0; d < want[i].dims; ++d) EXPECT_EQ(got[i].size[d], want[i].size[d]);
      }
      // Relative to the output's magnitude: both libraries fuse and reorder
      // float sums differently, so bit equality is not expected.
      const double scale = std::max(MaxAbs(want[i]), 1e-6);
      const double diff = cv::norm(got[i].reshape(1, 1), want[i].reshape(1, 1), cv::NORM_INF);
      EXPECT_LE(diff / scale, 1e-4) << "max |ORT - OpenCV| " << diff << " at scale " << scale;
      EXPECT_GT(scale, 1e-3) << "an output of zeros proves nothing";
    }
  }
}

TEST(InferenceBackendTest, BackendSwitchRefusesWhatItCannotHonour) {
  const std::string path = std::string(CANDOR_DEFAULT_MODEL_DIR) + "/fr_eye.onnx";
  ::setenv("CANDOR_INFERENCE", "tensorrt", 1);
  auto bad = DnnNet::Load(path);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  ::setenv("CANDOR_INFERENCE", "opencv", 1);
  auto cv_net = DnnNet::Load(path);
  ASSERT_TRUE(cv_net.ok()) << cv_net.status().ToString();
  EXPECT_EQ(cv_net->backend(), InferenceBackend::kOpenCv);
  ::unsetenv("CANDOR_INFERENCE");
  auto default_net = DnnNet::Load(path);
  ASSERT_TRUE(default_net.ok()) << default_net.status().ToString();
  EXPECT_EQ(default_net->backend(), models::OnnxRuntimeBuilt() ? InferenceBackend::kOnnxRuntime
                                                               : InferenceBackend::kOpenCv);
}

TEST(InferenceBackendTest, OnnxRuntimeErrorsAreTypedStatuses) {
  if (!models::OnnxRuntimeBuilt()) GTEST_SKIP() << "no ONNX Runtime in this build";
  // A file that is not ONNX: Corruption naming the file, nothing loaded.
  const std::string not_onnx = std::string(CANDOR_SOURCE_DIR) + "/models/manifest.json";
  auto bad = DnnNet::Load(not_onnx, InferenceBackend::kOnnxRuntime);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption);
  EXPECT_NE(bad.status().message().find("manifest.json"), std::string::npos);
  auto missing = DnnNet::Load("/nonexistent/net.onnx", InferenceBackend::kOnnxRuntime);
  EXPECT_FALSE(missing.ok());

  // A blob of the wrong shape or type: an error, and the network still works.
  auto net = DnnNet::Load(std::string(CANDOR_DEFAULT_MODEL_DIR) + "/fr_eye.onnx",
                          InferenceBackend::kOnnxRuntime);
  ASSERT_TRUE(net.ok()) << net.status().ToString();
  std::vector<cv::Mat> outputs;
  const int wrong[] = {1, 3, 24, 24};
  EXPECT_EQ(net->Forward(cv::Mat(4, wrong, CV_32F, cv::Scalar(0.5)), &outputs).code(),
            StatusCode::kInternal);
  EXPECT_TRUE(outputs.empty());
  const int right[] = {1, 1, 24, 24};
  EXPECT_EQ(net->Forward(cv::Mat(4, right, CV_8U, cv::Scalar(1)), &outputs).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(net->Forward(cv::Mat(4, right, CV_32F, cv::Scalar(0.5)), &outputs, {"no_such"}).code(),
            StatusCode::kInternal);
  ASSERT_TRUE(net->Forward(cv::Mat(4, right, CV_32F, cv::Scalar(0.5)), &outputs).ok());
  ASSERT_EQ(outputs.size(), 1u);
  EXPECT_EQ(outputs[0].total(), 2u);
}

}  // namespace
}  // namespace candor
