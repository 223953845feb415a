// Version::parse and the numeric, unbounded ordering of versions.
#include <gtest/gtest.h>

#include <algorithm>
#include <compare>
#include <stdexcept>
#include <string>
#include <vector>

#include "migrate/version.hpp"

namespace migrate {
namespace {

Version v(const std::string& text) {
  auto parsed = Version::parse(text);
  if (!parsed) throw std::runtime_error("test setup: '" + text + "' did not parse");
  return *parsed;
}

TEST(VersionParse, PlainDigits) {
  auto parsed = Version::parse("12");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->str(), "12");
  EXPECT_EQ(parsed->original(), "12");
}

TEST(VersionParse, LeadingVAndZerosAreTheSameVersion) {
  auto a = Version::parse("V012");
  auto b = Version::parse("12");
  auto c = Version::parse("012");
  auto d = Version::parse("v12");
  ASSERT_TRUE(a && b && c && d);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*b, *c);
  EXPECT_EQ(*c, *d);
  EXPECT_EQ(*a <=> *b, std::strong_ordering::equal);
  EXPECT_EQ(a->str(), "12");
  EXPECT_EQ(c->str(), "12");
}

TEST(VersionParse, OriginalKeepsZerosButDropsTheV) {
  EXPECT_EQ(v("V012").original(), "012");
  EXPECT_EQ(v("v0001.02").original(), "0001.02");
}

TEST(VersionParse, CanonicalStripsZerosPerComponent) {
  EXPECT_EQ(v("012.03").str(), "12.3");
  EXPECT_EQ(v("1.002.0010").str(), "1.2.10");
}

TEST(VersionParse, AllZerosIsZero) {
  EXPECT_EQ(v("0").str(), "0");
  EXPECT_EQ(v("000").str(), "0");
  EXPECT_EQ(v("V00.000").str(), "0.0");
  EXPECT_EQ(v("000"), v("0"));
}

TEST(VersionParse, RejectsMalformedInput) {
  for (const char* bad : {"", "V", "v", "1..2", "1.", ".1", "a1", "1a", "-1", "+1", " 1", "1 ",
                          "VV1", "1_2", "1,2", "1.2.", "0x10", "V-1", "1.-2"}) {
    EXPECT_FALSE(Version::parse(bad).has_value()) << "'" << bad << "' should be rejected";
  }
}

TEST(VersionParse, OnlyOneLeadingVIsAccepted) {
  EXPECT_FALSE(Version::parse("Vv1").has_value());
  EXPECT_TRUE(Version::parse("V1").has_value());
}

TEST(VersionOrder, NumericNotLexicographic) {
  EXPECT_LT(v("2"), v("10"));
  EXPECT_LT(v("9"), v("010"));
  EXPECT_GT(v("V100"), v("V99"));
}

TEST(VersionOrder, DottedComponentsCompareNumerically) {
  EXPECT_GT(v("1.2.10"), v("1.2.9"));
  EXPECT_LT(v("1.2.9"), v("1.2.10"));
  EXPECT_LT(v("1.9"), v("1.10"));
  EXPECT_GT(v("2.0"), v("1.999"));
  EXPECT_EQ(v("1.02.010"), v("1.2.10"));
}

TEST(VersionOrder, ShorterPrefixIsLessAndNotEqual) {
  // "1.2" and "1.2.0" are different versions: the one with fewer components sorts first.
  EXPECT_LT(v("1.2"), v("1.2.0"));
  EXPECT_GT(v("1.2.0"), v("1.2"));
  EXPECT_NE(v("1.2"), v("1.2.0"));
  EXPECT_NE(v("1"), v("1.0"));
  EXPECT_LT(v("1"), v("1.0"));
  // A shorter version with a bigger component is still bigger.
  EXPECT_GT(v("2"), v("1.5"));
  EXPECT_LT(v("1.5"), v("2"));
}

TEST(VersionOrder, EqualityAgreesWithOrdering) {
  const std::vector<std::string> texts = {"1", "01", "1.0", "1.00", "1.2", "1.2.0", "2", "10"};
  for (const auto& a : texts) {
    for (const auto& b : texts) {
      bool eq = v(a) == v(b);
      bool ord_eq = (v(a) <=> v(b)) == std::strong_ordering::equal;
      EXPECT_EQ(eq, ord_eq) << a << " vs " << b;
    }
  }
}

TEST(VersionOrder, TwentyDigitTimestampsBeyondUint64) {
  // Both exceed UINT64_MAX (18446744073709551615), so no fixed-width integer can hold them.
  auto older = v("20150100000001000000");
  auto newer = v("20191100000001000000");
  EXPECT_LT(older, newer);
  EXPECT_GT(newer, older);
  EXPECT_EQ(older.str(), "20150100000001000000");
  EXPECT_EQ(v("V020191100000001000000"), newer);
  // Differ only in the last digit.
  EXPECT_LT(v("20191100000001000000"), v("20191100000001000001"));
  // A longer number is bigger regardless of its leading digit.
  EXPECT_LT(v("99999999999999999999"), v("100000000000000000000"));
  // 20-digit timestamps sort after small versions.
  EXPECT_LT(v("999"), older);
}

TEST(VersionOrder, SortingAMixedList) {
  std::vector<Version> list = {
      v("10"), v("1.2.10"), v("2"), v("1.2.9"), v("1"), v("20150100000001000000"), v("1.2")};
  std::sort(list.begin(), list.end());
  std::vector<std::string> got;
  for (const auto& x : list) got.push_back(x.str());
  EXPECT_EQ(got, (std::vector<std::string>{"1", "1.2", "1.2.9", "1.2.10", "2", "10",
                                           "20150100000001000000"}));
}

}  // namespace
}  // namespace migrate
