// SPDX-License-Identifier: Apache-2.0
// The process-wide state of the exec module: each thread's current scheduler.
#include "ctxflow/exec/scheduler.hpp"

namespace ctxflow::exec::detail {
thread_local constinit scheduler* tls_scheduler = nullptr;
}  // namespace ctxflow::exec::detail
