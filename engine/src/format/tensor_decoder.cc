#include "format/tensor_decoder.h"

#include <cstring>
#include <vector>

#include "format/huffman_decoder.h"
#include "format/kgl_format.h"
#include "runtime/status_format.h"

namespace kinglet::format {
namespace {

// Bounds-checked reads from the payload; unlike ByteReader it hands out spans of the bytes
// (stream bit strings, arrays) so they are decoded in place.
class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t remaining() const { return size_ - pos_; }

  template <typename T>
  bool Read(T* out) {
    if (remaining() < sizeof(T)) return false;
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  // A span of `n` bytes, or nullptr if fewer remain.
  const uint8_t* Take(uint64_t n) {
    if (n > remaining()) return nullptr;
    const uint8_t* p = data_ + pos_;
    pos_ += static_cast<size_t>(n);
    return p;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// One integer stream (FORMAT.md, "Streams"): symbols of `alphabet_bits` bits, raw, Huffman, or
// Huffman over blocks of `block_` symbols.
class SymbolStream {
 public:
  Status Open(Cursor& c, int alphabet_bits, uint64_t min_count, uint64_t max_count, const char* what) {
    what_ = what;
    uint8_t coding = 0;
    if (!c.Read(&coding) || !c.Read(&count_)) return CorruptionError("truncated {} stream header", what_);
    if (coding > static_cast<uint8_t>(StreamCoding::kBlockedHuffman)) {
      return CorruptionError("unknown coding {} of the {} stream", coding, what_);
    }
    if (count_ < min_count || count_ > max_count)
      return CorruptionError("bad symbol count of the {} stream", what_);
    huffman_ = coding != static_cast<uint8_t>(StreamCoding::kRawBits);
    alphabet_bits_ = alphabet_bits;
    if (coding == static_cast<uint8_t>(StreamCoding::kBlockedHuffman)) {
      uint8_t block = 0;
      if (!c.Read(&block)) return CorruptionError("truncated {} stream header", what_);
      if ((block != 2 && block != 4 && block != 8) || block * alphabet_bits > kMaxCodebookBits) {
        return CorruptionError("bad block length {} of the {} stream", block, what_);
      }
      block_ = block;
    }
    if (huffman_) {
      const size_t alphabet = size_t{1} << (alphabet_bits * block_);
      const uint8_t* table = c.Take((alphabet + 1) / 2);
      if (table == nullptr) return CorruptionError("truncated {} code-length table", what_);
      uint8_t lengths[1 << kMaxCodebookBits];
      for (size_t s = 0; s < alphabet; ++s) lengths[s] = (table[s / 2] >> (s % 2 ? 4 : 0)) & 15;
      if (!decoder_.Init(lengths, alphabet))
        return CorruptionError("over-subscribed Huffman code in the {} stream", what_);
      if (count_ > 0 && !decoder_.has_symbols())
        return CorruptionError("empty Huffman code in the {} stream", what_);
    }
    uint32_t byte_count = 0;
    if (!c.Read(&byte_count)) return CorruptionError("truncated {} stream header", what_);
    // Raw symbols have a fixed width; a Huffman code is at least one bit (for a block of symbols
    // when blocked). Either way the count cannot promise more symbols than the bits hold, so
    // decoding loops stay bounded by the bytes.
    if (huffman_ ? count_ > uint64_t{byte_count} * 8 * block_
                 : uint64_t{byte_count} != (count_ * alphabet_bits + 7) / 8) {
      return CorruptionError("the {} stream's length does not match its symbol count", what_);
    }
    const uint8_t* bits = c.Take(byte_count);
    if (bits == nullptr) return CorruptionError("truncated {} stream", what_);
    bits_ = BitReader(bits, byte_count);
    return Status::Ok();
  }

  uint64_t symbols_left() const { return count_ - consumed_; }
  bool huffman() const { return huffman_; }

  // The next symbol (< 2^alphabet_bits); false at the end of the stream or on a bad code.
  bool Next(uint32_t* symbol) {
    if (consumed_ == count_) return false;
    ++consumed_;
    if (!huffman_) return bits_.Read(alphabet_bits_, symbol);
    if (block_ == 1) return decoder_.Decode(bits_, symbol);
    if (buffered_ == 0) {  // the next block: its first symbol in the highest bits
      if (!decoder_.Decode(bits_, &block_value_)) return false;
      buffered_ = block_;
    }
    --buffered_;
    *symbol = (block_value_ >> (buffered_ * alphabet_bits_)) & ((uint32_t{1} << alphabet_bits_) - 1);
    return true;
  }

  // Every symbol was read and only padding is left: zero symbols filling the last block, then
  // the zero bits of the last byte.
  Status Finish() const {
    if (consumed_ != count_) return CorruptionError("unread symbols in the {} stream", what_);
    if ((block_value_ & ((uint32_t{1} << (buffered_ * alphabet_bits_)) - 1)) != 0 || !bits_.AtPaddedEnd()) {
      return CorruptionError("trailing bits in the {} stream", what_);
    }
    return Status::Ok();
  }

 private:
  const char* what_ = "";
  uint64_t count_ = 0;
  uint64_t consumed_ = 0;
  bool huffman_ = false;
  int alphabet_bits_ = 0;
  int block_ = 1;
  int buffered_ = 0;          // symbols of the current block not read yet
  uint32_t block_value_ = 0;  // the current block's symbol
  HuffmanDecoder decoder_;
  BitReader bits_;
};

// Walks the gap stream of a sparse tensor: symbol g < M = 2^b - 1 means "skip g positions,
// then a stored value"; symbol M means "skip M positions" with no value (a run longer than
// the alphabet). Trailing M symbols carry the run after the last stored value to the end.
class GapWalker {
 public:
  Status Open(Cursor& c, uint64_t element_count, uint64_t stored_count) {
    uint8_t gap_bits = 0;
    if (!c.Read(&gap_bits)) return CorruptionError("truncated sparse header");
    if (gap_bits < 1 || gap_bits > kMaxGapBits) return CorruptionError("bad gap width {}", gap_bits);
    n_ = element_count;
    run_ = (uint32_t{1} << gap_bits) - 1;
    // At most stored_count value symbols, and run symbols that advance at most n + run - 1.
    return stream_.Open(c, gap_bits, stored_count, stored_count + n_ / run_ + 1, "gap");
  }

  bool huffman() const { return stream_.huffman(); }

  // Position of the next stored value.
  bool Next(uint64_t* position) {
    uint32_t g = 0;
    while (stream_.Next(&g)) {
      if (g == run_) {
        pos_ += run_;
        if (pos_ >= n_) return false;  // a value must still follow
        continue;
      }
      pos_ += g;
      if (pos_ >= n_) return false;
      *position = pos_++;
      return true;
    }
    return false;
  }

  // After the last value: only run symbols, ending at or just past the last element.
  Status Finish() {
    uint32_t g = 0;
    while (stream_.symbols_left() > 0) {
      if (!stream_.Next(&g)) return CorruptionError("bad code in the gap stream");
      if (g != run_) return CorruptionError("more positions than stored values in the gap stream");
      pos_ += run_;
      if (pos_ >= n_ + run_) return CorruptionError("gap stream runs past the end of the tensor");
    }
    if (pos_ < n_ || pos_ >= n_ + run_)
      return CorruptionError("gap stream does not end at the end of the tensor");
    return stream_.Finish();
  }

 private:
  SymbolStream stream_;
  uint64_t n_ = 0;
  uint32_t run_ = 1;
  uint64_t pos_ = 0;
};

}  // namespace

float HalfToFloat(uint16_t half) {
  const uint32_t sign = uint32_t{half & 0x8000u} << 16;
  const uint32_t exponent = (half >> 10) & 0x1f;
  const uint32_t mantissa = half & 0x3ffu;
  uint32_t bits;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    float v = static_cast<float>(mantissa) * (1.0f / 16777216.0f);
    std::memcpy(&bits, &v, sizeof(bits));
    bits |= sign;
  } else if (exponent == 31) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // inf / NaN (payload kept)
  } else {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  }
  float out;
  std::memcpy(&out, &bits, sizeof(out));
  return out;
}

std::string CompressedEncodingName(ValueCoding coding, int codebook_bits, bool sparse, bool any_huffman) {
  std::string name = sparse ? "sparse+" : "";
  switch (coding) {
    case ValueCoding::kFloat32:
      name += "fp32";
      break;
    case ValueCoding::kFloat16:
      name += "fp16";
      break;
    case ValueCoding::kInt8PerChannel:
      name += "int8";
      break;
    case ValueCoding::kCodebook:
      name += "kmeans" + std::to_string(codebook_bits);
      break;
  }
  if (any_huffman) name += "+huffman";
  return name;
}

Result<DecodedTensor> DecodeCompressedTensor(const uint8_t* data, size_t size, const Shape& shape) {
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return CorruptionError("compressed tensor with an unknown dimension");
    if (d > 0 && n > static_cast<uint64_t>(kMaxElements) / static_cast<uint64_t>(d))
      return CorruptionError("tensor is too large");
    n *= static_cast<uint64_t>(d);
  }
  if (n > MaxDecodedElements(size)) {
    return CorruptionError("shape {} has more elements than a {}-byte compressed payload can describe", shape,
                           size);
  }
  Cursor c(data, size);
  uint8_t coding_tag = 0, flags = 0;
  uint16_t reserved = 0;
  if (!c.Read(&coding_tag) || !c.Read(&flags) || !c.Read(&reserved))
    return CorruptionError("truncated compressed tensor header");
  if (coding_tag < 1 || coding_tag > 4) return CorruptionError("unknown value coding {}", coding_tag);
  const ValueCoding coding = static_cast<ValueCoding>(coding_tag);
  if ((flags & ~kCompressedFlagSparse) != 0 || reserved != 0)
    return CorruptionError("unknown flags in compressed tensor header");
  const bool sparse = (flags & kCompressedFlagSparse) != 0;

