#include "align/aligner.h"

#include <cmath>

namespace candor::align {

Affine EstimateSimilarity(const std::array<Point, 5>& from, const std::array<Point, 5>& to) {
  // Umeyama's closed form in 2-D, with complex-number algebra: the rotation
  // and scale are c = sum(conj(x_i) y_i) / sum(|x_i|^2) on centred points.
  constexpr int n = 5;
  double mx = 0, my = 0, nx = 0, ny = 0;
  for (int i = 0; i < n; ++i) {
    mx += from[i].x;
    my += from[i].y;
    nx += to[i].x;
    ny += to[i].y;
  }
  mx /= n;
  my /= n;
  nx /= n;
  ny /= n;
  double re = 0, im = 0, norm = 0;
  for (int i = 0; i < n; ++i) {
    const double ax = from[i].x - mx, ay = from[i].y - my;
    const double bx = to[i].x - nx, by = to[i].y - ny;
    re += ax * bx + ay * by;
    im += ax * by - ay * bx;
    norm += ax * ax + ay * ay;
  }
  if (norm < 1e-12) return {1, 0, nx - mx, 0, 1, ny - my};
  const double a = re / norm, b = im / norm;
  return {a, -b, nx - (a * mx - b * my), b, a, ny - (b * mx + a * my)};
}

Affine AlignmentTransform(const FivePoints& five) {
  return EstimateSimilarity({five.left_eye, five.right_eye, five.nose, five.mouth_left,
                             five.mouth_right},
                            kArcFaceTemplate);
}

Point Apply(const Affine& m, Point p) {
  return {static_cast<float>(m[0] * p.x + m[1] * p.y + m[2]),
          static_cast<float>(m[3] * p.x + m[4] * p.y + m[5])};
}

}  // namespace candor::align
