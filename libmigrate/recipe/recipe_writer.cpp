// `migrate new --recipe`: renders the compiled-in templates (libmigrate/recipe/templates) into an
// expand and a contract migration. Names are quoted only where PostgreSQL needs it, decided by
// PostgreSQL's own parser; types and expressions are checked with it before anything is written.
#include <fmt/format.h>
#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string_view>

#include "libmigrate/error/failure.hpp"
#include "libmigrate/recipe/recipe_templates.hpp"
#include "libmigrate/source/migration_file_name.hpp"
#include "migrate/recipe.hpp"

namespace migrate {
namespace {

[[noreturn]] void usage(std::string message, std::string fix) {
  fail(ErrorCode::kUsage, std::move(message), std::move(fix));
}

bool parses(const std::string& sql) {
  PgQueryParseResult r = pg_query_parse(sql.c_str());
  const bool ok = r.error == nullptr;
  pg_query_free_parse_result(r);
  return ok;
}

// A name as written (no quotes) -> as SQL: bare when it is a plain lower-case identifier that
// PostgreSQL accepts as a table and column name (not a reserved word), else double-quoted.
std::string quote_ident(const std::string& name) {
  const bool plain = !name.empty() &&
                     (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return std::islower(static_cast<unsigned char>(c)) ||
                              std::isdigit(static_cast<unsigned char>(c)) || c == '_';
                     });
  if (plain && parses("CREATE TABLE " + name + " (" + name + " int)")) return name;
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

struct RelationName {
  std::string schema;  // empty: unqualified
  std::string name;
  std::string sql() const {
    return schema.empty() ? quote_ident(name) : quote_ident(schema) + "." + quote_ident(name);
  }
  std::string text() const { return schema.empty() ? name : schema + "." + name; }
};

void check_name(const std::string& option, const std::string& value) {
  if (value.empty()) usage(fmt::format("{} is empty", option), "give a name");
  if (value.find_first_of("\"'\n\r\t") != std::string::npos ||
      value.find('\0') != std::string::npos)
    usage(fmt::format("{} '{}' holds a quote or a control character", option, value),
          "name the object as it is in the database, without quotes");
  if (value.find("$migrate$") != std::string::npos)
    usage(fmt::format("{} '{}' holds `$migrate$`, the generated files' dollar-quote tag", option,
                      value),
          "rename the object, or write these migrations by hand");
  if (value.size() > 63)
    usage(fmt::format("{} '{}' is longer than PostgreSQL's 63 bytes", option, value),
          "give the name as the catalog holds it");
}

RelationName relation(const std::string& option, const std::string& value) {
  check_name(option, value);
  const auto dot = value.find('.');
  if (dot == std::string::npos) return {{}, value};
  RelationName r{value.substr(0, dot), value.substr(dot + 1)};
  if (r.schema.empty() || r.name.empty() || r.name.find('.') != std::string::npos)
    usage(fmt::format("{} '{}' is not [schema.]name", option, value),
          "write the table as name or schema.name");
  return r;
}

// Whether PostgreSQL's scanner finds a `;` or a comment in `text`: pasted into a template, either
// would end the statement early or swallow the rest of its line.
bool ends_or_comments(const std::string& text) {
  PgQueryScanResult scan = pg_query_scan(text.c_str());
  bool found = scan.error != nullptr;  // unscannable text is refused too
  if (!found) {
    PgQuery__ScanResult* tokens = pg_query__scan_result__unpack(
        nullptr, scan.pbuf.len, reinterpret_cast<const uint8_t*>(scan.pbuf.data));
    found = tokens == nullptr;
    for (std::size_t i = 0; tokens && i < tokens->n_tokens; ++i) {
      const PgQuery__Token t = tokens->tokens[i]->token;
      if (t == PG_QUERY__TOKEN__ASCII_59 || t == PG_QUERY__TOKEN__SQL_COMMENT ||
          t == PG_QUERY__TOKEN__C_COMMENT)
        found = true;
    }
    if (tokens) pg_query__scan_result__free_unpacked(tokens, nullptr);
  }
  pg_query_free_scan_result(scan);
  return found;
}

// SQL text pasted into a template (a type, an expression): one line, one piece of a statement
// (no `;`, no comment, not the templates' dollar-quote tag), and PostgreSQL must parse it in
// place.
void check_sql(const std::string& option, const std::string& value, const std::string& probe) {
  if (value.empty()) usage(fmt::format("{} is empty", option), "give a value");
  if (value.find_first_of("\n\r") != std::string::npos || value.find('\0') != std::string::npos)
    usage(fmt::format("{} spans several lines", option), "give it on one line");
  if (value.find("$migrate$") != std::string::npos || ends_or_comments(value))
    usage(fmt::format("{} '{}' holds a `;`, a comment or `$migrate$`", option, value),
          "give one type or expression: it is pasted into a statement of the generated files");
  if (!parses(probe))
    usage(fmt::format("{} '{}' is not valid PostgreSQL", option, value),
          fmt::format("PostgreSQL's parser refused: {}", probe));
}

// A derived object name (function, trigger, index, constraint) from raw parts, kept within
// PostgreSQL's 63 bytes: a longer one is cut and ends in a stable hash of the whole, so two
// long names do not collide.
std::string derived_name(const std::vector<std::string>& parts) {
  std::string name;
  for (const auto& p : parts) name += (name.empty() ? "" : "_") + p;
  if (name.size() <= 63) return name;
  std::uint32_t h = 2166136261u;  // FNV-1a: the same on every platform and every run
  for (unsigned char c : name) h = (h ^ c) * 16777619u;
  std::size_t cut = 54;  // back to the start of a UTF-8 character
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
  return name.substr(0, cut) + fmt::format("_{:08x}", h);
}

// Letters, digits and '_' for a migration file name.
std::string file_word(const std::string& raw) {
  std::string out;
  for (char c : raw)
    out += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
               : '_';
  return out;
}

// Placeholder values: SQL (quoted identifiers) for statements and `backfill-check`, and the
// names as written for comments and the other directives (a `reason "..."` cannot hold quotes).
struct Values {
  std::map<std::string, std::string> sql;
  std::map<std::string, std::string> text;
  std::set<std::string> flags;
  void set(const std::string& key, const std::string& sql_value, const std::string& text_value) {
    sql[key] = sql_value;
    text[key] = text_value;
  }
  void set(const std::string& key, const std::string& value) { set(key, value, value); }
};

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// `{name}` placeholders, `-- @if flag` / `-- @else` / `-- @endif` lines (nesting allowed), and
// `-- @include _fragment` lines, replaced by `<dir>/_fragment.sql` rendered with the same values
// (a part two files share, such as a sync trigger that the expand creates and the contract's
// down file creates again).
std::string render(const std::string& template_name, const std::string& tpl, const Values& v) {
  std::string out;
  std::vector<bool> keep{true};
  std::string_view rest = tpl;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    const std::string_view t = trim_left(line);
    if (t.starts_with("-- @if ")) {
      keep.push_back(v.flags.count(std::string(trim_left(t.substr(7)))) > 0);
      continue;
    }
    if (t.starts_with("-- @else")) {
      keep.back() = !keep.back();
      continue;
    }
    if (t.starts_with("-- @endif")) {
      if (keep.size() > 1) keep.pop_back();
      continue;
    }
    if (!std::all_of(keep.begin(), keep.end(), [](bool b) { return b; })) continue;
    if (t.starts_with("-- @include ")) {
      const std::string dir = template_name.substr(0, template_name.find('/'));
      const std::string fragment = dir + "/" + std::string(trim_left(t.substr(12))) + ".sql";
      auto it = recipe_templates().find(fragment);
      if (it == recipe_templates().end())
        fail(ErrorCode::kInternal,
             fmt::format("recipe template {} includes {}, which does not exist", template_name,
                         fragment),
             "this is a bug in libmigrate; please report it");
      out += render(fragment, it->second, v);
      continue;
    }
    const bool statement_text = !t.starts_with("--") || t.starts_with("-- migrate:backfill-check");
    const auto& values = statement_text ? v.sql : v.text;
    std::string rendered;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '{') {
        const auto close = line.find('}', i);
        const std::string key(
            line.substr(i + 1, close == std::string_view::npos ? 0 : close - i - 1));
        if (close != std::string_view::npos && !key.empty() &&
            std::all_of(key.begin(), key.end(), [](char c) {
              return std::islower(static_cast<unsigned char>(c)) || c == '_';
            })) {
          auto it = values.find(key);
          if (it == values.end())
            fail(ErrorCode::kInternal,
                 fmt::format("recipe template {} has no value for {{{}}}", template_name, key),
                 "this is a bug in libmigrate; please report it");
          rendered += it->second;
          i = close;
          continue;
        }
      }
      rendered += line[i];
    }
    out += rendered + "\n";
  }
  return out;
}

