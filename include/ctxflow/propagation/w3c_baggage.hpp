// SPDX-License-Identifier: Apache-2.0
// The W3C Baggage propagator (`baggage` header, R4.1-R4.7): percent-decoding with U+FFFD for
// invalid UTF-8, per-member validation, member/byte limits on extract and inject, and opaque
// metadata. Also the parse/serialise functions it is built on.
// See docs/design/propagation.md, "Baggage".
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "ctxflow/propagation/baggage.hpp"
#include "ctxflow/propagation/propagator.hpp"

namespace ctxflow::propagation {

/// Limits for one `baggage` header (R4.4). Defaults: 180 members, 8192 bytes.
struct baggage_limits {
  std::size_t max_members = 180;
  std::size_t max_bytes = 8192;
};

/// Parses `baggage` header fields (in carrier order, combined as one list, R4.1).
/// Invalid members are dropped and the valid ones kept (R4.5); a repeated name keeps the last
/// value (R4.6); members stop being accepted once a limit would be exceeded (R4.4). Values are
/// percent-decoded, invalid UTF-8 becomes U+FFFD, keys are never decoded (R4.3).
/// Errors: returns the empty baggage when nothing valid remains. Allocates once, at most
/// `limits.max_members` entries and `limits.max_bytes` bytes of text, whatever the input size.
CTXFLOW_API baggage parse_baggage(std::span<const std::string_view> fields,
                                  const baggage_limits& limits = {}) noexcept;

/// Serialises `b` as a `baggage` header value: `name=value[;metadata]` joined with `,`,
/// values percent-encoded minimally (R4.3, space as `%20`). Entries whose name is not a
/// token are skipped and reported (`propagation.baggage.invalid_name`); entries that would
/// exceed a limit are skipped (R4.4). Errors: empty string when nothing remains.
CTXFLOW_API std::string serialize_baggage(const baggage& b, const baggage_limits& limits = {}) noexcept;

/// True for a non-empty RFC 7230 token (the baggage key grammar, R4.2).
CTXFLOW_API bool is_baggage_key(std::string_view key) noexcept;

/// The `baggage` propagator. Fields: `baggage` (R5.4).
///
/// Extract replaces the context's baggage with the parsed one, and leaves the context
/// unchanged when no valid member is found (R4.5, R5.2). Inject writes nothing when the
/// context has no baggage to send (R4.8).
///
/// Thread safety: immutable; safe to use from any thread.
class CTXFLOW_API w3c_baggage_propagator final : public text_map_propagator {
 public:
  static constexpr std::string_view baggage_header = "baggage";

  explicit w3c_baggage_propagator(baggage_limits limits = {}) noexcept : limits_(limits) {}

  CTXFLOW_API void inject(const context& ctx, carrier_setter& setter) const noexcept override;
  CTXFLOW_API context extract(const context& ctx,
                              const carrier_getter& getter) const noexcept override;
  std::span<const std::string_view> fields() const noexcept override { return fields_; }
  std::string_view name() const noexcept override { return "baggage"; }

 private:
  static constexpr std::array<std::string_view, 1> fields_{baggage_header};
  baggage_limits limits_;
};

}  // namespace ctxflow::propagation
