// SPDX-License-Identifier: Apache-2.0
// consumer: fetches messages from one destination of a transport and runs a handler for each
// inside a CONSUMER span `process {destination}` linked to the message's creation context (by
// default a child of the ambient context; optionally a child of the creation context, continuing
// the producer's trace), or for a whole batch inside one span linking every message's creation
// context (R9.6, R9.7, R9.9, R9.10).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <span>
#include <string>

#include "ctxflow/coro/task.hpp"
#include "ctxflow/exec/thread_pool.hpp"
#include "ctxflow/export.hpp"
#include "ctxflow/integrations/messaging/legacy_namespace.hpp"
#include "ctxflow/integrations/messaging/message.hpp"
#include "ctxflow/trace/provider.hpp"
#include "ctxflow/trace/tracer.hpp"

namespace ctxflow::integrations::messaging {

/// How a consumer fetches and records.
struct consumer_options {
  /// Default: `get_tracer("ctxflow.messaging")`.
  trace::tracer tracer = trace::get_tracer("ctxflow.messaging");
  /// Messages fetched per poll.
  std::size_t max_messages = 16;
  /// How long a poll waits for the first message.
  std::chrono::milliseconds wait{1000};
  /// Where a per-message process span gets its parent (R9.9).
  ///
  /// False (the default, R9.9 [D]): the span is a child of the ambient context, the span current
  /// when poll() is called, or a root when there is none; the message's creation context (the
  /// producer's span) is a link. The conventions advise against the creation context as parent
  /// while another span is current; taking the ambient context in every case keeps a span's
  /// parent from depending on whether some span happens to be current.
  /// True: the creation context is the parent, so the span continues the producer's trace, and
  /// the ambient span, if any, is linked (as R9.9 asks when this is done). A message without a
  /// creation context falls back to the default.
  /// Batch spans always use the ambient context as parent and link every message.
  bool parent_from_message = false;
};

/// Receives messages from one destination.
///
/// Contract: poll() fetches up to `max_messages` and, for each in order, runs `handler` inside
/// a CONSUMER span `process {destination}` with `messaging.system`,
/// `messaging.destination.name`, `messaging.operation.type` = `process`,
/// `messaging.operation.name` = `process` and `messaging.message.id`; its parent and links
/// follow `parent_from_message`; the creation context is always linked (R9.9). The message is
/// acknowledged after its handler returns. poll_batch() runs `handler` once for the batch in
/// one CONSUMER span with `messaging.batch.message_count` and one link per message (with the
/// message's `messaging.message.id` on the link).
/// Context: the process span is current inside the handler; afterwards the caller's context is
/// back.
/// Delivery: a message is acknowledged only once its handler returned normally, so with a
/// transport that keeps unacknowledged messages (redis_streams with a consumer group) delivery
/// is at least once: a message whose handler threw, or whose process died inside the handler,
/// is delivered again (`message::redelivered`, with its original headers, so the new process
/// span links to or continues the producer's span). Handlers must be idempotent.
/// Errors: an exception from the handler is recorded on the span (status `error`,
/// `error.type` = the exception kind) and reported (`messaging.consumer.handler_failed`); the
/// message is not acknowledged, the rest of the fetched batch is not handled (nor
/// acknowledged), and the exception passes through unchanged. A failed fetch is an empty poll.
/// Thread safety: distinct objects: safe. Shared objects: safe if the transport is.
/// Lifetime: the transport must outlive the consumer.
class CTXFLOW_API consumer {
 public:
  consumer(transport& t, std::string destination, consumer_options options = {});

  /// Processes one fetched batch message by message; returns how many were handled.
  std::size_t poll(const std::function<void(const message&)>& handler);
  /// Processes one fetched batch in one span; returns its size (0: the handler was not called).
  std::size_t poll_batch(const std::function<void(std::span<const message>)>& handler);
  /// poll() from a ctxflow task: the blocking fetch runs on `pool` (coro::to_thread) and each
  /// handler is a task awaited inside its process span.
  coro::task<std::size_t> poll_async(std::function<coro::task<void>(const message&)> handler,
                                     exec::thread_pool& pool = exec::default_pool());

  const std::string& destination() const noexcept { return destination_; }

 private:
  static coro::task<std::size_t> poll_in_task(
      consumer* self, std::function<coro::task<void>(const message&)> handler,
      exec::thread_pool* pool);

  transport* transport_;
  std::string destination_;
  std::string span_name_;
  consumer_options options_;
};

}  // namespace ctxflow::integrations::messaging
