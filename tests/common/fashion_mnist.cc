#include "fashion_mnist.h"

#include <zlib.h>

#include <fstream>

namespace kinglet::testing {
namespace {

std::string Gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) return "";
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof(buf))) > 0) out.append(buf, n);
  gzclose(f);
  return out;
}

uint32_t BigEndian32(const std::string& s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) |
         (uint32_t(uint8_t(s[at + 2])) << 8) | uint32_t(uint8_t(s[at + 3]));
}

}  // namespace

bool FashionMnistAvailable() {
  return std::ifstream(std::string(kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz").good();
}

bool LoadFashionMnist(const std::string& split, int64_t count, Tensor* images, Tensor* labels, std::string* error) {
  const std::string dir = kFashionMnistDir;
  const std::string img = Gunzip(dir + "/" + split + "-images-idx3-ubyte.gz");
  const std::string lab = Gunzip(dir + "/" + split + "-labels-idx1-ubyte.gz");
  if (img.size() < 16 || lab.size() < 8 || BigEndian32(img, 0) != 0x803 || BigEndian32(lab, 0) != 0x801) {
    *error = "Fashion-MNIST '" + split + "' is missing or malformed: install dataset-fashion-mnist";
    return false;
  }
  const int64_t available = BigEndian32(img, 4);
  if (count > available || img.size() < 16 + size_t(count) * 784 || lab.size() < 8 + size_t(count)) {
    *error = "Fashion-MNIST '" + split + "' has fewer than " + std::to_string(count) + " images";
    return false;
  }
  *images = Tensor(DataType::kFloat32, {count, 1, 28, 28});
  *labels = Tensor(DataType::kInt64, {count});
  for (int64_t i = 0; i < count * 784; ++i) images->data<float>()[i] = uint8_t(img[16 + i]) / 255.0f;
  for (int64_t i = 0; i < count; ++i) labels->data<int64_t>()[i] = uint8_t(lab[8 + i]);
  return true;
}

}  // namespace kinglet::testing
