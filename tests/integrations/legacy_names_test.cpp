// SPDX-License-Identifier: Apache-2.0
// The namespaces the HTTP and messaging helpers had before they matched their folders
// (ctxflow::http, ctxflow::messaging) still compile for one release and name the same entities;
// using them warns (deprecated), which this file silences.
#include <gtest/gtest.h>

#include <optional>
#include <string_view>
#include <type_traits>

#include "ctxflow/integrations/http/http_client.hpp"
#include "ctxflow/integrations/http/http_server.hpp"
#include "ctxflow/integrations/messaging/in_process_queue.hpp"
#include "ctxflow/integrations/messaging/producer.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

namespace {

static_assert(std::is_same_v<ctxflow::http::request, ctxflow::integrations::http::request>);
static_assert(std::is_same_v<ctxflow::http::http_client, ctxflow::integrations::http::http_client>);
static_assert(std::is_same_v<ctxflow::http::http_server, ctxflow::integrations::http::http_server>);
static_assert(std::is_same_v<ctxflow::messaging::in_process_queue,
                             ctxflow::integrations::messaging::in_process_queue>);
static_assert(std::is_same_v<ctxflow::messaging::producer,
                             ctxflow::integrations::messaging::producer>);

TEST(IntegrationLegacyNames, FunctionsNamedThroughTheOldHttpNamespaceAreTheNewOnes) {
  EXPECT_EQ(&ctxflow::http::default_max_connections,
            &ctxflow::integrations::http::default_max_connections);
  const ctxflow::http::header_list headers = {{"Content-Type", "text/plain"}};
  const std::optional<std::string_view> found = ctxflow::http::find_header(headers, "content-type");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, "text/plain");
}

TEST(IntegrationLegacyNames, AQueueNamedThroughTheOldMessagingNamespaceDeliversMessages) {
  ctxflow::messaging::in_process_queue queue;
  ASSERT_TRUE(queue.append("orders", {}, "one").has_value());
  const auto fetched = queue.fetch("orders", 10, std::chrono::milliseconds(0));
  ASSERT_EQ(fetched.size(), 1u);
  EXPECT_EQ(fetched[0].body, "one");
}

}  // namespace

#pragma GCC diagnostic pop
