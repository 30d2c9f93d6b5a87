// SPDX-License-Identifier: Apache-2.0
// bind_context(handler) for callback-style Asio operations: the handler runs with the context that
// was current when it was bound (C4), as an execution unit of its own (C6), and the thread's
// previous context is back after it (C7). The wrapper keeps everything Asio associates with the
// handler: its executor, its allocator and (Boost 1.77 and later) its cancellation slot (C9).
// See docs/design/asio.md.
#pragma once

#include <type_traits>
#include <utility>

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/detail/handler_cont_helpers.hpp>
#include <boost/asio/handler_continuation_hook.hpp>
#include <boost/version.hpp>
#if BOOST_VERSION >= 108000
#include <boost/asio/associator.hpp>
#elif BOOST_VERSION >= 107700
#include <boost/asio/associated_cancellation_slot.hpp>
#endif

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/execution_unit.hpp"
#include "ctxflow/integrations/asio/legacy_namespace.hpp"

namespace ctxflow::integrations::asio {

/// A completion handler bound to a context. Calling it runs the wrapped handler as an execution
/// unit of its own with the bound context current.
///
/// Contract: Asio sees the wrapped handler's associated executor, allocator and cancellation
/// slot (and continuation hint) through this wrapper, so binding never changes where or how the
/// handler runs.
/// Context: the bound context is current inside each call; changes the handler makes stay in
/// that call (C6); the caller's context is back afterwards, also when the handler throws (C7).
/// Errors: exceptions from the handler pass through unchanged.
/// Thread safety: distinct objects: safe. Shared objects: unsafe (handlers are called once).
template <class Handler>
class context_bound_handler {
 public:
  using inner_handler_type = Handler;

  template <class H>
  context_bound_handler(ctxflow::context ctx, H&& handler)
      : ctx_(std::move(ctx)), handler_(std::forward<H>(handler)) {}

  template <class... Args>
    requires std::is_invocable_v<Handler&&, Args...>
  decltype(auto) operator()(Args&&... args) && {
    ctxflow::execution_unit_scope unit(std::move(ctx_), "asio handler");
    return std::move(handler_)(std::forward<Args>(args)...);
  }
  template <class... Args>
    requires std::is_invocable_v<Handler&, Args...>
  decltype(auto) operator()(Args&&... args) & {
    ctxflow::execution_unit_scope unit(ctx_, "asio handler");
    return handler_(std::forward<Args>(args)...);
  }

  Handler& get_inner_handler() noexcept { return handler_; }
  const Handler& get_inner_handler() const noexcept { return handler_; }
  const ctxflow::context& bound_context() const noexcept { return ctx_; }

  /// Forwards Asio's continuation hint to the wrapped handler.
  friend bool asio_handler_is_continuation(context_bound_handler* self) {
    return boost_asio_handler_cont_helpers::is_continuation(self->handler_);
  }

 private:
  ctxflow::context ctx_;
  Handler handler_;
};

/// Binds `handler` to the current context (snapshot taken now, C4).
///
/// Context: see context_bound_handler.
/// Example:
/// ```
/// timer.async_wait(ctxflow::integrations::asio::bind_context([](boost::system::error_code) {
///   assert(ctxflow::trace::current_span());  // the span that was current at async_wait
/// }));
/// ```
template <class Handler>
context_bound_handler<std::decay_t<Handler>> bind_context(Handler&& handler) {
  return context_bound_handler<std::decay_t<Handler>>(ctxflow::context::current(),
                                                     std::forward<Handler>(handler));
}

/// Binds `handler` to `ctx`.
template <class Handler>
context_bound_handler<std::decay_t<Handler>> bind_context(ctxflow::context ctx, Handler&& handler) {
  return context_bound_handler<std::decay_t<Handler>>(std::move(ctx),
                                                     std::forward<Handler>(handler));
}

}  // namespace ctxflow::integrations::asio

namespace boost::asio {

#if BOOST_VERSION >= 108000

/// Every associated characteristic (executor, allocator, cancellation slot, immediate
/// executor) of a context-bound handler is its wrapped handler's.
template <template <class, class> class Associator, class Handler, class DefaultCandidate>
struct associator<Associator, ::ctxflow::integrations::asio::context_bound_handler<Handler>,
                  DefaultCandidate> : Associator<Handler, DefaultCandidate> {
  static typename Associator<Handler, DefaultCandidate>::type get(
      const ::ctxflow::integrations::asio::context_bound_handler<Handler>& h) noexcept {
    return Associator<Handler, DefaultCandidate>::get(h.get_inner_handler());
  }
  static auto get(const ::ctxflow::integrations::asio::context_bound_handler<Handler>& h,
                  const DefaultCandidate& c) noexcept
      -> decltype(Associator<Handler, DefaultCandidate>::get(h.get_inner_handler(), c)) {
    return Associator<Handler, DefaultCandidate>::get(h.get_inner_handler(), c);
  }
};

#else

/// The associated executor of a context-bound handler is its wrapped handler's.
template <class Handler, class Executor>
struct associated_executor<::ctxflow::integrations::asio::context_bound_handler<Handler>, Executor> {
  using type = typename associated_executor<Handler, Executor>::type;
  static type get(const ::ctxflow::integrations::asio::context_bound_handler<Handler>& h,
                  const Executor& ex = Executor()) noexcept {
    return associated_executor<Handler, Executor>::get(h.get_inner_handler(), ex);
  }
};

/// The associated allocator of a context-bound handler is its wrapped handler's.
template <class Handler, class Allocator>
struct associated_allocator<::ctxflow::integrations::asio::context_bound_handler<Handler>,
                            Allocator> {
  using type = typename associated_allocator<Handler, Allocator>::type;
  static type get(const ::ctxflow::integrations::asio::context_bound_handler<Handler>& h,
                  const Allocator& a = Allocator()) noexcept {
    return associated_allocator<Handler, Allocator>::get(h.get_inner_handler(), a);
  }
};

#if BOOST_VERSION >= 107700
/// The associated cancellation slot of a context-bound handler is its wrapped handler's.
template <class Handler, class CancellationSlot>
struct associated_cancellation_slot<::ctxflow::integrations::asio::context_bound_handler<Handler>,
                                    CancellationSlot> {
  using type = typename associated_cancellation_slot<Handler, CancellationSlot>::type;
  static type get(const ::ctxflow::integrations::asio::context_bound_handler<Handler>& h,
                  const CancellationSlot& s = CancellationSlot()) noexcept {
    return associated_cancellation_slot<Handler, CancellationSlot>::get(h.get_inner_handler(), s);
  }
};
#endif

#endif

}  // namespace boost::asio