struct KindSpec {
  const char* kind;
  std::vector<const char*> required;  // option names as the CLI spells them
};

const std::vector<KindSpec>& kind_specs() {
  static const std::vector<KindSpec> specs{
      {"rename-column", {"--table", "--column", "--to", "--type"}},
      {"change-column-type", {"--table", "--column", "--type"}},
      {"set-not-null", {"--table", "--column"}},
      {"add-foreign-key", {"--table", "--column", "--references"}},
      {"add-unique", {"--table", "--column"}},
      {"rename-table", {"--table", "--to"}},
      {"drop-column", {"--table", "--column"}},
      {"split-column", {"--table", "--column", "--to", "--type"}},
  };
  return specs;
}

const std::string& option_value(const RecipeOptions& o, std::string_view name) {
  if (name == "--table") return o.table;
  if (name == "--column") return o.column;
  if (name == "--to") return o.to;
  if (name == "--type") return o.type;
  return o.references;
}

// "orders" or "orders(id)" or "app.orders (id, region)" -> SQL.
std::string references_sql(const std::string& value) {
  const auto open = value.find('(');
  std::string table = value.substr(0, open);
  while (!table.empty() && table.back() == ' ') table.pop_back();
  std::string out = relation("--references", table).sql();
  if (open == std::string::npos) return out;
  const auto close = value.find(')', open);
  if (close == std::string::npos || close + 1 != value.size())
    usage(fmt::format("--references '{}' is not table or table(column)", value),
          "write e.g. --references customers or --references customers(id)");
  std::string columns;
  std::string_view rest = std::string_view(value).substr(open + 1, close - open - 1);
  while (true) {
    const auto comma = rest.find(',');
    std::string col(trim_left(rest.substr(0, comma)));
    while (!col.empty() && col.back() == ' ') col.pop_back();
    check_name("--references column", col);
    columns += (columns.empty() ? "" : ", ") + quote_ident(col);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out + " (" + columns + ")";
}

struct Rendered {
  std::string expand_name;
  std::string contract_name;
  std::string expand_up, expand_down, contract_up;
  std::optional<std::string> contract_down;
};

Rendered render_recipe(const RecipeOptions& o, const std::string& expand_version) {
  auto spec = std::find_if(kind_specs().begin(), kind_specs().end(),
                           [&](const KindSpec& s) { return o.kind == s.kind; });
  if (spec == kind_specs().end()) {
    std::string kinds;
    for (const auto& k : recipe_kinds()) kinds += (kinds.empty() ? "" : ", ") + k;
    usage(fmt::format("unknown recipe '{}'", o.kind), "use one of: " + kinds);
  }
  for (const char* option : spec->required)
    if (option_value(o, option).empty())
      usage(fmt::format("recipe {} needs {}", o.kind, option),
            std::string_view(option) == "--type" && o.kind != "change-column-type"
                ? std::string("give --type, the column's type, or point --db at the PostgreSQL "
                              "database, whose catalog supplies it")
                : fmt::format("give {} (docs/two-phase.md lists what each recipe needs)", option));

  const std::string& kind = o.kind;
  const RelationName table = relation("--table", o.table);
  Values v;
  v.set("table", table.sql(), table.text());
  v.set("expand_version", expand_version);
  const std::string tbl = table.name;
  if (!o.column.empty()) {
    check_name("--column", o.column);
    v.set("column", quote_ident(o.column), o.column);
  }
  if (o.default_value) {
    check_sql("--default", *o.default_value, "SELECT " + *o.default_value);
    v.set("default", *o.default_value);
    v.flags.insert("default");
  }
  if (o.not_null) v.flags.insert("not_null");
  if (!o.type.empty()) {
    check_sql("--type", o.type, "SELECT NULL::" + o.type);
    v.set("type", o.type);
    v.flags.insert("type");
  }
  std::string words;  // the migration names' common part
  if (kind == "rename-column" || kind == "change-column-type") {
    const std::string to = kind == "rename-column" || !o.to.empty() ? o.to : o.column + "_new";
    check_name("--to", to);
    if (to == o.column) usage("--to names the column itself", "give the new column's name");
    v.set("to", quote_ident(to), to);
    v.set("fn", quote_ident(derived_name({tbl, o.column, to, "sync"})),
          derived_name({tbl, o.column, to, "sync"}));
    v.set("trg", v.sql["fn"], v.text["fn"]);
    v.set("check", quote_ident(derived_name({tbl, to, "not_null"})),
          derived_name({tbl, to, "not_null"}));
    if (kind == "rename-column") {
      v.flags.insert("rename");
      v.set("from_type", o.type);
      v.set("using", "NEW." + quote_ident(o.column));
      v.set("using_back", "NEW." + quote_ident(to));
    }
    if (kind == "change-column-type") {
      if (!o.from_type.empty())
        check_sql("--from-type", o.from_type, "SELECT NULL::" + o.from_type);
      v.set("from_type", o.from_type.empty() ? std::string("its current type") : o.from_type);
      const std::string using_expr =
          o.using_expr.empty() ? "NEW." + quote_ident(o.column) : o.using_expr;
      const std::string using_back = o.using_back.empty() ? "NEW." + quote_ident(to) : o.using_back;
      check_sql("--using", using_expr, "SELECT " + using_expr);
      check_sql("--using-back", using_back, "SELECT " + using_back);
      v.set("using", using_expr);
      v.set("using_back", using_back);
      words = fmt::format("change_{}_{}_type", file_word(tbl), file_word(o.column));
    } else {
      words = fmt::format("rename_{}_{}_to_{}", file_word(tbl), file_word(o.column), file_word(to));
    }
  } else if (kind == "set-not-null") {
    v.set("check", quote_ident(derived_name({tbl, o.column, "not_null"})),
          derived_name({tbl, o.column, "not_null"}));
    words = fmt::format("set_{}_{}_not_null", file_word(tbl), file_word(o.column));
  } else if (kind == "add-foreign-key") {
    const std::string refs = references_sql(o.references);
    v.set("references", refs, o.references);
    v.set("constraint", quote_ident(derived_name({tbl, o.column, "fkey"})),
          derived_name({tbl, o.column, "fkey"}));
    v.set("index", quote_ident(derived_name({tbl, o.column, "idx"})),
          derived_name({tbl, o.column, "idx"}));
    v.set("index_ref", RelationName{table.schema, derived_name({tbl, o.column, "idx"})}.sql());
    words = fmt::format("add_{}_{}_foreign_key", file_word(tbl), file_word(o.column));
  } else if (kind == "add-unique") {
    const std::string index = derived_name({tbl, o.column, "unique_idx"});
    v.set("index", quote_ident(index), index);
    v.set("index_ref", RelationName{table.schema, index}.sql());
    const std::string qualified = table.schema.empty()
                                      ? quote_ident(index)
                                      : quote_ident(table.schema) + "." + quote_ident(index);
    v.set("index_literal", qualified);
    // The template quotes the literal itself ('{index_literal}'); names with a quote are refused
    // above, so the qualified name needs no escaping.
    v.set("constraint", quote_ident(derived_name({tbl, o.column, "key"})),
          derived_name({tbl, o.column, "key"}));
    words = fmt::format("add_{}_{}_unique", file_word(tbl), file_word(o.column));
  } else if (kind == "rename-table") {
    check_name("--to", o.to);
    if (o.to.find('.') != std::string::npos)
      usage("--to of rename-table names the table without a schema",
            "the table keeps its schema: give the new name only");
    // RENAME TO takes a bare name; every other reference is qualified like --table.
    const RelationName renamed{table.schema, o.to};
    v.set("to", renamed.sql(), renamed.text());
    v.set("to_name", quote_ident(o.to), o.to);
    v.set("table_name", quote_ident(table.name), table.name);
    std::string grants;
    for (const auto& role : o.grants) {
      check_name("--grant", role);
      grants += (grants.empty() ? "" : ", ") + quote_ident(role);
    }
    if (!grants.empty()) {
      v.flags.insert("grants");
      check_sql("--privileges", o.privileges, "GRANT " + o.privileges + " ON t TO r");
    }
    v.set("grants", grants);
    v.set("privileges", o.privileges);
    words = fmt::format("rename_{}_to_{}", file_word(tbl), file_word(o.to));
  } else if (kind == "drop-column") {
    if (o.not_null && o.default_value)
      usage("drop-column takes --default or --not-null, not both",
            "--default keeps the column NOT NULL for old readers (preferred); --not-null drops "
            "the constraint instead");
    v.set("check", quote_ident(derived_name({tbl, o.column, "not_null"})),
          derived_name({tbl, o.column, "not_null"}));
    if (o.type.empty()) v.set("type", "");
    words = fmt::format("drop_{}_{}", file_word(tbl), file_word(o.column));
  } else if (kind == "split-column") {
    const RelationName to = relation("--to", o.to);
    v.set("to", to.sql(), to.text());
    check_name("--key", o.key);
    const std::string key_type = o.key_type.empty() ? std::string("bigint") : o.key_type;
    check_sql("--key-type", key_type, "SELECT NULL::" + key_type);
    // The backfill directive names its key as table.column in plain characters.
    auto plain = [](const std::string& s) {
      return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
      });
    };
    if (!plain(tbl) || !plain(o.key))
      usage("split-column needs a table and key named with letters, digits and '_' only",
            "the backfill's `key=table.column` directive cannot name other characters");
    v.set("key", quote_ident(o.key), o.key);
    v.set("key_table", tbl);
    v.set("key_type", key_type);
    const std::string fk = derived_name({tbl, o.key});
    v.set("fk_column", quote_ident(fk), fk);
    const std::string fn_old = derived_name({tbl, o.column, "to", to.name, "sync"});
    const std::string fn_new = derived_name({to.name, o.column, "to", tbl, "sync"});
    v.set("fn_old", quote_ident(fn_old), fn_old);
    v.set("fn_new", quote_ident(fn_new), fn_new);
    v.set("trg_old", quote_ident(fn_old), fn_old);
    v.set("trg_new", quote_ident(fn_new), fn_new);
    words =
        fmt::format("split_{}_{}_to_{}", file_word(tbl), file_word(o.column), file_word(to.name));
  }
  const auto& templates = recipe_templates();
  // A rename is a copy to a column of the same type: both share the copy-column templates.
  const std::string dir =
      kind == "rename-column" || kind == "change-column-type" ? "copy-column" : kind;
  auto file = [&](const char* which) {
    const std::string name = dir + "/" + which;
    return render(name, templates.at(name), v);
  };
  Rendered r;
  if (words.size() > 100) words = words.substr(0, 100);
  r.expand_name = words + "_expand";
  r.contract_name = words + "_contract";
  r.expand_up = file("expand.up.sql");
  r.expand_down = file("expand.down.sql");
  r.contract_up = file("contract.up.sql");
  const bool contract_reversible = !((kind == "drop-column" && o.type.empty()) ||
                                     (kind == "change-column-type" && o.from_type.empty()));
  if (contract_reversible) r.contract_down = file("contract.down.sql");
  return r;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out)
    fail(ErrorCode::kUsage, fmt::format("cannot write {}", path.string()),
         "check the directory's permissions and free space");
}

}  // namespace

