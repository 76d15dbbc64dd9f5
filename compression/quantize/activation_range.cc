#include "quantize/activation_range.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace kinglet::compression::quantize {

Int8Affine AffineFromRange(const ActivationRange& range, bool symmetric) {
  Int8Affine a;
  const double lo = std::min(0.0f, range.min), hi = std::max(0.0f, range.max);
  if (symmetric) {
    const double amax = std::max(-lo, hi);
    if (amax > 0.0) a.scale = static_cast<float>(amax / 127.0);
    return a;
  }
  if (hi > lo) {
    a.scale = static_cast<float>((hi - lo) / 255.0);
    a.zero_point = static_cast<int32_t>(std::clamp<long>(std::lround(-128.0 - lo / a.scale), -128, 127));
  }
  return a;
}

ActivationRangeObserver::ActivationRangeObserver(int bins_per_sign) : bins_(64) {
  while (bins_ < bins_per_sign && bins_ < (1 << 20)) bins_ *= 2;
  positive_.bins.assign(static_cast<size_t>(bins_), 0.0);
  negative_.bins.assign(static_cast<size_t>(bins_), 0.0);
}

void ActivationRangeObserver::Side::Add(double m) {
  const size_t n = bins.size();
  if (range == 0.0) range = m;  // the first value fixes the initial scale; later growth doubles it
  // Doubling the range merges bin pairs exactly, so a histogram built over many batches equals the
  // one built in a single pass at the final range (no re-binning error accumulates).
  while (m >= range) {
    for (size_t i = 0; i < n / 2; ++i) bins[i] = bins[2 * i] + bins[2 * i + 1];
    std::fill(bins.begin() + static_cast<long>(n / 2), bins.end(), 0.0);
    range *= 2.0;
  }
  const size_t b = std::min(n - 1, static_cast<size_t>(m / range * static_cast<double>(n)));
  bins[b] += 1.0;
}

Status ActivationRangeObserver::Observe(const float* values, int64_t count, const char* what) {
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(values[i])) {
      return Status::InvalidArgument(
          std::string(what) + ": calibration value " + std::to_string(i) +
          " of the batch is NaN or Inf; check the calibration data and the layers before it");
    }
  }
  for (int64_t i = 0; i < count; ++i) {
    const float v = values[i];
    if (v > 0.0f) {
      positive_.Add(v);
    } else if (v < 0.0f) {
      negative_.Add(-static_cast<double>(v));
    } else {
      zeros_ += 1.0;
    }
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  count_ += count;
  return Status::Ok();
}

ActivationRange ActivationRangeObserver::MinMax() const { return {min_, max_}; }

// The magnitude above which `tail` values of this side lie (0 if the side holds <= tail values).
double ActivationRangeObserver::TailCut(const Side& side, double tail) const {
  const double width = side.range / static_cast<double>(bins_);
  double above = 0.0;
  for (int b = bins_ - 1; b >= 0; --b) {
    const double c = side.bins[static_cast<size_t>(b)];
    if (above + c > tail) return (b + 1) * width - (tail - above) / c * width;
    above += c;
  }
  return 0.0;
}

ActivationRange ActivationRangeObserver::Percentile(double percent) const {
  if (count_ == 0) return {};
  const double p = std::clamp(percent, 0.0, 100.0);
  const double tail = (100.0 - p) / 100.0 * static_cast<double>(count_);
  ActivationRange r;
  r.max = static_cast<float>(std::min<double>(max_, TailCut(positive_, tail)));
  r.min = static_cast<float>(std::max<double>(min_, -TailCut(negative_, tail)));
  return r;
}

ActivationRange ActivationRangeObserver::MseOptimal(int levels) const {
  if (count_ == 0 || (min_ == 0.0f && max_ == 0.0f)) return MinMax();
  levels = std::max(levels, 2);
  const double pw = positive_.range / bins_, nw = negative_.range / bins_;
  double best_err = std::numeric_limits<double>::infinity();
  ActivationRange best = MinMax();
  for (int step = 256; step >= 1; --step) {
    const double t = step / 256.0;
    const double lo = t * min_, hi = t * max_;
    const double scale = (hi - lo) / (levels - 1);
    const double noise = scale * scale / 12.0;
    double err = 0.0;
    for (int b = 0; b < bins_; ++b) {
      const double cp = positive_.bins[static_cast<size_t>(b)];
      if (cp > 0.0) {
        const double x = (b + 0.5) * pw;
        err += cp * (x > hi ? (x - hi) * (x - hi) : noise);
      }
      const double cn = negative_.bins[static_cast<size_t>(b)];
      if (cn > 0.0) {
        const double x = -(b + 0.5) * nw;
        err += cn * (x < lo ? (x - lo) * (x - lo) : noise);
      }
    }
    if (err < best_err) {
      best_err = err;
      best = {static_cast<float>(lo), static_cast<float>(hi)};
    }
  }
  return best;
}

}  // namespace kinglet::compression::quantize
