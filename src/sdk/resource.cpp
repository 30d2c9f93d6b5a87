// SPDX-License-Identifier: Apache-2.0
// Resource defaults, OTEL_RESOURCE_ATTRIBUTES decoding and merging (R7.27, R7.28).
#include "ctxflow/sdk/resource.hpp"

#include <unistd.h>

#include <climits>
#include <string>

#include "ctxflow/config.hpp"
#include "internal/env.hpp"
#include "base/hex.hpp"
#include "internal/report.hpp"

namespace ctxflow::sdk {
namespace {

std::string executable_name() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return {};
  std::string_view path(buf, static_cast<std::size_t>(n));
  const std::size_t slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  return std::string(path);
}

// Percent-decodes `in`; false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    std::uint8_t byte = 0;
    if (!internal::decode_hex_byte(in.data() + i + 1, byte)) return false;
    out.push_back(static_cast<char>(byte));
    i += 2;
  }
  return true;
}

void upsert(std::vector<attribute>& attrs, attribute a) {
  for (attribute& existing : attrs) {
    if (existing.key == a.key) {
      existing.value = std::move(a.value);
      return;
    }
  }
  attrs.push_back(std::move(a));
}

}  // namespace

resource default_resource() {
  resource r;
  const std::string exe = executable_name();
  r.attributes.push_back(
      {"service.name", exe.empty() ? std::string("unknown_service") : "unknown_service:" + exe});
  r.attributes.push_back({"telemetry.sdk.language", std::string("cpp")});
  r.attributes.push_back({"telemetry.sdk.name", std::string("ctxflow")});
  r.attributes.push_back({"telemetry.sdk.version", std::string(CTXFLOW_VERSION_STRING)});
  return r;
}

resource merge_resources(const resource& base, const resource& update) {
  resource out = base;
  for (const attribute& a : update.attributes) upsert(out.attributes, a);
  if (!update.schema_url.empty()) out.schema_url = update.schema_url;
  return out;
}

std::optional<std::vector<attribute>> parse_resource_attributes(std::string_view text) {
  std::vector<attribute> out;
  std::string key, value;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = internal::trim_ows(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    if (!percent_decode(internal::trim_ows(item.substr(0, eq)), key) || key.empty()) return std::nullopt;
    if (!percent_decode(internal::trim_ows(item.substr(eq + 1)), value)) return std::nullopt;
    upsert(out, {key, value});
  }
  return out;
}

resource resource_from_environment() {
  resource r = default_resource();
  if (std::optional<std::string> v = internal::env_string("OTEL_RESOURCE_ATTRIBUTES")) {
    if (std::optional<std::vector<attribute>> attrs = parse_resource_attributes(*v)) {
      r = merge_resources(r, resource{std::move(*attrs), {}});
    } else {
      internal::report_invalid_setting(internal::env_invalid_code, "OTEL_RESOURCE_ATTRIBUTES", *v,
                             "expected k=v pairs with percent-encoding; the variable is ignored");
    }
  }
  if (std::optional<std::string> name = internal::env_string("OTEL_SERVICE_NAME"))
    r = merge_resources(r, resource{{{"service.name", *name}}, {}});
  return r;
}

std::optional<std::string_view> find_string_attribute(const resource& r,
                                                      std::string_view key) noexcept {
  for (const attribute& a : r.attributes) {
    if (a.key != key) continue;
    if (const std::string* s = std::get_if<std::string>(&a.value)) return std::string_view(*s);
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace ctxflow::sdk
