// SPDX-License-Identifier: Apache-2.0
// tracer: creates spans. start_span() makes a span without making it current (R1.8);
// start_as_current_span() also makes it current for a block (scoped_span). start_options picks
// the kind, the parent (current context, an explicit context, or root; R1.9), links, attributes
// and start time. A default tracer is a no-op (R7.6). See docs/usage/tracing.md.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <source_location>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include "ctxflow/context/context.hpp"
#include "ctxflow/export.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/trace/attribute.hpp"
#include "ctxflow/trace/span.hpp"
#include "ctxflow/trace/span_context.hpp"
#include "ctxflow/trace/span_kind.hpp"

namespace ctxflow::trace {

/// A link given at span start (seen by the sampler, R7.3).
struct link_view {
  span_context context;
  std::span<const attribute_kv> attributes;
};

/// How to start a span.
struct start_options {
  span_kind kind = span_kind::internal;
  /// The context whose span is the parent (R1.9). Empty: the current context.
  std::optional<ctxflow::context> parent;
  /// True: a new trace, whatever `parent` or the current context hold.
  bool root = false;
  std::span<const link_view> links;
  /// Attributes known at start; samplers see them (R7.10).
  std::span<const attribute_kv> attributes;
  /// Start time; zero means now. Only for a start that has already happened (R7.2).
  timestamp start_time{};
  /// start_as_current_span / with_span: an exception leaving the span's scope adds an
  /// `exception` event (Python's record_exception). See scoped_span for what is recorded.
  bool record_exception = true;
  /// start_as_current_span / with_span: an exception leaving the span's scope sets status
  /// ERROR with its message (Python's set_status_on_exception).
  bool set_status_on_exception = true;
};

/// The exception_policy that `options` asks for.
inline exception_policy exception_policy_of(const start_options& options) noexcept {
  return exception_policy{options.record_exception, options.set_status_on_exception};
}

/// What a tracer does; an SDK derives from it. The base class is the no-op tracer of R7.6.
///
/// Thread safety: start_span may be called concurrently (R7.8a).
class CTXFLOW_API tracer_object {
 public:
  tracer_object() noexcept = default;
  tracer_object(const tracer_object&) = delete;
  tracer_object& operator=(const tracer_object&) = delete;
  virtual ~tracer_object() = default;

  /// Starts a span. The no-op version returns a non-recording span carrying the parent's span
  /// context: the parent itself when it is non-recording, a new wrapper when it records, an
  /// empty handle when there is no parent (R7.6). It does not allocate except in the middle
  /// case.
  CTXFLOW_API virtual span start_span(std::string_view name,
                                      const start_options& options) noexcept;
  /// False when spans from this tracer are not recorded at all (R7.25).
  virtual bool enabled() const noexcept { return false; }
};

/// The parent span selected by `options` (R1.9): none for root, the span of `options.parent`,
/// else the current span. For SDK implementations.
inline span_ref parent_span_of(const start_options& options) noexcept {
  if (options.root) return span_ref();
  if (options.parent) return span_from(*options.parent);
  return current_span();
}

/// A handle to a tracer; copies share it. A default-constructed tracer is a no-op.
///
/// Thread safety: distinct objects: safe. Shared objects: safe for start_span.
///
/// Example:
/// ```
/// static const auto tracer = ctxflow::trace::get_tracer("my.library", "1.0");
/// {
///   auto s = tracer.start_as_current_span("load");
///   s->set_attribute("rows", 42);
/// }   // ended here; the previous span is current again
/// ```
class tracer {
 public:
  tracer() noexcept = default;
  explicit tracer(std::shared_ptr<tracer_object> impl) noexcept : impl_(std::move(impl)) {}

  /// Starts a span; it does not become current (R1.8). Errors: never fails; without an SDK or
  /// when out of memory the span is non-recording.
  span start_span(std::string_view name, const start_options& options = {}) const noexcept {
    if (impl_) return impl_->start_span(name, options);
    return noop().start_span(name, options);
  }

  /// Starts a span and makes it current until the returned scoped_span is destroyed; then the
  /// span ends and the previous context (with its span) is current again.
  /// Errors: an exception leaving the scope sets status ERROR and adds an `exception` event
  /// (options.record_exception, options.set_status_on_exception). Inside a coroutine task the
  /// exception's type and message are recorded when it leaves the task's body; elsewhere only
  /// with_span() can see them. See scoped_span.
  /// Context: see scoped_span.
  scoped_span start_as_current_span(
      std::string_view name, const start_options& options = {},
      const std::source_location& where = std::source_location::current()) const noexcept {
    return scoped_span(start_span(name, options), exception_policy_of(options), where);
  }

  /// Runs `fn` inside a new span that is current for the call and ended when it returns, and
  /// returns what `fn` returns. `fn` is called with the span (`const span&`) when it accepts
  /// one, else with no argument.
  /// Errors: an exception thrown by `fn` is recorded on the span with its exact type and
  /// message (`exception` event with `exception.type` and `exception.message`, status ERROR
  /// with the message; options.record_exception and options.set_status_on_exception turn
  /// either off), the span ends, and the exception is rethrown. In a build without exceptions
  /// it just calls `fn`.
  /// Context: as start_as_current_span. For a coroutine body use start_as_current_span inside
  /// the coroutine: a span around a call that only creates a lazy task ends before it runs.
  ///
  /// Example:
  /// ```
  /// int rows = tracer.with_span("load", [&](const ctxflow::trace::span& s) {
  ///   s.set_attribute("table", "orders");
  ///   return load_orders();        // throws: recorded on "load", then rethrown
  /// });
  /// ```
  template <class Fn>
  decltype(auto) with_span(std::string_view name, const start_options& options, Fn&& fn,
                           const std::source_location& where =
                               std::source_location::current()) const {
    scoped_span s(start_span(name, options), exception_policy_of(options), where);
    CTXFLOW_TRY {
      return call_in_span(s, std::forward<Fn>(fn));
    } CTXFLOW_CATCH_ALL {
      // rethrow_exception rather than `throw;`, which does not compile without exceptions.
      const std::exception_ptr error = std::current_exception();
      s.record_failure(error);
      std::rethrow_exception(error);
    }
  }
  /// with_span with default start_options.
  template <class Fn>
    requires(!std::is_convertible_v<Fn &&, const start_options&>)
  decltype(auto) with_span(std::string_view name, Fn&& fn,
                           const std::source_location& where =
                               std::source_location::current()) const {
    return with_span(name, start_options{}, std::forward<Fn>(fn), where);
  }

  /// False when spans are not recorded at all (no SDK, or no processor; R7.25).
  bool enabled() const noexcept { return impl_ && impl_->enabled(); }

  /// The implementation (null for a default-constructed tracer).
  const std::shared_ptr<tracer_object>& object() const noexcept { return impl_; }

 private:
  template <class Fn>
  static decltype(auto) call_in_span(const scoped_span& s, Fn&& fn) {
    if constexpr (std::is_invocable_v<Fn&&, const span&>)
      return std::forward<Fn>(fn)(s.get());
    else
      return std::forward<Fn>(fn)();
  }

  CTXFLOW_API static tracer_object& noop() noexcept;
  std::shared_ptr<tracer_object> impl_;
};

}  // namespace ctxflow::trace
