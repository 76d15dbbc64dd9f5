#include "encode/huffman.h"

#include <zstd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "format/tensor_decoder.h"

namespace kinglet::compression {
namespace {

// A package-merge item: a weight and how many times each leaf occurs inside it.
struct Item {
  uint64_t weight = 0;
  std::vector<uint16_t> leaf_uses;  // indexed by leaf (sorted symbol) position
};

size_t ZstdSize(const std::string& bytes) {
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), 19);
  return ZSTD_isError(n) ? bytes.size() : n;
}

}  // namespace

std::vector<uint8_t> HuffmanCodeLengths(const std::vector<uint64_t>& counts, int max_length) {
  std::vector<uint8_t> lengths(counts.size(), 0);
  std::vector<uint32_t> used;
  for (uint32_t s = 0; s < counts.size(); ++s) {
    if (counts[s] > 0) used.push_back(s);
  }
  if (used.empty()) return lengths;
  if (used.size() == 1) {
    lengths[used[0]] = 1;
    return lengths;
  }
  // Leaves by increasing weight (symbol order breaks ties, so the result is deterministic).
  std::stable_sort(used.begin(), used.end(), [&](uint32_t a, uint32_t b) { return counts[a] < counts[b]; });
  const size_t n = used.size();
  std::vector<Item> leaves(n);
  for (size_t i = 0; i < n; ++i) {
    leaves[i].weight = counts[used[i]];
    leaves[i].leaf_uses.assign(n, 0);
    leaves[i].leaf_uses[i] = 1;
  }
  // Level by level from the deepest: pair up the previous list into packages and merge them
  // with the leaves. After max_length levels, the 2n-2 lightest items pick the code: a leaf's
  // length is how many of them contain it.
  std::vector<Item> list = leaves;
  for (int level = 1; level < max_length; ++level) {
    std::vector<Item> packages;
    for (size_t i = 0; i + 1 < list.size(); i += 2) {
      Item p;
      p.weight = list[i].weight + list[i + 1].weight;
      p.leaf_uses = list[i].leaf_uses;
      for (size_t k = 0; k < n; ++k) p.leaf_uses[k] += list[i + 1].leaf_uses[k];
      packages.push_back(std::move(p));
    }
    std::vector<Item> merged;
    merged.reserve(leaves.size() + packages.size());
    size_t a = 0, b = 0;
    while (a < leaves.size() || b < packages.size()) {
      // Leaves first on ties: that keeps lengths short where it costs nothing.
      if (b == packages.size() || (a < leaves.size() && leaves[a].weight <= packages[b].weight)) {
        merged.push_back(leaves[a++]);
      } else {
        merged.push_back(std::move(packages[b++]));
      }
    }
    list = std::move(merged);
  }
  for (size_t i = 0; i < 2 * n - 2 && i < list.size(); ++i) {
    for (size_t k = 0; k < n; ++k)
      lengths[used[k]] = static_cast<uint8_t>(lengths[used[k]] + list[i].leaf_uses[k]);
  }
  return lengths;
}

std::vector<uint32_t> CanonicalCodes(const std::vector<uint8_t>& lengths) {
  constexpr int kMax = 32;
  uint32_t count[kMax + 1] = {};
  for (uint8_t l : lengths) ++count[std::min<int>(l, kMax)];
  count[0] = 0;
  uint32_t next[kMax + 1] = {};
  uint32_t code = 0;
  for (int len = 1; len <= kMax; ++len) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
  }
  std::vector<uint32_t> codes(lengths.size(), 0);
  for (size_t s = 0; s < lengths.size(); ++s) {
    if (lengths[s] != 0) codes[s] = next[lengths[s]]++;
  }
  return codes;
}

void BitWriter::Write(uint32_t value, int bits) {
  for (int i = bits - 1; i >= 0; --i) {
    if (bit_count_ % 8 == 0) bytes_.push_back('\0');
    if ((value >> i) & 1) bytes_.back() = static_cast<char>(bytes_.back() | (0x80 >> (bit_count_ % 8)));
    ++bit_count_;
  }
}

std::vector<uint32_t> BlockSymbols(const std::vector<uint32_t>& symbols, int alphabet_bits, int block) {
  std::vector<uint32_t> blocks((symbols.size() + block - 1) / block, 0);
  for (size_t i = 0; i < blocks.size() * block; ++i) {
    const uint32_t s = i < symbols.size() ? symbols[i] : 0;  // the last block padded with zeros
    blocks[i / block] = blocks[i / block] << alphabet_bits | s;
  }
  return blocks;
}

