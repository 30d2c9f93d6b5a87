// SPDX-License-Identifier: Apache-2.0
// Trace selection for `ctxflow view`: filter_traces, parse_duration, is_trace_id_prefix.
#include "ctxflow/viewer/trace_filter.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <map>

#include "base/hex.hpp"
#include "ctxflow/sdk/resource.hpp"

namespace ctxflow::viewer {
namespace {

bool is_hex(char c) noexcept { return internal::hex_digit_value(c) >= 0; }

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

struct trace_summary {
  std::uint64_t start = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t end = 0;
  bool service = false;
  bool name = false;
  bool error = false;
};

}  // namespace

bool is_trace_id_prefix(std::string_view text) noexcept {
  if (text.empty() || text.size() > 32) return false;
  return std::all_of(text.begin(), text.end(), is_hex);
}

bool parse_duration(std::string_view text, std::uint64_t& nanoseconds) noexcept {
  std::size_t i = 0;
  std::uint64_t whole = 0;
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  const std::size_t whole_start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    const auto digit = static_cast<std::uint64_t>(text[i] - '0');
    if (whole > (max - digit) / 10) return false;
    whole = whole * 10 + digit;
    ++i;
  }
  if (i == whole_start) return false;
  std::uint64_t fraction = 0;  // the digits after the point, as nanoseconds-of-a-unit * 10^9
  std::size_t fraction_digits = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (fraction_digits == 9) return false;
      fraction = fraction * 10 + static_cast<std::uint64_t>(text[i] - '0');
      ++fraction_digits;
      ++i;
    }
    if (fraction_digits == 0) return false;
  }
  for (std::size_t d = fraction_digits; d < 9; ++d) fraction *= 10;  // billionths of the unit

  const std::string_view unit = text.substr(i);
  std::uint64_t scale = 0;
  if (unit == "ns") {
    scale = 1;
  } else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") {  // micro sign, mu
    scale = 1'000;
  } else if (unit == "ms") {
    scale = 1'000'000;
  } else if (unit == "s") {
    scale = 1'000'000'000;
  } else {
    return false;
  }
  if (whole > max / scale) return false;
  std::uint64_t value = whole * scale;
  // fraction (billionths of the unit) * scale / 10^9 must be whole nanoseconds.
  __extension__ typedef unsigned __int128 wide;
  const wide part = wide{fraction} * scale;
  if (part % 1'000'000'000 != 0) return false;
  const auto extra = static_cast<std::uint64_t>(part / 1'000'000'000);
  if (value > max - extra) return false;
  value += extra;
  nanoseconds = value;
  return true;
}

std::string service_name(const sdk::span_data& span) {
  if (!span.resource_ptr) return {};
  return std::string(sdk::find_string_attribute(*span.resource_ptr, "service.name").value_or(""));
}

std::vector<sdk::span_data> filter_traces(std::vector<sdk::span_data> spans,
                                          const trace_filter& filter) {
  std::string prefix;
  for (char c : filter.trace_id) prefix += lower(c);

  std::map<std::array<std::uint8_t, 16>, trace_summary> traces;
  for (const sdk::span_data& s : spans) {
    trace_summary& t = traces[s.context.trace.bytes];
    t.start = std::min(t.start, s.start_time_unix_nano);
    t.end = std::max({t.end, s.start_time_unix_nano, s.end_time_unix_nano});
    if (!filter.service.empty() && service_name(s) == filter.service) t.service = true;
    if (!filter.name_contains.empty() && s.name.find(filter.name_contains) != std::string::npos)
      t.name = true;
    if (s.status.code == trace::status_code::error) t.error = true;
  }
  auto keep = [&](const sdk::span_data& s) {
    const trace_summary& t = traces[s.context.trace.bytes];
    if (!prefix.empty()) {
      const auto id = s.context.trace.to_hex();
      if (std::string_view(id.data(), id.size()).substr(0, prefix.size()) != prefix) return false;
    }
    if (!filter.service.empty() && !t.service) return false;
    if (!filter.name_contains.empty() && !t.name) return false;
    if (filter.min_duration_ns != 0 && t.end - t.start < filter.min_duration_ns) return false;
    if (filter.errors_only && !t.error) return false;
    return true;
  };
  std::vector<sdk::span_data> out;
  for (sdk::span_data& s : spans)
    if (keep(s)) out.push_back(std::move(s));
  return out;
}

}  // namespace ctxflow::viewer
