// SPDX-License-Identifier: Apache-2.0
// Carrier adapters (R5.3): get returns the first value, get_all lists every value in order,
// keys lists every key, set replaces the field; HTTP header lists match case-insensitively.
#include "ctxflow/propagation/text_map.hpp"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "ctxflow/testing/diagnostics_capture.hpp"

namespace ctxflow::propagation {
namespace {

template <class Carrier>
std::vector<std::string> all_values(const Carrier& c, std::string_view key) {
  getter_ref<Carrier> g(c);
  std::vector<std::string> out;
  auto collect = [&](std::string_view v) { out.emplace_back(v); };
  g.get_all(key, collect);
  return out;
}

template <class Carrier>
std::vector<std::string> all_keys(const Carrier& c) {
  getter_ref<Carrier> g(c);
  std::vector<std::string> out;
  auto collect = [&](std::string_view v) { out.emplace_back(v); };
  g.keys(collect);
  return out;
}

TEST(TextMap, StdMapLooksUpExactKeysAndSetReplaces) {
  // R5.3
  std::map<std::string, std::string> m{{"a", "1"}, {"b", "2"}};
  getter_ref<decltype(m)> g(m);
  EXPECT_EQ(g.get("a").value(), "1");
  EXPECT_FALSE(g.get("A").has_value());
  EXPECT_EQ(all_keys(m), (std::vector<std::string>{"a", "b"}));
  setter_ref<decltype(m)> s(m);
  s.set("a", "9");
  s.set("c", "3");
  EXPECT_EQ(m.at("a"), "9");
  EXPECT_EQ(m.at("c"), "3");
  EXPECT_EQ(m.size(), 3u);
}

TEST(TextMap, UnorderedMapWorks) {
  // R5.3
  std::unordered_map<std::string, std::string> m{{"traceparent", "x"}};
  getter_ref<decltype(m)> g(m);
  EXPECT_EQ(g.get("traceparent").value(), "x");
  EXPECT_EQ(all_values(m, "traceparent"), std::vector<std::string>{"x"});
  setter_ref<decltype(m)> s(m);
  s.set("traceparent", "y");
  EXPECT_EQ(m.at("traceparent"), "y");
}

TEST(TextMap, MultimapGivesTheFirstValueAndAllValuesInOrder) {
  // R5.3 get / get_all
  std::multimap<std::string, std::string> m{{"k", "1"}, {"k", "2"}, {"j", "3"}};
  getter_ref<decltype(m)> g(m);
  EXPECT_EQ(g.get("k").value(), "1");
  EXPECT_EQ(all_values(m, "k"), (std::vector<std::string>{"1", "2"}));
  EXPECT_TRUE(all_values(m, "missing").empty());
  setter_ref<decltype(m)> s(m);
  s.set("k", "only");
  EXPECT_EQ(m.count("k"), 1u);
  EXPECT_EQ(m.find("k")->second, "only");
}

TEST(TextMap, HeaderListsMatchNamesCaseInsensitively) {
  // R5.3: HTTP carriers MUST be case-insensitive
  std::vector<std::pair<std::string, std::string>> h{
      {"TraceParent", "a"}, {"Content-Type", "t"}, {"traceparent", "b"}};
  getter_ref<decltype(h)> g(h);
  EXPECT_EQ(g.get("traceparent").value(), "a");
  EXPECT_EQ(g.get("TRACEPARENT").value(), "a");
  EXPECT_EQ(all_values(h, "traceParent"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(all_keys(h).size(), 3u);
}

TEST(TextMap, HeaderListSetReplacesTheFieldAndKeepsItsSpelling) {
  // R5.3 set: replace; keep the key's casing
  std::vector<std::pair<std::string, std::string>> h{
      {"TraceParent", "a"}, {"x", "y"}, {"traceparent", "b"}};
  setter_ref<decltype(h)> s(h);
  s.set("traceparent", "new");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].first, "TraceParent");
  EXPECT_EQ(h[0].second, "new");
  s.set("X-B3-TraceId", "t");
  EXPECT_EQ(h.back().first, "X-B3-TraceId");
}

TEST(TextMap, CaseInsensitiveTextMapWorksOnMapsOfHeaders) {
  // R5.3
  std::map<std::string, std::string> m{{"TraceParent", "a"}};
  getter_ref<decltype(m), case_insensitive_text_map> g(m);
  EXPECT_EQ(g.get("traceparent").value(), "a");
}

TEST(TextMap, GettersWithoutGetAllFallBackToGet) {
  // R5.3: get_all is optional with a backward-compatible default
  struct only_get {
    std::optional<std::string_view> get(const std::map<std::string, std::string>& c,
                                        std::string_view k) const {
      auto it = c.find(std::string(k));
      if (it == c.end()) return std::nullopt;
      return std::string_view(it->second);
    }
    void keys(const std::map<std::string, std::string>&, string_visitor) const {}
  };
  static_assert(!multi_value_getter<only_get, std::map<std::string, std::string>>);
  std::map<std::string, std::string> m{{"k", "v"}};
  getter_ref<decltype(m), only_get> g(m);
  std::vector<std::string> out;
  auto collect = [&](std::string_view v) { out.emplace_back(v); };
  g.get_all("k", collect);
  EXPECT_EQ(out, std::vector<std::string>{"v"});
}

TEST(TextMap, AThrowingCarrierIsReportedAndTreatedAsEmpty) {
  // R1.12: carriers are user extension points run inside guards
  struct throwing {
    std::optional<std::string_view> get(const int&, std::string_view) const {
      throw std::runtime_error("boom");
    }
    void keys(const int&, string_visitor) const { throw std::runtime_error("boom"); }
    void set(int&, std::string_view, std::string_view) const { throw std::runtime_error("boom"); }
  };
  ctxflow::testing::diagnostics_capture capture;
  int carrier = 0;
  getter_ref<int, throwing> g(carrier);
  EXPECT_FALSE(g.get("k").has_value());
  setter_ref<int, throwing> s(carrier);
  s.set("k", "v");
  EXPECT_EQ(capture.count("propagation.carrier.failed"), 2u);
}

TEST(TextMap, VisitorsCanStopEarly) {
  std::vector<std::pair<std::string, std::string>> h{{"k", "1"}, {"k", "2"}, {"k", "3"}};
  getter_ref<decltype(h)> g(h);
  int calls = 0;
  auto first_only = [&](std::string_view) {
    ++calls;
    return false;
  };
  g.get_all("k", first_only);
  EXPECT_EQ(calls, 1);
}

// The byte-by-byte definition the block comparison must agree with.
bool reference_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
    if (lower(static_cast<unsigned char>(a[i])) != lower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// Calls `check(lower, upper)` for every name length around the 8-byte blocks (1 to 25), with
// one differing byte at every position: `lower` is 'k's and `upper` 'K's but for that byte,
// each of which runs through letters of both cases, the bytes next to them ('@' '`' '[' '{'),
// digits, punctuation and bytes at and above 0x7F. Stops at the first fatal failure, naming
// the case.
template <class Check>
void for_every_one_byte_difference(Check check) {
  const std::string alphabet = std::string("aAzZ@`[{-_09") + '\xC0' + '\xE0' + '\x7F' + '\xFF';
  for (std::size_t n = 1; n <= 25; ++n) {
    for (std::size_t pos = 0; pos < n; ++pos) {
      for (char x : alphabet) {
        for (char y : alphabet) {
          std::string lower(n, 'k');
          std::string upper(n, 'K');
          lower[pos] = x;
          upper[pos] = y;
          check(lower, upper);
          if (::testing::Test::HasFatalFailure()) {
            ADD_FAILURE() << "n=" << n << " pos=" << pos << " x=" << int(x) << " y=" << int(y);
            return;
          }
        }
      }
    }
  }
}

TEST(TextMap, HeaderNamesMatchIgnoringAsciiCaseOnly) {
  // R5.3: ASCII case folding, nothing more: '@' is not '`', '[' is not '{', and bytes above
  // 0x7F (e.g. Latin-1 0xC0 and 0xE0) are compared as they are.
  EXPECT_TRUE(detail::iequals("TraceParent", "traceparent"));
  EXPECT_TRUE(detail::iequals("X-B3-TRACEID-AND-MORE", "x-b3-traceid-and-more"));
  EXPECT_FALSE(detail::iequals("traceparenu", "traceparent"));
  EXPECT_FALSE(detail::iequals("traceparen", "traceparent"));
  for_every_one_byte_difference([](const std::string& a, const std::string& b) {
    ASSERT_EQ(detail::iequals(a, b), reference_iequals(a, b));
  });
  static_assert(detail::iequals("TRACESTATE", "tracestate"));  // usable in constant expressions
}

TEST(TextMap, AFoldedKeyMatchesExactlyTheNamesIequalsMatches) {
  // The header list's lookups fold the propagator's key once; every name length around the
  // 8-byte words (the 8-16 word path and the others), the differing byte at every position.
  for_every_one_byte_difference([](const std::string& key, const std::string& name) {
    const detail::folded_key folded(key);
    ASSERT_EQ(folded.matches(name), reference_iequals(name, key));
    ASSERT_FALSE(folded.matches(name + 'k'));
    ASSERT_FALSE(folded.matches(std::string_view(name).substr(1)));
  });
  EXPECT_TRUE(detail::folded_key("").matches(""));
  EXPECT_FALSE(detail::folded_key("").matches("a"));
}

TEST(TextMap, AFoldedKeyMatchesANameInTheKeysOwnCaseExactlyWhenIequalsDoes) {
  // Names usually arrive spelled as the key is (lowercase): the word comparison then finds them
  // equal, or rejects them when a byte differs in more than the case bit; a byte that differs
  // in the case bit alone ('-' and '\r', '@' and '`', 'k' and 'K') must be decided as iequals
  // decides it. Every name length 1 to 25, one differing byte at every position.
  const std::string alphabet =
      std::string("kKaAzZ@`[{-\r_09") + '\xC0' + '\xE0' + '\x7F' + '\xFF';
  for (std::size_t n = 1; n <= 25; ++n) {
    for (std::size_t pos = 0; pos < n; ++pos) {
      for (char x : alphabet) {
        for (char y : alphabet) {
          std::string key(n, 'k');
          std::string name(n, 'k');
          key[pos] = x;
          name[pos] = y;
          ASSERT_EQ(detail::folded_key(key).matches(name), reference_iequals(name, key))
              << "n=" << n << " pos=" << pos << " x=" << int(x) << " y=" << int(y);
        }
      }
    }
  }
  EXPECT_TRUE(detail::folded_key("x-b3-traceid").matches("x-b3-traceid"));
  EXPECT_TRUE(detail::folded_key("x-b3-traceid").matches("X-B3-TraceId"));
  EXPECT_FALSE(detail::folded_key("x-b3-traceid").matches("x\rb3-traceid"));
}

TEST(TextMap, ReplacingAHeaderReusesTheValuesBuffer) {
  // R5.3 set replaces; a reused carrier keeps its storage, so re-injecting does not allocate
  std::vector<std::pair<std::string, std::string>> h{{"Traceparent", std::string(60, 'x')}};
  const char* before = h[0].second.data();
  setter_ref<decltype(h)> s(h);
  s.set("traceparent", std::string(55, 'y'));
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].first, "Traceparent");
  EXPECT_EQ(h[0].second, std::string(55, 'y'));
  EXPECT_EQ(h[0].second.data(), before);
}

}  // namespace
}  // namespace ctxflow::propagation
