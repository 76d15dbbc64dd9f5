// The smallest app that uses the whole engine: load a .kgl, plan a session, run it. bench/engine
// links it statically against libkinglet_engine.a with --gc-sections and strips it; its size
// minus an empty program's is what the engine costs an app (every op and kernel is reachable
// through the op registry, so nothing the engine has is dropped).
#include <cstdio>
#include <vector>

#include "kinglet/kinglet.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: size_probe MODEL.kgl\n");
    return 2;
  }
  auto model = kinglet::Model::LoadFile(argv[1]);
  if (!model.ok()) return 1;
  auto session = kinglet::Session::Create(*model);
  if (!session.ok()) return 1;
  std::vector<kinglet::NamedTensor> inputs, outputs;
  for (const kinglet::TensorSpec& spec : (*model)->inputs()) {
    kinglet::Shape shape = spec.shape;
    for (int64_t& d : shape) d = d < 0 ? 1 : d;
    inputs.push_back({spec.name, kinglet::Tensor(spec.dtype, shape)});
  }
  const kinglet::Status status = (*session)->Run(inputs, &outputs);
  std::printf("%s\n", status.ToString().c_str());
  return status.ok() ? 0 : 1;
}
