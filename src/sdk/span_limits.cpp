// SPDX-License-Identifier: Apache-2.0
// span_limits from the OTEL_*_LIMIT variables (R7.13, R7.14, R10).
#include "ctxflow/sdk/span_limits.hpp"

#include "internal/env.hpp"
#include "internal/report.hpp"

namespace ctxflow::sdk {

span_limits span_limits::from_environment() {
  span_limits l;
  // The span-specific variable wins over the general one (R7.14).
  auto pick = [](const char* specific, const char* general) {
    std::optional<std::uint32_t> v = internal::env_uint(specific);
    return v ? v : internal::env_uint(general);
  };
  if (auto v = pick("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"))
    l.attribute_count = *v;
  if (auto v = pick("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"))
    l.attribute_value_length = *v;
  if (auto v = internal::env_uint("OTEL_SPAN_EVENT_COUNT_LIMIT")) l.event_count = *v;
  if (auto v = internal::env_uint("OTEL_SPAN_LINK_COUNT_LIMIT")) l.link_count = *v;
  if (auto v = internal::env_uint("OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT")) l.attributes_per_event = *v;
  if (auto v = internal::env_uint("OTEL_LINK_ATTRIBUTE_COUNT_LIMIT")) l.attributes_per_link = *v;
  return l;
}

}  // namespace ctxflow::sdk
