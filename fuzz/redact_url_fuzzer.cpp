// URL redaction: any text goes through redact_url and redact_secrets without a crash and with
// the invariants of libmigrate/backend/database_url.hpp, and in a URL of each form the password
// is gone from the output, also where libpq would misread it (an unencoded '@', '/', '?', '#'
// in the userinfo, '&' in a query or key=value password).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/property.hpp"
#include "libmigrate/backend/database_url.hpp"

namespace {

using migrate::fuzz::require;

// The bytes of `raw` that are in `alphabet`, so the pieces of a URL are well-formed by
// construction and the fuzzer still chooses them.
std::string only(std::string_view raw, std::string_view alphabet) {
  std::string out;
  for (char c : raw)
    if (alphabet.find(c) != std::string_view::npos) out += c;
  return out;
}

constexpr std::string_view kAlnum =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

// A URL with a password in it, split around the password so the rest is known.
struct UrlWithPassword {
  std::string before;
  std::string password;
  std::string after;
};

UrlWithPassword build_url(FuzzedDataProvider& in) {
  const std::string user = only(in.ConsumeRandomLengthString(16), std::string(kAlnum) + "._-");
  const std::string host = in.ConsumeBool()
                               ? "[::1]"
                               : only(in.ConsumeRandomLengthString(24), std::string(kAlnum) + ".-");
  const std::string port =
      in.ConsumeBool() ? ":" + std::to_string(in.ConsumeIntegral<uint16_t>()) : std::string();
  const std::string db = only(in.ConsumeRandomLengthString(16), std::string(kAlnum) + "_");
  const std::string scheme = in.ConsumeBool() ? "postgres://" : "postgresql://";
  UrlWithPassword url;
  switch (in.ConsumeIntegralInRange(0, 2)) {
    case 0:  // userinfo: scheme://user:password@host/db
      url.password =
          only(in.ConsumeRandomLengthString(32), std::string(kAlnum) + "-._~!$&'()+,;=:%@/?#");
      url.before = scheme + user + ":";
      url.after = "@" + host + port + "/" + db + (in.ConsumeBool() ? "?sslmode=require" : "");
      break;
    case 1:  // query parameter: scheme://host/db?user=u&password=...
      // No '=': "&name=" inside a password cannot be told from the next parameter.
      url.password =
          only(in.ConsumeRandomLengthString(32), std::string(kAlnum) + "-._~!$&'()+,;:%");
      url.before = scheme + host + port + "/" + db + "?user=" + user + "&password=";
      url.after = in.ConsumeBool() ? "&sslmode=require" : "";
      break;
    default:  // libpq key=value string, the password unquoted
      url.password =
          only(in.ConsumeRandomLengthString(32), std::string(kAlnum) + "-._~!$&()+,;:%@/?#");
      url.before = "host=" + host + " user=" + user + " password=";
      url.after = " dbname=" + db;
      break;
  }
  return url;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Arbitrary text: redaction must never crash, whatever a user passes as --db.
  const std::string raw(reinterpret_cast<const char*>(data), size);
  (void)migrate::redact_url(raw);

  // Arbitrary text and URL, split where the input says: redact_secrets' invariants.
  const std::size_t cut = raw.find('\n');
  const std::string_view text = std::string_view(raw).substr(0, cut);
  const std::string_view any_url =
      cut == std::string::npos ? std::string_view() : std::string_view(raw).substr(cut + 1);
  const auto found = migrate::find_url_secrets(any_url);
  const std::string once = migrate::redact_secrets(text, any_url);
  bool clean = any_url.empty() || text.find(any_url) == std::string_view::npos;
  for (const auto& secret : found.secrets) {
    if (secret.size() >= 3)
      require(once.find(secret) == std::string::npos,
              "redact_secrets leaves no secret of 3 or more bytes");
    clean = clean && text.find(secret) == std::string_view::npos;
  }
  require(migrate::redact_secrets(once, any_url) == once, "redact_secrets is idempotent");
  if (clean) require(once == text, "redact_secrets leaves a text without secrets unchanged");
  for (std::size_t i = 1; i < found.passwords.size(); ++i)
    require(found.passwords[i - 1].end <= found.passwords[i].begin,
            "password spans are sorted and disjoint");

  FuzzedDataProvider in(data, size);
  const UrlWithPassword url = build_url(in);
  const std::string redacted = migrate::redact_url(url.before + url.password + url.after);
  // A password that also occurs elsewhere in the URL (a user named like it) or that stars could
  // spell cannot be told apart in the output; three characters keep the check meaningful.
  const std::string rest = url.before + url.after;
  if (url.password.size() >= 3 && rest.find(url.password) == std::string::npos &&
      url.password.find('*') == std::string::npos) {
    require(redacted.find(url.password) == std::string::npos,
            "redact_url leaves no password of a well-formed URL in its output");
    const std::string message =
        "cannot connect (" + url.before + url.password + url.after + "): \"" + url.password + "\"";
    require(migrate::redact_secrets(message, url.before + url.password + url.after)
                    .find(url.password) == std::string::npos,
            "redact_secrets leaves no password in a text quoting the URL and the password");
  }
  return 0;
}
