#include "encode/compressed_tensor.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace kinglet::compression {
namespace {

Status Invalid(const std::string& what) { return Status::InvalidArgument("compressed tensor: " + what); }

// The integer stream of the value coding (int8 q + 128, or codebook indices) and its width.
std::vector<uint32_t> ValueSymbols(const CompressedTensor& t, int* bits) {
  std::vector<uint32_t> symbols;
  if (t.coding == ValueCoding::kInt8PerChannel) {
    *bits = 8;
    symbols.reserve(t.int8.q.size());
    for (int8_t q : t.int8.q) symbols.push_back(static_cast<uint32_t>(q + 128));
  } else if (t.coding == ValueCoding::kCodebook) {
    *bits = t.codebook.bits;
    symbols.assign(t.codebook.indices.begin(), t.codebook.indices.end());
  } else {
    *bits = 0;
  }
  return symbols;
}

bool ValidBlock(int block, int symbol_bits) {
  return (block == 1 || block == 2 || block == 4 || block == 8) &&
         block * symbol_bits <= format::kMaxCodebookBits;
}

// The gap width that stores the positions smallest with the given coding.
int SmallestGapBits(const CompressedTensor& t, bool huffman, int block, size_t* size) {
  int best = 1;
  *size = SIZE_MAX;
  for (int b = 1; b * block <= format::kMaxGapBits; ++b) {
    const size_t s = EncodeStream(GapSymbols(*t.positions, t.element_count(), b), b, huffman, block).size();
    if (s < *size) {
      *size = s;
      best = b;
    }
  }
  return best;
}

template <typename T>
void Put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(v));
}

}  // namespace

uint16_t FloatToHalf(float value) {
  // Fabian Giesen's round-to-nearest-even conversion ("float_to_half_fast3_rtne").
  uint32_t f;
  std::memcpy(&f, &value, sizeof(f));
  const uint32_t sign = f & 0x80000000u;
  f ^= sign;
  uint16_t out;
  if (f >= (127u + 16) << 23) {  // |value| >= 65536 (or inf / NaN): infinity or NaN
    out = f > 0x7f800000u ? 0x7e00 : 0x7c00;
  } else if (f < 113u << 23) {  // below 2^-14: a subnormal half or zero
    // Adding 0.5 aligns the 10 mantissa bits at the bottom; the FPU rounds to nearest even.
    const uint32_t magic_bits = ((127u - 15) + (23 - 10) + 1) << 23;
    float magic, x;
    std::memcpy(&magic, &magic_bits, sizeof(magic));
    std::memcpy(&x, &f, sizeof(x));
    x += magic;
    uint32_t xb;
    std::memcpy(&xb, &x, sizeof(xb));
    out = static_cast<uint16_t>(xb - magic_bits);
  } else {
    const uint32_t mantissa_odd = (f >> 13) & 1;
    f += ((15u - 127u) << 23) + 0xfff + mantissa_odd;  // rebias, round half to even
    out = static_cast<uint16_t>(f >> 13);              // may carry into infinity: correct
  }
  return static_cast<uint16_t>(out | (sign >> 16));
}

std::vector<uint32_t> GapSymbols(const std::vector<int64_t>& positions, uint64_t element_count,
                                 int gap_bits) {
  const uint64_t run = (uint64_t{1} << gap_bits) - 1;
  std::vector<uint32_t> symbols;
  symbols.reserve(positions.size());
  uint64_t next = 0;  // first position after the previous stored one
  for (int64_t p : positions) {
    uint64_t gap = static_cast<uint64_t>(p) - next;
    for (; gap >= run; gap -= run) symbols.push_back(static_cast<uint32_t>(run));
    symbols.push_back(static_cast<uint32_t>(gap));
    next = static_cast<uint64_t>(p) + 1;
  }
  // The zeros after the last stored value, so the stream spans the whole tensor (this is what
  // bounds the decoded size by the payload's size; FORMAT.md).
  for (uint64_t tail = element_count - next; tail > 0; tail -= std::min(tail, run)) {
    symbols.push_back(static_cast<uint32_t>(run));
  }
  return symbols;
}

