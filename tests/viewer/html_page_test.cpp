// SPDX-License-Identifier: Apache-2.0
#include "ctxflow/viewer/html_page.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"

namespace {

using ctxflow::sdk::span_data;

std::vector<span_data> sample_spans(const std::string& child_name = "db.query") {
  auto resource = std::make_shared<ctxflow::sdk::resource>();
  resource->attributes.push_back({"service.name", std::string("shop")});
  auto scope = std::make_shared<ctxflow::sdk::instrumentation_scope>();
  scope->name = "test.scope";
  std::vector<span_data> spans(2);
  for (auto& s : spans) {
    s.context.trace = ctxflow::trace::trace_id::from_hex("0af7651916cd43dd8448eb211c80319c");
    s.resource_ptr = resource;
    s.scope_ptr = scope;
  }
  spans[0].context.span = ctxflow::trace::span_id::from_hex("b7ad6b7169203331");
  spans[0].name = "order.place";
  spans[0].kind = ctxflow::trace::span_kind::server;
  spans[0].start_time_unix_nano = 1'700'000'000'000'000'000ULL;
  spans[0].end_time_unix_nano = 1'700'000'000'050'000'000ULL;
  spans[0].attributes.push_back({"order.id", std::int64_t{42}});
  spans[1].context.span = ctxflow::trace::span_id::from_hex("00f067aa0ba902b7");
  spans[1].parent_span_id = spans[0].context.span;
  spans[1].name = child_name;
  spans[1].start_time_unix_nano = 1'700'000'000'010'000'000ULL;
  spans[1].end_time_unix_nano = 1'700'000'000'020'000'000ULL;
  spans[1].status.code = ctxflow::trace::status_code::error;
  spans[1].status.message = "timeout";
  spans[1].events.push_back({"retry", 1'700'000'000'015'000'000ULL, {{"attempt", std::int64_t{2}}}, 0});
  return spans;
}

std::string encoded(const std::vector<span_data>& spans) {
  std::vector<const span_data*> batch;
  for (const auto& s : spans) batch.push_back(&s);
  std::string json;
  ctxflow::exporters::otlp::encode_json(batch, json);
  return json;
}

// The text of the element `<script type="application/json" id="<id>">`.
std::string script_block(const std::string& page, const std::string& id) {
  const std::string open = "<script type=\"application/json\" id=\"" + id + "\">";
  const auto from = page.find(open);
  if (from == std::string::npos) return "<missing>";
  const auto start = from + open.size();
  const auto end = page.find("</script>", start);
  if (end == std::string::npos) return "<unterminated>";
  return page.substr(start, end - start);
}

// Undoes the page's escapes (\u003c, \u003e, \u2028, \u2029), leaving every other JSON escape
// (an escaped backslash included) as it is.
std::string unescape_block(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      const std::string esc = text.substr(i, 6);
      if (esc == "\\u003c") { out += '<'; i += 5; continue; }
      if (esc == "\\u003e") { out += '>'; i += 5; continue; }
      if (esc == "\\u2028") { out += "\xE2\x80\xA8"; i += 5; continue; }
      if (esc == "\\u2029") { out += "\xE2\x80\xA9"; i += 5; continue; }
      out += text[i];
      out += text[i + 1];
      ++i;
      continue;
    }
    out += text[i];
  }
  return out;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(HtmlPage, IsOneDocumentThatLoadsNothingFromElsewhere) {
  const std::string page = ctxflow::viewer::render_html_page(sample_spans());
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(page.find("</html>"), std::string::npos);
  for (const char* external : {"src=", "href=", "<link", "@import", "url(", "http:", "https:", "//cdn"}) {
    EXPECT_EQ(page.find(external), std::string::npos) << "the page holds " << external;
  }
  // The script and the style sheet are inline, and the policy forbids loading anything else.
  EXPECT_EQ(occurrences(page, "<script"), 3u);
  EXPECT_EQ(occurrences(page, "<style"), 1u);
  EXPECT_NE(page.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(page.find("function treeOrder"), std::string::npos);
}

TEST(HtmlPage, EmbedsTheSpansAsTheDocumentTheOtlpJsonEncoderWrites) {
  const auto spans = sample_spans();
  const std::string page = ctxflow::viewer::render_html_page(spans);
  const std::string block = script_block(page, "ctxflow-data");
  EXPECT_EQ(unescape_block(block), encoded(spans));
  EXPECT_NE(block.find("\"name\":\"order.place\""), std::string::npos);
  EXPECT_EQ(script_block(page, "ctxflow-config"), R"({"mode":"embedded"})");
}

TEST(HtmlPage, ASpanNameHoldingAScriptEndTagCannotEndTheDataBlock) {
  const std::string hostile =
      "</script><script>alert(1)</script><!-- </SCRIPT> \xE2\x80\xA8 \xE2\x80\xA9 \\u003c";
  const auto spans = sample_spans(hostile);
  const std::string page = ctxflow::viewer::render_html_page(spans);
  const std::string block = script_block(page, "ctxflow-data");
  EXPECT_EQ(block.find('<'), std::string::npos);
  EXPECT_EQ(block.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_EQ(block.find("\xE2\x80\xA9"), std::string::npos);
  EXPECT_EQ(unescape_block(block), encoded(spans));
  // Only the page's own three script elements open and close.
  EXPECT_EQ(occurrences(page, "<script"), 3u);
  EXPECT_EQ(occurrences(page, "</script>"), 3u);
  EXPECT_EQ(page.find("alert(1)</"), std::string::npos);
}

// What a browser's JSON.parse gives back, read by the project's own OTLP JSON reader: the
// escapes are JSON escapes, so the block decodes to the spans given, hostile name included.
TEST(HtmlPage, TheEmbeddedJsonDecodesBackToTheSameSpans) {
  const auto spans = sample_spans("</script><!-- \xE2\x80\xA8 <b>");
  const std::string page = ctxflow::viewer::render_html_page(spans);
  std::vector<span_data> back;
  std::string error;
  ASSERT_TRUE(ctxflow::viewer::decode_json(script_block(page, "ctxflow-data"), back, error)) << error;
  ASSERT_EQ(back.size(), spans.size());
  for (std::size_t i = 0; i < spans.size(); ++i) {
    SCOPED_TRACE(spans[i].name);
    // The encoder groups spans by resource and scope; both spans share one, so order holds.
    EXPECT_EQ(back[i].name, spans[i].name);
    EXPECT_EQ(back[i].context.trace, spans[i].context.trace);
    EXPECT_EQ(back[i].context.span, spans[i].context.span);
    EXPECT_EQ(back[i].parent_span_id, spans[i].parent_span_id);
    EXPECT_EQ(back[i].kind, spans[i].kind);
    EXPECT_EQ(back[i].start_time_unix_nano, spans[i].start_time_unix_nano);
    EXPECT_EQ(back[i].end_time_unix_nano, spans[i].end_time_unix_nano);
    EXPECT_EQ(back[i].attributes, spans[i].attributes);
    EXPECT_EQ(back[i].status.code, spans[i].status.code);
    EXPECT_EQ(back[i].status.message, spans[i].status.message);
    ASSERT_EQ(back[i].events.size(), spans[i].events.size());
    for (std::size_t e = 0; e < spans[i].events.size(); ++e) {
      EXPECT_EQ(back[i].events[e].name, spans[i].events[e].name);
      EXPECT_EQ(back[i].events[e].time_unix_nano, spans[i].events[e].time_unix_nano);
      EXPECT_EQ(back[i].events[e].attributes, spans[i].events[e].attributes);
    }
    ASSERT_TRUE(back[i].resource_ptr);
    EXPECT_EQ(back[i].resource_ptr->attributes, spans[i].resource_ptr->attributes);
    ASSERT_TRUE(back[i].scope_ptr);
    EXPECT_EQ(back[i].scope_ptr->name, spans[i].scope_ptr->name);
  }
}

TEST(HtmlPage, WithoutSpansTheDataBlockIsAnEmptyRequest) {
  const std::string page = ctxflow::viewer::render_html_page({});
  EXPECT_EQ(script_block(page, "ctxflow-data"), "{}");
}

TEST(HtmlPage, TheTitleIsEscaped) {
  ctxflow::viewer::html_options options;
  options.title = "a <b> & \"c\"";
  const std::string page = ctxflow::viewer::render_html_page(sample_spans(), options);
  EXPECT_NE(page.find("<title>a &lt;b&gt; &amp; &quot;c&quot;</title>"), std::string::npos);
  EXPECT_EQ(page.find("<b>"), std::string::npos);
}

TEST(HtmlPage, ANonceMarksEveryScriptAndStyleAndIsTheOnlySourceThePolicyAllows) {
  ctxflow::viewer::html_options options;
  options.csp_nonce = "cnVuLXRoaXMtb25jZQ==";
  const std::string page = ctxflow::viewer::render_html_page(sample_spans(), options);
  EXPECT_EQ(occurrences(page, "<script nonce=\"cnVuLXRoaXMtb25jZQ==\">"), 1u);
  EXPECT_EQ(occurrences(page, "<style nonce=\"cnVuLXRoaXMtb25jZQ==\">"), 1u);
  EXPECT_NE(page.find("script-src 'nonce-cnVuLXRoaXMtb25jZQ=='"), std::string::npos);
  EXPECT_EQ(page.find("unsafe-inline"), std::string::npos);
}

TEST(HtmlPage, AnInvalidNonceIsReportedAndLeftOut) {
  ctxflow::testing::diagnostics_capture capture;
  for (const char* bad : {"short", "has a space in it and more", "quote\"breaks-out-of-attr"}) {
    ctxflow::viewer::html_options options;
    options.csp_nonce = bad;
    const std::string page = ctxflow::viewer::render_html_page(sample_spans(), options);
    EXPECT_EQ(page.find("nonce"), std::string::npos) << bad;
    EXPECT_NE(page.find("script-src 'unsafe-inline'"), std::string::npos);
  }
  EXPECT_EQ(capture.count("viewer.html.nonce.invalid"), 3u);
}

TEST(HtmlApp, PointsTheScriptAtTheApiAndEmbedsNoSpans) {
  ctxflow::viewer::html_app_options options;
  options.api_base = "/v0/api/";
  const std::string page = ctxflow::viewer::render_html_app(options);
  EXPECT_EQ(script_block(page, "ctxflow-config"), R"({"mode":"api","apiBase":"/v0/api/"})");
  EXPECT_EQ(script_block(page, "ctxflow-data"), "");
  EXPECT_NE(page.find("connect-src 'self'"), std::string::npos);
  EXPECT_EQ(script_block(ctxflow::viewer::render_html_app(), "ctxflow-config"),
            R"({"mode":"api","apiBase":"api/"})");
}

TEST(HtmlApp, AnApiBaseElsewhereOrMalformedIsReportedAndReplacedByTheDefault) {
  ctxflow::testing::diagnostics_capture capture;
  const std::vector<std::string> bad = {"https://example.org/api/", "//example.org/api/", "api",
                                        "api/\"</script>/", "", "javascript:alert(1)/"};
  for (const auto& base : bad) {
    ctxflow::viewer::html_app_options options;
    options.api_base = base;
    const std::string page = ctxflow::viewer::render_html_app(options);
    EXPECT_EQ(script_block(page, "ctxflow-config"), R"({"mode":"api","apiBase":"api/"})") << base;
  }
  EXPECT_EQ(capture.count("viewer.html.api_base.invalid"), bad.size());
}

}  // namespace
