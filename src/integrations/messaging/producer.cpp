// SPDX-License-Identifier: Apache-2.0
// producer: a PRODUCER span per message, its context injected into the headers (R9.6-R9.10).
#include "ctxflow/integrations/messaging/producer.hpp"

#include <utility>
#include <vector>

#include "ctxflow/context/context.hpp"
#include "ctxflow/coro/to_thread.hpp"
#include "ctxflow/propagation/global.hpp"
#include "ctxflow/trace/span.hpp"
#include "integrations/messaging/semconv.hpp"

namespace ctxflow::integrations::messaging {

producer::producer(transport& t, std::string destination, producer_options options)
    : transport_(&t),
      destination_(std::move(destination)),
      span_name_("send " + destination_),
      options_(std::move(options)) {}

trace::span producer::start_send_span() const {
  // Destination, operation, system and server are given at start, for samplers (R9.10).
  std::vector<trace::attribute_kv> attributes = {
      {detail::attr::system, transport_->system()},
      {detail::attr::destination, std::string_view(destination_)},
      {detail::attr::operation_type, "send"},
      {detail::attr::operation_name, "send"},
  };
  if (!transport_->server_address().empty()) {
    attributes.push_back({detail::attr::server_address, transport_->server_address()});
    attributes.push_back(
        {detail::attr::server_port, static_cast<std::int64_t>(transport_->server_port())});
  }
  trace::start_options so;
  so.kind = trace::span_kind::producer;
  so.attributes = attributes;
  return options_.tracer.start_span(span_name_, so);
}

void producer::finish_send_span(const trace::span& s, const std::optional<std::string>& id) const {
  if (id) {
    s.set_attribute(detail::attr::message_id, std::string_view(*id));
  } else {
    s.set_attribute(detail::attr::error_type, "send_failed");
    s.set_status(trace::status_code::error, "the transport did not accept the message");
  }
  s.end();
}

std::optional<std::string> producer::send(std::string_view body, header_list headers) {
  const trace::span s = start_send_span();
  // The send span's context is the message's creation context (R9.8).
  propagation::inject(headers, trace::context_with_span(context::current(), s));
  std::optional<std::string> id = transport_->append(destination_, headers, body);
  finish_send_span(s, id);
  return id;
}

coro::task<std::optional<std::string>> producer::send_async(std::string body, header_list headers,
                                                            exec::thread_pool& pool) {
  // The coroutine is a separate function so that its parameters are exactly what it needs.
  return send_in_task(this, std::move(body), std::move(headers), &pool);
}

coro::task<std::optional<std::string>> producer::send_in_task(const producer* self,
                                                              std::string body,
                                                              header_list headers,
                                                              exec::thread_pool* pool) {
  const trace::span s = self->start_send_span();
  propagation::inject(headers, trace::context_with_span(context::current(), s));
  transport* t = self->transport_;
  const std::string& destination = self->destination_;
  std::optional<std::string> id = co_await coro::to_thread(
      [t, &destination, &headers, &body] { return t->append(destination, headers, body); },
      *pool);
  self->finish_send_span(s, id);
  co_return id;
}

}  // namespace ctxflow::integrations::messaging
