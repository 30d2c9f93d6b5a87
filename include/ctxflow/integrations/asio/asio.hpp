// SPDX-License-Identifier: Apache-2.0
// The header to include for Asio: all of <boost/asio.hpp> and ctxflow's Asio integration.
// <utility> comes first because Boost 1.74's boost/asio/awaitable.hpp uses std::exchange without
// including it, which g++ 12 rejects when <boost/asio.hpp> is the first header of a file.
// See docs/usage/integrations.md.
#pragma once

#include <utility>

#include <boost/asio.hpp>

#include "ctxflow/integrations/asio/async_run.hpp"
#include "ctxflow/integrations/asio/bind_context.hpp"
#include "ctxflow/integrations/asio/co_spawn.hpp"
#include "ctxflow/integrations/asio/context_executor.hpp"
#include "ctxflow/integrations/asio/use_task.hpp"
