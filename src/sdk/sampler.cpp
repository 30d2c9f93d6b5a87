// SPDX-License-Identifier: Apache-2.0
// The built-in samplers (R7.11) and OTEL_TRACES_SAMPLER parsing (R10).
#include "ctxflow/sdk/sampler.hpp"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "ctxflow/context/diagnostics.hpp"
#include "internal/env.hpp"
#include "internal/report.hpp"
#include "sdk/sampler_kind.hpp"

namespace ctxflow::sdk {
namespace {

class always_on final : public sampler {
 public:
  sampling_result should_sample(const sampling_parameters& p) override {
    return {sampling_decision::record_and_sample, {}, p.parent.state};
  }
  std::string description() const override { return "AlwaysOnSampler"; }
};

class always_off final : public sampler {
 public:
  sampling_result should_sample(const sampling_parameters& p) override {
    return {sampling_decision::drop, {}, p.parent.state};
  }
  std::string description() const override { return "AlwaysOffSampler"; }
};

class trace_id_ratio final : public sampler {
 public:
  explicit trace_id_ratio(double ratio) noexcept {
    if (!(ratio > 0.0)) ratio = 0.0;  // also NaN
    if (ratio > 1.0) ratio = 1.0;
    ratio_ = ratio;
    // ratio * 2^56, exact for ratio = 1 (every 56-bit value is below it).
    threshold_ = static_cast<std::uint64_t>(std::ldexp(ratio, 56));
  }
  sampling_result should_sample(const sampling_parameters& p) override {
    if (p.parent.valid() && !warned_.exchange(true, std::memory_order_relaxed)) {
      report(severity::warning, "sdk.sampler.ratio_with_parent",
             "TraceIdRatioBased is used for spans with a parent; wrap it in parent_based");
    }
    std::uint64_t r = 0;  // the lowest 56 bits: bytes 9..15, big-endian (R7.11)
    for (int i = 9; i < 16; ++i) r = (r << 8) | p.trace_id.bytes[static_cast<std::size_t>(i)];
    const bool keep = r < threshold_;
    return {keep ? sampling_decision::record_and_sample : sampling_decision::drop, {},
            p.parent.state};
  }
  std::string description() const override {
    char buf[64];
    std::snprintf(buf, sizeof buf, "TraceIdRatioBased{%.6f}", ratio_);
    return buf;
  }

 private:
  double ratio_ = 0;
  std::uint64_t threshold_ = 0;
  std::atomic<bool> warned_{false};  // false until the first report about a parent
};

class parent_based final : public sampler {
 public:
  parent_based(std::shared_ptr<sampler> root, parent_based_options o)
      : root_(root ? std::move(root) : make_always_on_sampler()),
        remote_sampled_(o.remote_parent_sampled ? std::move(o.remote_parent_sampled)
                                                : make_always_on_sampler()),
        remote_not_sampled_(o.remote_parent_not_sampled ? std::move(o.remote_parent_not_sampled)
                                                        : make_always_off_sampler()),
        local_sampled_(o.local_parent_sampled ? std::move(o.local_parent_sampled)
                                              : make_always_on_sampler()),
        local_not_sampled_(o.local_parent_not_sampled ? std::move(o.local_parent_not_sampled)
                                                      : make_always_off_sampler()) {}

  sampling_result should_sample(const sampling_parameters& p) override {
    const trace::span_context& parent = p.parent;
    if (!parent.valid()) return root_->should_sample(p);
    if (parent.remote)
      return parent.sampled() ? remote_sampled_->should_sample(p)
                              : remote_not_sampled_->should_sample(p);
    return parent.sampled() ? local_sampled_->should_sample(p)
                            : local_not_sampled_->should_sample(p);
  }
  // True with always_on at the root and the four default delegates.
  bool default_always_on() const noexcept {
    auto is = [](const std::shared_ptr<sampler>& p, detail::builtin_sampler k) {
      return detail::builtin_kind_of(p.get()) == k;
    };
    using detail::builtin_sampler;
    return is(root_, builtin_sampler::always_on) &&
           is(remote_sampled_, builtin_sampler::always_on) &&
           is(remote_not_sampled_, builtin_sampler::always_off) &&
           is(local_sampled_, builtin_sampler::always_on) &&
           is(local_not_sampled_, builtin_sampler::always_off);
  }
  std::string description() const override {
    return "ParentBased{root=" + root_->description() +
           ",remoteParentSampled=" + remote_sampled_->description() +
           ",remoteParentNotSampled=" + remote_not_sampled_->description() +
           ",localParentSampled=" + local_sampled_->description() +
           ",localParentNotSampled=" + local_not_sampled_->description() + "}";
  }

