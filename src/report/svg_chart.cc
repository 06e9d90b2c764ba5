#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "report/transparency.h"  // HtmlEscape

namespace candor::report {
namespace {

// Plot area margins, pixels.
constexpr double kLeft = 64, kRight = 16, kTop = 28, kBottom = 48;

std::string Num(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", v);
  return text;
}

// A tick label: 1e-05, 0.001, 0.25, 12.
std::string TickLabel(double v, bool log) {
  char text[32];
  if (log && (v < 1e-3 || v >= 1e4)) {
    std::snprintf(text, sizeof(text), "%.0e", v);
  } else {
    std::snprintf(text, sizeof(text), "%g", v);
  }
  return text;
}

class Scale {
 public:
  Scale(const ChartAxis& axis, double from, double to) : axis_(axis), from_(from), to_(to) {}
  bool Inside(double v) const {
    if (!std::isfinite(v)) return false;
    if (axis_.log && v <= 0) return false;
    return true;
  }
  double operator()(double v) const {
    double t;
    if (axis_.log) {
      t = (std::log10(v) - std::log10(axis_.low)) / (std::log10(axis_.high) - std::log10(axis_.low));
    } else {
      t = (v - axis_.low) / (axis_.high - axis_.low);
    }
    t = std::clamp(t, -0.02, 1.02);  // off-scale points sit on the edge
    return from_ + t * (to_ - from_);
  }
  std::vector<double> Ticks() const {
    std::vector<double> ticks;
    if (axis_.log) {
      for (double d = std::pow(10, std::floor(std::log10(axis_.low))); d <= axis_.high * 1.0001;
           d *= 10) {
        if (d >= axis_.low * 0.9999) ticks.push_back(d);
      }
    } else {
      const double span = axis_.high - axis_.low;
      const double raw = span / 5;
      const double magnitude = std::pow(10, std::floor(std::log10(raw)));
      double step = magnitude;
      for (double m : {1.0, 2.0, 5.0, 10.0}) {
        if (raw <= m * magnitude) {
          step = m * magnitude;
          break;
        }
      }
      for (double v = std::ceil(axis_.low / step) * step; v <= axis_.high + step * 1e-6; v += step)
        ticks.push_back(std::abs(v) < step * 1e-9 ? 0 : v);
    }
    return ticks;
  }

 private:
  ChartAxis axis_;
  double from_, to_;
};

bool AxisValid(const ChartAxis& a) {
  return std::isfinite(a.low) && std::isfinite(a.high) && a.high > a.low && (!a.log || a.low > 0);
}

std::string Open(const std::string& id, const std::string& title, int width, int height) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"" + HtmlEscape(id) +
         "\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
         "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
         "\" role=\"img\"><title>" + HtmlEscape(title) + "</title>";
}

std::string Text(double x, double y, const std::string& text, const char* anchor = "middle",
                 const char* extra = "") {
  return "<text x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" text-anchor=\"" + anchor +
         "\" font-size=\"11\" " + extra + ">" + HtmlEscape(text) + "</text>";
}

std::string Line(double x1, double y1, double x2, double y2, const char* style) {
  return "<line x1=\"" + Num(x1) + "\" y1=\"" + Num(y1) + "\" x2=\"" + Num(x2) + "\" y2=\"" +
         Num(y2) + "\" " + style + "/>";
}

// Axes, grid, ticks and labels of a plot area.
std::string Axes(const ChartAxis& xa, const ChartAxis& ya, const Scale& x, const Scale& y,
                 int width, int height) {
  std::string out;
  const double x0 = kLeft, x1 = width - kRight, y0 = height - kBottom, y1 = kTop;
  for (double t : x.Ticks()) {
    out += Line(x(t), y0, x(t), y1, "stroke=\"#e3e3e3\"");
    out += Text(x(t), y0 + 16, TickLabel(t, xa.log));
  }
  for (double t : y.Ticks()) {
    out += Line(x0, y(t), x1, y(t), "stroke=\"#e3e3e3\"");
    out += Text(x0 - 6, y(t) + 4, TickLabel(t, ya.log), "end");
  }
  out += Line(x0, y0, x1, y0, "stroke=\"#333\"");
  out += Line(x0, y0, x0, y1, "stroke=\"#333\"");
  out += Text((x0 + x1) / 2, height - 10, xa.label);
  out += Text(14, (y0 + y1) / 2, ya.label, "middle",
              ("transform=\"rotate(-90 14 " + Num((y0 + y1) / 2) + ")\"").c_str());
  return out;
}

// A column of entries from (left, top), one a line.
std::string LegendColumn(const std::vector<std::pair<std::string, std::string>>& entries,
                         double left, double top) {
  std::string out;
  double y = top;
  for (const auto& [name, colour] : entries) {
    out += "<rect x=\"" + Num(left) + "\" y=\"" + Num(y - 8) +
           "\" width=\"10\" height=\"10\" fill=\"" + HtmlEscape(colour) + "\"/>";
    out += Text(left + 14, y + 1, name, "start");
    y += 16;
  }
  return out;
}

std::string Legend(const std::vector<std::pair<std::string, std::string>>& entries, int width) {
  std::string out;
  double x = kLeft + 4;
  const double y = 14;
  for (const auto& [name, colour] : entries) {
    out += "<rect x=\"" + Num(x) + "\" y=\"" + Num(y - 8) + "\" width=\"10\" height=\"10\" fill=\"" +
           HtmlEscape(colour) + "\"/>";
    out += Text(x + 14, y + 1, name, "start");
    x += 22 + 6.2 * static_cast<double>(name.size());
    if (x > width - 80) break;  // no room: the table beside the chart names the rest
  }
  return out;
}

}  // namespace