const std::vector<std::string>& recipe_kinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> out;
    for (const auto& s : kind_specs()) out.emplace_back(s.kind);
    return out;
  }();
  return kinds;
}

Result<RecipeFiles> create_recipe_files(const std::filesystem::path& directory,
                                        const RecipeOptions& options) {
  try {
    std::error_code ec;
    std::filesystem::create_directories(directory, ec);
    if (ec)
      usage(fmt::format("cannot create {}: {}", directory.string(), ec.message()),
            "check the path and permissions");
    auto set = load_directory(directory);
    if (!set) return set.error();
    const std::string expand_version = next_version_after(
        set->migrations.empty() ? std::nullopt : std::optional(set->migrations.back().version));
    const std::string contract_version = next_version_digits(expand_version);
    // Everything is rendered (and every option checked) before the first file is written.
    Rendered r = render_recipe(options, expand_version);
    auto path = [&](const std::string& version, const std::string& name, const char* direction) {
      return directory / fmt::format("V{}__{}.{}.sql", version, name, direction);
    };
    RecipeFiles files;
    files.expand = {path(expand_version, r.expand_name, "up"),
                    path(expand_version, r.expand_name, "down")};
    files.contract = {path(contract_version, r.contract_name, "up"),
                      r.contract_down ? path(contract_version, r.contract_name, "down")
                                      : std::filesystem::path()};
    std::vector<std::pair<std::filesystem::path, const std::string*>> outputs{
        {files.expand.up, &r.expand_up},
        {files.expand.down, &r.expand_down},
        {files.contract.up, &r.contract_up}};
    if (r.contract_down) outputs.emplace_back(files.contract.down, &*r.contract_down);
    std::vector<std::filesystem::path> written;
    try {
      for (const auto& [p, text] : outputs) {
        write_file(p, *text);
        written.push_back(p);
      }
    } catch (...) {
      // Half a pair would load as a contract without its expand, or an expand without its
      // contract: remove what was written.
      for (const auto& p : written) std::filesystem::remove(p, ec);
      throw;
    }
    return files;
  } catch (const Failure& f) {
    return f.error();
  }
}

}  // namespace migrate
