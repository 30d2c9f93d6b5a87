// SPDX-License-Identifier: Apache-2.0
// The out-of-line parts of the span API: exception events (R7.5), non-recording spans and the
// remote-parent helper (R7.6, R1.9), and the no-op tracer (R7.6).
#include "ctxflow/trace/span.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <new>
#include <string>
#include <typeinfo>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/trace/tracer.hpp"

namespace ctxflow::trace {
namespace {

constexpr std::size_t max_exception_attributes = 32;

// Writes the `exception` event: generated attributes first, caller's `extra` win on a clash.
void add_exception_event(span_object* obj, std::string_view type, std::string_view message,
                         std::span<const attribute_kv> extra) noexcept {
  attribute_kv buf[max_exception_attributes];
  std::size_t n = 0;
  auto overridden = [&](std::string_view key) {
    for (const attribute_kv& a : extra)
      if (a.key == key) return true;
    return false;
  };
  if (!type.empty() && !overridden("exception.type")) buf[n++] = {"exception.type", type};
  if (!message.empty() && !overridden("exception.message"))
    buf[n++] = {"exception.message", message};
  for (const attribute_kv& a : extra) {
    if (n == max_exception_attributes) break;
    buf[n++] = a;
  }
  obj->add_event("exception", std::span<const attribute_kv>(buf, n), timestamp{});
}

#if CTXFLOW_HAS_EXCEPTIONS
// The demangled name of `t`; falls back to the mangled name.
std::string type_name(const std::type_info* t) {
  if (t == nullptr) return "unknown";
  int status = 0;
  char* d = abi::__cxa_demangle(t->name(), nullptr, nullptr, &status);
  std::string out = (status == 0 && d) ? std::string(d) : std::string(t->name());
  std::free(d);
  return out;
}
#endif

}  // namespace

void span_ref::record_exception(std::exception_ptr error,
                                std::span<const attribute_kv> extra) const noexcept {
  if (!obj_ || !error || !obj_->is_recording()) return;
#if CTXFLOW_HAS_EXCEPTIONS
  try {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      const std::string type = type_name(&typeid(e));
      add_exception_event(obj_, type, e.what(), extra);
    } catch (...) {
      const std::string type = type_name(abi::__cxa_current_exception_type());
      add_exception_event(obj_, type, {}, extra);
    }
  } catch (...) {
    report(severity::warning, "trace.record_exception.failed",
           "could not describe the exception (out of memory)");
  }
#else
  add_exception_event(obj_, "unknown", {}, extra);
#endif
}

void span_ref::record_exception(std::string_view type, std::string_view message,
                                std::span<const attribute_kv> extra) const noexcept {
  if (!obj_ || (type.empty() && message.empty())) return;
  add_exception_event(obj_, type, message, extra);
}

span make_non_recording_span(const span_context& sc) noexcept {
  return span::adopt(new (std::nothrow) span_object(sc));
}

ctxflow::context context_with_remote_parent(const ctxflow::context& ctx,
                                            const span_context& remote) noexcept {
  if (!remote.valid()) return ctx;
  span_context sc = remote;
  sc.remote = true;
  span s = make_non_recording_span(sc);
  if (!s) {
    report(severity::error, "context.alloc_failed", "remote parent span allocation failed");
    return ctx;
  }
  return ctx.with_span_slot(s.get());
}

span tracer_object::start_span(std::string_view name, const start_options& options) noexcept {
  (void)name;
  span_ref parent = parent_span_of(options);
  if (!parent) return span();
  if (!parent.is_recording()) return span(parent);
  return make_non_recording_span(parent.get()->context());
}

tracer_object& tracer::noop() noexcept {
  static tracer_object instance;
  return instance;
}

}  // namespace ctxflow::trace
