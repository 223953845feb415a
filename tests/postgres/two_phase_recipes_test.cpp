// Every `migrate new --recipe` kind on a real PostgreSQL table with rows (docs/two-phase.md): with
// the expand applied, statements written for the old schema and for the new one both succeed and
// see each other's writes; apply stops before the contract until --phase contract; the expand
// cannot be rolled back while its contract is applied; after the contract only the new schema is
// left; each down file reverses its up file (schema compared, column order aside).
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "migrate/migrator.hpp"
#include "migrate/recipe.hpp"
#include "support/postgres_test_database.hpp"
#include "support/test_workspace.hpp"

namespace migrate {
namespace {

using testing::PostgresTestDatabase;
using testing::TestWorkspace;

// A statement and what a query must then return.
struct Check {
  std::string sql;
  std::vector<std::string> rows;
};

struct RecipeCase {
  std::string label;
  RecipeOptions options;
  // Writes through the old schema and through the new one, run with the expand applied.
  std::vector<std::string> old_writes;
  std::vector<std::string> new_writes;
  // What both sides must then see.
  std::vector<Check> with_expand;
  // After the contract: what must hold, and statements of the old schema that must now fail.
  std::vector<Check> after_contract;
  std::vector<std::string> fail_after_contract;
  bool contract_reversible = true;
  std::string setup;  // empty: kSetup
};

const char* kSetup =
    "CREATE TABLE teams (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text);"
    "INSERT INTO teams (title) SELECT 'team ' || g FROM generate_series(1, 5) g;"
    "CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text,"
    " email text, age integer, team_id bigint);"
    "INSERT INTO users (name, email, age, team_id) SELECT 'user ' || g,"
    " CASE WHEN g % 10 = 0 THEN NULL ELSE 'u' || g || '@example.com' END, g % 90,"
    " 1 + g % 5 FROM generate_series(1, 300) g;"
    "ANALYZE teams; ANALYZE users;";

// The schema as a set of lines, so column order (a re-added column comes last) does not count.
std::vector<std::string> schema(const PostgresTestDatabase& db) {
  std::vector<std::string> out;
  auto add = [&](const std::string& sql) {
    for (auto& row : db.query(sql)) out.push_back(row);
  };
  add("SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || "
      "is_nullable || ' ' || coalesce(column_default, '-') FROM information_schema.columns "
      "WHERE table_schema IN ('public', 'app') AND table_name NOT LIKE 'migrate_history%' ORDER BY "
      "1");
  add("SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || "
      "pg_get_constraintdef(oid) || ' ' || convalidated FROM pg_constraint WHERE "
      "connamespace::regnamespace::text IN ('public', 'app') AND conrelid::regclass::text NOT "
      "LIKE 'migrate_history%' ORDER BY 1");
  add("SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname IN "
      "('public', 'app') AND tablename NOT LIKE 'migrate_history%' ORDER BY 1");
  add("SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT "
      "tgisinternal ORDER BY 1");
  add("SELECT 'function ' || proname FROM pg_proc WHERE pronamespace::regnamespace::text IN "
      "('public', 'app') ORDER BY 1");
  add("SELECT 'view ' || table_schema || '.' || table_name FROM information_schema.views WHERE "
      "table_schema IN ('public', 'app') ORDER BY 1");
  return out;
}

Options options_for(const TestWorkspace& ws, const PostgresTestDatabase& db,
                    PhaseScope phase = PhaseScope::kExpand) {
  Options o;
  o.database_url = db.url();
  o.migrations_dir = ws.migrations();
  o.phase = phase;
  return o;
}

void expect_checks(const PostgresTestDatabase& db, const std::vector<Check>& checks,
                   const std::string& when) {
  for (const auto& c : checks) EXPECT_EQ(db.query(c.sql), c.rows) << when << ": " << c.sql;
}

class TwoPhaseRecipe : public ::testing::TestWithParam<RecipeCase> {};

TEST_P(TwoPhaseRecipe, OldAndNewCodeWorkBetweenThePhasesAndEveryDownReversesItsUp) {
  const RecipeCase& c = GetParam();
  MIGRATE_REQUIRE_POSTGRES(db);
  db->execute(c.setup.empty() ? std::string(kSetup) : c.setup);
  TestWorkspace ws;
  auto files = create_recipe_files(ws.migrations(), c.options);
  ASSERT_TRUE(files) << files.error().describe();
  EXPECT_EQ(files->contract.down.empty(), !c.contract_reversible);
  const auto before = schema(*db);

  // A plain apply runs the expand and stops before the contract, saying why.
  Migrator m(options_for(ws, *db));
  RunReport expand = m.apply(std::nullopt);
  ASSERT_FALSE(expand.error) << expand.error->describe();
  ASSERT_EQ(expand.steps.size(), 1u);
  ASSERT_TRUE(expand.phase_stop);
  EXPECT_EQ(expand.phase_stop->version, "2");
  EXPECT_EQ(expand.phase_stop->expand_version, "1");
  EXPECT_FALSE(expand.phase_stop->expand_applied);  // this run applied it
  EXPECT_NE(expand.phase_stop->reason.find("--phase contract"), std::string::npos);
  const auto expanded = schema(*db);

  for (const auto& sql : c.old_writes) EXPECT_NO_THROW(db->execute(sql)) << "old code: " << sql;
  for (const auto& sql : c.new_writes) EXPECT_NO_THROW(db->execute(sql)) << "new code: " << sql;
  expect_checks(*db, c.with_expand, "with the expand applied");

  // Again without --phase: nothing runs; the contract still waits.
  RunReport again = m.apply(std::nullopt);
  ASSERT_FALSE(again.error) << again.error->describe();
  EXPECT_TRUE(again.steps.empty());
  ASSERT_TRUE(again.phase_stop);
  EXPECT_TRUE(again.phase_stop->expand_applied);

  Migrator contract_phase(options_for(ws, *db, PhaseScope::kContract));
  RunReport contract = contract_phase.apply(std::nullopt);
  ASSERT_FALSE(contract.error) << contract.error->describe();
  ASSERT_EQ(contract.steps.size(), 1u);
  EXPECT_FALSE(contract.phase_stop);
  expect_checks(*db, c.after_contract, "after the contract");
  for (const auto& sql : c.fail_after_contract)
    EXPECT_ANY_THROW(db->execute(sql)) << "old code after the contract: " << sql;

  // Reverting the expand while its contract is applied is refused before anything runs.
  const auto contracted = schema(*db);
  RunReport across = m.rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_TRUE(across.error);
  EXPECT_EQ(across.error->code, ErrorCode::kPhaseOrder) << across.error->describe();
  EXPECT_TRUE(across.steps.empty());
  EXPECT_EQ(schema(*db), contracted);

  if (!c.contract_reversible) return;
  // The contract's down brings back the expanded schema; then the expand's down the original.
  RunReport undo_contract = m.rollback(RollbackTarget{std::string("1"), std::nullopt});
  ASSERT_FALSE(undo_contract.error) << undo_contract.error->describe();
  EXPECT_EQ(schema(*db), expanded);
  RunReport undo_expand = m.rollback(RollbackTarget{std::string("0"), std::nullopt});
  ASSERT_FALSE(undo_expand.error) << undo_expand.error->describe();
  EXPECT_EQ(schema(*db), before);
}

RecipeOptions recipe(std::string kind, std::function<void(RecipeOptions&)> set) {
  RecipeOptions o;
  o.kind = std::move(kind);
  o.table = "users";
  set(o);
  return o;
}

std::vector<std::string> one(const std::string& v) {
  return {v};
}

const std::vector<RecipeCase> kCases{
    {"rename_column",
     recipe("rename-column",
            [](RecipeOptions& o) {
              o.column = "name";
              o.to = "full_name";
              o.type = "text";
            }),
     {"INSERT INTO users (name) VALUES ('old insert')",
      "UPDATE users SET name = 'old update' WHERE id = 1"},
     {"INSERT INTO users (full_name) VALUES ('new insert')",
      "UPDATE users SET full_name = 'new update' WHERE id = 2"},
     {{"SELECT full_name FROM users WHERE name = 'old insert'", one("old insert")},
      {"SELECT name FROM users WHERE full_name = 'new insert'", one("new insert")},
      {"SELECT full_name FROM users WHERE id = 1", one("old update")},
      {"SELECT name FROM users WHERE id = 2", one("new update")},
      {"SELECT count(*) FROM users WHERE name IS DISTINCT FROM full_name", one("0")}},
     {{"SELECT full_name FROM users WHERE id = 3", one("user 3")},
      {"SELECT count(*) FROM users WHERE full_name IS NULL", one("0")}},
     {"INSERT INTO users (name) VALUES ('old code')"}},
    {"change_column_type",
     recipe("change-column-type",
            [](RecipeOptions& o) {
              o.column = "age";
              o.to = "age_years";
              o.type = "bigint";
              o.from_type = "integer";
            }),
     {"INSERT INTO users (name, age) VALUES ('old insert', 41)",
      "UPDATE users SET age = 77 WHERE id = 1"},
     {"INSERT INTO users (name, age_years) VALUES ('new insert', 42)",
      "UPDATE users SET age_years = 78 WHERE id = 2"},
     {{"SELECT age_years FROM users WHERE name = 'old insert'", one("41")},
      {"SELECT age FROM users WHERE name = 'new insert'", one("42")},
      {"SELECT age_years FROM users WHERE id = 1", one("77")},
      {"SELECT age FROM users WHERE id = 2", one("78")},
      {"SELECT count(*) FROM users WHERE age::bigint IS DISTINCT FROM age_years", one("0")}},
     {{"SELECT data_type FROM information_schema.columns WHERE table_name = 'users' AND "
       "column_name = 'age_years'",
       one("bigint")},
      {"SELECT age_years FROM users WHERE id = 2", one("78")}},
     {"UPDATE users SET age = 1 WHERE id = 3"}},
    {"set_not_null",
     recipe("set-not-null",
            [](RecipeOptions& o) {
              o.column = "email";
              o.default_value = "''";
            }),
     // Old code still omits the column, and may write NULL until the contract.
     {"INSERT INTO users (name) VALUES ('old insert')",
      "UPDATE users SET email = NULL WHERE id = 1"},
     {"INSERT INTO users (name, email) VALUES ('new insert', 'new@example.com')",
      "UPDATE users SET email = 'changed@example.com' WHERE id = 2"},
     {{"SELECT email FROM users WHERE name = 'old insert'", one("")},
      {"SELECT email FROM users WHERE name = 'new insert'", one("new@example.com")},
      {"SELECT count(*) FROM users WHERE email IS NULL", one("1")}},
     {{"SELECT is_nullable FROM information_schema.columns WHERE table_name = 'users' AND "
       "column_name = 'email'",
       one("NO")},
      {"SELECT count(*) FROM users WHERE email IS NULL", one("0")}},
     {"UPDATE users SET email = NULL WHERE id = 5"}},
    {"add_foreign_key",
     recipe("add-foreign-key",
            [](RecipeOptions& o) {
              o.column = "team_id";
              o.references = "teams";
            }),
     {"INSERT INTO users (name, team_id) VALUES ('old insert', 2)",
      "UPDATE users SET team_id = 3 WHERE id = 1"},
     {"INSERT INTO users (name, team_id) VALUES ('new insert', NULL)",
      "UPDATE users SET team_id = 4 WHERE id = 2"},
     {{"SELECT team_id FROM users WHERE name = 'old insert'", one("2")},
      {"SELECT team_id FROM users WHERE id = 2", one("4")},
      {"SELECT convalidated FROM pg_constraint WHERE conname = 'users_team_id_fkey'", one("f")}},
     {{"SELECT convalidated FROM pg_constraint WHERE conname = 'users_team_id_fkey'", one("t")}},
     {"INSERT INTO users (name, team_id) VALUES ('orphan', 999)"}},
    {"add_unique",
     recipe("add-unique", [](RecipeOptions& o) { o.column = "email"; }),
     {"INSERT INTO users (name, email) VALUES ('old insert', 'old@example.com')",
      "UPDATE users SET email = 'old-update@example.com' WHERE id = 1"},
     {"INSERT INTO users (name, email) VALUES ('new insert', 'new@example.com')"},
     {{"SELECT count(*) FROM users WHERE email IN ('old@example.com', 'new@example.com', "
       "'old-update@example.com')",
       one("3")}},
     {{"SELECT contype FROM pg_constraint WHERE conname = 'users_email_key'", one("u")}},
     {"INSERT INTO users (name, email) VALUES ('duplicate', 'new@example.com')"}},
    {"rename_table",
     recipe("rename-table", [](RecipeOptions& o) { o.to = "accounts"; }),
     {"INSERT INTO users (name) VALUES ('old insert')",
      "UPDATE users SET name = 'old update' WHERE id = 1"},
     {"INSERT INTO accounts (name) VALUES ('new insert')",
      "UPDATE accounts SET name = 'new update' WHERE id = 2"},
     {{"SELECT count(*) FROM accounts WHERE name IN ('old insert', 'old update')", one("2")},
      {"SELECT count(*) FROM users WHERE name IN ('new insert', 'new update')", one("2")},
      {"SELECT count(*) FROM users", one("302")}},
     {{"SELECT to_regclass('public.users') IS NULL", one("t")},
      {"SELECT count(*) FROM accounts", one("302")}},
     {"INSERT INTO users (name) VALUES ('old code')"}},
    {"drop_column",
     recipe("drop-column",
            [](RecipeOptions& o) {
              o.column = "age";
              o.type = "integer";
            }),
     {"INSERT INTO users (name, age) VALUES ('old insert', 30)",
      "UPDATE users SET age = 31 WHERE id = 1"},
     {"INSERT INTO users (name) VALUES ('new insert')",
      "UPDATE users SET name = 'new update' WHERE id = 2"},
     {{"SELECT age FROM users WHERE name = 'old insert'", one("30")},
      {"SELECT age FROM users WHERE name = 'new insert'", one("NULL")}},
     {{"SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND "
       "column_name = 'age'",
       one("0")}},
     {"UPDATE users SET age = 1 WHERE id = 3"}},
    {"drop_column_without_type",
     recipe("drop-column", [](RecipeOptions& o) { o.column = "age"; }),
     {"INSERT INTO users (name, age) VALUES ('old insert', 30)"},
     {"INSERT INTO users (name) VALUES ('new insert')"},
     {{"SELECT age FROM users WHERE name = 'old insert'", one("30")}},
     {{"SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND "
       "column_name = 'age'",
       one("0")}},
     {"UPDATE users SET age = 1 WHERE id = 3"},
     false},
    // Names PostgreSQL only takes quoted (capitals, spaces, a reserved word) go through quoted.
    {"rename_column_quoted_names",
     recipe("rename-column",
            [](RecipeOptions& o) {
              o.table = "Team Members";
              o.column = "Full Name";
              o.to = "user";
              o.type = "text";
            }),
     {"INSERT INTO \"Team Members\" (\"Full Name\") VALUES ('old insert')"},
     {"INSERT INTO \"Team Members\" (\"user\") VALUES ('new insert')"},
     {{"SELECT \"user\" FROM \"Team Members\" WHERE \"Full Name\" = 'old insert'",
       one("old insert")},
      {"SELECT \"Full Name\" FROM \"Team Members\" WHERE \"user\" = 'new insert'",
       one("new insert")},
      {"SELECT count(*) FROM \"Team Members\" WHERE \"Full Name\" IS DISTINCT FROM \"user\"",
       one("0")}},
     {{"SELECT count(*) FROM \"Team Members\" WHERE \"user\" IS NULL", one("0")}},
     {"INSERT INTO \"Team Members\" (\"Full Name\") VALUES ('old code')"},
     true,
     "CREATE TABLE \"Team Members\" (\"ID\" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
     " \"Full Name\" text); INSERT INTO \"Team Members\" (\"Full Name\") SELECT 'member ' || g"
     " FROM generate_series(1, 250) g; ANALYZE \"Team Members\";"},
    // A schema that is not on the search_path: every reference is qualified, RENAME TO is not.
    {"rename_table_in_schema",
     recipe("rename-table",
            [](RecipeOptions& o) {
              o.table = "app.users";
              o.to = "members";
            }),
     {"INSERT INTO app.users (name) VALUES ('old insert')"},
     {"INSERT INTO app.members (name) VALUES ('new insert')"},
     {{"SELECT count(*) FROM app.members WHERE name = 'old insert'", one("1")},
      {"SELECT count(*) FROM app.users WHERE name = 'new insert'", one("1")}},
     {{"SELECT to_regclass('app.users') IS NULL", one("t")}},
     {"INSERT INTO app.users (name) VALUES ('old code')"},
     true,
     "CREATE SCHEMA app; CREATE TABLE app.users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY "
     "KEY, name text, email text); INSERT INTO app.users (name, email) SELECT 'u' || g, 'u' || g "
     "|| '@example.com' FROM generate_series(1, 100) g; ANALYZE app.users;"},
    {"add_unique_in_schema",
     recipe("add-unique",
            [](RecipeOptions& o) {
              o.table = "app.users";
              o.column = "email";
            }),
     {"INSERT INTO app.users (name, email) VALUES ('old insert', 'old@example.com')"},
     {"INSERT INTO app.users (name, email) VALUES ('new insert', 'new@example.com')"},
     {{"SELECT count(*) FROM app.users", one("102")}},
     {{"SELECT contype FROM pg_constraint WHERE conname = 'users_email_key' AND connamespace = "
       "'app'::regnamespace",
       one("u")}},
     {"INSERT INTO app.users (name, email) VALUES ('duplicate', 'new@example.com')"},
     true,
     "CREATE SCHEMA app; CREATE TABLE app.users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY "
     "KEY, name text, email text); INSERT INTO app.users (name, email) SELECT 'u' || g, 'u' || g "
     "|| '@example.com' FROM generate_series(1, 100) g; ANALYZE app.users;"},
    {"split_column",
     recipe("split-column",
            [](RecipeOptions& o) {
              o.column = "email";
              o.to = "user_emails";
              o.type = "text";
            }),
     {"INSERT INTO users (name, email) VALUES ('old insert', 'old@example.com')",
      "UPDATE users SET email = 'old-update@example.com' WHERE id = 1"},
     {"INSERT INTO users (name) VALUES ('new insert')",
      "INSERT INTO user_emails (users_id, email) SELECT id, 'new@example.com' FROM users WHERE "
      "name = 'new insert'",
      "UPDATE user_emails SET email = 'new-update@example.com' WHERE users_id = 2"},
     {{"SELECT e.email FROM user_emails e JOIN users u ON u.id = e.users_id WHERE u.name = 'old "
       "insert'",
       one("old@example.com")},
      {"SELECT email FROM users WHERE name = 'new insert'", one("new@example.com")},
      {"SELECT email FROM users WHERE id = 2", one("new-update@example.com")},
      {"SELECT email FROM user_emails WHERE users_id = 1", one("old-update@example.com")},
      {"SELECT count(*) FROM users u LEFT JOIN user_emails e ON e.users_id = u.id WHERE u.email "
       "IS DISTINCT FROM e.email",
       one("0")}},
     {{"SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND "
       "column_name = 'email'",
       one("0")},
      {"SELECT count(*) FROM user_emails", one("272")}},
     {"UPDATE users SET email = 'x' WHERE id = 3"}},
};

INSTANTIATE_TEST_SUITE_P(Recipes, TwoPhaseRecipe, ::testing::ValuesIn(kCases),
                         [](const auto& test_case) { return test_case.param.label; });

// With a database, what the command line leaves out comes from the catalog: the column's type,
// NOT NULL and default, so the contract carries them over and every down file is exact.
TEST(TwoPhaseRecipeCatalog, TypeNotNullAndDefaultComeFromTheCatalog) {
  MIGRATE_REQUIRE_POSTGRES(db);
  db->execute(
      "CREATE TABLE people (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name "
      "varchar(80) NOT NULL DEFAULT 'anonymous', nickname text NOT NULL);"
      "INSERT INTO people (name, nickname) SELECT 'person ' || g, 'p' || g FROM "
      "generate_series(1, 100) g");
  TestWorkspace ws;
  Migrator m(options_for(ws, *db));
  RecipeOptions rename;
  rename.kind = "rename-column";
  rename.table = "people";
  rename.column = "name";
  rename.to = "full_name";
  auto files = m.create_recipe(rename);
  ASSERT_TRUE(files) << files.error().describe();
  RecipeOptions drop;
  drop.kind = "drop-column";
  drop.table = "people";
  drop.column = "nickname";
  auto dropped = m.create_recipe(drop);
  ASSERT_TRUE(dropped) << dropped.error().describe();
  EXPECT_FALSE(dropped->contract.down.empty()) << "the type came from the catalog";

  RunReport expand = m.apply(std::nullopt);
  ASSERT_FALSE(expand.error) << expand.error->describe();
  EXPECT_EQ(expand.steps.size(), 1u);  // the rename's expand; its contract waits, and V3 behind it
  db->execute("INSERT INTO people (nickname) VALUES ('old code, default name')");
  db->execute("INSERT INTO people (full_name, nickname) VALUES ('new code', 'n')");
  EXPECT_EQ(db->query("SELECT full_name FROM people WHERE nickname = 'old code, default name'"),
            one("anonymous"));
  EXPECT_EQ(db->query("SELECT name FROM people WHERE nickname = 'n'"), one("new code"));

  Migrator all(options_for(ws, *db, PhaseScope::kContract));
  RunReport rest = all.apply(std::nullopt);
  ASSERT_FALSE(rest.error) << rest.error->message << "\n" << rest.error->hint;
  EXPECT_EQ(db->query("SELECT data_type, character_maximum_length, is_nullable, column_default "
                      "FROM information_schema.columns WHERE table_name = 'people' AND "
                      "column_name = 'full_name'"),
            one("character varying|80|NO|'anonymous'::character varying"));
  // The drop-column expand let new code omit the NOT NULL column.
  db->execute("INSERT INTO people (full_name) SELECT 'after' WHERE false");

  // A table or column the database does not have is a usage error naming it.
  RecipeOptions missing = rename;
  missing.column = "surname";
  auto refused = m.create_recipe(missing);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUsage);
  EXPECT_NE(refused.error().message.find("no column surname"), std::string::npos);
}

}  // namespace
}  // namespace migrate
