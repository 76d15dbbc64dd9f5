// Per-layer trade-offs: the frontier keeps only undominated settings, and the Lagrangian path
// goes from the smallest choice to the least damaging one, each step the cheapest for its price.
#include "tradeoff.h"

#include <gtest/gtest.h>

namespace kinglet::compression {
namespace {

TradeoffPoint P(size_t bytes, double damage) { return {0.0, 0, bytes, damage}; }

TEST(ParetoFrontierTest, DropsDominatedPointsAndSortsBySize) {
  const Frontier f = ParetoFrontier({P(100, 0.0), P(10, 5.0), P(50, 1.0), P(60, 2.0), P(10, 6.0), P(70, 1.0)});
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].bytes, 10u);
  EXPECT_EQ(f[0].damage, 5.0);
  EXPECT_EQ(f[1].bytes, 50u);
  EXPECT_EQ(f[2].bytes, 100u);
}

TEST(LagrangianPathTest, WalksFromSmallestToLeastDamaging) {
  const std::vector<Frontier> frontiers = {ParetoFrontier({P(10, 4.0), P(20, 1.0), P(40, 0.0)}),
                                           ParetoFrontier({P(5, 2.0), P(100, 0.0)})};
  const auto path = LagrangianPath(frontiers);
  ASSERT_GE(path.size(), 2u);
  EXPECT_EQ(path.front(), (std::vector<size_t>{0, 0}));
  EXPECT_EQ(path.back(), (std::vector<size_t>{2, 1}));
  // Layer 0's first step buys 3 damage for 10 bytes (price 3.3), layer 1's only step 2 for 95
  // (47.5), layer 0's second 1 for 20 (20): so the order is layer 0, layer 0, layer 1.
  EXPECT_EQ(path, (std::vector<std::vector<size_t>>{{0, 0}, {1, 0}, {2, 0}, {2, 1}}));
  for (size_t k = 1; k < path.size(); ++k) EXPECT_NE(path[k], path[k - 1]);
}

TEST(LagrangianPathTest, SinglePointFrontiersGiveOneConfig) {
  const auto path = LagrangianPath({ParetoFrontier({P(8, 0.0)}), ParetoFrontier({P(4, 0.0)})});
  EXPECT_EQ(path, (std::vector<std::vector<size_t>>{{0, 0}}));
}

}  // namespace
}  // namespace kinglet::compression
