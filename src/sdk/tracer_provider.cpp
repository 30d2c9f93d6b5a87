// SPDX-License-Identifier: Apache-2.0
// The SDK tracer provider and tracer: span creation in the order of R7.9 (trace id, sampler,
// span id, build), sampled/random flags (R2.14, R7.10), processor calls (R7.16, R7.17),
// shutdown and flush (R7.23).
#include "ctxflow/sdk/tracer_provider.hpp"

#include <memory>
#include <new>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/sdk/resource.hpp"
#include "base/per_thread.hpp"
#include "sdk/attribute_convert.hpp"
#include "sdk/fast_clock.hpp"
#include "sdk/provider_state.hpp"
#include "sdk/random_ids.hpp"
#include "sdk/sampler_kind.hpp"
#include "sdk/span_pool.hpp"

namespace ctxflow::sdk {
namespace detail {
namespace {

std::atomic<std::uint64_t> next_state_uid{1};

// One cached lease per thread, for the provider it was last used with. A per-thread slot
// (base/per_thread.hpp) must be trivially destructible, so the shared_ptr lives in raw
// storage, constructed on first use and destroyed at thread exit.
struct lease_cache {
  using lease_ptr = std::shared_ptr<const void>;
  std::uint64_t uid;
  bool holds;  // `storage` holds a lease_ptr
  alignas(lease_ptr) unsigned char storage[sizeof(lease_ptr)];

