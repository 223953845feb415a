// The checksum that pins the statements a non-transactional attempt already ran.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace migrate {

// sha256:v1 over the text of the statements a non-transactional attempt completed, each
// followed by a NUL. A retry resumes after them only if the file still starts with the same
// statements; what follows (the failed statement) may have been fixed.
std::string progress_checksum(const std::vector<std::string_view>& completed_statements);

// The same checksum, computed as statements complete: value() after add() of statements 1..n
// equals progress_checksum() of those n statements, at a cost proportional to the new
// statements only (a step of 500k standalone statements records its progress 500k times).
class ProgressChecksum {
 public:
  ProgressChecksum();
  ~ProgressChecksum();
  ProgressChecksum(const ProgressChecksum&) = delete;
  ProgressChecksum& operator=(const ProgressChecksum&) = delete;

  void add(std::string_view statement);
  std::string value() const;

 private:
  struct Context;
  std::unique_ptr<Context> ctx_;
};

}  // namespace migrate
