// SPDX-License-Identifier: Apache-2.0
// The out-of-line parts of the span API: exception events (R7.5), non-recording spans and the
// remote-parent helper (R7.6, R1.9), and the no-op tracer (R7.6).
#include "ctxflow/trace/span.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <new>
#include <string>
#include <typeinfo>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#endif
#endif

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/trace/tracer.hpp"
#include "base/per_thread.hpp"

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

// The non-recording span holding an extracted remote parent. It lives at the start of the
// block that also holds the context node (context_impl::make_with_span), so extract makes at
// most one allocation; the block is freed when the span goes, which the node keeps alive.
class remote_parent_span final : public span_object {
 public:
  remote_parent_span(span_context&& sc, bool cacheable) noexcept
      : span_object(std::move(sc)), cacheable_(cacheable) {}

 private:
  void destroy() const noexcept override;

  const bool cacheable_;  // the block has cached_block_size bytes
};

// The block of a remote parent over an empty context: the usual extract of an incoming request.
constexpr std::size_t cached_block_size =
    ctxflow::detail::context_impl::span_block_size(0, sizeof(remote_parent_span));

// A few free blocks of cached_block_size per thread, so that extracting a request's context
// and dropping it at the end of the request skip the allocator (a free list pop and push
// instead of malloc and free). A block may be freed on another thread than the one that
// took it; it then joins that thread's cache. A per-thread slot (base/per_thread.hpp), so
// the fast path has no thread-local guard; the drain armed on the thread's first cached block
// frees the cached blocks at thread exit, after which blocks are freed directly.
struct block_cache {
  static constexpr std::uint32_t capacity = 8;
  void* blocks[capacity];
  std::uint32_t count;
};
void drain_blocks(block_cache& c) noexcept;
using cached_blocks = ctxflow::internal::per_thread<block_cache, &drain_blocks>;

// Under AddressSanitizer a cached block stays poisoned, so a use after free is still caught.
#if defined(__SANITIZE_ADDRESS__)
#define CTXFLOW_BLOCK_CACHE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CTXFLOW_BLOCK_CACHE_ASAN 1
#endif
#endif
#if defined(CTXFLOW_BLOCK_CACHE_ASAN)
void poison(void* p) noexcept { ASAN_POISON_MEMORY_REGION(p, cached_block_size); }
void unpoison(void* p) noexcept { ASAN_UNPOISON_MEMORY_REGION(p, cached_block_size); }
#else
void poison(void*) noexcept {}
void unpoison(void*) noexcept {}
#endif

void drain_blocks(block_cache& c) noexcept {
  while (c.count > 0) {
    void* b = c.blocks[--c.count];
    unpoison(b);
    ::operator delete(b);
  }
}

void* take_block(std::size_t size) noexcept {
  block_cache& c = cached_blocks::slot();
  if (size == cached_block_size && c.count > 0) {
    void* b = c.blocks[--c.count];
    unpoison(b);
    return b;
  }
  return ::operator new(size, std::nothrow);
}

void give_block(void* b, bool cacheable) noexcept {
  block_cache& c = cached_blocks::slot();
  // arm(): false once the thread's drain has run (the thread is exiting).
  if (cacheable && c.count < block_cache::capacity && cached_blocks::arm()) {
    poison(b);
    c.blocks[c.count++] = b;
    return;
  }
  ::operator delete(b);
}

void remote_parent_span::destroy() const noexcept {
  auto* self = const_cast<remote_parent_span*>(this);
  const bool cacheable = cacheable_;
  self->~remote_parent_span();
  give_block(self, cacheable);  // the whole block, node included
}

struct remote_parent_args {
  span_context* sc;
  bool cacheable;
};

const ctxflow::detail::ref_counted* build_remote_parent(void* storage, void* arg) noexcept {
  auto* a = static_cast<remote_parent_args*>(arg);
  return new (storage) remote_parent_span(std::move(*a->sc), a->cacheable);
}

// `sc` is valid; it is moved into the span.
ctxflow::context with_remote_parent(const ctxflow::context& ctx, span_context& sc) noexcept {
  using ctxflow::detail::context_impl;
  sc.remote = true;
  const context_impl* base = ctx.impl();
  const std::size_t size =
      context_impl::span_block_size(base ? base->size() : 0, sizeof(remote_parent_span));
  void* block = take_block(size);
  if (!block) {
    report(severity::error, "context.alloc_failed", "remote parent span allocation failed");
    return ctx;
  }
  remote_parent_args args{&sc, size == cached_block_size};
  return ctxflow::context::adopt(context_impl::make_with_span(
      block, base, sizeof(remote_parent_span), &build_remote_parent, &args));
}