  lease_ptr& lease() noexcept { return *std::launder(reinterpret_cast<lease_ptr*>(storage)); }
};

void drop_lease(lease_cache& c) noexcept {
  if (!c.holds) return;
  c.holds = false;
  c.uid = 0;
  std::destroy_at(&c.lease());
}
using thread_lease = internal::per_thread<lease_cache, &drop_lease>;

const trace::span_context& invalid_span_context() noexcept {
  static const trace::span_context sc{};
  return sc;
}

}  // namespace

provider_state::provider_state() noexcept
    : uid(next_state_uid.fetch_add(1, std::memory_order_relaxed)) {}

tracer_core::tracer_core(provider_state* st, std::shared_ptr<const instrumentation_scope> sc) noexcept
    : state(st), scope(std::move(sc)) {}

bool tracer_core::enabled() const noexcept {
  return !state->shut_down.load(std::memory_order_relaxed) && state->processors.size() != 0;
}

const std::shared_ptr<const void>& tracer_core::lease() const noexcept {
  lease_cache& c = thread_lease::slot();
  if (c.holds && c.uid == state->uid && c.lease()) return c.lease();
  static const std::shared_ptr<const void> none;
  if (!thread_lease::arm()) return none;  // the thread is exiting: no lease to keep
  std::shared_ptr<provider_state> owner = state->weak_from_this().lock();
  if (!owner) return none;
  CTXFLOW_TRY {
    std::shared_ptr<const void> l(static_cast<const void*>(state),
                                  [keep = std::move(owner)](const void*) noexcept {});
    if (!c.holds) {
      new (static_cast<void*>(c.storage)) lease_cache::lease_ptr();
      c.holds = true;
    }
    c.lease() = std::move(l);
    c.uid = state->uid;
    return c.lease();
  } CTXFLOW_CATCH_ALL {
    return none;
  }
}

trace::span tracer_core::start_span(std::string_view name,
                                    const trace::start_options& options) noexcept {
  provider_state& st = *state;
  if (st.shut_down.load(std::memory_order_relaxed))
    return tracer_object::start_span(name, options);  // no-op after shutdown (R7.23)

  const trace::span_ref parent = trace::parent_span_of(options);
  const trace::span_context& pctx = parent ? parent.get()->context() : invalid_span_context();
  const bool has_parent = parent && pctx.valid();

  // R7.9 step 1: the trace id from a valid parent, else a new one.
  trace::trace_id tid;
  if (has_parent) {
    tid = pctx.trace;
  } else {
    tid = st.ids ? st.ids->new_trace_id() : next_trace_id();
  }

  // Step 2: the sampler. The built-in samplers' decisions are taken here without a call
  // (sampler_kind.hpp); they keep the parent's trace state and add no attributes. A throwing
  // sampler is reported and replaced by the default, parent_based(always_on).
  sampling_result result;
  const builtin_sampler kind =
      st.sampler_off.load(std::memory_order_relaxed) ? builtin_sampler::parent_on : st.sampler_kind;
  switch (kind) {
    case builtin_sampler::always_on:
      result.decision = sampling_decision::record_and_sample;
      break;
    case builtin_sampler::always_off:
      result.decision = sampling_decision::drop;
      break;
    case builtin_sampler::parent_on:
      result.decision = !has_parent || pctx.sampled() ? sampling_decision::record_and_sample
                                                      : sampling_decision::drop;
      break;
    case builtin_sampler::other: {
      const sampling_parameters params{pctx,         tid,           name,
                                       options.kind, options.attributes, options.links};
      CTXFLOW_TRY {
        result = st.sampler_ptr->should_sample(params);
      } CTXFLOW_CATCH_ALL {
        if (!st.sampler_off.exchange(true))
          report(severity::error, "sdk.sampler.failed",
                 "the sampler threw; it is switched off and parentbased_always_on is used");
        result = st.fallback_sampler->should_sample(params);
      }
      break;
    }
  }

  // Step 3: the span id, whatever the decision (R2.16).
  const trace::span_id sid = st.ids ? st.ids->new_span_id() : next_span_id();

  // Flags: children copy the random flag from the parent; roots set it when ids are random
  // (R2.14). Sampled follows the decision; never sampled without recording (R7.10).
  trace::trace_flags flags;
  flags = flags.with_random(has_parent ? pctx.flags.random() : st.ids_random);
  flags = flags.with_sampled(result.decision == sampling_decision::record_and_sample);
  const trace::span_context sc{tid, sid, flags, false,
                               kind == builtin_sampler::other ? std::move(result.trace_state)
                                                              : pctx.state};

  if (result.decision == sampling_decision::drop) return trace::make_non_recording_span(sc);

  // A retired span from this thread's pool when there is one (span_pool.hpp).
  recording_span* s = span_pool::make(sc, this);
  if (s == nullptr) return trace::span();  // out of memory: a no-op span (R1.12)
  trace::span handle = trace::span::adopt(s);
  span_data& d = *s->data_;
  // A span reused for the same tracer keeps its references (no count traffic). The data owns
  // only the scope and the resource, so an exporter that keeps copies of the data does not keep
  // the provider (which owns that exporter) alive; the block keeps the provider alive
  // (span_pool::provider_ref), from this thread's lease. A scope belongs to one tracer of one
  // provider and the data owns it, so the same scope means the same provider: the provider
  // reference needs no check of its own on the common path.
  if (d.scope_ptr.get() != scope.get() || d.resource_ptr.get() != st.resource_ptr.get()) {
    std::shared_ptr<const void>& keep = span_pool::provider_ref(s);
    if (keep.get() != static_cast<const void*>(&st)) {
      const std::shared_ptr<const void>& l = lease();
      if (l)
        keep = l;
      else
        keep = st.weak_from_this().lock();  // the thread is exiting: a reference of its own
    }
    d.scope_ptr = scope;
    d.resource_ptr = st.resource_ptr;
  }
  if (has_parent) {
    d.parent_span_id = pctx.span;
    d.parent_is_remote = pctx.remote;
  }
  d.kind = options.kind;
  d.start_time_unix_nano = options.start_time.time_since_epoch().count() == 0
                               ? fast_now_ns()
                               : to_unix_nanos(options.start_time);
  CTXFLOW_TRY {
    d.name.assign(name);
    for (const trace::attribute_kv& a : options.attributes) s->put_attribute(a.key, a.value);
    for (attribute& a : result.attributes) {  // empty for the built-in samplers
      const trace::attribute_value_view v = std::visit(
          [](const auto& x) -> trace::attribute_value_view {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, byte_string>)
              return trace::bytes_view{x.data};
            else if constexpr (std::is_same_v<T, std::vector<bool>>)
              return trace::attribute_value_view();  // vector<bool> has no contiguous view
            else
              return trace::attribute_value_view(x);
          },
          a.value);
      if (std::holds_alternative<std::vector<bool>>(a.value)) {
        // Stored as is, under the same limits.
        bool replaced = false;
        for (attribute& e : d.attributes)
          if (e.key == a.key) e.value = a.value, replaced = true;
        if (!replaced && d.attributes.size() < st.limits.attribute_count)
          d.attributes.push_back(a);
        else if (!replaced)
          ++d.dropped_attributes_count;
        continue;
      }
      s->put_attribute(a.key, v);
    }
    for (const trace::link_view& link : options.links) s->put_link(link.context, link.attributes);
  } CTXFLOW_CATCH_ALL {
    // Out of memory while copying: keep what was recorded.
  }

