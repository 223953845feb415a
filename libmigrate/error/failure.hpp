// Inside the library, failures travel as exceptions carrying the public Error; the Migrator
// turns them back into values at the API boundary, so no exception crosses it.
#pragma once

#include <exception>
#include <string>
#include <utility>

#include "migrate/error.hpp"

namespace migrate {

class Failure : public std::exception {
 public:
  explicit Failure(Error error) : error_(std::move(error)), what_(error_.describe()) {}
  const Error& error() const noexcept { return error_; }
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  Error error_;
  std::string what_;
};

[[noreturn]] inline void fail(ErrorCode code, std::string message, std::string hint = {},
                              SourceLocation where = {}) {
  throw Failure(Error{code, std::move(message), std::move(hint), std::move(where), {}});
}

}  // namespace migrate
