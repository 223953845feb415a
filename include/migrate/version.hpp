#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace migrate {

// A migration version: digits, optionally dotted ("12", "1.2.10"). Compared numerically per
// component with no size limit (20-digit timestamps are common), so "V012", "012" and "12" are
// the same version.
class Version {
 public:
  // Accepts an optional leading 'V' or 'v'. Returns nullopt for anything else than
  // digits separated by single dots.
  static std::optional<Version> parse(std::string_view text);

  // Canonical form: leading zeros removed per component ("012.03" -> "12.3").
  const std::string& str() const noexcept { return canonical_; }
  // As written in the file name, without the 'V' ("012").
  const std::string& original() const noexcept { return original_; }

  friend std::strong_ordering operator<=>(const Version& a, const Version& b);
  friend bool operator==(const Version& a, const Version& b) {
    return a.canonical_ == b.canonical_;
  }

 private:
  std::string canonical_;
  std::string original_;
};

}  // namespace migrate