std::string LineChartSvg(const LineChartSpec& spec) {
  std::string out = Open(spec.id, spec.title, spec.width, spec.height);
  if (!AxisValid(spec.x) || !AxisValid(spec.y)) {
    return out + Text(spec.width / 2.0, spec.height / 2.0, "no valid axis range") + "</svg>";
  }
  // With a legend column the plot ends where the column starts.
  const int plot_width = spec.width - std::max(0, spec.legend_width);
  const Scale x(spec.x, kLeft, plot_width - kRight), y(spec.y, spec.height - kBottom, kTop);
  out += Axes(spec.x, spec.y, x, y, plot_width, spec.height);
  std::vector<std::pair<std::string, std::string>> legend;
  for (const ChartSeries& s : spec.series) {
    std::string points, dots;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!x.Inside(s.x[i]) || !y.Inside(s.y[i])) continue;
      points += Num(x(s.x[i])) + "," + Num(y(s.y[i])) + " ";
      if (s.markers) {
        dots += "<circle class=\"point\" cx=\"" + Num(x(s.x[i])) + "\" cy=\"" + Num(y(s.y[i])) +
                "\" r=\"3\" fill=\"" + HtmlEscape(s.colour) + "\"/>";
      }
    }
    out += "<polyline class=\"series\" fill=\"none\" stroke-width=\"2\" stroke=\"" +
           HtmlEscape(s.colour) + "\"" + (s.dashed ? " stroke-dasharray=\"5,4\"" : "") +
           " points=\"" + points + "\"><title>" + HtmlEscape(s.name) + "</title></polyline>" +
           dots;
    legend.emplace_back(s.name, s.colour);
  }
  if (spec.has_marker && x.Inside(spec.marker_x)) {
    const double mx = x(spec.marker_x);
    out += Line(mx, spec.height - kBottom, mx, kTop, "stroke=\"#b00020\" stroke-dasharray=\"3,3\"");
    out += Text(mx + 4, kTop + 12, spec.marker_label, "start", "fill=\"#b00020\"");
  }
  out += spec.legend_width > 0 ? LegendColumn(legend, plot_width + 8, kTop + 8)
                               : Legend(legend, spec.width);
  return out + "</svg>";
}

