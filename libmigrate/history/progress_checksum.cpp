#include "libmigrate/history/progress_checksum.hpp"

#include <openssl/evp.h>

#include <fmt/format.h>

#include <array>

#include "libmigrate/error/failure.hpp"

namespace migrate {

std::string progress_checksum(const std::vector<std::string_view>& completed_statements) {
  ProgressChecksum sum;
  for (auto s : completed_statements) sum.add(s);
  return sum.value();
}

struct ProgressChecksum::Context {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Context() { EVP_MD_CTX_free(md); }
};

ProgressChecksum::ProgressChecksum() : ctx_(std::make_unique<Context>()) {
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr) != 1)
    fail(ErrorCode::kInternal, "OpenSSL could not start a SHA-256 digest");
}

ProgressChecksum::~ProgressChecksum() = default;

void ProgressChecksum::add(std::string_view statement) {
  static const char kNul = '\0';
  if (EVP_DigestUpdate(ctx_->md, statement.data(), statement.size()) != 1 ||
      EVP_DigestUpdate(ctx_->md, &kNul, 1) != 1)
    fail(ErrorCode::kInternal, "OpenSSL could not compute SHA-256");
}

std::string ProgressChecksum::value() const {
  Context copy;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (!copy.md || EVP_MD_CTX_copy_ex(copy.md, ctx_->md) != 1 ||
      EVP_DigestFinal_ex(copy.md, digest.data(), &length) != 1)
    fail(ErrorCode::kInternal, "OpenSSL could not compute SHA-256");
  std::string hex = "sha256:v1:";
  hex.reserve(10 + length * 2);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

}  // namespace migrate
