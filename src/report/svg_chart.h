// Small inline-SVG charts for self-contained HTML reports: line charts (with
// a logarithmic axis where rates span decades), overlaid histograms and a
// heat-map table. No script, no external file: the markup is the chart.
//
// Every text that goes into the markup is escaped; non-finite values and
// values outside a logarithmic axis are left out of the line, never drawn at
// infinity.
//
// Thread safety: pure functions.
#ifndef CANDOR_REPORT_SVG_CHART_H_
#define CANDOR_REPORT_SVG_CHART_H_

#include <string>
#include <vector>

namespace candor::report {

struct ChartAxis {
  std::string label;
  double low = 0;
  double high = 1;
  bool log = false;  // low must then be > 0
};

struct ChartSeries {
  std::string name;
  std::string colour;  // CSS colour, e.g. "#2c5d9c"
  std::vector<double> x;
  std::vector<double> y;
  bool dashed = false;
  // A dot at each point drawn, so that a series reduced to one point (the
  // others off a logarithmic axis) still shows.
  bool markers = false;
};

struct LineChartSpec {
  std::string id;     // the svg element's id
  std::string title;  // <title> of the svg, for screen readers
  ChartAxis x, y;
  std::vector<ChartSeries> series;
  int width = 640;
  int height = 360;
  // 0: the legend is one row above the plot (for a few series); else a
  // column of this width right of the plot, one series a line.
  int legend_width = 0;
  // A vertical marker (e.g. the default threshold) when finite.
  double marker_x = 0;
  bool has_marker = false;
  std::string marker_label;
};
std::string LineChartSvg(const LineChartSpec& spec);

// Two or more distributions over the same equal bins, each drawn as the
// outline of its share of the total per bin (so sets of different sizes
// compare).
struct HistogramSpec {
  std::string id;
  std::string title;
  std::string x_label;
  double low = 0;
  double high = 1;
  struct Distribution {
    std::string name;
    std::string colour;
    std::vector<long long> counts;  // equal bins over [low, high)
  };
  std::vector<Distribution> distributions;
  int width = 640;
  int height = 300;
};
std::string HistogramSvg(const HistogramSpec& spec);

// A heat map of counts[row][column], each row shaded by its own share, with
// the count written in each cell.
struct HeatMapSpec {
  std::string id;
  std::string title;
  std::string row_label;     // e.g. "true"
  std::string column_label;  // e.g. "predicted"
  std::vector<std::string> names;  // rows and columns alike
  std::vector<std::vector<long long>> counts;
};
std::string HeatMapSvg(const HeatMapSpec& spec);

}  // namespace candor::report

#endif  // CANDOR_REPORT_SVG_CHART_H_
