// SPDX-License-Identifier: Apache-2.0
// The immutable Baggage API (R4.6-R4.8) on a single-allocation block.
#include "ctxflow/propagation/baggage.hpp"

#include <cstring>
#include <new>

#include "ctxflow/context/diagnostics.hpp"
#include "propagation/baggage_impl.hpp"

namespace ctxflow::propagation {

static_assert(sizeof(baggage::impl) % alignof(baggage::entry) == 0);

baggage::impl* baggage::impl::allocate(std::size_t entries, std::size_t text) noexcept {
  void* raw = ::operator new(sizeof(impl) + entries * sizeof(entry) + text, std::nothrow);
  if (!raw) return nullptr;
  impl* p = new (raw) impl();
  p->capacity = static_cast<std::uint32_t>(entries);
  p->text_capacity = text;
  return p;
}

void baggage::impl::destroy() const noexcept {
  this->~impl();
  ::operator delete(const_cast<impl*>(this));
}

namespace detail {

baggage baggage_access::adopt(baggage::impl* p) noexcept {
  if (!p) return {};
  auto owned = ctxflow::detail::ref_ptr<const ctxflow::detail::ref_counted>::adopt(p);
  if (p->count == 0) return {};
  return baggage(std::move(owned));
}

const baggage::impl* baggage_access::get(const baggage& b) noexcept {
  return static_cast<const baggage::impl*>(b.impl_.get());
}

void append_entry(baggage::impl& b, const baggage::entry& e) noexcept {
  baggage::entry* es = b.entries();
  for (std::uint32_t i = 0; i < b.count; ++i) {
    if (es[i].name == e.name) {
      std::memmove(static_cast<void*>(es + i), es + i + 1, (b.count - i - 1) * sizeof(baggage::entry));
      --b.count;
      break;
    }
  }
  es[b.count++] = e;
}

}  // namespace detail

baggage baggage::current() noexcept {
  const ctxflow::detail::context_impl* c = ctxflow::detail::current_impl();
  if (!c || !c->baggage()) return {};
  return baggage(ctxflow::detail::ref_ptr<const ctxflow::detail::ref_counted>::share(c->baggage()));
}

baggage baggage::from(const context& ctx) noexcept {
  const ctxflow::detail::ref_counted* b = ctx.baggage_slot();
  if (!b) return {};
  return baggage(ctxflow::detail::ref_ptr<const ctxflow::detail::ref_counted>::share(b));
}

std::size_t baggage::size() const noexcept {
  const impl* p = detail::baggage_access::get(*this);
  return p ? p->count : 0;
}

std::span<const baggage::entry> baggage::get_all() const noexcept {
  const impl* p = detail::baggage_access::get(*this);
  if (!p) return {};
  return {p->entries(), p->count};
}

const baggage::entry* baggage::find(std::string_view name) const noexcept {
  for (const entry& e : get_all())
    if (e.name == name) return &e;
  return nullptr;
}

std::optional<std::string_view> baggage::get(std::string_view name) const noexcept {
  if (const entry* e = find(name)) return e->value;
  return std::nullopt;
}

baggage baggage::set(std::string_view name, std::string_view value,
                     std::string_view metadata) const noexcept {
  if (name.empty()) {
    report(severity::warning, "propagation.baggage.invalid_name",
           "baggage set() ignored: the name is empty");
    return *this;
  }
  const std::span<const entry> old = get_all();
  std::size_t text = name.size() + value.size() + metadata.size();
  for (const entry& e : old)
    if (e.name != name) text += e.name.size() + e.value.size() + e.metadata.size();
  impl* p = impl::allocate(old.size() + 1, text);
  if (!p) {
    report(severity::error, "propagation.baggage.alloc_failed", "baggage allocation failed");
    return *this;
  }
  auto copy = [p](const entry& e) {
    entry c;
    c.name = detail::copy_text(*p, e.name);
    c.value = detail::copy_text(*p, e.value);
    c.metadata = detail::copy_text(*p, e.metadata);
    detail::append_entry(*p, c);
  };
  for (const entry& e : old)
    if (e.name != name) copy(e);
  copy(entry{name, value, metadata});
  return detail::baggage_access::adopt(p);
}

baggage baggage::remove(std::string_view name) const noexcept {
  if (!find(name)) return *this;
  const std::span<const entry> old = get_all();
  std::size_t text = 0;
  for (const entry& e : old)
    if (e.name != name) text += e.name.size() + e.value.size() + e.metadata.size();
  impl* p = impl::allocate(old.size() - 1, text);
  if (!p) {
    report(severity::error, "propagation.baggage.alloc_failed", "baggage allocation failed");
    return *this;
  }
  for (const entry& e : old) {
    if (e.name == name) continue;
    entry c;
    c.name = detail::copy_text(*p, e.name);
    c.value = detail::copy_text(*p, e.value);
    c.metadata = detail::copy_text(*p, e.metadata);
    detail::append_entry(*p, c);
  }
  return detail::baggage_access::adopt(p);
}

bool operator==(const baggage& a, const baggage& b) noexcept {
  if (a.impl_ == b.impl_) return true;
  if (a.size() != b.size()) return false;
  for (const baggage::entry& e : a.get_all()) {
    const baggage::entry* o = b.find(e.name);
    if (!o || o->value != e.value || o->metadata != e.metadata) return false;
  }
  return true;
}

context with_baggage(const context& ctx, const baggage& b) noexcept {
  return ctx.with_baggage_slot(detail::baggage_access::get(b));
}

context without_baggage(const context& ctx) noexcept {
  if (!ctx.baggage_slot()) return ctx;
  return ctx.with_baggage_slot(nullptr);
}

}  // namespace ctxflow::propagation
