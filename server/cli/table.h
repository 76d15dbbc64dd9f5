// Left-aligned text tables for the human output of the admin commands.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace kinglet::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string FormatBytes(uint64_t bytes);
std::string FormatFixed(double value, int decimals);

}  // namespace kinglet::cli
