// The user schema of a database as its catalog describes it, object by object, and what differs
// between two such snapshots: what the round-trip check (check_rollback) compares after each step.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "libmigrate/backend/backend.hpp"
#include "libmigrate/history/history_store.hpp"
#include "migrate/rollback_check.hpp"

namespace migrate {

struct SchemaObject {
  std::string kind;        // as SchemaDifference::kind
  std::string name;        // as SchemaDifference::name
  std::string definition;  // as the catalog prints it; compared byte for byte
};

// Keyed by kind and name.
using SchemaSnapshot = std::map<std::pair<std::string, std::string>, SchemaObject>;

// Every user object of the database `backend` is connected to, without the history tables of
// `history` (the attempts table and its _statements and _calibration companions, with their
// indexes, constraints and sequences). PostgreSQL: every schema but pg_catalog,
// information_schema, pg_toast and temporary ones; objects that belong to an extension are the
// extension's. SQLite: the main database, without sqlite_ internals. Reads only.
SchemaSnapshot take_schema_snapshot(Backend& backend, const HistoryTableName& history);

// What differs in `now` compared with `reference`, in kind and name order.
std::vector<SchemaDifference> compare_schemas(const SchemaSnapshot& reference,
                                              const SchemaSnapshot& now);

}  // namespace migrate
