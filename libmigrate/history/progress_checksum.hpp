#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace migrate {

// sha256:v1 over the text of the statements a non-transactional attempt completed, each
// followed by a NUL. A retry resumes after them only if the file still starts with the same
// statements; what follows (the failed statement) may have been fixed.
std::string progress_checksum(const std::vector<std::string_view>& completed_statements);

}  // namespace migrate
