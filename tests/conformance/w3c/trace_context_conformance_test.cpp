// SPDX-License-Identifier: Apache-2.0
// The W3C Trace Context conformance cases (the `traceparent` and `tracestate` tests of the
// W3C suite, test/test.py), as a table: each row sends request headers through extract, then
// injects the resulting context and checks what would be sent on. A valid traceparent keeps
// the trace id; an invalid one restarts the trace (nothing extracted). tracestate follows the
// strict-level choices of R3.5 and R3.6. Rules: R2.1-R2.11, R3.1-R3.6.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "ctxflow/propagation/w3c_trace_context.hpp"
#include "ctxflow/trace/span.hpp"

namespace ctxflow::propagation {
namespace {

using headers = std::vector<std::pair<std::string, std::string>>;

const std::string T = "12345678901234567890123456789012";
const std::string P = "1234567890123456";
const std::string TP = "00-" + T + "-" + P + "-01";
constexpr const char* absent = "<absent>";

struct conformance_case {
  const char* name;
  headers request;
  bool continues_trace;       // the trace id is kept (traceparent valid)
  std::string tracestate_out;  // what is sent on, or <absent>
};

std::string many_members(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? "," : "") + std::string("a") + std::to_string(i) + "=" + std::to_string(i);
  return s;
}

std::vector<conformance_case> cases() {
  const std::string key256 = std::string(256, 'z');
  const std::string all_value_chars =
      " !\"#$%&'()*+-./0123456789:;<>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
  return {
      // test_traceparent_header_name / _valid_casing (R2.1)
      {"header_name_lower", {{"traceparent", TP}}, true, absent},
      {"header_name_mixed", {{"TraceParent", TP}}, true, absent},
      {"header_name_alternating", {{"TrAcEpArEnT", TP}}, true, absent},
      {"header_name_upper", {{"TRACEPARENT", TP}}, true, absent},
      {"header_name_dash", {{"trace-parent", TP}}, false, absent},
      {"header_name_dot", {{"trace.parent", TP}}, false, absent},
      // test_traceparent_duplicated (R2.10)
      {"duplicated", {{"traceparent", TP}, {"traceparent", TP}}, false, absent},
      // test_traceparent_version_0x00 (R2.7)
      {"v00_trailing_dot", {{"traceparent", TP + "."}}, false, absent},
      {"v00_trailing_data", {{"traceparent", TP + "-what-the-future-will-be-like"}}, false, absent},
      // test_traceparent_version_0xcc (R2.8)
      {"vcc_plain", {{"traceparent", "cc-" + T + "-" + P + "-01"}}, true, absent},
      {"vcc_extra", {{"traceparent", "cc-" + T + "-" + P + "-01-what-the-future-will-be-like"}}, true, absent},
      {"vcc_bad_separator", {{"traceparent", "cc-" + T + "-" + P + "-01.what-the-future-will-be-like"}}, false, absent},
      // test_traceparent_version_0xff (R2.3)
      {"vff", {{"traceparent", "ff-" + T + "-" + P + "-01"}}, false, absent},
      // test_traceparent_version_illegal_characters / too_long / too_short (R2.3)
      {"version_dot_first", {{"traceparent", ".0-" + T + "-" + P + "-01"}}, false, absent},
      {"version_dot_second", {{"traceparent", "0.-" + T + "-" + P + "-01"}}, false, absent},
      {"version_3_chars", {{"traceparent", "000-" + T + "-" + P + "-01"}}, false, absent},
      {"version_4_chars", {{"traceparent", "0000-" + T + "-" + P + "-01"}}, false, absent},
      {"version_1_char", {{"traceparent", "0-" + T + "-" + P + "-01"}}, false, absent},
      // test_traceparent_trace_id_* (R2.4)
      {"trace_id_all_zero", {{"traceparent", "00-" + std::string(32, '0') + "-" + P + "-01"}}, false, absent},
      {"trace_id_dot_first", {{"traceparent", "00-." + T.substr(1) + "-" + P + "-01"}}, false, absent},
      {"trace_id_dot_last", {{"traceparent", "00-" + T.substr(0, 31) + ".-" + P + "-01"}}, false, absent},
      {"trace_id_33", {{"traceparent", "00-" + T + "3-" + P + "-01"}}, false, absent},
      {"trace_id_31", {{"traceparent", "00-" + T.substr(0, 31) + "-" + P + "-01"}}, false, absent},
      // test_traceparent_parent_id_* (R2.5)
      {"parent_id_all_zero", {{"traceparent", "00-" + T + "-" + std::string(16, '0') + "-01"}}, false, absent},
      {"parent_id_dot_first", {{"traceparent", "00-" + T + "-." + P.substr(1) + "-01"}}, false, absent},
      {"parent_id_dot_last", {{"traceparent", "00-" + T + "-" + P.substr(0, 15) + ".-01"}}, false, absent},
      {"parent_id_17", {{"traceparent", "00-" + T + "-" + P + "7-01"}}, false, absent},
      {"parent_id_15", {{"traceparent", "00-" + T + "-" + P.substr(0, 15) + "-01"}}, false, absent},
      // test_traceparent_trace_flags_* (R2.6)
      {"flags_dot_first", {{"traceparent", "00-" + T + "-" + P + "-.0"}}, false, absent},
      {"flags_dot_last", {{"traceparent", "00-" + T + "-" + P + "-0."}}, false, absent},
      {"flags_3", {{"traceparent", "00-" + T + "-" + P + "-001"}}, false, absent},
      {"flags_1", {{"traceparent", "00-" + T + "-" + P + "-1"}}, false, absent},
      // test_traceparent_ows_handling (R2.9)
      {"ows_leading_space", {{"traceparent", " " + TP}}, true, absent},
      {"ows_leading_tab", {{"traceparent", "\t" + TP}}, true, absent},
      {"ows_trailing_space", {{"traceparent", TP + " "}}, true, absent},
      {"ows_trailing_tab", {{"traceparent", TP + "\t"}}, true, absent},
      {"ows_both", {{"traceparent", "\t " + TP + " \t"}}, true, absent},
      // test_tracestate_included_in_traceparent_response / header name casing (R3.1)
      {"tracestate_kept", {{"traceparent", TP}, {"tracestate", "foo=1"}}, true, "foo=1"},
      {"tracestate_name_mixed", {{"traceparent", TP}, {"TraceState", "foo=1"}}, true, "foo=1"},
      {"tracestate_name_upper", {{"traceparent", TP}, {"TRACESTATE", "foo=1"}}, true, "foo=1"},
      {"tracestate_without_traceparent", {{"tracestate", "foo=1"}}, false, absent},
      {"tracestate_with_invalid_traceparent", {{"traceparent", TP + "."}, {"tracestate", "foo=1"}}, false, absent},
      // test_tracestate_empty_header (R3.4)
      {"tracestate_empty", {{"traceparent", TP}, {"tracestate", ""}}, true, absent},
      {"tracestate_empty_and_member", {{"traceparent", TP}, {"tracestate", "foo=1"}, {"tracestate", ""}}, true, "foo=1"},
      {"tracestate_empty_members", {{"traceparent", TP}, {"tracestate", "foo=1,,bar=2, ,"}}, true, "foo=1,bar=2"},
      // test_tracestate_multiple_headers_different_keys (R3.2)
      {"tracestate_multi_headers", {{"traceparent", TP}, {"tracestate", "foo=1,bar=2"}, {"tracestate", "rojo=1,congo=2"}, {"tracestate", "baz=3"}}, true, "foo=1,bar=2,rojo=1,congo=2,baz=3"},
      // test_tracestate_duplicated_keys (R3.6: keep the first)
      {"tracestate_dup_same_header", {{"traceparent", TP}, {"tracestate", "foo=1,foo=1"}}, true, "foo=1"},
      {"tracestate_dup_two_values", {{"traceparent", TP}, {"tracestate", "foo=1,foo=2"}}, true, "foo=1"},
      {"tracestate_dup_across_headers", {{"traceparent", TP}, {"tracestate", "foo=1"}, {"tracestate", "foo=2"}}, true, "foo=1"},
      // test_tracestate_all_allowed_characters (R3.3)
      {"tracestate_all_key_chars", {{"traceparent", TP}, {"tracestate", "abcdefghijklmnopqrstuvwxyz0123456789_-*/=1"}}, true, "abcdefghijklmnopqrstuvwxyz0123456789_-*/=1"},
      {"tracestate_vendor_key", {{"traceparent", TP}, {"tracestate", "abcdefghijklmnopqrstuvwxyz0123456789_-*/@a-z0-9_-*/=1"}}, true, "abcdefghijklmnopqrstuvwxyz0123456789_-*/@a-z0-9_-*/=1"},
      {"tracestate_all_value_chars", {{"traceparent", TP}, {"tracestate", "foo=" + all_value_chars.substr(1)}}, true, "foo=" + all_value_chars.substr(1)},
      // test_tracestate_ows_handling (R3.3, R3.4)
      {"tracestate_ows_1", {{"traceparent", TP}, {"tracestate", "foo=1 \t , \t bar=2, \t baz=3"}}, true, "foo=1,bar=2,baz=3"},
      {"tracestate_ows_2", {{"traceparent", TP}, {"tracestate", "\t foo=1,bar=2\t "}}, true, "foo=1,bar=2"},
      // test_tracestate_key_illegal_characters (R3.3, R3.5)
      {"tracestate_key_space", {{"traceparent", TP}, {"tracestate", "foo =1"}}, true, absent},
      {"tracestate_key_upper", {{"traceparent", TP}, {"tracestate", "FOO=1"}}, true, absent},
      {"tracestate_key_dot", {{"traceparent", TP}, {"tracestate", "foo.bar=1"}}, true, absent},
      {"tracestate_key_bad_among_good", {{"traceparent", TP}, {"tracestate", "foo=1,Bar=2,baz=3"}}, true, absent},
      // test_tracestate_key_illegal_vendor_format (Level 2 grammar: '@' anywhere after the first char)
      {"tracestate_key_at_first", {{"traceparent", TP}, {"tracestate", "@foo=1"}}, true, absent},
      {"tracestate_key_at_end", {{"traceparent", TP}, {"tracestate", "foo@=1"}}, true, "foo@=1"},
      {"tracestate_key_two_ats", {{"traceparent", TP}, {"tracestate", "foo@@bar=1"}}, true, "foo@@bar=1"},
      {"tracestate_key_ats_apart", {{"traceparent", TP}, {"tracestate", "foo@bar@baz=1"}}, true, "foo@bar@baz=1"},
      // test_tracestate_key_length_limit (R3.3)
      {"tracestate_key_256", {{"traceparent", TP}, {"tracestate", key256 + "=1"}}, true, key256 + "=1"},
      {"tracestate_key_257", {{"traceparent", TP}, {"tracestate", key256 + "z=1"}}, true, absent},
      {"tracestate_key_digit_first", {{"traceparent", TP}, {"tracestate", "0foo=1"}}, true, "0foo=1"},
      // test_tracestate_member_count_limit (R3.5)
      {"tracestate_32_members", {{"traceparent", TP}, {"tracestate", many_members(32)}}, true, many_members(32)},
      {"tracestate_33_members", {{"traceparent", TP}, {"tracestate", many_members(33)}}, true, absent},
      {"tracestate_32_split", {{"traceparent", TP}, {"tracestate", many_members(16)}, {"tracestate", many_members(32).substr(many_members(16).size() + 1)}}, true, many_members(32)},
      // test_tracestate_value_illegal_characters (R3.3)
      {"tracestate_value_equals", {{"traceparent", TP}, {"tracestate", "foo=bar=baz"}}, true, absent},
      {"tracestate_value_empty", {{"traceparent", TP}, {"tracestate", "foo=,bar=3"}}, true, absent},
      {"tracestate_value_257", {{"traceparent", TP}, {"tracestate", "foo=" + std::string(257, 'v')}}, true, absent},
  };
}

class W3cTraceContextConformance : public ::testing::TestWithParam<conformance_case> {};

TEST_P(W3cTraceContextConformance, RequestHeadersArePropagatedAsTheSuiteExpects) {
  const conformance_case& c = GetParam();
  const w3c_trace_context_propagator prop;
  const context extracted = extract(prop, context(), c.request);
  const trace::span_context sc = trace::span_context_from(extracted);
  EXPECT_EQ(sc.valid(), c.continues_trace);
  if (c.continues_trace) {
    const auto t = sc.trace.to_hex();
    EXPECT_EQ(std::string(t.data(), t.size()), T);
  }
  headers sent;
  inject(prop, extracted, sent);
  std::string state = absent;
  for (const auto& [k, v] : sent)
    if (k == "tracestate") state = v;
  EXPECT_EQ(state, c.tracestate_out);
}

INSTANTIATE_TEST_SUITE_P(TestPy, W3cTraceContextConformance, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<conformance_case>& p) {
                           return std::string(p.param.name);
                         });

}  // namespace
}  // namespace ctxflow::propagation
