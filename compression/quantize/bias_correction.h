// Bias correction (Nagel et al., "Data-Free Quantization Through Weight Equalization and Bias
// Correction", ICCV 2019, Sec. 4.2): quantizing or pruning W to W_hat shifts the expected output by
// E[(W_hat - W) x] = (W_hat - W) E[x] (their Eq. 13-14); the next layer sees a biased input and the
// errors of many channels add up instead of averaging out. Adding (W - W_hat) E[x] to the bias
// removes the shift exactly on the calibration distribution. We use the *empirical* variant: E[x]
// is the measured calibration input mean (HessianAccumulator::Mean), not the BN-statistics
// estimate of the data-free variant, so it holds for any preceding layer, BN or not.
#pragma once

#include <vector>

#include "kinglet/status.h"
#include "quantize/matrix.h"

namespace kinglet::compression::quantize {

// (W - W_hat) mu, one value per output channel (row), to be *added* to the layer's bias (a layer
// without bias gets one). Shapes: W, W_hat [rows, cols], mu [cols]; mismatches are InvalidArgument.
// For a Conv, mu is the mean im2col patch (padding zeros included), so the correction is exact at
// every output position, borders included on average.
Result<std::vector<float>> BiasCorrection(const Matrix& w, const Matrix& w_hat,
                                          const std::vector<double>& input_mean);

}  // namespace kinglet::compression::quantize
