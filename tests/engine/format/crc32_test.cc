// CRC-32 against the standard's check value and a bit-at-a-time definition on random buffers of
// every length up to 100 bytes (the 8-byte loop and its tail) at every alignment, chained.
#include "format/crc32.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

namespace kinglet::format {
namespace {

uint32_t BitwiseCrc32(uint32_t crc, const uint8_t* p, size_t size) {
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
  }
  return ~crc;
}

TEST(Crc32Test, CheckValue) {
  const char* text = "123456789";
  EXPECT_EQ(Crc32(0, text, std::strlen(text)), 0xCBF43926u);
  EXPECT_EQ(Crc32(0, text, 0), 0u);
}

TEST(Crc32Test, MatchesTheBitwiseDefinitionAtEveryLengthAndAlignment) {
  std::mt19937 rng(32);
  std::vector<uint8_t> bytes(120);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t size = 0; size <= 100; ++size) {
      const uint8_t* p = bytes.data() + offset;
      ASSERT_EQ(Crc32(0, p, size), BitwiseCrc32(0, p, size)) << "offset " << offset << " size " << size;
      // Chained over a split anywhere: the same CRC.
      const size_t split = size / 3;
      ASSERT_EQ(Crc32(Crc32(0, p, split), p + split, size - split), BitwiseCrc32(0, p, size));
    }
  }
}

}  // namespace
}  // namespace kinglet::format
