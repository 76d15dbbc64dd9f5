// Choosing one setting per layer under a shared accuracy budget: each layer offers settings with
// a size and a damage (how much it alone perturbs the model's output); the set of choices that is
// smallest for its total damage is found by Lagrangian relaxation, as in rate-distortion
// optimisation (Shoham & Gersho 1988) and mixed-precision bit allocation.
#pragma once

#include <cstddef>
#include <vector>

namespace kinglet::compression {

struct TradeoffPoint {
  double sparsity = 0;
  int bits = 0;       // 0 = float32
  size_t bytes = 0;   // stored size
  double damage = 0;  // >= 0
};

// A layer's non-dominated settings: bytes strictly increasing, damage strictly decreasing.
using Frontier = std::vector<TradeoffPoint>;

// The points of `all` that no other point beats on both size and damage (ties: the first one).
Frontier ParetoFrontier(std::vector<TradeoffPoint> all);

// Per-layer frontier indices for every price lambda from 0 (each layer at its smallest point) to
// infinity (each at its least damaging point): at lambda each layer minimises
// bytes + lambda * damage. Consecutive entries differ; sizes rise along the path. Empty
// frontiers are not allowed.
std::vector<std::vector<size_t>> LagrangianPath(const std::vector<Frontier>& frontiers);

}  // namespace kinglet::compression
