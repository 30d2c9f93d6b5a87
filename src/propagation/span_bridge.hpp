// SPDX-License-Identifier: Apache-2.0
// Private: the two trace-API entry points the propagators use: span_context_from() reads the
// active span's span_context from a context, context_with_remote_parent() stores a remote
// parent in one as a non-recording span (R1.9, R7.6). Kept in one include so the propagation
// sources name nothing else from the trace API.
#pragma once

#include "ctxflow/trace/span.hpp"
