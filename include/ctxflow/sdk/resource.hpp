// SPDX-License-Identifier: Apache-2.0
// Building the resource (R7.27, R7.28): the SDK defaults (service.name, telemetry.sdk.*),
// OTEL_RESOURCE_ATTRIBUTES with percent-decoding, OTEL_SERVICE_NAME, and merging. The resource
// type itself is in span_data.hpp.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::sdk {

/// `service.name` = `unknown_service:<executable>` (or `unknown_service`),
/// `telemetry.sdk.name` = `ctxflow`, `telemetry.sdk.language` = `cpp`,
/// `telemetry.sdk.version` = the library version (R7.27).
CTXFLOW_API resource default_resource();

/// `base` with every attribute of `update` added; on a key clash `update` wins, even with an
/// empty value (R7.28). The schema url is update's when set, else base's.
CTXFLOW_API resource merge_resources(const resource& base, const resource& update);

/// Parses `k1=v1,k2=v2` with percent-decoded keys and values (R7.28); whitespace around items is
/// trimmed, empty items are skipped. Errors: nullopt when any item has no `=`, an empty key, or
/// a bad `%` escape (the whole value is then discarded).
CTXFLOW_API std::optional<std::vector<attribute>> parse_resource_attributes(std::string_view text);

/// default_resource() merged with `OTEL_RESOURCE_ATTRIBUTES`, then `OTEL_SERVICE_NAME`, which
/// wins (R7.28). Errors: a bad OTEL_RESOURCE_ATTRIBUTES is reported (`sdk.env.invalid`, naming
/// the variable) and ignored.
CTXFLOW_API resource resource_from_environment();

/// The value of a string attribute of `r`, if present.
CTXFLOW_API std::optional<std::string_view> find_string_attribute(const resource& r,
                                                                  std::string_view key) noexcept;

}  // namespace ctxflow::sdk
