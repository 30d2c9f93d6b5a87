// SPDX-License-Identifier: Apache-2.0
// Private to http_client: the deadline and cancellation of one send().
//
// Everything here is used on the send's strand only. One steady_timer holds the deadline, and
// every socket, TLS and resolver wait is bound to one cancellation_signal. The timer's handler,
// the caller's cancellation (forwarded by a post to the strand) and the request's own steps all
// run on that strand, so whichever comes first cancels the pending operation through the signal
// and the others see it: nothing closes a socket from another thread.
//
// Boost before 1.77 has no cancellation slots. There the deadline closes the send's socket (a
// connection that timed out is never pooled anyway) and cancels the resolver wait, still on the
// strand, and the pending operation ends with an error that settle() turns into the timeout.
// Such an Asio has no cancellation of coroutines either, so there is no caller's cancellation
// to forward.
#pragma once

#include "integrations/http/cancellation.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#if CTXFLOW_HTTP_CANCELLATION_SLOTS
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#endif
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>

namespace ctxflow::integrations::http::detail {

enum class stop_reason : std::uint8_t { none, deadline, cancelled };

/// The deadline and cancellation of one send(). Everything in it is used on `strand` only.
struct control {
  control(boost::asio::any_io_executor s, std::string peer_name, std::chrono::milliseconds limit);

  /// Cancels the pending operation, once; later steps see `reason`.
  void stop(stop_reason r);

  /// The completion token of every operation of the send: cancelled through `signal` (before
  /// Boost 1.77: by closing `socket`), errors into `ec`.
  auto token(boost::system::error_code& ec) {
#if CTXFLOW_HTTP_CANCELLATION_SLOTS
    return boost::asio::bind_cancellation_slot(
        signal.slot(), boost::asio::redirect_error(boost::asio::use_awaitable, ec));
#else
    return boost::asio::redirect_error(boost::asio::use_awaitable, ec);
#endif
  }

  /// The pending operation is over: forgets its cancellation handler.
  void release() {
#if CTXFLOW_HTTP_CANCELLATION_SLOTS
    signal.slot().clear();
#endif
  }

  /// The socket the send's operations run on from now on (null: none). Before Boost 1.77,
  /// stop() closes it.
  void watch(boost::asio::ip::tcp::socket* s) { socket = s; }

  /// Throws when the send was stopped: by its deadline (`timed_out`) or by the caller
  /// (`operation_aborted`).
  void check(std::string_view phase) const;

  /// After an operation: forgets its cancellation handler (the operation is over), then throws
  /// when the send was stopped or the operation failed.
  void settle(const boost::system::error_code& ec, std::string_view phase);

  /// Starts the deadline timer (none for a zero timeout).
  static void arm_deadline(const std::shared_ptr<control>& ctl);

  boost::asio::any_io_executor strand;
  boost::asio::steady_timer deadline_timer;
  /// What a send() waits on while a name resolves (resolvers have no per-operation
  /// cancellation, so the wait is what gets cancelled).
  boost::asio::steady_timer resolve_wait;
#if CTXFLOW_HTTP_CANCELLATION_SLOTS
  boost::asio::cancellation_signal signal;
#endif
  boost::asio::ip::tcp::socket* socket = nullptr;
  std::string peer;  // "host:port", for messages
  std::chrono::milliseconds timeout;
  stop_reason reason = stop_reason::none;
  bool finished = false;
};

#if CTXFLOW_HTTP_CANCELLATION_SLOTS
/// Sits in the awaiting coroutine's cancellation slot while the request runs; moves the
/// cancellation onto the request's strand.
struct cancel_forwarder {
  std::shared_ptr<control> ctl;
  void operator()(boost::asio::cancellation_type type) const;
};
#endif

/// Ends the send's control on every way out of the request coroutine.
struct control_guard {
  explicit control_guard(control& c) : ctl(c) {}
  control_guard(const control_guard&) = delete;
  control_guard& operator=(const control_guard&) = delete;
  ~control_guard();
  control& ctl;
};

}  // namespace ctxflow::integrations::http::detail
