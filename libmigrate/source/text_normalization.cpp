#include <openssl/evp.h>

#include <fmt/format.h>
#include <array>

#include "libmigrate/error/failure.hpp"
#include "migrate/source.hpp"

namespace migrate {

std::string normalize_sql_text(std::string raw) {
  if (raw.size() >= 3 && raw.compare(0, 3, "\xEF\xBB\xBF") == 0) raw.erase(0, 3);
  // In place: most files have no CR and are returned as read, without a copy.
  auto cr = raw.find('\r');
  if (cr == std::string::npos) return raw;
  std::size_t kept = cr;
  for (std::size_t i = cr; i < raw.size(); ++i) {
    if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
    raw[kept++] = raw[i];
  }
  raw.resize(kept);
  return raw;
}

std::string checksum_v1(const std::string& normalized) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(normalized.data(), normalized.size(), digest.data(), &length, EVP_sha256(),
                 nullptr) != 1) {
    fail(ErrorCode::kInternal, "OpenSSL could not compute SHA-256");
  }
  constexpr char kHexDigits[] = "0123456789abcdef";
  std::string out = "sha256:v1:";
  out.reserve(out.size() + length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHexDigits[digest[i] >> 4];
    out += kHexDigits[digest[i] & 0x0F];
  }
  return out;
}

}  // namespace migrate