  uint64_t count = n;
  bool any_huffman = false;
  GapWalker gaps;
  if (sparse) {
    if (!c.Read(&count)) return CorruptionError("truncated sparse header");
    if (count > n) return CorruptionError("more stored values than elements");
    KINGLET_RETURN_IF_ERROR(gaps.Open(c, n, count));
    any_huffman = gaps.huffman();
  }
  DecodedTensor out;
  out.tensor = Tensor(DataType::kFloat32, shape);  // zero-filled: the unstored elements
  float* dst = out.tensor.data<float>();
  uint64_t next = 0;
  // Where the next value goes; false if the gap stream has no position left for it.
  auto position = [&](uint64_t* p) -> bool {
    if (sparse) return gaps.Next(p);
    if (next >= n) return false;
    *p = next++;
    return true;
  };
  int codebook_bits = 0;

  switch (coding) {
    case ValueCoding::kFloat32:
    case ValueCoding::kFloat16: {
      const size_t width = coding == ValueCoding::kFloat32 ? 4 : 2;
      const uint8_t* p = c.Take(count * width);
      if (p == nullptr) return CorruptionError("truncated values");
      for (uint64_t i = 0; i < count; ++i, p += width) {
        uint64_t at = 0;
        if (!position(&at)) return CorruptionError("the gap stream ends before the values");
        if (width == 4) {
          std::memcpy(&dst[at], p, 4);
        } else {
          uint16_t h;
          std::memcpy(&h, p, 2);
          dst[at] = HalfToFloat(h);
        }
      }
      break;
    }
    case ValueCoding::kInt8PerChannel: {
      uint8_t axis = 0;
      if (!c.Read(&axis)) return CorruptionError("truncated int8 header");
      if (axis >= shape.size()) return CorruptionError("int8 channel axis {} out of range", axis);
      const uint64_t channels = static_cast<uint64_t>(shape[axis]);
      uint64_t inner = 1;
      for (size_t i = axis + 1; i < shape.size(); ++i) inner *= static_cast<uint64_t>(shape[i]);
      const uint8_t* scales = c.Take(channels * sizeof(float));
      const uint8_t* zero_points = c.Take(channels);
      if (scales == nullptr || zero_points == nullptr)
        return CorruptionError("truncated int8 scales / zero points");
      SymbolStream q;
      KINGLET_RETURN_IF_ERROR(q.Open(c, 8, count, count, "int8"));
      any_huffman |= q.huffman();
      for (uint64_t i = 0; i < count; ++i) {
        uint32_t symbol = 0;
        uint64_t at = 0;
        if (!q.Next(&symbol)) return CorruptionError("bad code in the int8 stream");
        if (!position(&at)) return CorruptionError("the gap stream ends before the values");
        const uint64_t ch = (at / inner) % channels;
        float scale;
        std::memcpy(&scale, scales + ch * sizeof(float), sizeof(float));
        dst[at] =
            DequantizeAffine(scale, static_cast<int8_t>(zero_points[ch]), static_cast<int32_t>(symbol) - 128);
      }
      KINGLET_RETURN_IF_ERROR(q.Finish());
      break;
    }
    case ValueCoding::kCodebook: {
      uint8_t bits = 0;
      uint16_t centroid_count = 0;
      if (!c.Read(&bits) || !c.Read(&centroid_count)) return CorruptionError("truncated codebook header");
      if (bits < 1 || bits > kMaxCodebookBits) return CorruptionError("bad codebook index width {}", bits);
      if (centroid_count < 1 || centroid_count > (1u << bits)) return CorruptionError("bad codebook size");
      const uint8_t* centroids_bytes = c.Take(centroid_count * sizeof(float));
      if (centroids_bytes == nullptr) return CorruptionError("truncated codebook");
      float centroids[1 << kMaxCodebookBits];
      std::memcpy(centroids, centroids_bytes, centroid_count * sizeof(float));
      SymbolStream indices;
      KINGLET_RETURN_IF_ERROR(indices.Open(c, bits, count, count, "index"));
      any_huffman |= indices.huffman();
      for (uint64_t i = 0; i < count; ++i) {
        uint32_t symbol = 0;
        uint64_t at = 0;
        if (!indices.Next(&symbol)) return CorruptionError("bad code in the index stream");
        if (symbol >= centroid_count) return CorruptionError("codebook index out of range");
        if (!position(&at)) return CorruptionError("the gap stream ends before the values");
        dst[at] = centroids[symbol];
      }
      KINGLET_RETURN_IF_ERROR(indices.Finish());
      codebook_bits = bits;
      break;
    }
  }
  if (sparse) KINGLET_RETURN_IF_ERROR(gaps.Finish());
  if (c.remaining() != 0) return CorruptionError("trailing bytes after the compressed tensor");
  out.encoding_name = CompressedEncodingName(coding, codebook_bits, sparse, any_huffman);
  return out;
}

}  // namespace kinglet::format
