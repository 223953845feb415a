// Catalog snapshots for the round-trip check. PostgreSQL: pg_catalog, with the server's own
// printers (format_type, pg_get_expr, pg_get_indexdef, pg_get_constraintdef, pg_get_triggerdef,
// pg_get_viewdef, pg_get_functiondef) so that a definition is compared as the server understands
// it, not as it was written. SQLite: sqlite_master and the table-valued pragmas.
#include "libmigrate/roundtrip/schema_snapshot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace migrate {

const char* to_string(SchemaChangeKind k) noexcept {
  switch (k) {
    case SchemaChangeKind::kLeftBehind:
      return "left behind";
    case SchemaChangeKind::kMissing:
      return "missing";
    case SchemaChangeKind::kChanged:
      return "changed";
  }
  return "changed";
}

std::string SchemaDifference::describe() const {
  std::string text = fmt::format("{} {} {}", kind, name, to_string(change));
  if (change == SchemaChangeKind::kChanged)
    text += fmt::format(": {} -> {}", reference_definition, definition);
  return text;
}

namespace {

std::string text_of(const SqlValue& v) {
  return v.value_or("");
}

void add(SchemaSnapshot& snapshot, std::string kind, std::string name, std::string definition) {
  auto key = std::make_pair(kind, name);
  snapshot[key] = SchemaObject{std::move(kind), std::move(name), std::move(definition)};
}

// Schemas of the user's objects.
constexpr const char* kUserNamespace =
    "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE "
    "'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'";

// The history tables ($1 schema, $2..$4 names), and objects that belong to an extension.
constexpr const char* kHistoryRelations =
    "(SELECT hc.oid FROM pg_class hc JOIN pg_namespace hn ON hn.oid = hc.relnamespace "
    "WHERE hn.nspname = $1 AND hc.relname IN ($2, $3, $4))";

std::string not_extension_member(const std::string& catalog, const std::string& oid) {
  return fmt::format(
      "NOT EXISTS (SELECT 1 FROM pg_depend xd WHERE xd.classid = '{}'::regclass AND xd.objid = "
      "{} AND xd.deptype = 'e')",
      catalog, oid);
}

const char* relation_kind(const std::string& relkind) {
  if (relkind == "v") return "view";
  if (relkind == "m") return "materialized view";
  if (relkind == "S") return "sequence";
  if (relkind == "f") return "foreign table";
  if (relkind == "c") return "composite type";
  return "table";
}

const char* constraint_kind(const std::string& contype) {
  if (contype == "p") return "primary key";
  if (contype == "f") return "foreign key";
  if (contype == "u") return "unique constraint";
  if (contype == "c") return "check constraint";
  if (contype == "x") return "exclusion constraint";
  if (contype == "t") return "constraint trigger";
  return "constraint";
}

const char* function_kind(const std::string& prokind) {
  if (prokind == "p") return "procedure";
  if (prokind == "a") return "aggregate";
  if (prokind == "w") return "window function";
  return "function";
}

SchemaSnapshot postgres_snapshot(Backend& backend, const HistoryTableName& history) {
  const std::vector<SqlValue> params{history.schema, history.table, history.table + "_statements",
                                     history.table + "_calibration"};
  // The queries that name the history tables take the four parameters.
  auto run = [&](const std::string& sql) {
    return backend.query(sql,
                         sql.find("$1") == std::string::npos ? std::vector<SqlValue>{} : params);
  };
  SchemaSnapshot s;

  for (const auto& r :
       run(fmt::format("SELECT n.nspname FROM pg_namespace n WHERE {} AND {}", kUserNamespace,
                       not_extension_member("pg_namespace", "n.oid"))))
    add(s, "schema", text_of(r[0]), "");

  for (const auto& r : run(fmt::format(
           "SELECT e.extname, e.extversion || ' in schema ' || n.nspname FROM pg_extension e "
           "JOIN pg_namespace n ON n.oid = e.extnamespace")))
    add(s, "extension", text_of(r[0]), text_of(r[1]));

  // Relations: tables, views, materialized views, sequences, foreign tables, composite types.
  // A sequence the history owns (its id column) is the history's.
  for (const auto& r : run(fmt::format(
           "SELECT c.relkind::text, n.nspname || '.' || c.relname, CASE "
           "WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) "
           "WHEN c.relkind = 'S' THEN (SELECT format_type(q.seqtypid, NULL) || ' start ' || "
           "q.seqstart || ' increment ' || q.seqincrement || ' min ' || q.seqmin || ' max ' || "
           "q.seqmax || ' cache ' || q.seqcache || CASE WHEN q.seqcycle THEN ' cycle' ELSE '' END "
           "FROM pg_sequence q WHERE q.seqrelid = c.oid) "
           "WHEN c.relkind = 'p' THEN 'partitioned by ' || pg_get_partkeydef(c.oid) "
           "ELSE '' END || CASE WHEN c.relpersistence = 'u' THEN ' unlogged' ELSE '' END || "
           "CASE WHEN c.relispartition THEN ' partition ' || pg_get_expr(c.relpartbound, c.oid) "
           "ELSE '' END "
           "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
           "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND {} AND c.oid NOT IN {} "
           "AND {} AND NOT EXISTS (SELECT 1 FROM pg_depend od WHERE od.classid = "
           "'pg_class'::regclass AND od.objid = c.oid AND od.refclassid = 'pg_class'::regclass "
           "AND od.refobjid IN {})",
           kUserNamespace, kHistoryRelations, not_extension_member("pg_class", "c.oid"),
           kHistoryRelations)))
    add(s, relation_kind(text_of(r[0])), text_of(r[1]), text_of(r[2]));

  for (const auto& r : run(fmt::format(
           "SELECT n.nspname || '.' || c.relname || '.' || a.attname, "
           "format_type(a.atttypid, a.atttypmod) || "
           "CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || "
           "COALESCE(CASE WHEN a.attgenerated = 's' THEN ' generated always as ' ELSE ' default ' "
           "END || pg_get_expr(d.adbin, d.adrelid), '') || "
           "CASE a.attidentity WHEN 'a' THEN ' generated always as identity' "
           "WHEN 'd' THEN ' generated by default as identity' ELSE '' END || "
           "CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation THEN ' collate ' "
           "|| (SELECT collname FROM pg_collation WHERE oid = a.attcollation) ELSE '' END "
           "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
           "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid "
           "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
           "WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'c') "
           "AND {} AND c.oid NOT IN {} AND {}",
           kUserNamespace, kHistoryRelations, not_extension_member("pg_class", "c.oid"))))
    add(s, "column", text_of(r[0]), text_of(r[1]));

  // Indexes of their own; those behind a primary key, unique or exclusion constraint are the
  // constraint's.
  for (const auto& r : run(fmt::format(
           "SELECT n.nspname || '.' || ic.relname, pg_get_indexdef(i.indexrelid) || "
           "CASE WHEN i.indisvalid THEN '' ELSE ' (invalid)' END "
           "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
           "JOIN pg_namespace n ON n.oid = ic.relnamespace "
           "WHERE {} AND i.indrelid NOT IN {} AND {} AND NOT EXISTS (SELECT 1 FROM "
           "pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))",
           kUserNamespace, kHistoryRelations, not_extension_member("pg_class", "i.indrelid"))))
    add(s, "index", text_of(r[0]), text_of(r[1]));

  for (const auto& r : run(fmt::format(
           "SELECT k.contype::text, k.conname || ' on ' || n.nspname || '.' || c.relname, "
           "pg_get_constraintdef(k.oid) "
           "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
           "JOIN pg_namespace n ON n.oid = c.relnamespace "
           "WHERE {} AND c.oid NOT IN {} AND {} "
           "UNION ALL "
           "SELECT k.contype::text, k.conname || ' on domain ' || n.nspname || '.' || t.typname, "
           "pg_get_constraintdef(k.oid) "
           "FROM pg_constraint k JOIN pg_type t ON t.oid = k.contypid "
           "JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {} AND {}",
           kUserNamespace, kHistoryRelations, not_extension_member("pg_class", "c.oid"),
           kUserNamespace, not_extension_member("pg_type", "t.oid"))))
    add(s, constraint_kind(text_of(r[0])), text_of(r[1]), text_of(r[2]));

  for (const auto& r : run(fmt::format(
           "SELECT g.tgname || ' on ' || n.nspname || '.' || c.relname, pg_get_triggerdef(g.oid) "
           "FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
           "JOIN pg_namespace n ON n.oid = c.relnamespace "
           "WHERE NOT g.tgisinternal AND {} AND c.oid NOT IN {} AND {}",
           kUserNamespace, kHistoryRelations, not_extension_member("pg_class", "c.oid"))))
    add(s, "trigger", text_of(r[0]), text_of(r[1]));

  for (const auto& r : run(fmt::format(
           "SELECT p.prokind::text, n.nspname || '.' || p.proname || '(' || "
           "pg_get_function_identity_arguments(p.oid) || ')', "
           "COALESCE('returns ' || pg_get_function_result(p.oid) || ', ', '') || 'definition md5 "
           "' || md5(CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) ELSE "
           "p.prosrc END) "
           "FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {} AND {}",
           kUserNamespace, not_extension_member("pg_proc", "p.oid"))))
    add(s, function_kind(text_of(r[0])), text_of(r[1]), text_of(r[2]));

  for (const auto& r : run(fmt::format(
           "SELECT t.typtype::text, n.nspname || '.' || t.typname, CASE WHEN t.typtype = 'e' "
           "THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) "
           "FROM pg_enum e WHERE e.enumtypid = t.oid) "
           "ELSE format_type(t.typbasetype, t.typtypmod) || CASE WHEN t.typnotnull THEN ' not "
           "null' ELSE '' END || COALESCE(' default ' || t.typdefault, '') END "
           "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
           "WHERE t.typtype IN ('e', 'd') AND {} AND {}",
           kUserNamespace, not_extension_member("pg_type", "t.oid"))))
    add(s, text_of(r[0]) == "e" ? "enum type" : "domain", text_of(r[1]),
        text_of(r[0]) == "e" ? "(" + text_of(r[2]) + ")" : text_of(r[2]));
  return s;
}

// SQL text as SQLite stores it, with runs of whitespace made one space.
std::string normalized_sql(const std::string& sql) {
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

SchemaSnapshot sqlite_snapshot(Backend& backend, const HistoryTableName& history) {
  const std::set<std::string> history_tables{history.table, history.table + "_statements",
                                             history.table + "_calibration"};
  SchemaSnapshot s;
  const auto objects = backend.query(
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' "
      "ESCAPE '\\' ORDER BY type, name");
  for (const auto& o : objects) {
    const std::string type = text_of(o[0]);
    const std::string name = text_of(o[1]);
    const std::string table = text_of(o[2]);
    if (history_tables.contains(table)) continue;
    if (type == "view" || type == "trigger") {
      add(s, type, type == "trigger" ? name + " on " + table : name, normalized_sql(text_of(o[3])));
      continue;
    }
    if (type != "table") continue;  // indexes: through pragma index_list below
    const std::string sql = normalized_sql(text_of(o[3]));
    add(s, "table", name, sql.starts_with("CREATE VIRTUAL") ? sql : "");
    for (const auto& c : backend.query(
             "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info(?1)", {name})) {
      std::string def = text_of(c[1]);
      if (text_of(c[2]) == "1") def += " not null";
      if (c[3]) def += " default " + *c[3];
      if (text_of(c[4]) != "0") def += " primary key";
      add(s, "column", name + "." + text_of(c[0]), def);
    }
    // One foreign key per id, its columns in seq order.
    std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> columns;
    std::map<std::string, std::string> rest;
    for (const auto& f :
         backend.query("SELECT id, \"table\", \"from\", \"to\", on_update, on_delete, match FROM "
                       "pragma_foreign_key_list(?1) ORDER BY id, seq",
                       {name})) {
      const std::string id = text_of(f[0]);
      columns[id].first.push_back(text_of(f[2]));
      columns[id].second.push_back(text_of(f[3]));
      rest[id] =
          fmt::format("{} on update {} on delete {}", text_of(f[1]), text_of(f[4]), text_of(f[5]));
    }
    for (const auto& [id, cols] : columns)
      add(s, "foreign key", fmt::format("({}) on {}", joined(cols.first), name),
          fmt::format("references {} ({})", rest[id], joined(cols.second)));
    for (const auto& i : backend.query(
             "SELECT l.name, l.\"unique\", l.origin, m.sql FROM pragma_index_list(?1) l LEFT "
             "JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name",
             {name})) {
      const std::string index = text_of(i[0]);
      std::vector<std::string> keys;
      for (const auto& k : backend.query(
               "SELECT name FROM pragma_index_xinfo(?1) WHERE key = 1 ORDER BY seqno", {index}))
        keys.push_back(k[0] ? *k[0] : "<expression>");
      const std::string origin = text_of(i[2]);
      if (origin == "c") {
        add(s, "index", index, normalized_sql(text_of(i[3])));
      } else {
        add(s, origin == "pk" ? "primary key" : "unique constraint",
            fmt::format("({}) on {}", joined(keys), name), "");
      }
    }
  }
  return s;
}

}  // namespace

SchemaSnapshot take_schema_snapshot(Backend& backend, const HistoryTableName& history) {
  return backend.dialect() == Dialect::kPostgres ? postgres_snapshot(backend, history)
                                                 : sqlite_snapshot(backend, history);
}

namespace {

// Containers before what they contain: a table left behind is named before its columns.
int kind_rank(const std::string& kind) {
  static const char* const kOrder[] = {"schema",
                                       "extension",
                                       "enum type",
                                       "domain",
                                       "composite type",
                                       "sequence",
                                       "table",
                                       "foreign table",
                                       "column",
                                       "primary key",
                                       "unique constraint",
                                       "foreign key",
                                       "check constraint",
                                       "exclusion constraint",
                                       "constraint",
                                       "index",
                                       "view",
                                       "materialized view",
                                       "function",
                                       "procedure",
                                       "aggregate",
                                       "window function",
                                       "trigger",
                                       "constraint trigger"};
  int rank = 0;
  for (const char* k : kOrder) {
    if (kind == k) return rank;
    ++rank;
  }
  return rank;
}

std::vector<SchemaDifference> differences_by_key(const SchemaSnapshot& reference,
                                                 const SchemaSnapshot& now);

}  // namespace

std::vector<SchemaDifference> compare_schemas(const SchemaSnapshot& reference,
                                              const SchemaSnapshot& now) {
  std::vector<SchemaDifference> out = differences_by_key(reference, now);
  std::stable_sort(out.begin(), out.end(),
                   [](const SchemaDifference& a, const SchemaDifference& b) {
                     return kind_rank(a.kind) < kind_rank(b.kind);
                   });
  return out;
}

namespace {

std::vector<SchemaDifference> differences_by_key(const SchemaSnapshot& reference,
                                                 const SchemaSnapshot& now) {
  std::vector<SchemaDifference> out;
  auto r = reference.begin();
  auto n = now.begin();
  while (r != reference.end() || n != now.end()) {
    if (n == now.end() || (r != reference.end() && r->first < n->first)) {
      out.push_back(
          {SchemaChangeKind::kMissing, r->second.kind, r->second.name, r->second.definition, ""});
      ++r;
    } else if (r == reference.end() || n->first < r->first) {
      out.push_back({SchemaChangeKind::kLeftBehind, n->second.kind, n->second.name, "",
                     n->second.definition});
      ++n;
    } else {
      if (r->second.definition != n->second.definition)
        out.push_back({SchemaChangeKind::kChanged, r->second.kind, r->second.name,
                       r->second.definition, n->second.definition});
      ++r;
      ++n;
    }
  }
  return out;
}

}  // namespace

}  // namespace migrate
