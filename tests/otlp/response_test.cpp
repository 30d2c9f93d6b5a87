// SPDX-License-Identifier: Apache-2.0
// The OTLP/HTTP response decoders (R8.10, R8.11): partial_success and google.rpc.Status in
// protobuf (produced here by libprotobuf) and JSON, and rejection of malformed input.
#include "ctxflow/exporters/otlp/response.hpp"

#include <gtest/gtest.h>

#include <string>

#include "otlp_trace_service.pb.h"

namespace ctxflow::exporters::otlp {
namespace {

namespace pbs = opentelemetry::proto::collector::trace::v1;

TEST(ExportResponseProtobuf, AnEmptyBodyIsFullSuccess) {
  const auto r = parse_export_response_protobuf("");
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->has_partial_success);
}

// R8.10: rejected_spans and error_message are read from partial_success.
TEST(ExportResponseProtobuf, PartialSuccessFieldsAreRead) {
  pbs::ExportTraceServiceResponse resp;
  resp.mutable_partial_success()->set_rejected_spans(17);
  resp.mutable_partial_success()->set_error_message("quota exceeded");
  const auto r = parse_export_response_protobuf(resp.SerializeAsString());
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->has_partial_success);
  EXPECT_EQ(r->rejected_spans, 17);
  EXPECT_EQ(r->error_message, "quota exceeded");
}

TEST(ExportResponseProtobuf, AnEmptyPartialSuccessIsPresentWithZeroRejected) {
  pbs::ExportTraceServiceResponse resp;
  resp.mutable_partial_success();
  const auto r = parse_export_response_protobuf(resp.SerializeAsString());
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->has_partial_success);
  EXPECT_EQ(r->rejected_spans, 0);
}

TEST(ExportResponseProtobuf, UnknownFieldsOfEveryWireTypeAreSkipped) {
  pbs::ExportTraceServiceResponse resp;
  resp.mutable_partial_success()->set_rejected_spans(3);
  std::string body = resp.SerializeAsString();
  // field 9 varint, field 10 fixed64, field 11 bytes, field 12 fixed32
  body += std::string("\x48\x05\x51\x01\x02\x03\x04\x05\x06\x07\x08\x5A\x02hi\x65\x01\x02\x03\x04",
                      20);
  const auto r = parse_export_response_protobuf(body);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->rejected_spans, 3);
}

TEST(ExportResponseProtobuf, TruncatedOrInvalidInputIsRejected) {
  pbs::ExportTraceServiceResponse resp;
  resp.mutable_partial_success()->set_error_message("abcdef");
  const std::string body = resp.SerializeAsString();
  for (std::size_t n = 1; n < body.size(); ++n)
    EXPECT_FALSE(parse_export_response_protobuf(body.substr(0, n)).has_value()) << n;
  EXPECT_FALSE(parse_export_response_protobuf(std::string("\x0B", 1)).has_value());  // group
  EXPECT_FALSE(parse_export_response_protobuf(std::string(11, '\xFF')).has_value());
  EXPECT_FALSE(parse_export_response_protobuf(std::string("\x0A\xFF\xFF\xFF\xFF\x0F", 6))
                   .has_value());  // length beyond the end
}

TEST(ExportResponseProtobuf, LongMessagesAreTruncatedTo4096Bytes) {
  pbs::ExportTraceServiceResponse resp;
  resp.mutable_partial_success()->set_error_message(std::string(10000, 'm'));
  const auto r = parse_export_response_protobuf(resp.SerializeAsString());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->error_message.size(), 4096u);
}

TEST(RpcStatusProtobuf, CodeAndMessageAreRead) {
  pbs::RpcStatus st;
  st.set_code(3);
  st.set_message("invalid argument");
  const auto r = parse_rpc_status_protobuf(st.SerializeAsString());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->code, 3);
  EXPECT_EQ(r->message, "invalid argument");
}

// R8.4: rejectedSpans may be a string or a number; unknown fields are ignored.
TEST(ExportResponseJson, PartialSuccessAcceptsStringOrNumberCounts) {
  auto a = parse_export_response_json(
      R"({"partialSuccess":{"rejectedSpans":"12","errorMessage":"too \"big\" \u00e9"}})");
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->has_partial_success);
  EXPECT_EQ(a->rejected_spans, 12);
  EXPECT_EQ(a->error_message, "too \"big\" \xC3\xA9");
  auto b = parse_export_response_json(
      R"( {"extra":[1,{"x":null},true,false,-1.5e3],"partialSuccess":{"rejectedSpans":5}} )");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->rejected_spans, 5);
}

TEST(ExportResponseJson, EmptyBodyAndEmptyObjectAreFullSuccess) {
  ASSERT_TRUE(parse_export_response_json("").has_value());
  const auto r = parse_export_response_json("{}");
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->has_partial_success);
}

TEST(ExportResponseJson, MalformedOrTooDeepJsonIsRejected) {
  for (const char* bad : {"{", "{\"partialSuccess\":}", "[1,2]x", "{\"a\":tru}",
                          "{\"partialSuccess\":{\"rejectedSpans\":\"x\"}}", "{\"a\":\"\\q\"}",
                          "{\"a\":01x}", "{\"a\":\"\\ud800\"}"}) {
    EXPECT_FALSE(parse_export_response_json(bad).has_value()) << bad;
  }
  std::string deep(10000, '[');
  EXPECT_FALSE(parse_export_response_json("{\"a\":" + deep).has_value());
}

TEST(RpcStatusJson, CodeAndMessageAreRead) {
  const auto r = parse_rpc_status_json(R"({"code":3,"message":"bad data","details":[]})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->code, 3);
  EXPECT_EQ(r->message, "bad data");
}

}  // namespace
}  // namespace ctxflow::exporters::otlp
