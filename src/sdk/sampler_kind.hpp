// SPDX-License-Identifier: Apache-2.0
// Private: which built-in sampler a provider uses, so that span creation can take the decision
// inline. The built-in samplers' decisions depend only on the parent's span context, add no
// attributes and keep the parent's trace state; span creation computes exactly that without the
// virtual calls and without building a sampling_result (tracer_provider.cpp). Any other sampler
// (a user's, traceidratio, always_record, parent_based with other delegates) is called as usual.
#pragma once

#include <cstdint>

namespace ctxflow::sdk {
class sampler;
}

namespace ctxflow::sdk::detail {

enum class builtin_sampler : std::uint8_t {
  other,        // call should_sample
  always_on,    // record_and_sample
  always_off,   // drop
  parent_on,    // parent_based(always_on) with the default delegates: root sampled, a parent's
                // sampled flag followed
};

/// The kind of `s`; `other` for null or anything but the built-ins listed.
builtin_sampler builtin_kind_of(const sampler* s) noexcept;

}  // namespace ctxflow::sdk::detail
