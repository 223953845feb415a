// A fixture set of sql_fixtures/faults/ and what "converged" means for it: the schema, the
// side effects and the history that a fully applied or fully reverted database must show,
// however many times the runs that got there were killed or cut off.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace migrate::testing {

enum class FaultEngine { kSqlite, kPostgres };

// Which end state a run converges to: `apply` (all versions in force) or `rollback --target 0`.
enum class FaultPhase { kApplied, kReverted };

const char* to_string(FaultEngine engine);
const char* to_string(FaultPhase phase);

// The fixtures of sql_fixtures/faults/<engine>/<kind>/, read from the files themselves: the
// versions from the file names, the side effects from the `INSERT INTO fault_log ... VALUES
// ('V', 'up'|'down', N)` statements, the applied schema from `applied_schema.txt`.
struct FaultScenario {
  FaultEngine engine = FaultEngine::kSqlite;
  std::string kind;
  std::filesystem::path fixtures;
  std::vector<std::string> versions;
  std::vector<std::string> up_markers;    // "V/up/N", one per side effect of an up file
  std::vector<std::string> down_markers;  // "V/down/N"
  std::vector<std::string> applied_schema;

  // Throws std::runtime_error when the fixture folder is missing or inconsistent.
  static FaultScenario load(FaultEngine engine, const std::string& kind);
  // Copies the migration files (only those) into `dir`.
  void copy_migrations_to(const std::filesystem::path& dir) const;
};

// The table every fixture migration records its side effects in; created by the test outside
// the migrations, so that it outlives a full rollback.
std::string fault_log_ddl(FaultEngine engine);

// Rows of a query against the database under test, columns joined by '|', NULL as "NULL".
using QueryRows = std::function<std::vector<std::string>(const std::string& sql)>;

// `table NAME(col,...)` and `index NAME on TABLE valid|invalid` of every user object except
// fault_log and the history tables, sorted.
std::vector<std::string> schema_signature(FaultEngine engine, const QueryRows& rows);

enum class DivergenceKind {
  kDoubleApply,  // a side effect or a successful attempt twice, or a duplicate index
  kSkipped,      // a side effect, a schema object or a successful attempt missing
  kUnrecorded,   // a schema change the history does not account for
  kHistory,      // an attempt left running, or `status` disagreeing with the end state
};

struct Divergence {
  DivergenceKind kind;
  std::string what;
};

// Everything in which the database differs from `phase` of `scenario`. `status_json` is the
// stdout of `migrate status --output json` run on it, and `status_exit` its exit code.
std::vector<Divergence> check_converged(const FaultScenario& scenario, FaultPhase phase,
                                        const QueryRows& rows, int status_exit,
                                        const std::string& status_json);

}  // namespace migrate::testing
