// SPDX-License-Identifier: Apache-2.0
// Private to the HTTP helpers: whether Boost.Asio has per-operation cancellation (cancellation
// slots and signals, `this_coro::cancellation_state`), which came with Boost 1.77. With it, the
// client's deadline and the caller's cancellation, and the server's stop, cancel the pending
// operation through a signal. Without it (Boost 1.74), they close the sockets and cancel the
// timers the pending operations wait on, on the same strands (docs/design/asio.md, section 1).
#pragma once

#include <boost/version.hpp>

#if BOOST_VERSION >= 107700
#define CTXFLOW_HTTP_CANCELLATION_SLOTS 1
#else
#define CTXFLOW_HTTP_CANCELLATION_SLOTS 0
#endif
