#include "libmigrate/sql/postgres_batch_rewrite.hpp"

#include <fmt/format.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <functional>
#include <memory>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/sql/batch_placeholders.hpp"

namespace migrate {
namespace {

std::string quote(const std::string& identifier) {
  std::string out = "\"";
  for (char c : identifier) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// One statement's tree, unpacked from libpg_query's protobuf output, freed with it.
class ProtobufTree {
 public:
  explicit ProtobufTree(const std::string& sql) {
    result_ = pg_query_parse_protobuf(with_postgres_batch_parameters(sql).c_str());
    if (result_.error != nullptr) {
      fail(ErrorCode::kSourceInvalid,
           fmt::format("the statement does not parse as PostgreSQL: {}", result_.error->message),
           "correct the SQL");
    }
    tree_ = pg_query__parse_result__unpack(
        nullptr, result_.parse_tree.len, reinterpret_cast<const uint8_t*>(result_.parse_tree.data));
    if (tree_ == nullptr)
      fail(ErrorCode::kInternal, "libpg_query's protobuf output did not unpack",
           "this is a bug in libmigrate; please report it");
  }
  ~ProtobufTree() {
    if (tree_ != nullptr) pg_query__parse_result__free_unpacked(tree_, nullptr);
    pg_query_free_protobuf_parse_result(result_);
  }
  ProtobufTree(const ProtobufTree&) = delete;
  ProtobufTree& operator=(const ProtobufTree&) = delete;

  // The only statement, or nullptr when there is not exactly one.
  PgQuery__Node* statement() const {
    return tree_->n_stmts == 1 && tree_->stmts[0]->stmt != nullptr ? tree_->stmts[0]->stmt
                                                                   : nullptr;
  }

  // Deparsed SQL of the tree as it is now.
  std::string deparse() const {
    const std::size_t size = pg_query__parse_result__get_packed_size(tree_);
    std::string buffer(size, '\0');
    pg_query__parse_result__pack(tree_, reinterpret_cast<uint8_t*>(buffer.data()));
    PgQueryProtobuf packed{size, buffer.data()};
    PgQueryDeparseResult result = pg_query_deparse_protobuf(packed);
    std::unique_ptr<PgQueryDeparseResult, void (*)(PgQueryDeparseResult*)> guard(
        &result, [](PgQueryDeparseResult* r) { pg_query_free_deparse_result(*r); });
    if (result.error != nullptr)
      fail(ErrorCode::kInternal,
           fmt::format("libpg_query could not deparse a batched statement: {}",
                       result.error->message),
           "this is a bug in libmigrate; please report it; meanwhile name the batch bounds "
           "yourself with :batch_start and :batch_end (docs/backfills.md)");
    return result.query;
  }

 private:
  PgQueryProtobufParseResult result_{};
  PgQuery__ParseResult* tree_ = nullptr;
};

// Every message of the tree under `m`, depth first, through protobuf-c's descriptors: every
// node kind is walked without a case per kind.
void walk(const ProtobufCMessage* m, const std::function<void(const ProtobufCMessage*)>& visit) {
  if (m == nullptr) return;
  visit(m);
  const ProtobufCMessageDescriptor* d = m->descriptor;
  const char* base = reinterpret_cast<const char*>(m);
  for (unsigned i = 0; i < d->n_fields; ++i) {
    const ProtobufCFieldDescriptor& f = d->fields[i];
    if (f.type != PROTOBUF_C_TYPE_MESSAGE) continue;
    // A oneof's members share one pointer (Node's union): only the member set is there.
    if ((f.flags & PROTOBUF_C_FIELD_FLAG_ONEOF) != 0 &&
        *reinterpret_cast<const uint32_t*>(base + f.quantifier_offset) != f.id)
      continue;
    if (f.label == PROTOBUF_C_LABEL_REPEATED) {
      const std::size_t n = *reinterpret_cast<const std::size_t*>(base + f.quantifier_offset);
      auto* items = *reinterpret_cast<ProtobufCMessage* const* const*>(base + f.offset);
      for (std::size_t k = 0; k < n; ++k) walk(items[k], visit);
    } else {
      walk(*reinterpret_cast<ProtobufCMessage* const*>(base + f.offset), visit);
    }
  }
}

PgRelationName relation_name(const PgQuery__RangeVar* r) {
  PgRelationName out;
  if (r->schemaname != nullptr) out.schema = r->schemaname;
  if (r->relname != nullptr) out.name = r->relname;
  if (r->alias != nullptr && r->alias->aliasname != nullptr) out.alias = r->alias->aliasname;
  return out;
}

struct Target {
  PgQuery__RangeVar* relation = nullptr;
  PgQuery__Node** where = nullptr;  // the statement's where_clause field
};

Target target_of(PgQuery__Node* stmt) {
  if (stmt == nullptr) return {};
  if (stmt->node_case == PG_QUERY__NODE__NODE_UPDATE_STMT)
    return {stmt->update_stmt->relation, &stmt->update_stmt->where_clause};
  if (stmt->node_case == PG_QUERY__NODE__NODE_DELETE_STMT)
    return {stmt->delete_stmt->relation, &stmt->delete_stmt->where_clause};
  return {};
}

// `(q.k1, q.k2) > ($1::t1, $2::t2)` as SQL of our own (quoted identifiers, numbered parameters),
// for `first_parameter`; a single column compares without the row.
std::string key_comparison(const std::string& qualifier, const PgBatchKey& key, const char* op,
                           int first_parameter) {
  std::string columns, values;
  for (std::size_t i = 0; i < key.columns.size(); ++i) {
    columns += (i ? ", " : "") + qualifier + "." + quote(key.columns[i]);
    values += fmt::format("{}${}::{}", i ? ", " : "", first_parameter + static_cast<int>(i),
                          key.types[i]);
  }
  if (key.columns.size() == 1) return fmt::format("{} {} {}", columns, op, values);
  return fmt::format("({}) {} ({})", columns, op, values);
}

// The statement with `condition` (our own SQL) ANDed to its WHERE, deparsed. The condition's
// node comes from a tree of its own and is lent to the statement's tree only while it is packed,
// so each tree frees exactly what it allocated.
std::string with_condition(const std::string& statement_sql, const std::string& condition) {
  ProtobufTree statement(statement_sql);
  ProtobufTree extra("SELECT WHERE " + condition);
  Target target = target_of(statement.statement());
  PgQuery__Node* select = extra.statement();
  if (target.where == nullptr || select == nullptr ||
      select->node_case != PG_QUERY__NODE__NODE_SELECT_STMT ||
      select->select_stmt->where_clause == nullptr)
    fail(ErrorCode::kInternal, "a batched statement lost its shape while being rewritten",
         "this is a bug in libmigrate; please report it");
  PgQuery__Node* written = *target.where;
  PgQuery__Node* range = select->select_stmt->where_clause;
  PgQuery__BoolExpr both = PG_QUERY__BOOL_EXPR__INIT;
  PgQuery__Node* args[2] = {written, range};
  both.boolop = PG_QUERY__BOOL_EXPR_TYPE__AND_EXPR;
  both.n_args = 2;
  both.args = args;
  both.location = -1;
  PgQuery__Node both_node = PG_QUERY__NODE__INIT;
  both_node.node_case = PG_QUERY__NODE__NODE_BOOL_EXPR;
  both_node.bool_expr = &both;
  *target.where = written != nullptr ? &both_node : range;
  std::string out;
  try {
    out = statement.deparse();
  } catch (...) {
    *target.where = written;
    throw;
  }
  *target.where = written;
  return out;
}

}  // namespace

std::string PgRelationName::sql() const {
  return schema.empty() ? quote(name) : quote(schema) + "." + quote(name);
}

std::optional<PgRelationName> pg_batch_target(const std::string& statement_sql) {
  ProtobufTree tree(statement_sql);
  Target target = target_of(tree.statement());
  if (target.relation == nullptr) return std::nullopt;
  return relation_name(target.relation);
}

PgBatchedStatement pg_add_batch_range(const std::string& statement_sql,
                                      const PgRelationName& target, const PgBatchKey& key) {
  // The key as the statement can name it: by its alias, else by the table as written.
  const std::string qualifier = target.alias.empty() ? target.sql() : quote(target.alias);
  const int n = static_cast<int>(key.columns.size());
  PgBatchedStatement out;
  out.bounded = with_condition(statement_sql, key_comparison(qualifier, key, ">", 1) + " AND " +
                                                  key_comparison(qualifier, key, "<=", n + 1));
  out.from = with_condition(statement_sql, key_comparison(qualifier, key, ">", 1));
  out.through = with_condition(statement_sql, key_comparison(qualifier, key, "<=", 1));
  return out;
}

std::optional<PgPlaceholderKey> pg_placeholder_key(const std::string& statement_sql) {
  ProtobufTree tree(statement_sql);
  PgQuery__Node* stmt = tree.statement();
  if (stmt == nullptr) return std::nullopt;
  const PgQuery__RangeVar* insert_target =
      stmt->node_case == PG_QUERY__NODE__NODE_INSERT_STMT ? stmt->insert_stmt->relation : nullptr;
  std::vector<const PgQuery__RangeVar*> read;
  const PgQuery__ColumnRef* column = nullptr;
  auto is_start = [](const PgQuery__Node* n) {
    if (n != nullptr && n->node_case == PG_QUERY__NODE__NODE_TYPE_CAST) n = n->type_cast->arg;
    return n != nullptr && n->node_case == PG_QUERY__NODE__NODE_PARAM_REF &&
           n->param_ref->number == 1;
  };
  walk(&stmt->base, [&](const ProtobufCMessage* m) {
    if (m->descriptor == &pg_query__range_var__descriptor) {
      const auto* r = reinterpret_cast<const PgQuery__RangeVar*>(m);
      if (r != insert_target) read.push_back(r);
    } else if (m->descriptor == &pg_query__a__expr__descriptor && column == nullptr) {
      const auto* e = reinterpret_cast<const PgQuery__AExpr*>(m);
      const PgQuery__Node* other = is_start(e->rexpr)   ? e->lexpr
                                   : is_start(e->lexpr) ? e->rexpr
                                                        : nullptr;
      if (other != nullptr && other->node_case == PG_QUERY__NODE__NODE_COLUMN_REF)
        column = other->column_ref;
    }
  });
  if (column == nullptr || column->n_fields == 0) return std::nullopt;
  std::vector<std::string> parts;
  for (std::size_t i = 0; i < column->n_fields; ++i) {
    const PgQuery__Node* f = column->fields[i];
    if (f->node_case != PG_QUERY__NODE__NODE_STRING) return std::nullopt;  // a.* and the like
    parts.emplace_back(f->string->sval);
  }
  PgPlaceholderKey out;
  out.column = parts.back();
  if (parts.size() == 1) {
    if (read.size() != 1) return std::nullopt;
    out.table = relation_name(read.front());
    return out;
  }
  const std::string& qualifier = parts[parts.size() - 2];
  for (const auto* r : read) {
    PgRelationName name = relation_name(r);
    if (name.alias == qualifier || (name.alias.empty() && name.name == qualifier)) {
      out.table = name;
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace migrate
