#include "migrate/version.hpp"

#include <algorithm>
#include <cctype>

namespace migrate {
namespace {

std::string_view next_component(std::string_view& rest) {
  auto dot = rest.find('.');
  std::string_view part = rest.substr(0, dot);
  rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
  return part;
}

// Numeric comparison of two digit strings without leading zeros, of any length.
std::strong_ordering compare_digits(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() <=> b.size();
  int c = a.compare(b);
  return c < 0 ? std::strong_ordering::less
               : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
}

}  // namespace

std::optional<Version> Version::parse(std::string_view text) {
  if (!text.empty() && (text.front() == 'V' || text.front() == 'v')) text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  Version v;
  v.original_ = std::string(text);
  std::string_view rest = text;
  bool first = true;
  while (true) {
    bool last = rest.find('.') == std::string_view::npos;
    std::string_view part = next_component(rest);
    if (part.empty() || !std::all_of(part.begin(), part.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      return std::nullopt;
    }
    auto nz = part.find_first_not_of('0');
    if (!first) v.canonical_ += '.';
    v.canonical_ += nz == std::string_view::npos ? std::string_view("0") : part.substr(nz);
    first = false;
    if (last) break;
  }
  return v;
}

std::strong_ordering operator<=>(const Version& a, const Version& b) {
  std::string_view ra = a.canonical_, rb = b.canonical_;
  while (!ra.empty() && !rb.empty()) {
    auto c = compare_digits(next_component(ra), next_component(rb));
    if (c != std::strong_ordering::equal) return c;
  }
  if (ra.empty() && rb.empty()) return std::strong_ordering::equal;
  return ra.empty() ? std::strong_ordering::less : std::strong_ordering::greater;
}

}  // namespace migrate
