#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace migrate {

struct InvalidUtf8 {
  std::size_t offset = 0;  // byte offset of the first byte of the bad sequence
  int line = 0;            // 1-based
  int column = 0;          // 1-based, in bytes
};

// The first position where `text` is not well-formed UTF-8 (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or nullopt.
std::optional<InvalidUtf8> first_invalid_utf8(std::string_view text);

}  // namespace migrate
