// Database URLs in text meant for people: how the library, the CLI and a service print a URL
// without its password.
#pragma once

#include <string>

namespace migrate {

// The URL with any password (userinfo, password=... key or query parameter) replaced by
// "****"; every other byte as given, and the URL unchanged when it holds no password. Accepts any
// text (sqlite:, postgresql:// and libpq key=value forms are understood) and never fails. Use it
// wherever a URL is printed or logged. Pure; safe to call from any thread.
std::string redact_url(const std::string& url);

}  // namespace migrate
