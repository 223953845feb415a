#pragma once

#include <string>

namespace migrate {

// The URL with any password (userinfo, password=... key or query parameter) replaced by
// "****". Use it wherever a URL is printed or logged.
std::string redact_url(const std::string& url);

}  // namespace migrate
