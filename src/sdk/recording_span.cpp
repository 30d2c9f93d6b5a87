// SPDX-License-Identifier: Apache-2.0
// recording_span: recording under a per-span lock, span limits (R7.13, R7.14), status rules
// (R7.4), and the hand-over to the processors at end (R7.17).
#include "ctxflow/sdk/recording_span.hpp"

#include <mutex>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "sdk/attribute_convert.hpp"
#include "sdk/fast_clock.hpp"
#include "sdk/provider_state.hpp"
#include "sdk/span_pool.hpp"

namespace ctxflow::sdk {

std::uint64_t to_unix_nanos(trace::timestamp t) noexcept {
  if (t.time_since_epoch().count() == 0) return detail::fast_now_ns();
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

recording_span::recording_span(const trace::span_context& sc, const detail::tracer_core* tracer,
                               span_data& data) noexcept
    : span_object(sc), tracer_(tracer), data_(&data) {
  data_->context = sc;
}

recording_span::~recording_span() = default;

void recording_span::destroy() const noexcept {
  // The last reference is gone; no other thread can reach the object any more.
  detail::span_pool::recycle(const_cast<recording_span*>(this));
}

const span_limits& recording_span::limits() const noexcept { return tracer_->state->limits; }

void recording_span::note_drop() noexcept {
  if (drop_reported_) return;
  drop_reported_ = true;
  reportf(severity::warning, "sdk.span.limit_exceeded",
          "span \"%.*s\" exceeded a span limit; the excess was dropped",
          static_cast<int>(data_->name.size() > 100 ? 100 : data_->name.size()), data_->name.data());
}

void recording_span::put_attribute(std::string_view key,
                                   const trace::attribute_value_view& value) noexcept {
  if (key.empty()) return;  // keys are non-empty (R7.15)
  const span_limits& l = limits();
  CTXFLOW_TRY {
    for (attribute& a : data_->attributes) {
      if (a.key == key) {  // overwriting is not an addition (R7.13)
        a.value = detail::to_owned(value, l.attribute_value_length);
        return;
      }
    }
    if (data_->attributes.size() >= l.attribute_count) {
      ++data_->dropped_attributes_count;
      note_drop();
      return;
    }
    if (data_->attributes.capacity() == 0)
      data_->attributes.reserve(l.attribute_count < 8 ? l.attribute_count : 8);
    data_->attributes.push_back({std::string(key), detail::to_owned(value, l.attribute_value_length)});
  } CTXFLOW_CATCH_ALL {
    ++data_->dropped_attributes_count;
  }
}

void recording_span::set_attribute(std::string_view key,
                                   const trace::attribute_value_view& value) noexcept {
  std::lock_guard lock(lock_);
  if (ended_.load(std::memory_order_relaxed)) return;
  put_attribute(key, value);
}

void recording_span::set_attributes(std::span<const trace::attribute_kv> attributes) noexcept {
  std::lock_guard lock(lock_);
  if (ended_.load(std::memory_order_relaxed)) return;
  for (const trace::attribute_kv& a : attributes) put_attribute(a.key, a.value);
}

void recording_span::add_event(std::string_view name,
                               std::span<const trace::attribute_kv> attributes,
                               trace::timestamp time) noexcept {
  const std::uint64_t t = to_unix_nanos(time);
  std::lock_guard lock(lock_);
  if (ended_.load(std::memory_order_relaxed)) return;
  const span_limits& l = limits();
  if (data_->events.size() >= l.event_count) {
    ++data_->dropped_events_count;
    note_drop();
    return;
  }
  CTXFLOW_TRY {
    span_event e;
    e.name = std::string(name);
    e.time_unix_nano = t;
    e.dropped_attributes_count = detail::copy_limited(attributes, l.attributes_per_event,
                                                      l.attribute_value_length, e.attributes);
    if (e.dropped_attributes_count != 0) note_drop();
    data_->events.push_back(std::move(e));
  } CTXFLOW_CATCH_ALL {
    ++data_->dropped_events_count;
  }
}

void recording_span::put_link(const trace::span_context& linked,
                              std::span<const trace::attribute_kv> attributes) noexcept {
  // An invalid context is still worth a link when it carries attributes or a trace state (R7.7).
  if (!linked.valid() && attributes.empty() && linked.state.empty()) return;
  const span_limits& l = limits();
  if (data_->links.size() >= l.link_count) {
    ++data_->dropped_links_count;
    note_drop();
    return;
  }
  CTXFLOW_TRY {
    span_link link;
    link.context = linked;
    link.dropped_attributes_count = detail::copy_limited(attributes, l.attributes_per_link,
                                                         l.attribute_value_length, link.attributes);
    if (link.dropped_attributes_count != 0) note_drop();
    data_->links.push_back(std::move(link));
  } CTXFLOW_CATCH_ALL {
    ++data_->dropped_links_count;
  }
}

void recording_span::add_link(const trace::span_context& linked,
                              std::span<const trace::attribute_kv> attributes) noexcept {
  std::lock_guard lock(lock_);
  if (ended_.load(std::memory_order_relaxed)) return;
  put_link(linked, attributes);
}

void recording_span::set_status(trace::status_code code, std::string_view description) noexcept {
  if (code == trace::status_code::unset) return;  // R7.4: setting Unset is ignored
  std::lock_guard lock(lock_);
  if (ended_.load(std::memory_order_relaxed)) return;
  if (data_->status.code == trace::status_code::ok) return;  // Ok is final
  data_->status.code = code;
  CTXFLOW_TRY {
    // The description is kept only with Error (R7.4).
    data_->status.message = code == trace::status_code::error ? std::string(description) : std::string();
  } CTXFLOW_CATCH_ALL {
    data_->status.message.clear();
  }
}

void recording_span::update_name(std::string_view name) noexcept {
  std::lock_guard lock(lock_);
  if (ended_.load(std::memory_order_relaxed)) return;
  CTXFLOW_TRY {
    data_->name.assign(name);
  } CTXFLOW_CATCH_ALL {
  }
}

bool recording_span::mark_ended(trace::timestamp end_time) noexcept {
  const std::uint64_t t =
      end_time.time_since_epoch().count() == 0 ? detail::fast_now_ns() : to_unix_nanos(end_time);
  std::lock_guard lock(lock_);
  if (ended_.load(std::memory_order_relaxed)) return false;  // only the first end counts (R7.3)
  data_->end_time_unix_nano = t < data_->start_time_unix_nano ? data_->start_time_unix_nano : t;
  // release: readers that see ended() == true see the complete data.
  ended_.store(true, std::memory_order_release);
  return true;
}

void recording_span::end(trace::timestamp end_time) noexcept {
  if (mark_ended(end_time)) tracer_->on_end(*this);
}

void recording_span::end_and_release(trace::timestamp end_time) noexcept {
  if (mark_ended(end_time)) {
    // Only this thread ended the span, so end_reference_ is ours until on_end returns. A
    // processor that keeps the span takes the reference over (take_end_reference) instead of
    // adding one; the span may then be gone when on_end returns, so the answer is read from
    // the local flag, not from the span.
    bool held = true;
    end_reference_ = &held;
    tracer_->on_end(*this);
    if (!held) return;
    end_reference_ = nullptr;
  }
  release();
}

}  // namespace ctxflow::sdk
