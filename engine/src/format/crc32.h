// CRC-32 (IEEE 802.3, reflected, as zlib's crc32): detects every bit flip in a section.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kinglet::format {

// Continues a CRC: Crc32(Crc32(0, a), b) == Crc32 of a followed by b.
uint32_t Crc32(uint32_t crc, const void* data, size_t size);

}  // namespace kinglet::format