Status ValidateCompressedTensor(const CompressedTensor& t) {
  for (int64_t d : t.shape) {
    if (d < 0) return Invalid("shape " + ShapeToString(t.shape) + " has an unknown dimension");
  }
  const uint64_t n = t.element_count();
  const uint64_t count = t.stored_count();
  if (t.positions) {
    int64_t previous = -1;
    for (int64_t p : *t.positions) {
      if (p <= previous || static_cast<uint64_t>(p) >= n) {
        return Invalid("sparse positions must be strictly increasing and inside " + ShapeToString(t.shape));
      }
      previous = p;
    }
  }
  if (t.gap_bits < 0 || t.gap_bits > format::kMaxGapBits) return Invalid("gap_bits must be 0..8");
  if (!ValidBlock(t.gap_block, std::max(t.gap_bits, 1))) {
    return Invalid("gap_block must be 1, 2, 4 or 8, times gap_bits at most 8");
  }
  const int value_bits = t.coding == ValueCoding::kCodebook ? t.codebook.bits : 8;
  if (!ValidBlock(t.value_block, value_bits)) {
    return Invalid("value_block must be 1, 2, 4 or 8, times the value width at most 8");
  }
  switch (t.coding) {
    case ValueCoding::kFloat32:
    case ValueCoding::kFloat16:
      if (t.values.size() != count) return Invalid("expected " + std::to_string(count) + " values");
      return Status::Ok();
    case ValueCoding::kInt8PerChannel: {
      const Int8PerChannel& q = t.int8;
      if (q.axis < 0 || static_cast<size_t>(q.axis) >= t.shape.size())
        return Invalid("int8 channel axis out of range");
      const size_t channels = static_cast<size_t>(t.shape[q.axis]);
      if (q.scales.size() != channels || q.zero_points.size() != channels) {
        return Invalid("int8 needs one scale and zero point per channel (" + std::to_string(channels) + ")");
      }
      if (q.q.size() != count) return Invalid("expected " + std::to_string(count) + " int8 values");
      return Status::Ok();
    }
    case ValueCoding::kCodebook: {
      const Codebook& cb = t.codebook;
      if (cb.bits < 1 || cb.bits > format::kMaxCodebookBits) return Invalid("codebook bits must be 1..8");
      if (cb.centroids.empty() || cb.centroids.size() > (size_t{1} << cb.bits)) {
        return Invalid("a " + std::to_string(cb.bits) + "-bit codebook holds 1.." +
                       std::to_string(1 << cb.bits) + " centroids, not " +
                       std::to_string(cb.centroids.size()));
      }
      if (cb.indices.size() != count)
        return Invalid("expected " + std::to_string(count) + " codebook indices");
      for (uint8_t i : cb.indices) {
        if (i >= cb.centroids.size()) return Invalid("codebook index " + std::to_string(i) + " out of range");
      }
      return Status::Ok();
    }
  }
  return Invalid("unknown value coding");
}

Result<std::string> EncodeCompressedTensor(const CompressedTensor& t) {
  KINGLET_RETURN_IF_ERROR(ValidateCompressedTensor(t));
  std::string out;
  Put<uint8_t>(&out, static_cast<uint8_t>(t.coding));
  Put<uint8_t>(&out, t.positions ? format::kCompressedFlagSparse : 0);
  Put<uint16_t>(&out, 0);
  if (t.positions) {
    size_t size = 0;
    const int b = t.gap_bits != 0 ? t.gap_bits : SmallestGapBits(t, t.huffman_gaps, t.gap_block, &size);
    Put<uint64_t>(&out, t.positions->size());
    Put<uint8_t>(&out, static_cast<uint8_t>(b));
    out += EncodeStream(GapSymbols(*t.positions, t.element_count(), b), b, t.huffman_gaps, t.gap_block);
  }
  int bits = 0;
  switch (t.coding) {
    case ValueCoding::kFloat32:
      out.append(reinterpret_cast<const char*>(t.values.data()), t.values.size() * sizeof(float));
      break;
    case ValueCoding::kFloat16:
      for (float v : t.values) Put<uint16_t>(&out, FloatToHalf(v));
      break;
    case ValueCoding::kInt8PerChannel:
      Put<uint8_t>(&out, static_cast<uint8_t>(t.int8.axis));
      out.append(reinterpret_cast<const char*>(t.int8.scales.data()), t.int8.scales.size() * sizeof(float));
      out.append(reinterpret_cast<const char*>(t.int8.zero_points.data()), t.int8.zero_points.size());
      out += EncodeStream(ValueSymbols(t, &bits), 8, t.huffman_values, t.value_block);
      break;
    case ValueCoding::kCodebook:
      Put<uint8_t>(&out, static_cast<uint8_t>(t.codebook.bits));
      Put<uint16_t>(&out, static_cast<uint16_t>(t.codebook.centroids.size()));
      out.append(reinterpret_cast<const char*>(t.codebook.centroids.data()),
                 t.codebook.centroids.size() * sizeof(float));
      out += EncodeStream(ValueSymbols(t, &bits), t.codebook.bits, t.huffman_values, t.value_block);
      break;
  }
  if (t.element_count() > format::MaxDecodedElements(out.size())) {
    return Status::Internal(
        "compressed tensor encoder produced a payload the decoder would refuse as too small");
  }
  return out;
}

