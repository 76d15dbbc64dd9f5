// Activation calibration for int8 kernels: the clipping range [min, max] of one tensor, estimated
// from calibration batches. Min/max is exact but a single outlier stretches the grid for every
// other value; percentile and MSE-optimal clipping trade a little clipping error for resolution
// (Wu et al. 2020, "Integer Quantization for Deep Learning Inference", Sec. 4.2; TensorRT's
// entropy/percentile calibrators). Both work off a histogram, so memory is fixed however many
// batches are observed.
#pragma once

#include <cstdint>
#include <vector>

#include "kinglet/status.h"

namespace kinglet::compression::quantize {

struct ActivationRange {
  float min = 0.0f;  // <= 0 always: the range contains 0 so that zero padding / ReLU zeros are exact
  float max = 0.0f;  // >= 0 always
};

struct Int8Affine {
  float scale = 1.0f;      // > 0
  int32_t zero_point = 0;  // in [-128, 127]; 0 if symmetric
};

// real = scale * (q - zero_point), q in [-128, 127] (asymmetric) or [-127, 127] (symmetric).
Int8Affine AffineFromRange(const ActivationRange& range, bool symmetric);

// Not thread-safe; one per activation tensor.
class ActivationRangeObserver {
 public:
  // bins_per_sign: histogram resolution for each side of zero; rounded up to a power of two >= 64.
  explicit ActivationRangeObserver(int bins_per_sign = 2048);

  // Adds a batch. NaN/Inf is InvalidArgument naming `what` (nothing is recorded then).
  Status Observe(const float* values, int64_t count, const char* what = "activation");

  int64_t count() const { return count_; }
  // Running extremes: exact, whatever the histogram's resolution. Empty observer: {0, 0}.
  ActivationRange MinMax() const;
  // The two-sided percentile range: at most (100 - percent)% of the values lie below min and the
  // same above max, e.g. percent = 99.99. Linear within a histogram bin, never beyond MinMax().
  ActivationRange Percentile(double percent) const;
  // The range [t*min, t*max], t in (0, 1] on a 1/256 grid, minimising the expected squared error of
  // `levels`-level uniform quantization: clipped values contribute (x - clip(x))^2, others scale^2/12.
  ActivationRange MseOptimal(int levels = 256) const;

 private:
  struct Side {  // |x| of one sign, bins of equal width over [0, range)
    std::vector<double> bins;
    double range = 0.0;
    void Add(double magnitude);
  };
  double TailCut(const Side& side, double tail) const;

  int bins_;
  int64_t count_ = 0;
  double zeros_ = 0.0;
  float min_ = 0.0f;
  float max_ = 0.0f;
  Side positive_, negative_;
};

}  // namespace kinglet::compression::quantize
