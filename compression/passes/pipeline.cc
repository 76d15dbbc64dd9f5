#include "passes/pipeline.h"

#include <string>

#include "passes/constant_folding.h"
#include "passes/dead_node_elimination.h"
#include "passes/fold_batch_norm.h"
#include "passes/fuse_activation.h"
#include "passes/remove_identity.h"

namespace kinglet::compression::passes {
namespace {

struct NamedPass {
  const char* name;
  Status (*run)(ir::Graph*);
};

Status RunFoldConstants(ir::Graph* graph) { return FoldConstants(graph); }

}  // namespace

Status RunTransformPasses(ir::Graph* graph) {
  static const NamedPass kPasses[] = {
      {"remove_identity", RemoveIdentity},
      {"constant_folding", RunFoldConstants},
      {"fold_batch_norm", FoldBatchNorm},
      {"fuse_activation", FuseActivation},
      {"dead_node_elimination", EliminateDeadNodes},
  };
  for (const NamedPass& pass : kPasses) {
    KINGLET_RETURN_IF_ERROR(pass.run(graph).WithContext(std::string("pass ") + pass.name));
#ifndef NDEBUG
    const std::string problem = ir::ValidateGraph(*graph);
    if (!problem.empty()) {
      return Status::Internal(std::string("pass ") + pass.name + " left an invalid graph: " + problem);
    }
#endif
  }
  return Status::Ok();
}

}  // namespace kinglet::compression::passes