 private:
  std::shared_ptr<sampler> root_, remote_sampled_, remote_not_sampled_, local_sampled_,
      local_not_sampled_;
};

class always_record final : public sampler {
 public:
  explicit always_record(std::shared_ptr<sampler> root)
      : root_(root ? std::move(root) : make_always_on_sampler()) {}
  sampling_result should_sample(const sampling_parameters& p) override {
    sampling_result r = root_->should_sample(p);
    if (r.decision == sampling_decision::drop) r.decision = sampling_decision::record_only;
    return r;
  }
  std::string description() const override {
    return "AlwaysRecord{" + root_->description() + "}";
  }

 private:
  std::shared_ptr<sampler> root_;
};

// The ratio in OTEL_TRACES_SAMPLER_ARG: a number in [0, 1]; 1.0 when unset or invalid.
double parse_ratio(std::string_view arg) {
  const std::string text(internal::trim_ows(arg));
  if (text.empty()) return 1.0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !(v >= 0.0 && v <= 1.0)) {
    internal::report_invalid_setting(internal::env_invalid_code, "OTEL_TRACES_SAMPLER_ARG", arg, "expected a probability in [0, 1]");
    return 1.0;
  }
  return v;
}

}  // namespace

namespace detail {

builtin_sampler builtin_kind_of(const sampler* s) noexcept {
  if (s == nullptr) return builtin_sampler::other;
  if (dynamic_cast<const always_on*>(s) != nullptr) return builtin_sampler::always_on;
  if (dynamic_cast<const always_off*>(s) != nullptr) return builtin_sampler::always_off;
  if (const auto* p = dynamic_cast<const parent_based*>(s); p != nullptr && p->default_always_on())
    return builtin_sampler::parent_on;
  return builtin_sampler::other;
}

}  // namespace detail

std::shared_ptr<sampler> make_always_on_sampler() { return std::make_shared<always_on>(); }
std::shared_ptr<sampler> make_always_off_sampler() { return std::make_shared<always_off>(); }
std::shared_ptr<sampler> make_trace_id_ratio_sampler(double ratio) {
  return std::make_shared<trace_id_ratio>(ratio);
}
std::shared_ptr<sampler> make_parent_based_sampler(std::shared_ptr<sampler> root,
                                                   parent_based_options options) {
  return std::make_shared<parent_based>(std::move(root), std::move(options));
}
std::shared_ptr<sampler> make_always_record_sampler(std::shared_ptr<sampler> root) {
  return std::make_shared<always_record>(std::move(root));
}

std::shared_ptr<sampler> sampler_from_values(std::string_view name, std::string_view arg) {
  const std::string n = internal::to_lower(internal::trim_ows(name));
  if (n.empty() || n == "parentbased_always_on")
    return make_parent_based_sampler(make_always_on_sampler());
  if (n == "always_on") return make_always_on_sampler();
  if (n == "always_off") return make_always_off_sampler();
  if (n == "traceidratio") return make_trace_id_ratio_sampler(parse_ratio(arg));
  if (n == "parentbased_always_off") return make_parent_based_sampler(make_always_off_sampler());
  if (n == "parentbased_traceidratio")
    return make_parent_based_sampler(make_trace_id_ratio_sampler(parse_ratio(arg)));
  internal::report_invalid_setting(internal::env_invalid_code, "OTEL_TRACES_SAMPLER", name,
                         "unknown or unsupported sampler; using parentbased_always_on");
  return make_parent_based_sampler(make_always_on_sampler());
}

std::shared_ptr<sampler> sampler_from_environment() {
  const std::optional<std::string> name = internal::env_string("OTEL_TRACES_SAMPLER");
  if (!name) return make_parent_based_sampler(make_always_on_sampler());
  const std::optional<std::string> arg = internal::env_string("OTEL_TRACES_SAMPLER_ARG");
  return sampler_from_values(*name, arg ? std::string_view(*arg) : std::string_view());
}

}  // namespace ctxflow::sdk
