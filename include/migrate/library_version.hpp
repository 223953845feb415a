#pragma once

namespace migrate {

// The libmigrate release; recorded in every history row.
inline constexpr const char* kLibraryVersion = "0.1.0";

}  // namespace migrate
