// Bounds-checked little-endian reads from an untrusted byte range. Every read either succeeds
// within [begin, end) or returns false and leaves the reader failed; callers turn that into a
// Corruption status naming what they were reading.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace kinglet::format {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, ".kgl is little-endian; so is every target");

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  template <typename T>
  bool Read(T* out) {
    if (remaining() < sizeof(T)) return false;
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }

  bool ReadBytes(void* out, size_t n) {
    if (remaining() < n) return false;
    if (n) std::memcpy(out, data_ + pos_, n);
    pos_ += n;
    return true;
  }

  // u32 length + bytes; refuses lengths over `max_length` or past the end.
  bool ReadString(std::string* out, uint32_t max_length) {
    uint32_t n = 0;
    if (!Read(&n) || n > max_length || remaining() < n) return false;
    out->assign(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return true;
  }

  // A count of items each at least `min_item_bytes` long: refuses counts the remaining bytes
  // cannot hold, so a hostile count never drives a huge allocation.
  bool ReadCount(uint32_t* out, size_t min_item_bytes) {
    uint32_t n = 0;
    if (!Read(&n)) return false;
    if (min_item_bytes > 0 && n > remaining() / min_item_bytes) return false;
    *out = n;
    return true;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace kinglet::format
