// SPDX-License-Identifier: Apache-2.0
// The public id <-> hex conversions, on the one hex helper (src/base/hex.hpp). Ids take the
// helper's vector paths; other lengths its byte loop.
#include "ctxflow/trace/span_context.hpp"

#include "base/hex.hpp"

namespace ctxflow::trace {

void to_lower_hex(std::span<const std::uint8_t> bytes, char* out) noexcept {
  switch (bytes.size()) {
    case 16: internal::encode_lower_hex16(bytes.data(), out); break;
    case 8: internal::encode_lower_hex8(bytes.data(), out); break;
    default: internal::encode_lower_hex(bytes.data(), bytes.size(), out);
  }
}

bool from_lower_hex(std::string_view hex, std::span<std::uint8_t> out) noexcept {
  if (hex.size() != out.size() * 2) return false;
  switch (out.size()) {
    case 16: {
      const bool first = internal::decode_lower_hex16(hex.data(), out.data());
      const bool second = internal::decode_lower_hex16(hex.data() + 16, out.data() + 8);
      return first && second;
    }
    case 8: return internal::decode_lower_hex16(hex.data(), out.data());
    default: return internal::decode_lower_hex(hex.data(), out.size(), out.data());
  }
}

}  // namespace ctxflow::trace
