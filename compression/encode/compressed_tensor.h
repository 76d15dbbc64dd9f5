// A weight's compressed representation and its .kgl encoding (ir::Encoding::kCompressed; byte
// layout in engine/src/format/FORMAT.md, "Compressed tensors").
//
// The quantize/ passes fill a CompressedTensor; DecodeToDense gives the float32 values the
// engine will compute with (bit for bit: it uses the engine decoder's own arithmetic), which is
// what the accuracy guard must evaluate and what goes into graph.constants; EncodeConstant gives
// the bytes SerializeKgl stores, and the writer re-decodes them to prove the two agree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "encode/huffman.h"
#include "format/tensor_decoder.h"
#include "kinglet/compression/kgl_writer.h"
#include "kinglet/status.h"
#include "kinglet/tensor.h"

namespace kinglet::compression {

using format::ValueCoding;

// value = scales[c] * (q - zero_points[c]), c = the value's index along `axis`.
struct Int8PerChannel {
  int axis = 0;                     // usually 0: the output channel of a conv/gemm weight
  std::vector<float> scales;        // shape[axis] entries
  std::vector<int8_t> zero_points;  // shape[axis] entries
  std::vector<int8_t> q;            // one per stored value
};

// k-means weight sharing: value = centroids[index].
struct Codebook {
  int bits = 0;                  // index width n, 1..8
  std::vector<float> centroids;  // 1..2^n entries
  std::vector<uint8_t> indices;  // one per stored value, each < centroids.size()
};

struct CompressedTensor {
  Shape shape;  // the constant's shape (float32)
  // Sparse: strictly increasing row-major positions of the stored values; every other element
  // is +0.0. Unset: every element is stored, in row-major order.
  std::optional<std::vector<int64_t>> positions;

  ValueCoding coding = ValueCoding::kFloat32;  // picks which of the three fields below is used
  std::vector<float> values;  // kFloat32, kFloat16: one per stored value (fp16 rounds to nearest even)
  Int8PerChannel int8;        // kInt8PerChannel
  Codebook codebook;          // kCodebook

  // Entropy coding per integer stream: the int8 q / codebook index stream, and the gap stream.
  bool huffman_values = false;
  bool huffman_gaps = false;
  int gap_bits = 0;  // gap symbol width 1..8 (a gap of 2^b - 1 or more needs run symbols); 0 = smallest
  // Symbols per Huffman code word (1, 2, 4 or 8; times the symbol width at most 8): blocks let
  // a stream dominated by one symbol cost less than a bit a symbol (huffman.h, EncodeStream).
  int value_block = 1;
  int gap_block = 1;

  uint64_t element_count() const { return static_cast<uint64_t>(ElementCount(shape)); }
  uint64_t stored_count() const { return positions ? positions->size() : element_count(); }
};

// InvalidArgument naming the first inconsistency (sizes, ranges, unsorted positions, ...).
Status ValidateCompressedTensor(const CompressedTensor& t);

// The payload bytes (validates first).
Result<std::string> EncodeCompressedTensor(const CompressedTensor& t);
// EncodeCompressedTensor packaged for SerializeKgl's `encoded` map.
Result<EncodedConstant> EncodeConstant(const CompressedTensor& t);

// The dense float32 tensor the engine decodes from this representation. Precondition:
// ValidateCompressedTensor(t) is OK; otherwise returns an empty Tensor().
Tensor DecodeToDense(const CompressedTensor& t);

// "fp16", "int8", "kmeans4", "sparse+kmeans5+huffman", ... (as the engine reports it). With
// gap_bits = 0 the name assumes the Huffman flags as set.
std::string CompressedTensorName(const CompressedTensor& t);

// Sets the Huffman flags, blocks and gap_bits to whatever stores smallest.
void ChooseSmallestCodings(CompressedTensor* t);

// Bits per symbol of each integer stream ("int8", "indices", "gaps") against its entropy and
// zstd -19 (huffman.h). Gaps use gap_bits, or the smallest width if 0. Precondition: valid.
struct NamedStreamReport {
  std::string stream;
  StreamReport report;
};
std::vector<NamedStreamReport> ReportStreams(const CompressedTensor& t);

// The gap stream's symbols for sorted `positions` in a tensor of `element_count` elements
// (FORMAT.md, "Sparse positions").
std::vector<uint32_t> GapSymbols(const std::vector<int64_t>& positions, uint64_t element_count, int gap_bits);

// IEEE binary16, round to nearest even; overflow gives infinity, NaN a quiet NaN.
uint16_t FloatToHalf(float value);

}  // namespace kinglet::compression
