// What the analyzer learns from the live catalog. Probes never scan a table and never wait
// long: statistics come from pg_class (reltuples, relpages), and every probe runs in a
// transaction with a short lock_timeout and statement_timeout, because even a catalog function
// such as pg_relation_size() queues behind an ACCESS EXCLUSIVE lock request.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "libmigrate/backend/postgres/postgres_backend.hpp"
#include "libmigrate/error/failure.hpp"

#include <nlohmann/json.hpp>

namespace migrate {
namespace {

// A probe may take this long in all; `plan` must stay quick on a busy server.
constexpr std::chrono::milliseconds kProbeStatementTimeout{5'000};

// PostgreSQL's planner estimates a never-analysed table's rows from its size and an assumed
// tuple width (estimate_rel_size()); the same here: 8 kB pages, 24-byte page header, about 32
// bytes of data plus 28 of tuple header and line pointer per row.
double rows_from_size(double bytes) {
  constexpr double kPage = 8192, kPageHeader = 24, kRowBytes = 60;
  return std::floor(bytes / kPage) * std::floor((kPage - kPageHeader) / kRowBytes);
}

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> out;
  for (std::size_t start = 0; !list.empty() && start <= list.size();) {
    auto comma = list.find(',', start);
    std::string item =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty() && std::find(out.begin(), out.end(), item) == out.end()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

// Runs `body` in a read transaction with the probe's timeouts (see the file comment).
template <typename Body>
void PostgresBackend::probe(std::chrono::milliseconds lock_timeout, Body&& body) {
  pqxx::work q(*work_);
  q.exec_params(
      "SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)",
      // lock_timeout 0 means "wait forever" to PostgreSQL: a probe still must not, so it falls
      // back to the default 500 ms.
      fmt::format("{}ms", lock_timeout.count() > 0 ? lock_timeout.count() : 500),
      fmt::format("{}ms", kProbeStatementTimeout.count()));
  body(q);
  q.commit();
}

Backend::CatalogFacts PostgresBackend::catalog_facts(const std::vector<std::string>& relations,
                                                     std::chrono::milliseconds lock_timeout) {
  CatalogFacts facts;
  if (tx_) fail(ErrorCode::kInternal, "catalog_facts() called inside a step's transaction");
  auto probe = [&](auto&& body) { this->probe(lock_timeout, body); };
  try {
    probe([&](pqxx::transaction_base& q) {
      facts.server_version_num = q.exec("SHOW server_version_num")[0][0].as<int>();
      if (!relations.empty()) {
        std::string list;
        for (const auto& r : relations) list += (list.empty() ? "" : ",") + r;
        // to_regclass() resolves names without locking the relation.
        for (const auto& row :
             q.exec_params("SELECT x, c.reltuples::float8 FROM unnest(string_to_array($1, ',')) x "
                           "JOIN pg_class c ON c.oid = to_regclass(x)",
                           list)) {
          double n = row[1].as<double>();
          if (n < 0)
            facts.never_analyzed.push_back(row[0].as<std::string>());
          else
            facts.table_rows[row[0].as<std::string>()] = n;
        }
      }
      // The test REFRESH ... CONCURRENTLY makes (is_usable_unique_index() in matview.c).
      for (const auto& row :
           q.exec("SELECT n.nspname || '.' || c.relname, c.relispopulated, EXISTS (SELECT 1 FROM "
                  "pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = "
                  "ic.relam WHERE i.indrelid = c.oid AND i.indisunique AND i.indimmediate AND "
                  "i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL AND am.amname = "
                  "'btree' AND i.indnatts > 0 AND NOT 0 = ANY (i.indkey::int2[])) FROM pg_class c "
                  "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'm'"))
        facts.materialized_views[row[0].as<std::string>()] =
            MaterializedViewFacts{row[1].as<bool>(), row[2].as<bool>()};
      for (const auto& row : q.exec("SELECT extname FROM pg_extension"))
        facts.installed_extensions.push_back(row[0].as<std::string>());
      for (const auto& row :
           q.exec("SELECT name, coalesce(array_to_string(requires, ','), '') FROM "
                  "pg_available_extension_versions")) {
        auto& req = facts.extension_requires[row[0].as<std::string>()];
        for (auto& item : split_list(row[1].as<std::string>()))
          if (std::find(req.begin(), req.end(), item) == req.end()) req.push_back(item);
      }
    });
  } catch (const pqxx::sql_error& e) {
    log(LogLevel::kWarn, fmt::format("catalog probe gave up ({}): the analysis works without row "
                                     "estimates or extension facts",
                                     first_message_line(e.what())));
    return facts;
  }
  // A table never analysed or vacuumed has reltuples = -1: estimate from its size, which needs
  // the relation's ACCESS SHARE lock, so one short-timeout probe per table.
  for (const auto& r : facts.never_analyzed) {
    try {
      probe([&](pqxx::transaction_base& q) {
        double bytes =
            q.exec_params("SELECT pg_relation_size(to_regclass($1))::float8", r)[0][0].as<double>(
                0);
        facts.table_rows[r] = rows_from_size(bytes);
      });
    } catch (const pqxx::sql_error& e) {
      log(LogLevel::kWarn,
          fmt::format("no row estimate for {}: {}", r, first_message_line(e.what())));
    }
  }
  return facts;
}

std::map<std::string, TableStatistics> PostgresBackend::table_statistics(
    const std::vector<std::string>& relations, std::chrono::milliseconds lock_timeout) {
  std::map<std::string, TableStatistics> out;
  if (tx_) fail(ErrorCode::kInternal, "table_statistics() called inside a step's transaction");
  if (relations.empty()) return out;
  // Reads `names` (a comma-separated list) in one probe: a constant number of round trips
  // however many tables a plan of thousands of migrations names.
  auto read = [&](const std::vector<std::string>& names) {
    std::string list;
    for (const auto& r : names) list += (list.empty() ? "" : ",") + r;
    probe(lock_timeout, [&](pqxx::transaction_base& q) {
      // pg_relation_size() takes each table's ACCESS SHARE lock: under the probe's lock_timeout.
      std::map<std::int64_t, std::string> by_oid;
      std::string oids;
      for (const auto& row : q.exec_params(
               "SELECT x, c.oid::bigint, c.reltuples::float8, pg_relation_size(c.oid)::float8, "
               "pg_total_relation_size(c.oid)::float8 FROM unnest(string_to_array($1, ',')) x "
               "JOIN pg_class c ON c.oid = to_regclass(x) WHERE c.relkind IN ('r', 'p', 'm')",
               list)) {
        TableStatistics t;
        const double reltuples = row[2].as<double>();
        t.heap_bytes = row[3].as<double>();
        t.total_bytes = row[4].as<double>();
        // -1: never vacuumed or analyzed. An empty table is known to be empty all the same.
        if (reltuples >= 0)
          t.rows = reltuples;
        else if (t.heap_bytes == 0)
          t.rows = 0;
        const auto oid = row[1].as<std::int64_t>();
        by_oid[oid] = row[0].as<std::string>();
        oids += (oids.empty() ? "" : ",") + std::to_string(oid);
        out[row[0].as<std::string>()] = std::move(t);
      }
      if (oids.empty()) return;
      const std::string array = "{" + oids + "}";
      // typlen -1 (varlena) or -2 (cstring): variable width; attnum 0 in indkey: an expression.
      for (const auto& row : q.exec_params(
               "SELECT i.indrelid::bigint, bool_or(k.attnum = 0 OR t.typlen < 0) FROM pg_index i "
               "CROSS JOIN LATERAL unnest(i.indkey::int2[]) AS k(attnum) LEFT JOIN pg_attribute a "
               "ON a.attrelid = i.indrelid AND a.attnum = k.attnum LEFT JOIN pg_type t ON t.oid = "
               "a.atttypid WHERE i.indrelid = ANY ($1::oid[]) GROUP BY i.indrelid, i.indexrelid "
               "ORDER BY 1, i.indexrelid",
               array))
        out[by_oid[row[0].as<std::int64_t>()]].index_variable_width.push_back(
            row[1].as<bool>(true));
      for (const auto& row : q.exec_params(
               "SELECT a.attrelid::bigint, lower(a.attname), t.typlen < 0 FROM pg_attribute a JOIN "
               "pg_type t ON t.oid = a.atttypid WHERE a.attrelid = ANY ($1::oid[]) AND a.attnum > "
               "0 AND NOT a.attisdropped",
               array))
        out[by_oid[row[0].as<std::int64_t>()]].column_variable_width[row[1].as<std::string>()] =
            row[2].as<bool>();
      for (const auto& row : q.exec_params(
               "SELECT conrelid::bigint, conname, CASE contype WHEN 'c' THEN 'check' WHEN 'f' THEN "
               "'foreign key' WHEN 'u' THEN 'unique' WHEN 'p' THEN 'primary key' WHEN 'x' THEN "
               "'exclusion' ELSE contype::text END FROM pg_constraint WHERE conrelid = ANY "
               "($1::oid[])",
               array))
        out[by_oid[row[0].as<std::int64_t>()]].constraint_kinds[row[1].as<std::string>()] =
            row[2].as<std::string>();
    });
  };
  // How each column's values follow the table's order (an index build on keys already in order
  // sorts less): a probe of its own, since pg_stats is a view that costs more than the catalog
  // reads above; without it the estimates only lose that refinement. pg_stats shows only the
  // columns this role may read.
  auto read_correlations = [&] {
    std::string list;
    for (const auto& [name, t] : out)
      if (t.unavailable.empty()) list += (list.empty() ? "" : ",") + name;
    if (list.empty()) return;
    try {
      probe(lock_timeout, [&](pqxx::transaction_base& q) {
        for (const auto& row : q.exec_params(
                 "SELECT x, lower(s.attname), s.correlation::float8 "
                 "FROM unnest(string_to_array($1, ',')) x "
                 "JOIN pg_class c ON c.oid = to_regclass(x) "
                 "JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname "
                 "AND NOT s.inherited WHERE s.correlation IS NOT NULL",
                 list))
          out[row[0].as<std::string>()].column_correlation[row[1].as<std::string>()] =
              row[2].as<double>();
      });
    } catch (const pqxx::sql_error& e) {
      log(LogLevel::kInfo, fmt::format("no column correlations for the estimates: {}",
                                       first_message_line(e.what())));
    }
  };
  try {
    read(relations);
  } catch (const pqxx::sql_error&) {
    // One table behind a lock queue fails the whole probe: each on its own then, so that it
    // costs only its own estimate.
    out.clear();
    for (const auto& r : relations) {
      try {
        read({r});
      } catch (const pqxx::sql_error& e) {
        log(LogLevel::kWarn, fmt::format("no size for {}: {}; its estimate says so", r,
                                         first_message_line(e.what())));
        out[r].unavailable = first_message_line(e.what());
      }
    }
  }
  read_correlations();
  return out;
}

std::optional<double> PostgresBackend::planned_rows(const std::string& sql,
                                                    std::chrono::milliseconds lock_timeout) {
  if (tx_) fail(ErrorCode::kInternal, "planned_rows() called inside a step's transaction");
  std::optional<double> rows;
  try {
    // EXPLAIN plans without executing; the probe's transaction is committed with nothing in it.
    // A ModifyTable node's own row count is that of its RETURNING: its input says what it
    // touches.
    probe(lock_timeout, [&](pqxx::transaction_base& q) {
      auto plan = nlohmann::json::parse(q.exec("EXPLAIN (FORMAT JSON) " + sql)[0][0].c_str());
      const auto& top = plan.at(0).at("Plan");
      const auto& node = top.value("Node Type", "") == "ModifyTable" && top.contains("Plans")
                             ? top.at("Plans").at(0)
                             : top;
      rows = node.at("Plan Rows").get<double>();
    });
  } catch (const pqxx::sql_error&) {
    return std::nullopt;  // a table created earlier in the plan, a parameter: no estimate
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return rows;
}

}  // namespace migrate
