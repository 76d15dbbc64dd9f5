// Session: runs a Model. Plan once, run many.
//
// The first Run (and any Run whose input shapes differ from the previous one) plans: it checks
// every node's shapes, picks kernels and packs all intermediate tensors into one arena. Runs
// with the same shapes then only compute. A Session is not thread-safe: use one per thread
// (they can share the Model).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kinglet/model.h"
#include "kinglet/status.h"
#include "kinglet/tensor.h"

namespace kinglet {

struct SessionOptions {
  int threads = 1;  // intra-op threads; 0 = all hardware threads
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> Create(std::shared_ptr<const Model> model,
                                                 const SessionOptions& options = {});
  ~Session();

  // Runs the model. `inputs` are matched by name (every model input must be given once, with
  // its declared dtype and a shape compatible with the declared one). `outputs` receives the
  // model outputs in declaration order; tensors already in `outputs` with the right dtype and
  // shape are reused (written in place), so a caller looping over Run allocates nothing.
  Status Run(const std::vector<NamedTensor>& inputs, std::vector<NamedTensor>* outputs);

  // Bytes of the intermediate-tensor arena of the current plan (0 before the first Run).
  size_t arena_bytes() const;

  const Model& model() const;

 private:
  class Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kinglet
