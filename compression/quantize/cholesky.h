// Dense float64 Cholesky routines shared by the reconstruction passes (SparseGPT, GPTQ-style error
// feedback, least-squares refit). Sizes are at most ~1000, so plain row-oriented loops (contiguous
// inner products the compiler vectorises) are fast enough: an 800x800 factor takes ~0.1 s.
#pragma once

#include "kinglet/status.h"
#include "quantize/matrix.h"

namespace kinglet::compression::quantize {

// Overwrites the symmetric matrix `a` (only its lower triangle is read) with L, a = L L^T, upper
// triangle zeroed. Returns false, leaving `a` garbage, if `a` is not numerically positive definite.
bool CholeskyLowerInPlace(MatrixD* a);

// Solves L L^T x = b in place, with `l` from CholeskyLowerInPlace.
void CholeskySolveInPlace(const MatrixD& l, double* b);

// U, upper triangular, with (H + lambda I)^-1 = U^T U, where lambda = relative_damp * mean(diag H).
//
// This is the factor OBS-style passes need: processing columns 0, 1, 2, ... in order, row i of U
// restricted to j >= i is the i-th column's row of the inverse Hessian *after* columns < i were
// eliminated (Frantar et al., GPTQ 2022, Sec. 3 "Cholesky reformulation"), so each elimination
// step is a rank-1 update with no re-inversion. We get it without forming H^-1: reversing the
// order, P H P = L L^T gives H = R R^T with R = P L P upper, hence H^-1 = (R^-1)^T R^-1 and
// U = R^-1 = P L^-1 P — one Cholesky and one triangular inverse (n^3/2 flops, not ~n^3).
//
// If H + lambda I is not positive definite (rank-deficient calibration, float round-off), lambda is
// raised tenfold up to 6 times. An all-zero H (input never active) is treated as the identity.
Result<MatrixD> DampedInverseUpperFactor(const MatrixD& h, double relative_damp);

}  // namespace kinglet::compression::quantize
