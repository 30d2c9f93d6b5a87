// SPDX-License-Identifier: Apache-2.0
// The global tracer provider: the no-op provider until an SDK installs one, and the proxy
// tracers it hands out, which delegate to whatever provider is installed later.
#include "ctxflow/trace/provider.hpp"

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "trace/global_provider.hpp"

namespace ctxflow::trace {
namespace {

// A tracer from the no-op provider. While no provider was ever installed it is the no-op
// tracer (one relaxed-cost load). After that it resolves a tracer with the same scope from the
// current global provider, once per provider change.
class proxy_tracer final : public tracer_object {
 public:
  proxy_tracer(std::string_view name, std::string_view version, std::string_view schema_url)
      : name_(name), version_(version), schema_url_(schema_url) {}

  span start_span(std::string_view name, const start_options& options) noexcept override {
    tracer_object* t = resolve();
    return t ? t->start_span(name, options) : tracer_object::start_span(name, options);
  }
  bool enabled() const noexcept override {
    tracer_object* t = const_cast<proxy_tracer*>(this)->resolve();
    return t && t->enabled();
  }

 private:
  tracer_object* resolve() noexcept {
    // acquire: pairs with the release increment in set_tracer_provider.
    const std::uint64_t g = detail::global_provider().generation.load(std::memory_order_acquire);
    if (g == 0) return nullptr;
    // acquire: pairs with the release store below, so resolved_ belongs to `g` or later.
    if (resolved_gen_.load(std::memory_order_acquire) == g)
      return resolved_.load(std::memory_order_relaxed);
    std::shared_ptr<tracer_provider> p;
    {
      std::lock_guard lock(detail::global_provider().mu);
      p = detail::global_provider().provider;
    }
    // No provider installed (any more): stay no-op rather than proxy to another proxy.
    tracer t = p ? p->get_tracer(name_, version_, schema_url_) : tracer();
    std::lock_guard lock(mu_);
    tracer_object* obj = t.object().get();
    CTXFLOW_TRY {
      if (obj) keep_.push_back(t.object());
    } CTXFLOW_CATCH_ALL {
      return nullptr;
    }
    resolved_.store(obj, std::memory_order_relaxed);
    resolved_gen_.store(g, std::memory_order_release);
    return obj;
  }

  const std::string name_, version_, schema_url_;
  std::mutex mu_;
  // Every tracer ever resolved stays alive here, so a raw pointer read without the lock is
  // never dangling. It grows only when the global provider changes.
  std::vector<std::shared_ptr<tracer_object>> keep_;
  std::atomic<tracer_object*> resolved_{nullptr};
  // The provider generation resolved_ belongs to; 0: not resolved yet.
  std::atomic<std::uint64_t> resolved_gen_{0};
};

class noop_provider final : public tracer_provider {
 public:
  tracer get_tracer(std::string_view name, std::string_view version,
                    std::string_view schema_url) noexcept override {
    CTXFLOW_TRY {
      return tracer(std::make_shared<proxy_tracer>(name, version, schema_url));
    } CTXFLOW_CATCH_ALL {
      return tracer();
    }
  }
};

std::shared_ptr<tracer_provider> noop_provider_ptr() noexcept {
  static noop_provider instance;
  return std::shared_ptr<tracer_provider>(std::shared_ptr<void>(), &instance);
}

}  // namespace

std::shared_ptr<tracer_provider> get_tracer_provider() noexcept {
  detail::global_provider_slot& slot = detail::global_provider();
  {
    std::lock_guard lock(slot.mu);
    if (slot.provider) return slot.provider;
  }
  return noop_provider_ptr();
}

std::shared_ptr<tracer_provider> set_tracer_provider(
    std::shared_ptr<tracer_provider> provider) noexcept {
  detail::global_provider_slot& slot = detail::global_provider();
  std::lock_guard lock(slot.mu);
  std::shared_ptr<tracer_provider> old = std::move(slot.provider);
  slot.provider = std::move(provider);
  // release: proxies that see the new generation see the provider stored above.
  slot.generation.fetch_add(1, std::memory_order_release);
  return old;
}

tracer get_tracer(std::string_view name, std::string_view version,
                  std::string_view schema_url) noexcept {
  return get_tracer_provider()->get_tracer(name, version, schema_url);
}

}  // namespace ctxflow::trace
