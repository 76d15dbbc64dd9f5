// The Fashion-MNIST test set from Debian's dataset-fashion-mnist, as tools/make_fixtures.py
// feeds it to PyTorch: pixels byte / 255 as float32 [N, 1, 28, 28], labels int64 [N].
#pragma once

#include <cstdint>
#include <string>

#include "kinglet/tensor.h"

namespace kinglet::testing {

constexpr char kFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";

// True if the Debian package's files are present.
bool FashionMnistAvailable();

// Loads the first `count` images of the test set ("t10k") or training set ("train").
// Returns false (with `error` set) if the files are missing or malformed.
bool LoadFashionMnist(const std::string& split, int64_t count, Tensor* images, Tensor* labels, std::string* error);

}  // namespace kinglet::testing