  st.processors.on_start(*s, pctx);
  return handle;
}

}  // namespace detail

tracer_provider::tracer_provider(tracer_provider_options options)
    : state_(std::make_shared<detail::provider_state>()) {
  detail::provider_state& st = *state_;
  st.resource_ptr = options.resource_ptr ? std::move(options.resource_ptr)
                                         : std::make_shared<const resource>(default_resource());
  st.fallback_sampler = make_parent_based_sampler(make_always_on_sampler());
  st.sampler_ptr = options.sampler_ptr ? std::move(options.sampler_ptr) : st.fallback_sampler;
  st.sampler_kind = detail::builtin_kind_of(st.sampler_ptr.get());
  st.ids = std::move(options.ids);
  st.ids_random = st.ids ? st.ids->random() : true;
  st.limits = options.limits;
  span_processor* last = nullptr;
  for (auto& p : options.processors) {
    if (!p) continue;
    last = p.get();
    st.processors.add(std::move(p));
  }
  if (st.processors.size() == 1 && detail::builtin_processor(last)) st.sole_builtin = last;
}

tracer_provider::~tracer_provider() {
  if (!is_shut_down()) (void)shutdown();
}

trace::tracer tracer_provider::get_tracer(std::string_view name, std::string_view version,
                                          std::string_view schema_url) noexcept {
  detail::provider_state& st = *state_;
  if (st.shut_down.load(std::memory_order_acquire)) return trace::tracer();  // R7.23
  if (name.empty())
    report(severity::warning, "sdk.tracer.empty_name",
           "get_tracer called with an empty name; the tracer works with name \"\"");
  CTXFLOW_TRY {
    std::lock_guard lock(st.tracers_mu);
    for (const auto& t : st.tracers) {
      const instrumentation_scope& s = *t->scope;
      if (s.name == name && s.version == version && s.schema_url == schema_url)
        return trace::tracer(std::shared_ptr<trace::tracer_object>(state_, t.get()));
    }
    auto scope = std::make_shared<instrumentation_scope>();
    scope->name = std::string(name);
    scope->version = std::string(version);
    scope->schema_url = std::string(schema_url);
    st.tracers.push_back(std::make_unique<detail::tracer_core>(&st, std::move(scope)));
    return trace::tracer(std::shared_ptr<trace::tracer_object>(state_, st.tracers.back().get()));
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "sdk.tracer.alloc_failed", "get_tracer could not allocate");
    return trace::tracer();
  }
}

bool tracer_provider::force_flush(std::chrono::milliseconds timeout) noexcept {
  if (is_shut_down()) return false;
  return state_->processors.force_flush(timeout);
}

bool tracer_provider::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (state_->shut_down.exchange(true, std::memory_order_acq_rel)) {
    report(severity::warning, "sdk.provider.already_shutdown", "shutdown called twice");
    return false;
  }
  return state_->processors.shutdown(timeout);
}

bool tracer_provider::is_shut_down() const noexcept {
  return state_->shut_down.load(std::memory_order_acquire);
}

const resource& tracer_provider::get_resource() const noexcept { return *state_->resource_ptr; }
const sampler& tracer_provider::get_sampler() const noexcept { return *state_->sampler_ptr; }
const span_limits& tracer_provider::limits() const noexcept { return state_->limits; }

}  // namespace ctxflow::sdk
