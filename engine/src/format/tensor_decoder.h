// Decodes the compressed tensor encoding (ir::Encoding::kCompressed; byte layout in FORMAT.md,
// "Compressed tensors") into a dense float32 tensor, once, when a model is loaded.
//
// The payload is untrusted: every tag, count, length and bit position is checked, and a
// malformed one gives Status::Corruption — never a crash, an out-of-bounds read, an endless
// loop or an allocation the payload's size cannot justify (see MaxDecodedElements).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "kinglet/status.h"
#include "kinglet/tensor.h"

namespace kinglet::format {

// Payload header tags. Part of the format: never renumber.
enum class ValueCoding : uint8_t {
  kFloat32 = 1,         // raw little-endian f32
  kFloat16 = 2,         // IEEE binary16, widened exactly
  kInt8PerChannel = 3,  // scale[c] * (q - zero_point[c]), c = channel along an axis
  kCodebook = 4,        // n-bit indices into up to 2^n f32 centroids (k-means weight sharing)
};
constexpr uint8_t kCompressedFlagSparse = 1;  // only listed positions are stored; the rest are 0
// kBlockedHuffman: one Huffman code over blocks of k consecutive symbols (k * width <= 8), for
// alphabets whose most likely symbol takes more than half the stream (a prefix code spends at
// least one bit a symbol, however likely it is).
enum class StreamCoding : uint8_t { kRawBits = 0, kHuffman = 1, kBlockedHuffman = 2 };

constexpr int kMaxCodebookBits = 8;
constexpr int kMaxGapBits = 8;

// A stored bit never stands for more than 255 elements (one gap symbol of at most 2^8 - 1
// skipped positions, FORMAT.md), so a payload of `payload_size` bytes describes at most this
// many. The decoder refuses larger shapes before allocating: a 1 KB hostile payload cannot ask
// for more than ~8 MB.
constexpr uint64_t MaxDecodedElements(uint64_t payload_size) { return payload_size * 8 * 255; }

struct DecodedTensor {
  Tensor tensor;              // owned float32 tensor of the requested shape
  std::string encoding_name;  // "fp16", "int8", "kmeans4", "sparse+kmeans5+huffman", ...
};

// Decodes `size` bytes of an encoding-2 payload for a float32 constant of `shape` (known,
// non-negative dims). Corruption, with a short message naming the bad field, on any damage.
Result<DecodedTensor> DecodeCompressedTensor(const uint8_t* data, size_t size, const Shape& shape);

// The human name of a compressed encoding; the compressor uses the same function.
std::string CompressedEncodingName(ValueCoding coding, int codebook_bits, bool sparse, bool any_huffman);

// The decoder's arithmetic, shared with the compressor so that the accuracy it evaluates is
// computed on bit-for-bit the values the engine will run with.
float HalfToFloat(uint16_t half);
inline float DequantizeAffine(float scale, int32_t zero_point, int32_t q) {
  return scale * static_cast<float>(q - zero_point);
}

}  // namespace kinglet::format
