#include "format/huffman_decoder.h"

namespace kinglet::format {

uint32_t BitReader::Peek(int n) const {
  if (n <= 0) return 0;
  // Four bytes from the one holding the current bit cover any 24 bits after it.
  const uint64_t byte = pos_ >> 3;
  const uint64_t byte_count = bit_count_ >> 3;
  uint32_t window = 0;
  for (uint64_t i = 0; i < 4; ++i) {
    window <<= 8;
    if (byte + i < byte_count) window |= data_[byte + i];
  }
  return (window << (pos_ & 7)) >> (32 - n);
}

bool HuffmanDecoder::Init(const uint8_t* lengths, size_t alphabet_size) {
  for (uint16_t& c : count_) c = 0;
  symbols_.clear();
  fast_.assign(size_t{1} << kFastBits, 0);
  for (size_t s = 0; s < alphabet_size; ++s) {
    if (lengths[s] > kMaxHuffmanCodeLength) return false;
    ++count_[lengths[s]];
  }
  count_[0] = 0;
  // Kraft: at each length, the codes left must cover the ones used (puff's over-subscription check).
  int32_t left = 1;
  for (int len = 1; len <= kMaxHuffmanCodeLength; ++len) {
    left = left * 2 - count_[len];
    if (left < 0) return false;
  }
  // Canonical order: by length, then symbol.
  uint16_t offset[kMaxHuffmanCodeLength + 2] = {};
  for (int len = 1; len <= kMaxHuffmanCodeLength; ++len) offset[len + 1] = offset[len] + count_[len];
  symbols_.resize(offset[kMaxHuffmanCodeLength + 1]);
  for (size_t s = 0; s < alphabet_size; ++s) {
    if (lengths[s] != 0) symbols_[offset[lengths[s]]++] = static_cast<uint16_t>(s);
  }
  // Fill the fast table: a code c of length len owns every kFastBits-bit prefix starting with it.
  uint32_t code = 0;
  size_t index = 0;
  for (int len = 1; len <= kMaxHuffmanCodeLength; ++len) {
    for (uint16_t i = 0; i < count_[len]; ++i, ++code, ++index) {
      if (len > kFastBits) continue;
      const uint32_t first = code << (kFastBits - len);
      const uint32_t last = (code + 1) << (kFastBits - len);
      for (uint32_t e = first; e < last; ++e) fast_[e] = static_cast<uint16_t>(symbols_[index] << 4 | len);
    }
    code <<= 1;
  }
  return true;
}

bool HuffmanDecoder::Decode(BitReader& bits, uint32_t* symbol) const {
  const uint16_t entry = fast_[bits.Peek(kFastBits)];
  if (entry != 0) {
    *symbol = entry >> 4;
    return bits.Skip(entry & 15);
  }
  const uint32_t window = bits.Peek(kMaxHuffmanCodeLength);
  int32_t code = 0, first = 0, index = 0;
  for (int len = 1; len <= kMaxHuffmanCodeLength; ++len) {
    code |= static_cast<int32_t>((window >> (kMaxHuffmanCodeLength - len)) & 1);
    const int32_t count = count_[len];
    if (code >= first && code - first < count) {  // code >= first always holds; belt and braces
      *symbol = symbols_[index + (code - first)];
      return bits.Skip(len);
    }
    index += count;
    first = (first + count) << 1;
    code <<= 1;
  }
  return false;  // the bits match no code of an incomplete set
}

}  // namespace kinglet::format