std::string EncodeStream(const std::vector<uint32_t>& symbols, int alphabet_bits, bool huffman, int block) {
  std::string out;
  auto put = [&out](auto v) { out.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
  const format::StreamCoding coding = !huffman    ? format::StreamCoding::kRawBits
                                      : block > 1 ? format::StreamCoding::kBlockedHuffman
                                                  : format::StreamCoding::kHuffman;
  put(static_cast<uint8_t>(coding));
  put(static_cast<uint64_t>(symbols.size()));
  BitWriter bits;
  if (huffman) {
    if (block > 1) put(static_cast<uint8_t>(block));
    const std::vector<uint32_t> coded = block > 1 ? BlockSymbols(symbols, alphabet_bits, block) : symbols;
    const size_t alphabet = size_t{1} << (alphabet_bits * block);
    std::vector<uint64_t> counts(alphabet, 0);
    for (uint32_t s : coded) ++counts[s];
    const std::vector<uint8_t> lengths = HuffmanCodeLengths(counts);
    const std::vector<uint32_t> codes = CanonicalCodes(lengths);
    std::string table((alphabet + 1) / 2, '\0');
    for (size_t s = 0; s < alphabet; ++s)
      table[s / 2] = static_cast<char>(table[s / 2] | lengths[s] << (s % 2 ? 4 : 0));
    out += table;
    for (uint32_t s : coded) bits.Write(codes[s], lengths[s]);
  } else {
    for (uint32_t s : symbols) bits.Write(s, alphabet_bits);
  }
  put(static_cast<uint32_t>(bits.bytes().size()));
  out += bits.bytes();
  return out;
}

StreamReport ReportStream(const std::vector<uint32_t>& symbols, int alphabet_bits, int block) {
  StreamReport r;
  r.symbols = symbols.size();
  r.alphabet_bits = alphabet_bits;
  r.block = block;
  if (symbols.empty()) return r;
  const double n = static_cast<double>(symbols.size());
  std::vector<uint64_t> counts(size_t{1} << alphabet_bits, 0);
  for (uint32_t s : symbols) ++counts[s];
  for (uint64_t c : counts) {
    if (c == 0) continue;
    const double p = static_cast<double>(c) / n;
    r.entropy -= p * std::log2(p);
  }
  // The code's bits alone, per symbol (a block's code shared by its symbols).
  const std::vector<uint32_t> coded = block > 1 ? BlockSymbols(symbols, alphabet_bits, block) : symbols;
  std::vector<uint64_t> coded_counts(size_t{1} << (alphabet_bits * block), 0);
  for (uint32_t s : coded) ++coded_counts[s];
  const std::vector<uint8_t> lengths = HuffmanCodeLengths(coded_counts);
  double code_bits = 0;
  for (size_t s = 0; s < coded_counts.size(); ++s)
    code_bits += static_cast<double>(coded_counts[s]) * lengths[s];
  r.huffman = code_bits / n;
  r.huffman_stream = 8.0 * static_cast<double>(EncodeStream(symbols, alphabet_bits, true, block).size()) / n;
  const std::string raw = EncodeStream(symbols, alphabet_bits, false);
  r.raw_stream = 8.0 * static_cast<double>(raw.size()) / n;
  std::string one_per_byte(symbols.begin(), symbols.end());
  r.zstd_bytes = 8.0 * static_cast<double>(ZstdSize(one_per_byte)) / n;
  // The packed bits alone: the stream minus its 13-byte header (coding, count, byte count).
  r.zstd_packed = 8.0 * static_cast<double>(ZstdSize(raw.substr(13))) / n;
  return r;
}

std::string StreamReport::ToString() const {
  char line[256], block_name[24] = "";
  if (block > 1) std::snprintf(block_name, sizeof(block_name), " (blocks of %d)", block);
  std::snprintf(line, sizeof(line),
                "%llu symbols of %d bits: entropy %.3f, huffman%s %.3f (%+.2f%%; stored %.3f), raw %.3f, "
                "zstd-19 %.3f (bytes) / %.3f (packed) bits/symbol",
                static_cast<unsigned long long>(symbols), alphabet_bits, entropy, block_name, huffman,
                100.0 * OverheadVsEntropy(), huffman_stream, raw_stream, zstd_bytes, zstd_packed);
  return line;
}

}  // namespace kinglet::compression
