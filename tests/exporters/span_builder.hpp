// SPDX-License-Identifier: Apache-2.0
// span_builder: builds sdk::span_data values with fixed ids and times for exporter and
// testing-kit tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::test {

class span_builder {
 public:
  span_builder(std::string name, std::string_view trace_hex, std::string_view span_hex) {
    data_.name = std::move(name);
    data_.context.trace = trace::trace_id::from_hex(trace_hex);
    data_.context.span = trace::span_id::from_hex(span_hex);
    data_.context.flags = trace::trace_flags{trace::trace_flags::sampled_bit};
  }
  span_builder& parent(std::string_view span_hex, bool remote = false) {
    data_.parent_span_id = trace::span_id::from_hex(span_hex);
    data_.parent_is_remote = remote;
    return *this;
  }
  span_builder& kind(trace::span_kind k) {
    data_.kind = k;
    return *this;
  }
  /// Start and end in nanoseconds after a fixed epoch.
  span_builder& times(std::uint64_t start_ns, std::uint64_t end_ns) {
    data_.start_time_unix_nano = epoch + start_ns;
    data_.end_time_unix_nano = epoch + end_ns;
    return *this;
  }
  span_builder& status(trace::status_code code, std::string message = {}) {
    data_.status = {code, std::move(message)};
    return *this;
  }
  span_builder& attr(std::string key, sdk::attribute_value value) {
    data_.attributes.push_back({std::move(key), std::move(value)});
    return *this;
  }
  span_builder& event(std::string name) {
    data_.events.push_back({std::move(name), data_.start_time_unix_nano, {}, 0});
    return *this;
  }
  span_builder& link(std::string_view trace_hex, std::string_view span_hex) {
    sdk::span_link l;
    l.context.trace = trace::trace_id::from_hex(trace_hex);
    l.context.span = trace::span_id::from_hex(span_hex);
    data_.links.push_back(std::move(l));
    return *this;
  }
  sdk::span_data build() const { return data_; }
  operator sdk::span_data() const { return data_; }  // NOLINT(google-explicit-constructor)

  static constexpr std::uint64_t epoch = 1'700'000'000'000'000'000ULL;

 private:
  sdk::span_data data_;
};

inline constexpr std::string_view trace_a = "4bf92f3577b34da6a3ce929d0e0e4736";
inline constexpr std::string_view trace_b = "0af7651916cd43dd8448eb211c80319c";

}  // namespace ctxflow::test
