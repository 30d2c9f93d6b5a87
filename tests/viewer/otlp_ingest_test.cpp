// SPDX-License-Identifier: Apache-2.0
// ingest(): protobuf and JSON bodies, gzip, the bounds (413 without a large allocation), the
// unsupported types (415), undecodable bodies (400 with a google.rpc.Status in the request's
// format) and partial success for spans with invalid ids.
#include "ctxflow/viewer/otlp_ingest.hpp"

#include <gtest/gtest.h>

#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "ctxflow/exporters/otlp/proto_encoder.hpp"
#include "ctxflow/exporters/otlp/response.hpp"
#include "viewer/serve_test_support.hpp"

namespace ctxflow::viewer {
namespace {

using testing::rich_span;
using testing::service_resource;

std::vector<sdk::span_data> sample_spans() {
  const auto res = service_resource("shop");
  return {rich_span(1, 11, 0, "GET /orders", res, 1'000, 9'000),
          rich_span(1, 12, 11, "SELECT", service_resource("db"), 2'000, 3'000, true)};
}

std::string encode(const std::vector<sdk::span_data>& spans, bool json) {
  std::vector<const sdk::span_data*> ptrs;
  for (const auto& s : spans) ptrs.push_back(&s);
  std::string out;
  if (json)
    exporters::otlp::encode_json(ptrs, out);
  else
    exporters::otlp::encode_protobuf(ptrs, out);
  return out;
}

TEST(Ingest, AProtobufBodyGivesItsSpansAndAnEmptyProtobufResponse) {
  const auto spans = sample_spans();
  const auto r = ingest("application/x-protobuf", "", encode(spans, false));
  EXPECT_EQ(r.status, 200) << r.message;
  EXPECT_EQ(r.content_type, "application/x-protobuf");
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.rejected, 0u);
  EXPECT_EQ(testing::differences(spans, r.spans), "");
}

TEST(Ingest, AJsonBodyWithACharsetParameterGivesItsSpansAndAnEmptyJsonObject) {
  const auto spans = sample_spans();
  const auto r = ingest("Application/JSON; charset=utf-8", "identity", encode(spans, true));
  EXPECT_EQ(r.status, 200) << r.message;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(testing::differences(spans, r.spans), "");
}

TEST(Ingest, GzipBodiesAreInflatedInBothFormats) {
  const auto spans = sample_spans();
  for (bool json : {false, true}) {
    const auto r = ingest(json ? "application/json" : "application/x-protobuf", "gzip",
                          testing::gzip(encode(spans, json)));
    EXPECT_EQ(r.status, 200) << r.message;
    EXPECT_EQ(testing::differences(spans, r.spans), "") << (json ? "json" : "protobuf");
  }
}

TEST(Ingest, TwoConcatenatedGzipMembersAreOneBody) {
  const std::string body = encode(sample_spans(), false);
  const std::size_t half = body.size() / 2;
  const auto r = ingest("application/x-protobuf", "gzip",
                        testing::gzip(body.substr(0, half)) + testing::gzip(body.substr(half)));
  EXPECT_EQ(r.status, 200) << r.message;
  EXPECT_EQ(r.spans.size(), 2u);
}

TEST(Ingest, ABodyThatIsNotGzipIs400WithAStatusInTheRequestsFormat) {
  const std::string body = encode(sample_spans(), false);
  const auto r = ingest("application/x-protobuf", "gzip", body);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/x-protobuf");
  const auto status = exporters::otlp::parse_rpc_status_protobuf(r.body);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 3);
  EXPECT_NE(status->message.find("gzip"), std::string::npos) << status->message;
  EXPECT_TRUE(r.spans.empty());
}

TEST(Ingest, ATruncatedGzipBodyIs400) {
  const std::string z = testing::gzip(encode(sample_spans(), true));
  const auto r = ingest("application/json", "gzip", z.substr(0, z.size() - 12));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json");
  const auto status = exporters::otlp::parse_rpc_status_json(r.body);
  ASSERT_TRUE(status);
  EXPECT_NE(status->message.find("truncated"), std::string::npos) << status->message;
}

TEST(Ingest, AGzipBombIs413AndInflatingStopsAtTheBound) {
  const std::string zeros(64 * 1024 * 1024, '\0');
  const std::string bomb = testing::gzip(zeros);
  ASSERT_LT(bomb.size(), 512u * 1024);
  ingest_limits limits;
  limits.max_body_bytes = 1024 * 1024;
  const auto r = ingest("application/x-protobuf", "gzip", bomb, limits);
  EXPECT_EQ(r.status, 413);
  const auto status = exporters::otlp::parse_rpc_status_protobuf(r.body);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->code, 8);
  EXPECT_NE(status->message.find("1048576"), std::string::npos) << status->message;
}

