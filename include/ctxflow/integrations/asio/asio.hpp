// SPDX-License-Identifier: Apache-2.0
// The one header to include for Boost.Asio with ctxflow: all of Boost.Asio, then every header of
// ctxflow's Asio integration (co_spawn, bind_context, use_task, async_run, context_executor).
//
// Why a header of its own: Boost 1.74's <boost/asio/awaitable.hpp> calls std::exchange without
// including <utility>, so with g++ 12 a file whose first include is <boost/asio.hpp> fails to
// compile. Including <utility> here first makes the order of includes irrelevant; later Boost
// releases include it themselves and are unaffected.
// See docs/usage/integrations.md.
#pragma once

// Needed before Boost.Asio on Boost 1.74 (std::exchange in awaitable.hpp); see above.
#include <utility>

#include <boost/asio.hpp>

#include "ctxflow/integrations/asio/async_run.hpp"
#include "ctxflow/integrations/asio/bind_context.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/integrations/asio/context_executor.hpp"
#include "ctxflow/integrations/asio/legacy_namespace.hpp"
#include "ctxflow/integrations/asio/use_task.hpp"
