// Migration versions: how a file name's version is parsed, spelled and ordered.
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace migrate {

// A migration version: digits, optionally dotted ("12", "1.2.10"). Compared numerically per
// component with no size limit (20-digit timestamps are common), so "V012", "012" and "12" are
// the same version. A plain value: safe to share between threads for reading.
class Version {
 public:
  // Accepts an optional leading 'V' or 'v'. Returns nullopt for anything else than
  // digits separated by single dots (no sign, blank, empty component or trailing dot). Pure;
  // safe to call from any thread.
  static std::optional<Version> parse(std::string_view text);

  // Canonical form: leading zeros removed per component ("012.03" -> "12.3").
  const std::string& str() const noexcept { return canonical_; }
  // As written in the file name (the text given to parse), without the 'V' ("012").
  const std::string& original() const noexcept { return original_; }

  // Numerically, component by component; when one is a prefix of the other, the shorter is
  // lower ("1.2" < "1.2.0" < "1.10"). Equal exactly when the canonical forms are equal.
  friend std::strong_ordering operator<=>(const Version& a, const Version& b);
  friend bool operator==(const Version& a, const Version& b) {
    return a.canonical_ == b.canonical_;
  }

 private:
  std::string canonical_;
  std::string original_;
};

}  // namespace migrate
