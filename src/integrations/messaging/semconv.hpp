// SPDX-License-Identifier: Apache-2.0
// Private helpers of the messaging integration: the semantic-convention attribute names
// (R9.10; kept in one place because the messaging conventions are still changing) and the
// error kind of an exception.
#pragma once

#include <exception>
#include <string>
#include <string_view>

namespace ctxflow::integrations::messaging::detail {

namespace attr {
inline constexpr std::string_view system = "messaging.system";
inline constexpr std::string_view destination = "messaging.destination.name";
inline constexpr std::string_view operation_type = "messaging.operation.type";
inline constexpr std::string_view operation_name = "messaging.operation.name";
inline constexpr std::string_view message_id = "messaging.message.id";
inline constexpr std::string_view batch_count = "messaging.batch.message_count";
inline constexpr std::string_view server_address = "server.address";
inline constexpr std::string_view server_port = "server.port";
inline constexpr std::string_view error_type = "error.type";
}  // namespace attr

/// The demangled dynamic type of the exception in `e`, for `error.type`; `exception` when it
/// cannot be told.
std::string exception_kind(const std::exception_ptr& e);

}  // namespace ctxflow::integrations::messaging::detail
