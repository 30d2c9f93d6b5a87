// SPDX-License-Identifier: Apache-2.0
// consumer: per-message CONSUMER spans linked to the producer's span (its child on request),
// and batch spans with one link per message (R9.6, R9.7, R9.9, R9.10).
#include "ctxflow/integrations/messaging/consumer.hpp"

#include <exception>
#include <utility>
#include <vector>

#include "ctxflow/context/context.hpp"
#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/coro/to_thread.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/trace/span.hpp"
#include "integrations/messaging/semconv.hpp"

namespace ctxflow::integrations::messaging {

namespace {

/// The creation context a message carries (R9.8), as a span context; invalid when absent.
trace::span_context creation_context(const message& m) {
  const ctxflow::context extracted = propagation::extract(m.headers, ctxflow::context());
  return trace::span_context_from(extracted);
}

struct common_attributes {
  std::vector<trace::attribute_kv> list;
  common_attributes(const transport& t, const std::string& destination) {
    list = {
        {detail::attr::system, t.system()},
        {detail::attr::destination, std::string_view(destination)},
        {detail::attr::operation_type, "process"},
        {detail::attr::operation_name, "process"},
    };
    if (!t.server_address().empty()) {
      list.push_back({detail::attr::server_address, t.server_address()});
      list.push_back({detail::attr::server_port, static_cast<std::int64_t>(t.server_port())});
    }
  }
};

/// Starts the process span of one message (R9.9).
trace::span start_message_span(const consumer_options& options, const transport& t,
                               const std::string& destination, const std::string& name,
                               const message& m) {
  common_attributes attributes(t, destination);
  attributes.list.push_back({detail::attr::message_id, std::string_view(m.id)});
  const trace::span_context created = creation_context(m);
  const trace::span_context ambient = trace::current_span().context();
  std::vector<trace::link_view> links;
  trace::start_options so;
  so.kind = trace::span_kind::consumer;
  // The creation context is always linked (R9.9). By default the parent is the ambient context
  // (start_span's default: the current one), a root when no span is current (R9.9 [D]).
  if (created.valid()) links.push_back({created, {}});
  if (options.parent_from_message && created.valid()) {
    // Opted in: the creation context is the parent; the ambient span, if any, is linked.
    so.parent = trace::context_with_remote_parent(ctxflow::context(), created);
    if (ambient.valid()) links.push_back({ambient, {}});
  }
  so.links = links;
  so.attributes = attributes.list;
  return options.tracer.start_span(name, so);
}

/// Marks the span of a handler that threw and reports that `m` was not acknowledged (it stays
/// pending where the transport keeps unacknowledged messages, and may be delivered again).
void record_failure(const trace::span& s, const std::exception_ptr& e, const transport& t,
                    const std::string& destination, std::string_view what) {
  s.record_exception(e);
  const std::string kind = detail::exception_kind(e);
  s.set_attribute(detail::attr::error_type, std::string_view(kind));
  s.set_status(trace::status_code::error);
  reportf(severity::warning, "messaging.consumer.handler_failed",
          "%.*s handler for %.*s of %s threw %s; not acknowledged (left pending for redelivery "
          "where the transport keeps pending messages)",
          static_cast<int>(t.system().size()), t.system().data(), static_cast<int>(what.size()),
          what.data(), destination.c_str(), kind.c_str());
}

std::string message_label(const message& m) { return "message " + m.id; }

}  // namespace

consumer::consumer(transport& t, std::string destination, consumer_options options)
    : transport_(&t),
      destination_(std::move(destination)),
      span_name_("process " + destination_),
      options_(std::move(options)) {}

std::size_t consumer::poll(const std::function<void(const message&)>& handler) {
  const std::vector<message> batch =
      transport_->fetch(destination_, options_.max_messages, options_.wait);
  std::size_t handled = 0;
  for (const message& m : batch) {
    trace::scoped_span scope(
        start_message_span(options_, *transport_, destination_, span_name_, m));
    try {
      handler(m);
    } catch (...) {
      record_failure(scope.get(), std::current_exception(), *transport_, destination_,
                     message_label(m));
      throw;
    }
    transport_->acknowledge(m);
    ++handled;
  }
  return handled;
}

std::size_t consumer::poll_batch(const std::function<void(std::span<const message>)>& handler) {
  const std::vector<message> batch =
      transport_->fetch(destination_, options_.max_messages, options_.wait);
  if (batch.empty()) return 0;
  common_attributes attributes(*transport_, destination_);
  attributes.list.push_back(
      {detail::attr::batch_count, static_cast<std::int64_t>(batch.size())});
  // One link per message, carrying the per-message id (R9.9, R9.10).
  std::vector<trace::span_context> created;
  std::vector<std::vector<trace::attribute_kv>> link_attributes;
  created.reserve(batch.size());
  link_attributes.reserve(batch.size());
  std::vector<trace::link_view> links;
  links.reserve(batch.size());
  for (const message& m : batch) {
    created.push_back(creation_context(m));
    if (!created.back().valid()) continue;
    link_attributes.push_back({{detail::attr::message_id, std::string_view(m.id)}});
    links.push_back({created.back(), link_attributes.back()});
  }
  trace::start_options so;
  so.kind = trace::span_kind::consumer;
  so.links = links;
  so.attributes = attributes.list;
  trace::scoped_span scope(options_.tracer.start_span(span_name_, so));
  try {
    handler(batch);
  } catch (...) {
    record_failure(scope.get(), std::current_exception(), *transport_, destination_,
                   "a batch of " + std::to_string(batch.size()) + " messages");
    throw;
  }
  for (const message& m : batch) transport_->acknowledge(m);
  return batch.size();
}

coro::task<std::size_t> consumer::poll_async(
    std::function<coro::task<void>(const message&)> handler, exec::thread_pool& pool) {
  return poll_in_task(this, std::move(handler), &pool);
}

coro::task<std::size_t> consumer::poll_in_task(
    consumer* self, std::function<coro::task<void>(const message&)> handler,
    exec::thread_pool* pool) {
  transport* t = self->transport_;
  const std::string& destination = self->destination_;
  const std::size_t max = self->options_.max_messages;
  const std::chrono::milliseconds wait = self->options_.wait;
  const std::vector<message> batch = co_await coro::to_thread(
      [t, &destination, max, wait] { return t->fetch(destination, max, wait); }, *pool);
  std::size_t handled = 0;
  for (const message& m : batch) {
    // Current for the handler task, across its suspensions (C5).
    trace::scoped_span scope(
        start_message_span(self->options_, *t, destination, self->span_name_, m));
    std::exception_ptr failure;
    try {
      co_await handler(m);
    } catch (...) {
      failure = std::current_exception();
    }
    if (failure) {
      record_failure(scope.get(), failure, *t, destination, message_label(m));
      std::rethrow_exception(failure);
    }
    t->acknowledge(m);
    ++handled;
  }
  co_return handled;
}

}  // namespace ctxflow::integrations::messaging
