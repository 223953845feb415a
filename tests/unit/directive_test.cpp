// parse_directives (the `-- migrate:<key> <value>` header) and parse_duration.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "migrate/error.hpp"
#include "migrate/source.hpp"

namespace migrate {
namespace {

using std::chrono::milliseconds;

const char* const kFile = "migrations/V1__x.up.sql";

Directives parse_ok(const std::string& sql) {
  auto d = parse_directives(sql, kFile);
  if (!d.ok()) ADD_FAILURE() << "unexpected error: " << d.error().describe();
  return d.ok() ? d.value() : Directives{};
}

Error parse_err(const std::string& sql) {
  auto d = parse_directives(sql, kFile);
  if (d.ok()) {
    ADD_FAILURE() << "expected an error for:\n" << sql;
    return Error{};
  }
  return d.error();
}

::testing::AssertionResult Mentions(const std::string& haystack, const std::string& needle) {
  if (haystack.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << needle << "' not found in:\n" << haystack;
}

TEST(ParseDirectives, NoDirectivesGivesDefaults) {
  Directives d = parse_ok("CREATE TABLE t(x);\n");
  EXPECT_FALSE(d.declared_class.has_value());
  EXPECT_FALSE(d.phase.has_value());
  EXPECT_FALSE(d.lock_timeout.has_value());
  EXPECT_FALSE(d.statement_timeout.has_value());
  EXPECT_TRUE(d.transactional);
  EXPECT_FALSE(d.foreign_keys.has_value());
}

TEST(ParseDirectives, EmptyFile) {
  Directives d = parse_ok("");
  EXPECT_TRUE(d.transactional);
  EXPECT_FALSE(d.declared_class.has_value());
}

TEST(ParseDirectives, ClassValues) {
  EXPECT_EQ(parse_ok("-- migrate:class additive\n").declared_class, MigrationClass::kAdditive);
  EXPECT_EQ(parse_ok("-- migrate:class backward-compatible\n").declared_class,
            MigrationClass::kBackwardCompatible);
  EXPECT_EQ(parse_ok("-- migrate:class data-backfill\n").declared_class,
            MigrationClass::kDataBackfill);
  EXPECT_EQ(parse_ok("-- migrate:class breaking\n").declared_class, MigrationClass::kBreaking);
}

TEST(ParseDirectives, PhaseValues) {
  EXPECT_EQ(parse_ok("-- migrate:phase expand\n").phase, Phase::kExpand);
  EXPECT_EQ(parse_ok("-- migrate:phase contract\n").phase, Phase::kContract);
}

TEST(ParseDirectives, Timeouts) {
  Directives d = parse_ok("-- migrate:lock-timeout 5s\n-- migrate:statement-timeout 2min\n");
  EXPECT_EQ(d.lock_timeout, milliseconds(5000));
  EXPECT_EQ(d.statement_timeout, milliseconds(120000));
  EXPECT_EQ(parse_ok("-- migrate:lock-timeout 250ms\n").lock_timeout, milliseconds(250));
  EXPECT_EQ(parse_ok("-- migrate:statement-timeout 1h\n").statement_timeout,
            milliseconds(3'600'000));
}

TEST(ParseDirectives, TransactionOnOff) {
  EXPECT_FALSE(parse_ok("-- migrate:transaction off\n").transactional);
  EXPECT_TRUE(parse_ok("-- migrate:transaction on\n").transactional);
}

TEST(ParseDirectives, ForeignKeys) {
  EXPECT_EQ(parse_ok("-- migrate:foreign-keys check\n").foreign_keys, ForeignKeyMode::kCheck);
  EXPECT_EQ(parse_ok("-- migrate:foreign-keys enforce\n").foreign_keys, ForeignKeyMode::kEnforce);
}

TEST(ParseDirectives, AllKeysTogetherWithCommentsAndBlankLines) {
  Directives d = parse_ok(
      "-- Adds the orders table.\n"
      "\n"
      "-- migrate:class data-backfill\n"
      "   \t\n"
      "--migrate:phase contract\n"
      "  -- migrate:lock-timeout 500ms\n"
      "-- a plain comment that mentions migrate but is not a directive\n"
      "-- migrate:statement-timeout 30s\n"
      "-- migrate:transaction off\n"
      "-- migrate:foreign-keys enforce\n"
      "\n"
      "CREATE TABLE orders(id INTEGER);\n");
  EXPECT_EQ(d.declared_class, MigrationClass::kDataBackfill);
  EXPECT_EQ(d.phase, Phase::kContract);
  EXPECT_EQ(d.lock_timeout, milliseconds(500));
  EXPECT_EQ(d.statement_timeout, milliseconds(30000));
  EXPECT_FALSE(d.transactional);
  EXPECT_EQ(d.foreign_keys, ForeignKeyMode::kEnforce);
}

TEST(ParseDirectives, SurroundingWhitespaceAndTabsAreTrimmed) {
  Directives d = parse_ok("-- migrate:class\tbreaking  \n-- migrate:phase   expand\t\n");
  EXPECT_EQ(d.declared_class, MigrationClass::kBreaking);
  EXPECT_EQ(d.phase, Phase::kExpand);
}

TEST(ParseDirectives, UnknownKeyNamesKeyAndPosition) {
  Error e = parse_err("-- header\n\n-- migrate:colour blue\nSELECT 1;\n");
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(Mentions(e.message, "'colour'"));
  EXPECT_EQ(e.where.file, kFile);
  EXPECT_EQ(e.where.line, 3);
  EXPECT_EQ(e.where.column, 1);
  EXPECT_TRUE(Mentions(e.describe(), std::string(kFile) + ":3:1:"));
  // The hint lists the keys that do exist.
  for (const char* key :
       {"class", "phase", "lock-timeout", "statement-timeout", "transaction", "foreign-keys"}) {
    EXPECT_TRUE(Mentions(e.hint, key));
  }
}

TEST(ParseDirectives, UnknownKeyColumnCountsIndentation) {
  Error e = parse_err("-- x\n    -- migrate:nope 1\n");
  EXPECT_EQ(e.where.line, 2);
  EXPECT_EQ(e.where.column, 5);
  EXPECT_TRUE(Mentions(e.message, "'nope'"));
}

TEST(ParseDirectives, KeysAreCaseSensitive) {
  Error e = parse_err("-- migrate:Class additive\n");
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(Mentions(e.message, "'Class'"));
}

struct InvalidValue {
  const char* line;
  const char* key;
  const char* value;
};

class InvalidValueTest : public ::testing::TestWithParam<InvalidValue> {};

TEST_P(InvalidValueTest, IsRefusedWithKeyAndValue) {
  const InvalidValue& c = GetParam();
  Error e = parse_err(std::string("-- top\n") + c.line + "\nSELECT 1;\n");
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(Mentions(e.message, std::string("'") + c.key + "'"));
  EXPECT_TRUE(Mentions(e.message, std::string("invalid value '") + c.value + "'"));
  EXPECT_EQ(e.where.line, 2);
  EXPECT_EQ(e.where.column, 1);
  EXPECT_TRUE(Mentions(e.hint, std::string("-- migrate:") + c.key));
}

INSTANTIATE_TEST_SUITE_P(
    ParseDirectives, InvalidValueTest,
    ::testing::Values(InvalidValue{"-- migrate:class huge", "class", "huge"},
                      InvalidValue{"-- migrate:class Additive", "class", "Additive"},
                      InvalidValue{"-- migrate:class additive breaking", "class",
                                   "additive breaking"},
                      InvalidValue{"-- migrate:class", "class", ""},
                      InvalidValue{"-- migrate:phase migrate", "phase", "migrate"},
                      InvalidValue{"-- migrate:lock-timeout 5", "lock-timeout", "5"},
                      InvalidValue{"-- migrate:lock-timeout 5m", "lock-timeout", "5m"},
                      InvalidValue{"-- migrate:statement-timeout -1s", "statement-timeout", "-1s"},
                      InvalidValue{"-- migrate:transaction yes", "transaction", "yes"},
                      InvalidValue{"-- migrate:transaction OFF", "transaction", "OFF"},
                      InvalidValue{"-- migrate:foreign-keys off", "foreign-keys", "off"}));

TEST(ParseDirectives, DuplicateKeyIsRefused) {
  Error e = parse_err("-- migrate:phase expand\n-- note\n-- migrate:phase expand\n");
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(Mentions(e.message, "'phase'"));
  EXPECT_TRUE(Mentions(e.message, "twice"));
  EXPECT_EQ(e.where.line, 3);
}

TEST(ParseDirectives, DuplicateKeyWithDifferentValuesIsRefused) {
  Error e = parse_err("-- migrate:transaction on\n-- migrate:transaction off\n");
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(Mentions(e.message, "'transaction'"));
  EXPECT_EQ(e.where.line, 2);
}

TEST(ParseDirectives, DirectiveAfterFirstStatementIsRefused) {
  Error e = parse_err("-- migrate:class additive\nCREATE TABLE t(x);\n\n-- migrate:phase expand\n");
  EXPECT_EQ(e.code, ErrorCode::kSourceInvalid);
  EXPECT_TRUE(Mentions(e.message, "after the first SQL statement"));
  EXPECT_EQ(e.where.file, kFile);
  EXPECT_EQ(e.where.line, 4);
  EXPECT_EQ(e.where.column, 1);
}

TEST(ParseDirectives, UnknownDirectiveAfterStatementIsReportedAsMisplaced) {
  // Position is checked before the key: even a valid-looking line is misplaced in the body.
  Error e = parse_err("SELECT 1;\n  -- migrate:whatever x\n");
  EXPECT_TRUE(Mentions(e.message, "after the first SQL statement"));
  EXPECT_EQ(e.where.line, 2);
  EXPECT_EQ(e.where.column, 3);
}

TEST(ParseDirectives, PlainCommentsAfterStatementsAreFine) {
  Directives d = parse_ok(
      "-- migrate:class breaking\n"
      "DROP TABLE old;\n"
      "-- migration notes: nothing special\n"
      "-- migrate is not a directive without the colon\n"
      "SELECT 1; -- migrate:phase expand (trailing, not a directive line)\n");
  EXPECT_EQ(d.declared_class, MigrationClass::kBreaking);
  EXPECT_FALSE(d.phase.has_value());
}

// A line of a multi-line string literal is data, not a comment: valid SQL must not be refused
// because a line of its text happens to start with "-- migrate:".
// The directive parser is dialect-free and line-based: a line that starts with `-- migrate:`
// after the header is refused even inside a multi-line string literal (documented in
// docs/file-format.md), because a misplaced directive that is silently ignored is worse.
TEST(ParseDirectives, DirectiveLikeLineAfterTheHeaderIsRefusedEvenInsideAString) {
  auto d = parse_directives(
      "-- migrate:class additive\n"
      "INSERT INTO docs(body) VALUES ('Header example:\n"
      "-- migrate:class breaking\n"
      "');\n",
      kFile);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.error().code, ErrorCode::kSourceInvalid);
  EXPECT_EQ(d.error().where.line, 3);
  EXPECT_NE(d.error().hint.find("move this"), std::string::npos);
}

TEST(ParseDuration, AcceptsEachUnit) {
  EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(parse_duration("5s"), milliseconds(5000));
  EXPECT_EQ(parse_duration("2min"), milliseconds(120000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
  EXPECT_EQ(parse_duration("0ms"), milliseconds(0));
  EXPECT_EQ(parse_duration("90min"), milliseconds(5'400'000));
}

TEST(ParseDuration, RejectsMalformed) {
  for (const char* bad : {"5", "5m", "-1s", "", "ms", "s", "5 s", " 5s", "5s ", "5S", "5MS", "1.5s",
                          "5sec", "5hours", "+5s", "5ms5", "0x10s", "five s"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << "'" << bad << "' should be rejected";
  }
}

TEST(ParseDuration, RejectsNumbersTooLargeForInt64) {
  EXPECT_FALSE(parse_duration("99999999999999999999ms").has_value());
}

TEST(ParseDuration, LargeValueDoesNotWrapAround) {
  // 3e15 hours does not fit in int64 milliseconds (about 9.2e18). The result must not be a
  // silently wrapped number: either refuse it, or return the value that was written.
  constexpr std::int64_t kHours = 3'000'000'000'000'000;
  auto d = parse_duration("3000000000000000h");
  if (d.has_value()) {
    EXPECT_GT(d->count(), 0) << "wrapped to " << d->count() << "ms";
    EXPECT_EQ(d->count() / 3'600'000, kHours) << "wrapped to " << d->count() << "ms";
  }
}

}  // namespace
}  // namespace migrate
