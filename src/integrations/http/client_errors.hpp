// SPDX-License-Identifier: Apache-2.0
// Private to http_client: a send() failure with its low-cardinality `error.type` (R9.5), and how
// transport errors are classified.
#pragma once

#include <string>
#include <string_view>

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

namespace ctxflow::integrations::http::detail {

/// A send() failure with its `error.type` (R9.5). Thrown to the caller as a system_error.
class transport_failure : public boost::system::system_error {
 public:
  transport_failure(boost::system::error_code ec, const std::string& what, std::string_view type)
      : boost::system::system_error(ec, what), type_(type) {}
  std::string_view type() const noexcept { return type_; }

 private:
  std::string_view type_;  // a literal
};

/// A low-cardinality `error.type` for a transport failure (R9.5).
std::string_view error_type_of(const boost::system::error_code& ec) noexcept;

/// A failure of a reused connection that the peer closed while it sat in the pool.
bool is_stale(const boost::system::error_code& ec) noexcept;

}  // namespace ctxflow::integrations::http::detail
