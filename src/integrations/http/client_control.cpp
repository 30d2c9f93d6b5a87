// SPDX-License-Identifier: Apache-2.0
// http_client: the deadline and cancellation of one send() (see client_control.hpp).
#include "integrations/http/client_control.hpp"

#include <utility>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>

#include "integrations/http/client_errors.hpp"

namespace ctxflow::integrations::http::detail {

namespace net = boost::asio;
using boost::system::error_code;

control::control(net::any_io_executor s, std::string peer_name, std::chrono::milliseconds limit)
    : strand(std::move(s)),
      deadline_timer(strand),
      resolve_wait(strand),
      peer(std::move(peer_name)),
      timeout(limit) {}

void control::stop(stop_reason r) {
  if (finished || reason != stop_reason::none) return;
  reason = r;
#if CTXFLOW_HTTP_CANCELLATION_SLOTS
  signal.emit(net::cancellation_type::terminal);
#else
  // No per-operation cancellation: end whatever is pending on the strand's objects. The
  // connection is not pooled after a stop, so closing its socket loses nothing.
  error_code ignored;
  resolve_wait.cancel(ignored);
  if (socket != nullptr) socket->close(ignored);
#endif
}

void control::check(std::string_view phase) const {
  if (reason == stop_reason::deadline)
    throw transport_failure(net::error::timed_out,
                            "ctxflow::integrations::http::http_client: the deadline of " +
                                std::to_string(timeout.count()) + " ms passed while " +
                                std::string(phase) + " (" + peer + ")",
                            "timeout");
  if (reason == stop_reason::cancelled)
    throw transport_failure(net::error::operation_aborted,
                            "ctxflow::integrations::http::http_client: send() was cancelled "
                            "while " + std::string(phase) + " (" + peer + ")",
                            "cancelled");
}

void control::settle(const error_code& ec, std::string_view phase) {
  release();
  check(phase);
  if (ec)
    throw transport_failure(ec,
                            "ctxflow::integrations::http::http_client: " + std::string(phase) +
                                " (" + peer + ") failed",
                            error_type_of(ec));
}

void control::arm_deadline(const std::shared_ptr<control>& ctl) {
  if (ctl->timeout.count() <= 0) return;
  ctl->deadline_timer.expires_after(ctl->timeout);
  ctl->deadline_timer.async_wait([c = ctl](const error_code& ec) {
    if (!ec) c->stop(stop_reason::deadline);
  });
}

#if CTXFLOW_HTTP_CANCELLATION_SLOTS
void cancel_forwarder::operator()(net::cancellation_type type) const {
  if (type == net::cancellation_type::none) return;
  net::post(ctl->strand, [c = ctl] { c->stop(stop_reason::cancelled); });
}
#endif

control_guard::~control_guard() {
  ctl.finished = true;
  ctl.release();
  ctl.socket = nullptr;
  try {
    ctl.deadline_timer.cancel();
  } catch (...) {  // cancelling a timer does not fail in practice; nothing to do if it did
  }
}

}  // namespace ctxflow::integrations::http::detail
