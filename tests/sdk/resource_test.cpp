// SPDX-License-Identifier: Apache-2.0
// Resource defaults, OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME (R7.27, R7.28).
#include "ctxflow/sdk/resource.hpp"

#include <gtest/gtest.h>

#include "ctxflow/config.hpp"
#include "ctxflow/testing/diagnostics_capture.hpp"
#include "sdk/test_exporter.hpp"

namespace ctxflow::sdk {
namespace {

TEST(Resource, DefaultsNameTheSdkAndAnUnknownServiceWithTheExecutable) {  // R7.27
  const resource r = default_resource();
  EXPECT_EQ(find_string_attribute(r, "telemetry.sdk.name"), "ctxflow");
  EXPECT_EQ(find_string_attribute(r, "telemetry.sdk.language"), "cpp");
  EXPECT_EQ(find_string_attribute(r, "telemetry.sdk.version"), CTXFLOW_VERSION_STRING);
  EXPECT_EQ(find_string_attribute(r, "service.name"), "unknown_service:sdk_tests");
}

TEST(Resource, AttributesArePercentDecodedAndTrimmed) {  // R7.28
  auto attrs = parse_resource_attributes(" deployment.environment=prod , note=a%2Cb%3Dc%20d,,k%21=v");
  ASSERT_TRUE(attrs);
  ASSERT_EQ(attrs->size(), 3u);
  EXPECT_EQ((*attrs)[0].key, "deployment.environment");
  EXPECT_EQ(std::get<std::string>((*attrs)[1].value), "a,b=c d");
  EXPECT_EQ((*attrs)[2].key, "k!");
}

TEST(Resource, AnyDecodingFailureDiscardsTheWholeValue) {  // R7.28
  EXPECT_FALSE(parse_resource_attributes("a=1,b=%zz"));
  EXPECT_FALSE(parse_resource_attributes("a=1,novalue"));
  EXPECT_FALSE(parse_resource_attributes("a=%4"));
  EXPECT_FALSE(parse_resource_attributes("=v"));
}

TEST(Resource, MergeLetsTheUpdateWinEvenWithAnEmptyValue) {  // R7.28
  resource base{{{"a", std::string("1")}, {"b", std::string("2")}}, {}};
  resource update{{{"b", std::string("")}, {"c", std::string("3")}}, {}};
  const resource m = merge_resources(base, update);
  EXPECT_EQ(find_string_attribute(m, "a"), "1");
  EXPECT_EQ(find_string_attribute(m, "b"), "");
  EXPECT_EQ(find_string_attribute(m, "c"), "3");
}

TEST(Resource, ServiceNameVariableWinsOverResourceAttributes) {  // R7.28
  test::env_guard a("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs,team=core");
  test::env_guard b("OTEL_SERVICE_NAME", "from-name");
  const resource r = resource_from_environment();
  EXPECT_EQ(find_string_attribute(r, "service.name"), "from-name");
  EXPECT_EQ(find_string_attribute(r, "team"), "core");
  EXPECT_EQ(find_string_attribute(r, "telemetry.sdk.name"), "ctxflow");
}

TEST(Resource, ABadResourceVariableIsReportedByNameAndIgnored) {  // R7.28
  test::env_guard a("OTEL_RESOURCE_ATTRIBUTES", "team=core,broken");
  test::env_guard b("OTEL_SERVICE_NAME", nullptr);
  testing::diagnostics_capture cap;
  const resource r = resource_from_environment();
  EXPECT_FALSE(find_string_attribute(r, "team"));
  ASSERT_EQ(cap.count("sdk.env.invalid"), 1u);
  EXPECT_NE(cap.records()[0].message.find("OTEL_RESOURCE_ATTRIBUTES"), std::string::npos);
}

}  // namespace
}  // namespace ctxflow::sdk
