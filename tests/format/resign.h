// Test helper: recomputes every checksum of a .kgl so damage reaches the structural checks
// behind them (a hostile file carries correct checksums).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "format/crc32.h"
#include "format/kgl_format.h"

namespace kinglet::testing {

inline void Resign(std::string* bytes) {
  auto load = [&](size_t off, auto* v) { std::memcpy(v, bytes->data() + off, sizeof(*v)); };
  uint32_t count = 0;
  uint64_t table = 0;
  load(format::kOffSectionCount, &count);
  load(format::kOffSectionTable, &table);
  for (uint32_t i = 0; i < count; ++i) {
    const size_t entry = table + i * format::kSectionEntrySize;
    uint64_t offset = 0, size = 0;
    load(entry + 8, &offset);
    load(entry + 16, &size);
    const uint32_t crc = format::Crc32(0, bytes->data() + offset, size);
    std::memcpy(&(*bytes)[entry + 4], &crc, sizeof(crc));
  }
  uint32_t crc = format::Crc32(0, bytes->data(), format::kOffHeaderCrc);
  crc = format::Crc32(crc, bytes->data() + table, count * format::kSectionEntrySize);
  std::memcpy(&(*bytes)[format::kOffHeaderCrc], &crc, sizeof(crc));
}

}  // namespace kinglet::testing
