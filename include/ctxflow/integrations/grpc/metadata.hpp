// SPDX-License-Identifier: Apache-2.0
// Text-map carriers over gRPC metadata, for propagation::inject / extract: the client's outgoing
// initial metadata (what a client interceptor or ClientContext::AddMetadata writes) and the
// server's view of the client's metadata (ServerContextBase::client_metadata()).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <grpcpp/support/string_ref.h>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/propagation/text_map.hpp"

namespace ctxflow::integrations::grpc {

/// Setter over `std::multimap<std::string, std::string>` (an interceptor's send metadata):
/// `set` replaces every value of the key. gRPC metadata keys are lowercase, as are the keys the
/// W3C and B3 propagators write.
struct client_metadata_text_map {
  void set(std::multimap<std::string, std::string>& md, std::string_view key,
           std::string_view value) const {
    const std::string k(key);
    md.erase(k);
    md.emplace(k, std::string(value));
  }
};

/// Getter over the client's metadata as a server sees it. Values longer than `max_value` bytes
/// are dropped and reported (`integrations.grpc.metadata.oversized`, warning).
struct server_metadata_text_map {
  using metadata = std::multimap<::grpc::string_ref, ::grpc::string_ref>;
  std::size_t max_value = 8192;

  std::optional<std::string_view> get(const metadata& md, std::string_view key) const {
    auto it = md.find(::grpc::string_ref(key.data(), key.size()));
    if (it == md.end()) return std::nullopt;
    return checked(key, it->second);
  }
  void get_all(const metadata& md, std::string_view key, propagation::string_visitor each) const {
    auto range = md.equal_range(::grpc::string_ref(key.data(), key.size()));
    for (auto it = range.first; it != range.second; ++it)
      if (auto v = checked(key, it->second))
        if (!each(*v)) return;
  }
  void keys(const metadata& md, propagation::string_visitor each) const {
    for (const auto& [k, v] : md)
      if (!each(std::string_view(k.data(), k.size()))) return;
  }

 private:
  std::optional<std::string_view> checked(std::string_view key, ::grpc::string_ref v) const {
    if (v.size() > max_value) {
      reportf(severity::warning, "integrations.grpc.metadata.oversized",
              "gRPC metadata '%.*s' of %zu bytes is over the limit of %zu and is dropped",
              static_cast<int>(key.size()), key.data(), v.size(), max_value);
      return std::nullopt;
    }
    return std::string_view(v.data(), v.size());
  }
};

}  // namespace ctxflow::integrations::grpc
