// SPDX-License-Identifier: Apache-2.0
// Samplers (R7.10, R7.11): the interface and the built-ins always_on, always_off,
// traceidratio (56-bit threshold form), parent_based with its four delegates, and
// always_record. Each has a description. See docs/usage/tracing.md.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/span_data.hpp"
#include "ctxflow/trace/attribute.hpp"
#include "ctxflow/trace/span_context.hpp"
#include "ctxflow/trace/span_kind.hpp"
#include "ctxflow/trace/tracer.hpp"

namespace ctxflow::sdk {

/// What happens to a new span (R7.10).
enum class sampling_decision : std::uint8_t {
  /// Not recorded, not sampled: a non-recording span that still has a span id (R7.9).
  drop,
  /// Recorded (processors see it) but not sampled (exporters do not).
  record_only,
  /// Recorded and sampled.
  record_and_sample,
};

/// A sampler's answer.
struct sampling_result {
  sampling_decision decision = sampling_decision::drop;
  /// Attributes added to the span.
  std::vector<attribute> attributes;
  /// The new span's trace state; return the parent's to keep it (empty clears it).
  trace::trace_state trace_state;
};

/// What a sampler sees about the span being created.
struct sampling_parameters {
  /// The parent's span context; invalid for a root span.
  const trace::span_context& parent;
  trace::trace_id trace_id;
  std::string_view name;
  trace::span_kind kind = trace::span_kind::internal;
  std::span<const trace::attribute_kv> attributes;
  std::span<const trace::link_view> links;
};

/// Decides whether a span is recorded and sampled.
///
/// Thread safety: should_sample and description are called concurrently (R7.10).
/// Errors: an exception escaping should_sample is reported (`sdk.sampler.failed`) and the SDK
/// switches that sampler off, using `parentbased_always_on` from then on.
class sampler {
 public:
  virtual ~sampler() = default;
  virtual sampling_result should_sample(const sampling_parameters& params) = 0;
  /// For example `AlwaysOnSampler` or `TraceIdRatioBased{0.500000}`.
  virtual std::string description() const = 0;
};

/// `AlwaysOnSampler`: records and samples every span.
CTXFLOW_API std::shared_ptr<sampler> make_always_on_sampler();
/// `AlwaysOffSampler`: drops every span.
CTXFLOW_API std::shared_ptr<sampler> make_always_off_sampler();
/// `TraceIdRatioBased{RATIO}`: samples when the trace id's lowest 56 bits (bytes 9..15,
/// big-endian) are below ratio·2^56 (R7.11). Deterministic in the trace id; ignores the parent
/// (and reports `sdk.sampler.ratio_with_parent` once when it sees one). `ratio` is clamped to
/// [0, 1]; NaN counts as 0.
CTXFLOW_API std::shared_ptr<sampler> make_trace_id_ratio_sampler(double ratio);

/// The delegates of parent_based (R7.11). Null members take the defaults shown.
struct parent_based_options {
  std::shared_ptr<sampler> remote_parent_sampled;      // default always_on
  std::shared_ptr<sampler> remote_parent_not_sampled;  // default always_off
  std::shared_ptr<sampler> local_parent_sampled;       // default always_on
  std::shared_ptr<sampler> local_parent_not_sampled;   // default always_off
};
/// `ParentBased{root=...,remoteParentSampled=...,...}`: `root` for spans without a valid
/// parent, otherwise the delegate chosen by the parent's is_remote and sampled flag.
CTXFLOW_API std::shared_ptr<sampler> make_parent_based_sampler(std::shared_ptr<sampler> root,
                                                               parent_based_options options = {});
/// `AlwaysRecord{...}`: as `root`, but DROP becomes RECORD_ONLY (R7.11).
CTXFLOW_API std::shared_ptr<sampler> make_always_record_sampler(std::shared_ptr<sampler> root);

/// The sampler `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` describe (R10): one of
/// `always_on`, `always_off`, `traceidratio`, `parentbased_always_on` (the default),
/// `parentbased_always_off`, `parentbased_traceidratio`, case-insensitive.
/// Errors: an unknown name or a bad ratio is reported (`sdk.env.invalid`, naming the variable)
/// and the default is used (ratio 1.0 for a bad argument).
CTXFLOW_API std::shared_ptr<sampler> sampler_from_environment();
/// As sampler_from_environment(), from explicit values (empty means unset).
CTXFLOW_API std::shared_ptr<sampler> sampler_from_values(std::string_view name,
                                                         std::string_view arg);

}  // namespace ctxflow::sdk
