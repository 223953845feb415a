// Finding and removing the secrets of database URLs: redact_url() for every accepted form, and
// redact_secrets() over the texts libpq really produces for malformed URLs (PQconninfoParse
// parses offline, so no server is needed).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "libmigrate/backend/database_url.hpp"

namespace migrate {
namespace {

struct RedactCase {
  std::string url;
  std::string redacted;
};

void PrintTo(const RedactCase& c, std::ostream* os) {
  *os << c.url;
}

class RedactUrl : public ::testing::TestWithParam<RedactCase> {};

TEST_P(RedactUrl, HidesEveryPasswordAndKeepsTheRest) {
  EXPECT_EQ(redact_url(GetParam().url), GetParam().redacted);
  // Redacting twice changes nothing more.
  EXPECT_EQ(redact_url(GetParam().redacted), GetParam().redacted);
}

INSTANTIATE_TEST_SUITE_P(
    Uris, RedactUrl,
    ::testing::Values(
        RedactCase{"postgres://u:pw@h/db", "postgres://u:****@h/db"},
        RedactCase{"postgresql://u:pw@h:5432/db", "postgresql://u:****@h:5432/db"},
        RedactCase{"postgres://u@h/db", "postgres://u@h/db"},
        RedactCase{"postgres://h/db", "postgres://h/db"}, RedactCase{"postgres://", "postgres://"},
        RedactCase{"postgres://u:@h/db", "postgres://u:@h/db"},
        RedactCase{"postgres://u:p@ss@host/db", "postgres://u:****@host/db"},
        RedactCase{"postgres://u:a:b@h/db", "postgres://u:****@h/db"},
        RedactCase{"postgres://u:pa/ss@h/db", "postgres://u:****@h/db"},
        RedactCase{"postgres://u:pa?ss@h/db", "postgres://u:****@h/db"},
        RedactCase{"postgres://u:pa#ss@h/db", "postgres://u:****@h/db"},
        RedactCase{"postgres://u:p%40ss@h/db", "postgres://u:****@h/db"},
        RedactCase{"postgres://u:PW%zz@host/db", "postgres://u:****@host/db"},
        RedactCase{"postgres://u:p\xC3\xA4ssw\xC3\xB6rd@h/db", "postgres://u:****@h/db"},
        RedactCase{"postgres://u:pw@[::1]:5432/db", "postgres://u:****@[::1]:5432/db"},
        RedactCase{"postgres://u:PW@[::1/db", "postgres://u:****@[::1/db"},
        RedactCase{"postgres://u:pw@h1:5432,h2:5433/db", "postgres://u:****@h1:5432,h2:5433/db"},
        RedactCase{"postgres://user@server:pw@h/db", "postgres://user@server:****@h/db"},
        RedactCase{"postgres://h/db?password=secret&sslmode=require",
                   "postgres://h/db?password=****&sslmode=require"},
        RedactCase{"postgres://h/db?sslmode=require&password=se&cret",
                   "postgres://h/db?sslmode=require&password=****"},
        RedactCase{"postgres://h/db?sslpassword=k&PASSWORD=p",
                   "postgres://h/db?sslpassword=****&PASSWORD=****"},
        RedactCase{"postgres://h/db?pass%77ord=x", "postgres://h/db?pass%77ord=****"},
        RedactCase{"postgres://u:pw@h/db?password=q", "postgres://u:****@h/db?password=****"},
        RedactCase{"postgres://u:p@ss/w?rd@db/app", "postgres://u:****@db/app"},
        // An '@' in a query value hides more than needed, never less.
        RedactCase{"postgres://h:5432/app?application_name=a@b", "postgres://h:****@b"},
        RedactCase{"postgres://h/app?application_name=a@b",
                   "postgres://h/app?application_name=a@b"},
        RedactCase{"mysql://u:pw@h/db", "mysql://u:****@h/db"}));

INSTANTIATE_TEST_SUITE_P(
    KeywordValue, RedactUrl,
    ::testing::Values(
        RedactCase{"host=h password=secret dbname=d", "host=h password=**** dbname=d"},
        RedactCase{"password = secret host=h", "password = **** host=h"},
        RedactCase{"host=h password='with spaces \\' quote' dbname=d",
                   "host=h password=**** dbname=d"},
        RedactCase{"host=h password='unterminated dbname=d", "host=h password=****"},
        RedactCase{"password=a\\ b host=h", "password=**** host=h"},
        RedactCase{"password=two words here host=h", "password=**** host=h"},
        RedactCase{"sslpassword=k host=h", "sslpassword=**** host=h"},
        RedactCase{"host=h dbname=d", "host=h dbname=d"},
        RedactCase{"host=h password=", "host=h password="},
        // libpq reads "password=pw" as the user's value here, and would quote it.
        RedactCase{"host=h user= password=pw dbname=d", "host=h user= password=**** dbname=d"},
        RedactCase{"options='-c x=1' password=pw", "options='-c x=1' password=****"}));

INSTANTIATE_TEST_SUITE_P(Sqlite, RedactUrl,
                         ::testing::Values(RedactCase{"sqlite:app.db", "sqlite:app.db"},
                                           RedactCase{"sqlite::memory:", "sqlite::memory:"},
                                           RedactCase{"sqlite:app.db?key=k", "sqlite:app.db?key=k"},
                                           RedactCase{"sqlite:app.db?password=k&mode=ro",
                                                      "sqlite:app.db?password=****&mode=ro"}));

TEST(FindUrlSecrets, NamesTheFormAndTheDecodedPassword) {
  auto found = find_url_secrets("postgres://u:p%40ss%2Fword@h/db");
  EXPECT_EQ(found.form, DatabaseUrlForm::kUri);
  ASSERT_EQ(found.passwords.size(), 1u);
  EXPECT_EQ(found.passwords[0].begin, 13u);
  EXPECT_NE(std::find(found.secrets.begin(), found.secrets.end(), "p@ss/word"),
            found.secrets.end());
  EXPECT_EQ(find_url_secrets("sqlite:a.db").form, DatabaseUrlForm::kSqlite);
  EXPECT_EQ(find_url_secrets("host=h").form, DatabaseUrlForm::kKeywordValue);
  EXPECT_TRUE(find_url_secrets("postgres://u@h/db").secrets.empty());
}

TEST(FindUrlSecrets, KeywordValueSecretsIncludeTheUnescapedValue) {
  auto found = find_url_secrets("password='it\\'s secret' host=h");
  EXPECT_NE(std::find(found.secrets.begin(), found.secrets.end(), "it's secret"),
            found.secrets.end());
}

TEST(RedactSecrets, MasksThePasswordWhereverLibpqQuotesIt) {
  EXPECT_EQ(redact_secrets("invalid percent-encoded token: \"SECRET%zz\"",
                           "postgres://u:SECRET%zz@host/db"),
            "invalid percent-encoded token: \"****\"");
  EXPECT_EQ(redact_secrets("unexpected character \"/\" in \"postgres://u:SECRET@[::1/db\"",
                           "postgres://u:SECRET@[::1/db"),
            "unexpected character \"/\" in \"postgres://u:****@[::1/db\"");
  // libpq splits "p@ssword" at its first '@' and complains about the host "ssword@host".
  EXPECT_EQ(redact_secrets("could not translate host name \"ssword@host\" to address",
                           "postgres://u:p@ssword@host/db"),
            "could not translate host name \"****\" to address");
  // ... and "pass/word" at the '/': host "u", port "pass", dbname "word@host/db".
  EXPECT_EQ(redact_secrets("invalid integer value \"pass\" for connection option \"port\"",
                           "postgres://u:pass/word@host/db"),
            "invalid integer value \"****\" for connection option \"port\"");
  EXPECT_EQ(redact_secrets("missing key/value separator \"=\" in URI query parameter: \"cret\"",
                           "postgres://h/db?password=se&cret"),
            "missing key/value separator \"=\" in URI query parameter: \"****\"");
  EXPECT_EQ(redact_secrets("missing \"=\" after \"words\" in connection info string",
                           "host=h password=two words"),
            "missing \"=\" after \"****\" in connection info string");
}

TEST(RedactSecrets, MasksAShortPasswordOnlyWhereItIsQuoted) {
  const std::string url = "postgres://u:pw@h/db";
  EXPECT_EQ(redact_secrets("invalid port number: \"pw\"", url), "invalid port number: \"****\"");
  EXPECT_EQ(redact_secrets("pwned, 'pw'", url), "pwned, '****'");
}

TEST(RedactSecrets, LeavesTextWithoutSecretsAlone) {
  const std::string text = "connection to server at \"h\" (1.2.3.4), port 5432 failed";
  EXPECT_EQ(redact_secrets(text, "postgres://u:longpassword@h/db"), text);
  EXPECT_EQ(redact_secrets(text, "postgres://u@h/db"), text);
  EXPECT_EQ(redact_secrets(text, ""), text);
  EXPECT_EQ(redact_secrets("", "postgres://u:pw@h/db"), "");
}

TEST(RedactSecrets, ReplacesTheWholeUrlByItsRedactedForm) {
  const std::string url = "postgres://u:hunter2@h/db";
  EXPECT_EQ(redact_secrets("cannot connect (" + url + ")", url),
            "cannot connect (postgres://u:****@h/db)");
}

TEST(RedactSecrets, AMaskThatWouldReproduceThePasswordIsNotUsed) {
  for (const std::string url : {"postgres://u:***@h/db", "postgres://u:****@h/db",
                                "postgres://u:*[x]<~^*@h/db", "password=**x* host=h"}) {
    std::string password = std::string(find_url_secrets(url).secrets.front());
    std::string out = redact_secrets("a " + password + " b " + url, url);
    EXPECT_EQ(out.find(password), std::string::npos) << url << " -> " << out;
  }
}

// libpq's own parser, so the cases follow whatever libpq really does with a malformed URL.
struct LibpqParse {
  std::string error;
  std::vector<std::string> values;  // every option libpq set
};

LibpqParse libpq_parse(const std::string& url) {
  LibpqParse out;
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (error) {
    out.error = error;
    PQfreemem(error);
  }
  if (options) {
    for (PQconninfoOption* o = options; o->keyword; ++o)
      if (o->val) out.values.emplace_back(o->val);
    PQconninfoFree(options);
  }
  return out;
}

struct LibpqCase {
  std::string url;
  std::vector<std::string> password_pieces;  // what must never show
  bool libpq_quotes_it = true;               // libpq's error or values hold a piece
};

void PrintTo(const LibpqCase& c, std::ostream* os) {
  *os << c.url;
}

class RedactLibpqText : public ::testing::TestWithParam<LibpqCase> {};

TEST_P(RedactLibpqText, NoPieceOfThePasswordSurvivesLibpqsMessagesOrValues) {
  const auto& c = GetParam();
  LibpqParse parsed = libpq_parse(c.url);
  std::vector<std::string> texts{parsed.error, "connection to " + c.url};
  // libpq's later messages quote what it parsed: host names, ports, database names.
  for (const auto& v : parsed.values) texts.push_back("option \"" + v + "\" failed");
  // The case is live: libpq's own texts hold a piece of the password before redaction.
  bool leaks = false;
  for (std::size_t i = 0; i < texts.size(); ++i)
    for (const auto& piece : c.password_pieces)
      leaks = leaks || (i != 1 && texts[i].find(piece) != std::string::npos);
  EXPECT_EQ(leaks, c.libpq_quotes_it) << "libpq said: " << parsed.error;
  for (const auto& text : texts) {
    std::string out = redact_secrets(text, c.url);
    for (const auto& piece : c.password_pieces)
      EXPECT_EQ(out.find(piece), std::string::npos)
          << "'" << piece << "' survives in: " << out << "\n  (from: " << text << ")";
  }
}

INSTANTIATE_TEST_SUITE_P(
    MalformedAndAwkward, RedactLibpqText,
    ::testing::Values(LibpqCase{"postgres://u:SECRETPW@[::1/db", {"SECRETPW"}},
                      LibpqCase{"postgres://u:SECRETPW@[::1]x/db", {"SECRETPW"}},
                      LibpqCase{"postgres://u:SECRETPW%zz@host/db", {"SECRETPW"}},
                      LibpqCase{"postgres://u:SECRETPW%00@host/db", {"SECRETPW"}},
                      LibpqCase{"postgres://u:SEC@RETPW@host/db", {"SEC", "RETPW"}},
                      LibpqCase{"postgres://u:SEC/RETPW@host/db", {"SEC", "RETPW"}},
                      LibpqCase{"postgres://u:SE:CRETPW@host/db", {"SE:CRETPW"}},
                      LibpqCase{"postgres://u:SEC?RETPW@host/db", {"SEC?RETPW"}},
                      LibpqCase{"postgres://user@server:SECRETPW@host/db", {"SECRETPW"}},
                      LibpqCase{"postgres://u:SEC,RETPW@host/db", {"SEC,RETPW"}},
                      LibpqCase{"postgres://u:p%40SECRET@host/db", {"p@SECRET", "p%40SECRET"}},
                      LibpqCase{"postgres://h/db?password=SEC&RETPW", {"SEC&RETPW", "RETPW"}},
                      LibpqCase{"postgres://h/db?password=SEC=RETPW", {"RETPW"}, false},
                      LibpqCase{"host=h password=SECRET PASSWORD", {"SECRET", "PASSWORD"}},
                      LibpqCase{"host=h password='SECRET PW", {"SECRET"}, false},
                      LibpqCase{"host=h password='SE\\'CRET' x", {"SE'CRET", "SE\\'CRET"}, false},
                      LibpqCase{"host=h password=SE\\ CRET", {"SE CRET", "SE\\ CRET"}},
                      LibpqCase{"host=h user= password=SECRET", {"SECRET"}}));

// Property check over generated URLs and texts: the header's invariants.
TEST(RedactSecretsProperties, HoldForGeneratedUrlsAndTexts) {
  std::mt19937 random(20240608);
  const std::vector<std::string> parts{"postgres://",
                                       "postgresql://",
                                       "sqlite:",
                                       "u",
                                       ":",
                                       "@",
                                       "/",
                                       "?",
                                       "#",
                                       "&",
                                       "=",
                                       "password",
                                       "sslpassword",
                                       "host",
                                       " ",
                                       "'",
                                       "\\",
                                       "[",
                                       "]",
                                       ",",
                                       "%",
                                       "%40",
                                       "%zz",
                                       "*",
                                       "pw",
                                       "SECRET",
                                       "db",
                                       "h1",
                                       "5432",
                                       "\"",
                                       "x"};
  auto generate = [&](int max_parts) {
    std::string s;
    int n = std::uniform_int_distribution<int>(0, max_parts)(random);
    for (int i = 0; i < n; ++i)
      s += parts[std::uniform_int_distribution<std::size_t>(0, parts.size() - 1)(random)];
    return s;
  };
  for (int round = 0; round < 20000; ++round) {
    std::string url = generate(12);
    std::string text = generate(6) + (round % 2 ? url : std::string()) + generate(6);
    const auto found = find_url_secrets(url);
    std::string once = redact_secrets(text, url);
    for (const auto& s : found.secrets) {
      if (s.size() >= 3) {
        ASSERT_EQ(once.find(s), std::string::npos) << url << " | " << text;
      }
    }
    ASSERT_EQ(redact_secrets(once, url), once) << url << " | " << text;
    bool clean = url.empty() || text.find(url) == std::string::npos;
    for (const auto& s : found.secrets) clean = clean && text.find(s) == std::string::npos;
    if (clean) {
      ASSERT_EQ(once, text) << url << " | " << text;
    }
    for (std::size_t i = 1; i < found.passwords.size(); ++i)
      ASSERT_LE(found.passwords[i - 1].end, found.passwords[i].begin) << url;
  }
}

}  // namespace
}  // namespace migrate