TEST(Ingest, ABodyOverTheBoundIs413EvenWithoutGzip) {
  const std::string body = encode(sample_spans(), true);
  ingest_limits limits;
  limits.max_body_bytes = body.size() - 1;
  EXPECT_EQ(ingest("application/json", "", body, limits).status, 413);
  limits.max_body_bytes = body.size();
  EXPECT_EQ(ingest("application/json", "", body, limits).status, 200);
}

TEST(Ingest, OtherContentTypesAndEncodingsAre415) {
  const std::string body = encode(sample_spans(), true);
  for (const char* type : {"text/plain", "", "application/jsonx", "multipart/form-data"}) {
    const auto r = ingest(type, "", body);
    EXPECT_EQ(r.status, 415) << type;
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_TRUE(exporters::otlp::parse_rpc_status_json(r.body)) << r.body;
  }
  EXPECT_EQ(ingest("application/json", "br", body).status, 415);
  EXPECT_EQ(ingest("application/json", "deflate", body).status, 415);
}

TEST(Ingest, AnUndecodableBodyIs400WithAStatusMessage) {
  const auto p = ingest("application/x-protobuf", "", std::string("\x0a\xff\xff\xff\x0f garbage", 14));
  EXPECT_EQ(p.status, 400);
  const auto ps = exporters::otlp::parse_rpc_status_protobuf(p.body);
  ASSERT_TRUE(ps);
  EXPECT_EQ(ps->code, 3);
  EXPECT_NE(ps->message.find("protobuf"), std::string::npos) << ps->message;

  const auto j = ingest("application/json", "", "{\"resourceSpans\": [ {");
  EXPECT_EQ(j.status, 400);
  EXPECT_EQ(j.content_type, "application/json");
  const auto js = exporters::otlp::parse_rpc_status_json(j.body);
  ASSERT_TRUE(js);
  EXPECT_EQ(js->code, 3);
  EXPECT_NE(js->message.find("JSON"), std::string::npos) << js->message;
}

TEST(Ingest, SpansWithInvalidIdsAreRejectedAsAPartialSuccess) {
  auto spans = sample_spans();
  spans[1].context.span = {};
  for (bool json : {false, true}) {
    const auto r = ingest(json ? "application/json" : "application/x-protobuf", "", encode(spans, json));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.rejected, 1u);
    ASSERT_EQ(r.spans.size(), 1u);
    EXPECT_EQ(r.spans[0].name, "GET /orders");
    const auto resp = json ? exporters::otlp::parse_export_response_json(r.body)
                           : exporters::otlp::parse_export_response_protobuf(r.body);
    ASSERT_TRUE(resp) << r.body;
    EXPECT_TRUE(resp->has_partial_success);
    EXPECT_EQ(resp->rejected_spans, 1);
    EXPECT_NE(resp->error_message.find("invalid"), std::string::npos);
  }
}

TEST(Ingest, MutatedBodiesAreAnsweredWithinTheBoundsAndNeverCrash) {
  // Deterministic mutations of valid bodies (protobuf, JSON, and both gzipped): flipped and
  // cut bytes. Every answer is 200 or 400 (413 for what inflates past the bound), with spans
  // only on 200, and within bounded memory (the limit is small).
  const auto spans = sample_spans();
  const std::string bodies[] = {encode(spans, false), encode(spans, true),
                                testing::gzip(encode(spans, false)), testing::gzip(encode(spans, true))};
  ingest_limits limits;
  limits.max_body_bytes = 64 * 1024;
  std::uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1664525u + 1013904223u; };
  int answered = 0;
  for (int round = 0; round < 2000; ++round) {
    const std::size_t which = round % 4;
    std::string body = bodies[which];
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      const std::size_t at = next() % body.size();
      if (next() % 5 == 0)
        body.resize(at);
      else
        body[at] = static_cast<char>(next());
    }
    const bool json = which % 2 == 1;
    const auto r = ingest(json ? "application/json" : "application/x-protobuf", which >= 2 ? "gzip" : "",
                          body, limits);
    ASSERT_TRUE(r.status == 200 || r.status == 400 || r.status == 413) << r.status << " round " << round;
    if (r.status != 200) {
      EXPECT_TRUE(r.spans.empty());
    }
    ASSERT_FALSE(r.body.empty() && r.status != 200);
    ++answered;
  }
  EXPECT_EQ(answered, 2000);
}

TEST(Ingest, AnEmptyProtobufRequestIsAnEmptySuccess) {
  const auto r = ingest("application/x-protobuf", "", "");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.spans.empty());
  EXPECT_EQ(r.body, "");
}

}  // namespace
}  // namespace ctxflow::viewer