Result<EncodedConstant> EncodeConstant(const CompressedTensor& t) {
  KINGLET_ASSIGN_OR_RETURN(std::string payload, EncodeCompressedTensor(t));
  EncodedConstant c;
  c.encoding = ir::Encoding::kCompressed;
  c.payload = std::move(payload);
  c.name = CompressedTensorName(t);
  return c;
}

Tensor DecodeToDense(const CompressedTensor& t) {
  if (!ValidateCompressedTensor(t).ok()) return Tensor();
  Tensor out(DataType::kFloat32, t.shape);
  float* dst = out.data<float>();
  uint64_t inner = 1;
  if (t.coding == ValueCoding::kInt8PerChannel) {
    for (size_t i = static_cast<size_t>(t.int8.axis) + 1; i < t.shape.size(); ++i) inner *= t.shape[i];
  }
  const uint64_t count = t.stored_count();
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t at = t.positions ? static_cast<uint64_t>((*t.positions)[i]) : i;
    switch (t.coding) {
      case ValueCoding::kFloat32:
        dst[at] = t.values[i];
        break;
      case ValueCoding::kFloat16:
        dst[at] = format::HalfToFloat(FloatToHalf(t.values[i]));
        break;
      case ValueCoding::kInt8PerChannel: {
        const uint64_t c = (at / inner) % static_cast<uint64_t>(t.shape[t.int8.axis]);
        dst[at] = format::DequantizeAffine(t.int8.scales[c], t.int8.zero_points[c], t.int8.q[i]);
        break;
      }
      case ValueCoding::kCodebook:
        dst[at] = t.codebook.centroids[t.codebook.indices[i]];
        break;
    }
  }
  return out;
}

std::string CompressedTensorName(const CompressedTensor& t) {
  const bool integer_values = t.coding == ValueCoding::kInt8PerChannel || t.coding == ValueCoding::kCodebook;
  const bool huffman = (integer_values && t.huffman_values) || (t.positions && t.huffman_gaps);
  return format::CompressedEncodingName(t.coding, t.codebook.bits, t.positions.has_value(), huffman);
}

void ChooseSmallestCodings(CompressedTensor* t) {
  int bits = 0;
  const std::vector<uint32_t> symbols = ValueSymbols(*t, &bits);
  if (bits > 0) {
    size_t best = EncodeStream(symbols, bits, false).size();
    t->huffman_values = false;
    t->value_block = 1;
    for (int block = 1; ValidBlock(block, bits); block *= 2) {
      const size_t size = EncodeStream(symbols, bits, true, block).size();
      if (size < best) {
        best = size;
        t->huffman_values = true;
        t->value_block = block;
      }
    }
  }
  if (t->positions) {
    size_t best = 0;
    t->huffman_gaps = false;
    t->gap_block = 1;
    t->gap_bits = SmallestGapBits(*t, false, 1, &best);
    for (int block = 1; block <= format::kMaxGapBits; block *= 2) {
      size_t size = 0;
      const int b = SmallestGapBits(*t, true, block, &size);
      if (size < best) {
        best = size;
        t->huffman_gaps = true;
        t->gap_block = block;
        t->gap_bits = b;
      }
    }
  }
}

std::vector<NamedStreamReport> ReportStreams(const CompressedTensor& t) {
  std::vector<NamedStreamReport> reports;
  int bits = 0;
  const std::vector<uint32_t> symbols = ValueSymbols(t, &bits);
  if (bits > 0) {
    reports.push_back({t.coding == ValueCoding::kCodebook ? "indices" : "int8",
                       ReportStream(symbols, bits, t.huffman_values ? t.value_block : 1)});
  }
  if (t.positions) {
    size_t size = 0;
    const int b = t.gap_bits != 0 ? t.gap_bits : SmallestGapBits(t, t.huffman_gaps, t.gap_block, &size);
    reports.push_back({"gaps", ReportStream(GapSymbols(*t.positions, t.element_count(), b), b,
                                            t.huffman_gaps ? t.gap_block : 1)});
  }
  return reports;
}

}  // namespace kinglet::compression