std::string HistogramSvg(const HistogramSpec& spec) {
  std::string out = Open(spec.id, spec.title, spec.width, spec.height);
  double peak = 0;
  size_t bins = 0;
  for (const auto& d : spec.distributions) {
    long long total = 0;
    for (long long c : d.counts) total += c;
    for (long long c : d.counts) {
      if (total > 0) peak = std::max(peak, static_cast<double>(c) / total);
    }
    bins = std::max(bins, d.counts.size());
  }
  if (peak <= 0 || bins == 0 || !(spec.high > spec.low)) {
    return out + Text(spec.width / 2.0, spec.height / 2.0, "no scores") + "</svg>";
  }
  const ChartAxis xa{spec.x_label, spec.low, spec.high, false};
  const ChartAxis ya{"share of pairs per bin", 0, peak * 1.05, false};
  const Scale x(xa, kLeft, spec.width - kRight), y(ya, spec.height - kBottom, kTop);
  out += Axes(xa, ya, x, y, spec.width, spec.height);
  std::vector<std::pair<std::string, std::string>> legend;
  for (const auto& d : spec.distributions) {
    long long total = 0;
    for (long long c : d.counts) total += c;
    if (total == 0 || d.counts.empty()) continue;
    const double width = (spec.high - spec.low) / d.counts.size();
    std::string path = "M" + Num(x(spec.low)) + "," + Num(y(0));
    for (size_t b = 0; b < d.counts.size(); ++b) {
      const double share = static_cast<double>(d.counts[b]) / total;
      path += " L" + Num(x(spec.low + b * width)) + "," + Num(y(share));
      path += " L" + Num(x(spec.low + (b + 1) * width)) + "," + Num(y(share));
    }
    path += " L" + Num(x(spec.high)) + "," + Num(y(0)) + " Z";
    out += "<path class=\"distribution\" d=\"" + path + "\" fill=\"" + HtmlEscape(d.colour) +
           "\" fill-opacity=\"0.35\" stroke=\"" + HtmlEscape(d.colour) + "\"><title>" +
           HtmlEscape(d.name) + "</title></path>";
    legend.emplace_back(d.name + " (" + std::to_string(total) + ")", d.colour);
  }
  out += Legend(legend, spec.width);
  return out + "</svg>";
}

std::string HeatMapSvg(const HeatMapSpec& spec) {
  const size_t n = spec.names.size();
  constexpr double kCell = 56, kLabel = 76;
  const int width = static_cast<int>(kLabel + 20 + kCell * n + 10);
  const int height = static_cast<int>(kLabel + 20 + kCell * n + 10);
  std::string out = Open(spec.id, spec.title, width, height);
  out += Text(kLabel + 20 + kCell * n / 2, 12, spec.column_label);
  out += Text(12, kLabel + 20 + kCell * n / 2, spec.row_label, "middle",
              ("transform=\"rotate(-90 12 " + Num(kLabel + 20 + kCell * n / 2) + ")\"").c_str());
  for (size_t c = 0; c < n; ++c) {
    out += Text(kLabel + 20 + kCell * (c + 0.5), kLabel + 12, spec.names[c]);
  }
  for (size_t r = 0; r < n; ++r) {
    const double top = kLabel + 20 + kCell * r;
    out += Text(kLabel + 14, top + kCell / 2 + 4, spec.names[r], "end");
    long long row_total = 0;
    if (r < spec.counts.size()) {
      for (long long v : spec.counts[r]) row_total += v;
    }
    for (size_t c = 0; c < n; ++c) {
      const long long v = r < spec.counts.size() && c < spec.counts[r].size() ? spec.counts[r][c] : 0;
      const double share = row_total > 0 ? static_cast<double>(v) / row_total : 0;
      // White to the report's blue (#2c5d9c) by the share of the row.
      const int red = static_cast<int>(255 - share * (255 - 0x2c));
      const int green = static_cast<int>(255 - share * (255 - 0x5d));
      const int blue = static_cast<int>(255 - share * (255 - 0x9c));
      char fill[16];
      std::snprintf(fill, sizeof(fill), "#%02x%02x%02x", red, green, blue);
      const double left = kLabel + 20 + kCell * c;
      out += "<rect class=\"cell\" x=\"" + Num(left) + "\" y=\"" + Num(top) + "\" width=\"" +
             Num(kCell - 2) + "\" height=\"" + Num(kCell - 2) + "\" fill=\"" + fill +
             "\"" + (r == c ? " stroke=\"#333\"" : "") + "/>";
      out += Text(left + kCell / 2 - 1, top + kCell / 2 + 4, std::to_string(v), "middle",
                  share > 0.5 ? "fill=\"#fff\"" : "");
    }
  }
  return out + "</svg>";
}

}  // namespace candor::report