// What a scope left by an unknown exception records (a destructor cannot see the exception).
constexpr std::string_view unknown_exception_type = "unknown";
constexpr std::string_view unknown_exception_message =
    "an exception left the span's scope; its type and message were not available";

void record_unknown(span_object* s, exception_policy policy, timestamp at) noexcept {
  if (policy.record_exception) {
    const attribute_kv attrs[] = {{"exception.type", unknown_exception_type},
                                  {"exception.message", unknown_exception_message}};
    s->add_event("exception", attrs, at);
  }
  if (policy.set_status_on_exception) s->set_status(status_code::error, unknown_exception_message);
}

// A span whose scope was left by unwinding inside a task, waiting for the task to settle it.
struct deferred_scope final : ctxflow::detail::deferred_end {
  deferred_scope(span s_, timestamp at, exception_policy p) noexcept
      : s(std::move(s_)), end_time(at), policy(p) {}
  span s;
  timestamp end_time;
  exception_policy policy;
};

void settle_deferred_scope(ctxflow::detail::deferred_end* self,
                           const std::exception_ptr* error) noexcept {
  auto* d = static_cast<deferred_scope*>(self);
  detail::record_escaped_exception(d->s.get(), error, d->policy, d->end_time);
  d->s.end(d->end_time);
  delete d;
}

}  // namespace

namespace detail {

void record_escaped_exception(span_object* s, const std::exception_ptr* error,
                              exception_policy policy, timestamp at) noexcept {
  if (s == nullptr || !(policy.record_exception || policy.set_status_on_exception) ||
      !s->is_recording())
    return;
  if (error == nullptr || !*error) {
    record_unknown(s, policy, at);
    return;
  }
  CTXFLOW_TRY {
    std::string type;
    std::string message;
    if (ctxflow::describe_exception(*error, type, message) == exception_origin::none) {
      record_unknown(s, policy, at);
      return;
    }
    if (policy.record_exception) {
      attribute_kv attrs[2];
      std::size_t n = 0;
      attrs[n++] = {"exception.type", std::string_view(type)};
      if (!message.empty()) attrs[n++] = {"exception.message", std::string_view(message)};
      s->add_event("exception", std::span<const attribute_kv>(attrs, n), at);
    }
    if (policy.set_status_on_exception)
      s->set_status(status_code::error, message.empty() ? type : message);
  } CTXFLOW_CATCH_ALL {
    report(severity::warning, "trace.record_exception.failed",
           "could not describe the exception (out of memory)");
    record_unknown(s, policy, at);
  }
}

}  // namespace detail

void scoped_span::record_failure(const std::exception_ptr& error) noexcept {
  if (!error) return;
  handled_ = true;
  detail::record_escaped_exception(span_.get(), &error, policy_, timestamp{});
}

void scoped_span::end_unwinding() noexcept {
  ctxflow::detail::exec_unit* u = std::exchange(unit_, nullptr);
  if (handled_ || !(policy_.record_exception || policy_.set_status_on_exception) ||
      !span_.is_recording()) {
    span_.end();
    return;
  }
  const timestamp at = std::chrono::system_clock::now();
  if (u != nullptr) {
    // Inside a task: its unhandled-exception path will know the exception; keep the span
    // open until then (or until the task shows it caught the exception).
    auto* d = new (std::nothrow) deferred_scope(std::move(span_), at, policy_);
    if (d != nullptr) {
      d->uncaught = ctxflow::detail::uncaught_exceptions(*u);
      d->settle = &settle_deferred_scope;
      d->next = u->deferred;
      u->deferred = d;
      return;
    }
  }
  record_unknown(span_.get(), policy_, at);
  span_.end(at);
}

void span_ref::record_exception(std::exception_ptr error,
                                std::span<const attribute_kv> extra) const noexcept {
  if (!obj_ || !error || !obj_->is_recording()) return;
  CTXFLOW_TRY {
    std::string type;
    std::string message;
    if (ctxflow::describe_exception(error, type, message) == exception_origin::none)
      type = "unknown";
    add_exception_event(obj_, type, message, extra);
  } CTXFLOW_CATCH_ALL {
    report(severity::warning, "trace.record_exception.failed",
           "could not describe the exception (out of memory)");
  }
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
  return with_remote_parent(ctx, sc);
}

ctxflow::context context_with_remote_parent(const ctxflow::context& ctx,
                                            span_context&& remote) noexcept {
  if (!remote.valid()) return ctx;
  return with_remote_parent(ctx, remote);
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
