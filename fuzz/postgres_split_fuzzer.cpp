// The PostgreSQL statement splitter: any text splits into in-order, non-overlapping pieces of
// itself with correct positions, or fails with SOURCE_INVALID pointing inside the text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/property.hpp"
#include "libmigrate/error/failure.hpp"
#include "libmigrate/sql/postgres_statement.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string sql(reinterpret_cast<const char*>(data), size);
  const migrate::SourceLocation file{"V1__fuzz.up.sql", "1"};
  try {
    migrate::fuzz::require_split_well_formed(sql, migrate::split_postgres_statements(sql, file));
  } catch (const migrate::Failure& f) {
    const migrate::Error& e = f.error();
    migrate::fuzz::require(e.code == migrate::ErrorCode::kSourceInvalid,
                           "the PostgreSQL splitter fails only with SOURCE_INVALID");
    migrate::fuzz::require(e.where.file == file.file && e.where.version == file.version,
                           "a split error names the file and version");
    migrate::fuzz::require_position_in_input(sql, e.where.line, e.where.column);
  }
  return 0;
}
