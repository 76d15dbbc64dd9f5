// Canonical, length-limited Huffman coding of the integer streams of a compressed tensor
// (indices, gaps, int8 values; layout in engine/src/format/FORMAT.md, "Streams"), and the
// report that compares each stream's coded size with its entropy and with zstd -19.
//
// The decoder is format/huffman_decoder.h; the two agree on deflate's canonical assignment
// (RFC 1951 §3.2.2), so a stream carries only its code lengths.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "format/huffman_decoder.h"

namespace kinglet::compression {

// Optimal prefix-code lengths for symbol counts (0 = symbol absent, gets length 0) with no code
// longer than `max_length`: package-merge (Larmore & Hirschberg 1990), which is optimal under the
// limit and equals plain Huffman when the limit does not bind. One used symbol gets length 1
// (a code needs at least one bit); none gives all zeros. Requires 2^max_length >= symbols used.
std::vector<uint8_t> HuffmanCodeLengths(const std::vector<uint64_t>& counts,
                                        int max_length = format::kMaxHuffmanCodeLength);

// The canonical code of each symbol for `lengths` (0 where the length is 0), to be written
// most significant bit first.
std::vector<uint32_t> CanonicalCodes(const std::vector<uint8_t>& lengths);

// Appends bits most significant first, the order format::BitReader reads them in.
class BitWriter {
 public:
  void Write(uint32_t value, int bits);  // the low `bits` (0..32) bits of value
  uint64_t bit_count() const { return bit_count_; }
  // The bytes, the last one zero-padded.
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
  uint64_t bit_count_ = 0;
};

// One stream as FORMAT.md lays it out: coding byte, u64 symbol count, for Huffman the 4-bit
// code-length table of all 2^alphabet_bits symbols, u32 byte count, the bits. Every symbol must
// be < 2^alphabet_bits (1..8 bits). With `block` > 1 (2, 4 or 8, block * alphabet_bits <= 8) the
// Huffman code is over blocks of that many consecutive symbols, the first in the high bits and
// the last block padded with zero symbols: a stream whose likeliest symbol has p > 1/2 then
// costs less than one bit a symbol.
std::string EncodeStream(const std::vector<uint32_t>& symbols, int alphabet_bits, bool huffman,
                         int block = 1);

// The block symbols of `symbols` as EncodeStream codes them.
std::vector<uint32_t> BlockSymbols(const std::vector<uint32_t>& symbols, int alphabet_bits, int block);

// How well a stream codes, all in bits per symbol.
struct StreamReport {
  uint64_t symbols = 0;
  int alphabet_bits = 0;
  int block = 1;              // symbols per Huffman code word
  double entropy = 0;         // empirical zeroth-order entropy: the limit for any symbol code
  double huffman = 0;         // our Huffman code's bits alone
  double huffman_stream = 0;  // the whole Huffman stream as stored (header + table + bits)
  double raw_stream = 0;      // the whole bit-packed stream as stored
  double zstd_bytes = 0;      // zstd -19 of the symbols, one byte each
  double zstd_packed = 0;     // zstd -19 of the bit-packed bytes
  // huffman / entropy - 1: the issue asks for <= 3% on real streams.
  double OverheadVsEntropy() const { return entropy > 0 ? huffman / entropy - 1 : 0; }
  std::string ToString() const;  // one line, e.g. for the compress command's report
};

// Measures `symbols` (each < 2^alphabet_bits), with the Huffman code over blocks of `block`.
// Runs zstd at level 19, so it costs real time on big streams; it is for reports, not the
// encoder's decisions.
StreamReport ReportStream(const std::vector<uint32_t>& symbols, int alphabet_bits, int block = 1);

}  // namespace kinglet::compression
