// SPDX-License-Identifier: Apache-2.0
// producer: sends messages to one destination of a transport inside a PRODUCER span `send
// {destination}` and injects that span's context into the message headers through the global
// propagator, so the consumer's process span continues the trace (R9.6-R9.8, R9.10).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ctxflow/coro/task.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/export.hpp"
#include "ctxflow/integrations/messaging/legacy_namespace.hpp"
#include "ctxflow/integrations/messaging/message.hpp"
#include "ctxflow/trace/provider.hpp"
#include "ctxflow/trace/tracer.hpp"

namespace ctxflow::integrations::messaging {

/// How a producer records its spans.
struct producer_options {
  /// Default: `get_tracer("ctxflow.messaging")` (follows the global provider).
  trace::tracer tracer = trace::get_tracer("ctxflow.messaging");
};

/// Sends messages to one destination.
///
/// Contract: each send is a PRODUCER span `send {destination}` (R9.6, R9.7) with
/// `messaging.system`, `messaging.destination.name`, `messaging.operation.type` = `send`,
/// `messaging.operation.name` = `send`, `server.address`/`server.port` when the transport has
/// them, and `messaging.message.id` once the transport gave one (R9.10). The current context
/// with that span is injected into the message headers as its creation context (R9.8).
/// Context: the span's parent is the current context (the task's, for send_async).
/// Errors: a failed append gives nothing and sets the span's status to `error` with
/// `error.type` = `send_failed`.
/// Thread safety: distinct objects: safe. Shared objects: safe if the transport is.
/// Lifetime: the transport must outlive the producer.
///
/// Example:
/// ```
/// ctxflow::integrations::messaging::producer orders(queue, "shop.orders");
/// auto id = orders.send(R"({"order": 7})");
/// ```
class CTXFLOW_API producer {
 public:
  producer(transport& t, std::string destination, producer_options options = {});

  /// Sends `body` with `headers` (plus the propagation headers) and returns the message id.
  std::optional<std::string> send(std::string_view body, header_list headers = {});

  /// As send(), from a ctxflow task: the span is made in the task and the blocking append runs
  /// on `pool` (coro::to_thread), so the task's thread is not blocked.
  /// Resumes on: the scheduler the task was running on (see to_thread).
  coro::task<std::optional<std::string>> send_async(
      std::string body, header_list headers = {},
      exec::thread_pool& pool = exec::default_pool());

  const std::string& destination() const noexcept { return destination_; }

 private:
  static coro::task<std::optional<std::string>> send_in_task(const producer* self,
                                                             std::string body,
                                                             header_list headers,
                                                             exec::thread_pool* pool);
  trace::span start_send_span() const;
  void finish_send_span(const trace::span& s, const std::optional<std::string>& id) const;

  transport* transport_;
  std::string destination_;
  std::string span_name_;
  producer_options options_;
};

}  // namespace ctxflow::integrations::messaging
