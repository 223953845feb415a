#include <openssl/evp.h>

#include <fmt/format.h>
#include <array>

#include "libmigrate/error/failure.hpp"
#include "migrate/source.hpp"

namespace migrate {

std::string normalize_sql_text(std::string raw) {
  if (raw.size() >= 3 && raw.compare(0, 3, "\xEF\xBB\xBF") == 0) raw.erase(0, 3);
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;
    out += raw[i];
  }
  return out;
}

std::string checksum_v1(const std::string& normalized) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(normalized.data(), normalized.size(), digest.data(), &length, EVP_sha256(),
                 nullptr) != 1) {
    fail(ErrorCode::kInternal, "OpenSSL could not compute SHA-256");
  }
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return "sha256:v1:" + hex;
}

}  // namespace migrate
