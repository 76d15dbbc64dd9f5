// Bit-level reading and canonical Huffman decoding for the compressed tensor streams
// (FORMAT.md, "Streams"). Both work on untrusted bytes: every read is bounds-checked and a bad
// code or a read past the end returns false, never touches memory outside the range.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kinglet::format {

// Code lengths are 4-bit fields in the file, so a code is at most 15 bits long; the encoder
// builds length-limited codes to fit (compression/encode/huffman.h).
constexpr int kMaxHuffmanCodeLength = 15;

// Reads a byte range as a bit string, most significant bit of each byte first.
class BitReader {
 public:
  BitReader() = default;
  BitReader(const uint8_t* data, size_t size) : data_(data), bit_count_(uint64_t{size} * 8) {}

  uint64_t position() const { return pos_; }
  uint64_t remaining() const { return bit_count_ - pos_; }

  // The next `n` (0..24) bits as an integer, first bit most significant; bits past the end
  // read as zero. Does not consume.
  uint32_t Peek(int n) const;
  // Consumes `n` bits; false (and no move) if fewer remain.
  bool Skip(uint64_t n) {
    if (n > remaining()) return false;
    pos_ += n;
    return true;
  }
  bool Read(int n, uint32_t* out) {
    if (static_cast<uint64_t>(n) > remaining()) return false;
    *out = Peek(n);
    pos_ += n;
    return true;
  }
  // True when what is left is the zero padding of the last byte (fewer than 8 zero bits).
  bool AtPaddedEnd() const { return remaining() < 8 && Peek(static_cast<int>(remaining())) == 0; }

 private:
  const uint8_t* data_ = nullptr;
  uint64_t bit_count_ = 0;
  uint64_t pos_ = 0;
};

// Decodes a canonical code (deflate's assignment, RFC 1951 §3.2.2: shorter codes first, and
// within one length in symbol order) given only the code length of each symbol.
class HuffmanDecoder {
 public:
  // `lengths[s]` is symbol s's code length, 0 = symbol unused, else 1..15. Returns false for an
  // over-subscribed set (Kraft sum > 1: not a prefix code) or a length > 15. An incomplete set
  // is accepted (one used symbol has a 1-bit code); its unused codes fail in Decode().
  bool Init(const uint8_t* lengths, size_t alphabet_size);

  bool has_symbols() const { return !symbols_.empty(); }

  // Decodes one symbol; false if the bits run out or match no code.
  bool Decode(BitReader& bits, uint32_t* symbol) const;

 private:
  // Codes up to kFastBits long resolve with one table lookup; longer ones walk the canonical
  // counts bit by bit (zlib's puff), at most 15 steps.
  static constexpr int kFastBits = 10;

  uint16_t count_[kMaxHuffmanCodeLength + 1] = {};  // codes per length
  std::vector<uint16_t> symbols_;                   // symbols in canonical order
  std::vector<uint16_t> fast_;  // 2^kFastBits entries: symbol << 4 | length, 0 = slow path
};

}  // namespace kinglet::format
