// Which libmigrate release the program links.
#pragma once

namespace migrate {

// The libmigrate release, as `migrate --version` prints it; recorded in every history row
// (Attempt::tool_version).
inline constexpr const char* kLibraryVersion = "0.1.0";

}  // namespace migrate
