#include "runtime/memory_plan.h"

#include <algorithm>

namespace kinglet::runtime {

MemoryPlan GreedyBySizePlanner::Plan(const std::vector<BufferRequest>& requests, size_t alignment) const {
  auto align = [alignment](size_t n) { return (n + alignment - 1) / alignment * alignment; };
  // Largest first, equal sizes in request order. By insertion: the placement below is quadratic
  // anyway, and std::stable_sort costs an app ~2.5 KB of merge code.
  std::vector<size_t> order(requests.size());
  for (size_t i = 0; i < order.size(); ++i) {
    size_t j = i;
    for (; j > 0 && requests[order[j - 1]].bytes < requests[i].bytes; --j) order[j] = order[j - 1];
    order[j] = i;
  }

  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> placed;  // indices already given an offset, kept sorted by offset
  for (size_t idx : order) {
    const BufferRequest& r = requests[idx];
    const size_t size = align(r.bytes);
    size_t offset = 0;
    for (size_t p : placed) {
      const BufferRequest& other = requests[p];
      const bool overlaps_in_time = !(other.last_use < r.first_use || r.last_use < other.first_use);
      if (!overlaps_in_time) continue;
      const size_t other_end = plan.offsets[p] + align(other.bytes);
      if (offset + size <= plan.offsets[p]) break;  // fits in the gap before `other`
      offset = std::max(offset, other_end);
    }
    plan.offsets[idx] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + size);
    placed.insert(std::upper_bound(placed.begin(), placed.end(), idx,
                                   [&](size_t a, size_t b) { return plan.offsets[a] < plan.offsets[b]; }),
                  idx);
  }
  return plan;
}

}  // namespace kinglet::runtime
