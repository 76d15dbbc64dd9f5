#include "runtime/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace kinglet::runtime {

MemoryPlan GreedyBySizePlanner::Plan(const std::vector<BufferRequest>& requests, size_t alignment) const {
  auto align = [alignment](size_t n) { return (n + alignment - 1) / alignment * alignment; };
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return requests[a].bytes > requests[b].bytes; });

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
