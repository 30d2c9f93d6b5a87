// SPDX-License-Identifier: Apache-2.0
// CTXFLOW_API marks the symbols a shared ctxflow library exports. Static builds (the default)
// leave it empty. See docs/design/context.md for why the hot thread-locals are exported too.
#pragma once

#if defined(CTXFLOW_SHARED)
#if defined(CTXFLOW_BUILDING_SHARED)
#define CTXFLOW_API __attribute__((visibility("default")))
#else
#define CTXFLOW_API __attribute__((visibility("default")))
#endif
#else
#define CTXFLOW_API
#endif

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define CTXFLOW_HAS_EXCEPTIONS 1
#else
#define CTXFLOW_HAS_EXCEPTIONS 0
#endif
