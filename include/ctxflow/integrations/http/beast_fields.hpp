// SPDX-License-Identifier: Apache-2.0
// beast_fields_text_map: the text-map getter/setter for Boost.Beast header containers
// (`boost::beast::http::fields`, and so every request and response header), so the propagators
// can inject into and extract from Beast messages directly (R5.3: case-insensitive names, `get`
// returns the first value, `get_all` every value in order, `set` replaces the field).
#pragma once

#include <optional>
#include <string_view>

#include <boost/beast/http/fields.hpp>

#include "ctxflow/integrations/http/legacy_namespace.hpp"
#include "ctxflow/propagation/text_map.hpp"

namespace ctxflow::integrations::http {

/// Getter and setter for `boost::beast::http::basic_fields<Allocator>` (and the headers of Beast
/// messages, which derive from it).
///
/// Example:
/// ```
/// boost::beast::http::request<boost::beast::http::string_body> req;
/// ctxflow::propagation::inject(*ctxflow::propagation::global_propagator(),
///                              ctxflow::context::current(), req, beast_fields_text_map{});
/// ```
/// Thread safety: stateless.
struct beast_fields_text_map {
  template <class Allocator>
  std::optional<std::string_view> get(const boost::beast::http::basic_fields<Allocator>& f,
                                      std::string_view key) const {
    auto it = f.find(boost::beast::string_view(key.data(), key.size()));
    if (it == f.end()) return std::nullopt;
    const auto v = it->value();
    return std::string_view(v.data(), v.size());
  }
  template <class Allocator>
  void get_all(const boost::beast::http::basic_fields<Allocator>& f, std::string_view key,
               propagation::string_visitor each) const {
    auto range = f.equal_range(boost::beast::string_view(key.data(), key.size()));
    for (auto it = range.first; it != range.second; ++it) {
      const auto v = it->value();
      if (!each(std::string_view(v.data(), v.size()))) return;
    }
  }
  template <class Allocator>
  void keys(const boost::beast::http::basic_fields<Allocator>& f,
            propagation::string_visitor each) const {
    for (const auto& field : f) {
      const auto n = field.name_string();
      if (!each(std::string_view(n.data(), n.size()))) return;
    }
  }
  template <class Allocator>
  void set(boost::beast::http::basic_fields<Allocator>& f, std::string_view key,
           std::string_view value) const {
    f.set(boost::beast::string_view(key.data(), key.size()),
          boost::beast::string_view(value.data(), value.size()));
  }
};

}  // namespace ctxflow::integrations::http
