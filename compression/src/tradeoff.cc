#include "tradeoff.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace kinglet::compression {

Frontier ParetoFrontier(std::vector<TradeoffPoint> all) {
  std::stable_sort(all.begin(), all.end(), [](const TradeoffPoint& a, const TradeoffPoint& b) {
    return a.bytes < b.bytes || (a.bytes == b.bytes && a.damage < b.damage);
  });
  Frontier out;
  for (const TradeoffPoint& p : all) {
    if (out.empty() || (p.damage < out.back().damage && p.bytes > out.back().bytes)) out.push_back(p);
  }
  return out;
}

namespace {

size_t Cheapest(const Frontier& f, double lambda) {
  size_t best = 0;
  double cost = std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < f.size(); ++k) {
    const double c = static_cast<double>(f[k].bytes) + lambda * f[k].damage;
    if (c < cost) {
      cost = c;
      best = k;
    }
  }
  return best;
}

}  // namespace

std::vector<std::vector<size_t>> LagrangianPath(const std::vector<Frontier>& frontiers) {
  // A layer's choice changes only where two of its points cost the same: collect those prices.
  std::vector<double> prices = {0.0};
  for (const Frontier& f : frontiers) {
    for (size_t a = 0; a < f.size(); ++a) {
      for (size_t b = a + 1; b < f.size(); ++b) {
        prices.push_back(double(f[b].bytes - f[a].bytes) / (f[a].damage - f[b].damage));
      }
    }
  }
  std::sort(prices.begin(), prices.end());
  prices.push_back(std::numeric_limits<double>::infinity());
  std::vector<std::vector<size_t>> path;
  for (size_t i = 0; i + 1 < prices.size(); ++i) {
    // Between two breakpoints every layer's choice is fixed: sample the middle of the interval.
    const double lambda = std::isinf(prices[i + 1]) ? prices[i] * 2 + 1 : (prices[i] + prices[i + 1]) / 2;
    std::vector<size_t> config;
    for (const Frontier& f : frontiers) {
      config.push_back(std::isinf(prices[i + 1]) ? f.size() - 1 : Cheapest(f, lambda));
    }
    if (path.empty() || path.back() != config) path.push_back(config);
  }
  return path;
}

}  // namespace kinglet::compression
