// Constants of the .kgl container, shared by the reader (engine) and the writer (compression).
// The byte layout is documented in FORMAT.md beside this file; change both together.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kinglet::format {

// PNG-style magic: the high byte and CR LF / SUB / LF catch 7-bit and newline mangling.
constexpr uint8_t kMagic[8] = {0x89, 'K', 'G', 'L', 0x0D, 0x0A, 0x1A, 0x0A};
constexpr uint16_t kFormatMajor = 1;  // readers refuse a higher major version
constexpr uint16_t kFormatMinor = 0;  // readers accept any minor of their major

constexpr size_t kHeaderSize = 64;
constexpr size_t kSectionEntrySize = 32;
constexpr size_t kPayloadAlignment = 64;  // dense payloads can be used in place (mmap)
constexpr uint32_t kMaxSections = 64;

// Header field offsets.
constexpr size_t kOffMagic = 0;
constexpr size_t kOffMajor = 8;
constexpr size_t kOffMinor = 10;
constexpr size_t kOffSectionCount = 12;
constexpr size_t kOffFileSize = 16;
constexpr size_t kOffSectionTable = 24;
constexpr size_t kOffFlags = 32;
constexpr size_t kOffHeaderCrc = 60;  // CRC-32 of header bytes [0, 60) + the section table

enum class SectionKind : uint32_t {
  kGraph = 1,      // values, nodes, attributes, graph inputs/outputs, opset
  kConstants = 2,  // one descriptor per constant tensor
  kPayload = 3,    // the constants' bytes, each kPayloadAlignment-aligned
  kMetadata = 4,   // string key/value pairs (producer, source, ...)
};

// Limits that keep a hostile file from asking for absurd work or memory.
constexpr uint32_t kMaxStringLength = 1 << 16;
constexpr uint32_t kMaxRank = 16;
constexpr int64_t kMaxElements = int64_t{1} << 36;

}  // namespace kinglet::format
