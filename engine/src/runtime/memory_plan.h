// Static memory planning: buffer sizes and lifetimes in, arena offsets out.
//
// Behind an interface so planners can be swapped and their peak use compared (STYLE 12).
#pragma once

#include <cstddef>
#include <vector>

namespace kinglet::runtime {

struct BufferRequest {
  size_t bytes = 0;
  int first_use = 0;  // index of the step that writes it
  int last_use = 0;   // index of the last step that reads it (inclusive)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per request, aligned
  size_t arena_bytes = 0;
};

class MemoryPlanner {
 public:
  virtual ~MemoryPlanner() = default;
  virtual MemoryPlan Plan(const std::vector<BufferRequest>& requests, size_t alignment) const = 0;
};

// Largest buffers first, each at the lowest offset that does not overlap a placed buffer whose
// lifetime intersects its own ("greedy by size", as in TFLite's arena planner). Near-optimal
// for the chain-like graphs of CNNs and RNNs, and O(n^2) in the number of buffers.
class GreedyBySizePlanner : public MemoryPlanner {
 public:
  MemoryPlan Plan(const std::vector<BufferRequest>& requests, size_t alignment) const override;
};

}  // namespace kinglet::runtime
