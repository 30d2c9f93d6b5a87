// SPDX-License-Identifier: Apache-2.0
// batch_options from the OTEL_BSP_* environment variables (R10).
#include "ctxflow/sdk/batch_options.hpp"

#include "internal/env.hpp"
#include "internal/report.hpp"

namespace ctxflow::sdk {

namespace {
// A count that must be positive; 0 is reported and ignored.
void read_count(const char* name, std::size_t& out) {
  if (auto v = internal::env_uint(name)) {
    if (*v == 0)
      internal::report_invalid_setting(internal::env_invalid_code, name, "0", "must be greater than 0");
    else
      out = *v;
  }
}
}  // namespace

batch_options batch_options::from_environment() {
  batch_options o;
  if (auto v = internal::env_millis("OTEL_BSP_SCHEDULE_DELAY")) o.schedule_delay = *v;
  if (auto v = internal::env_millis("OTEL_BSP_EXPORT_TIMEOUT")) o.export_timeout = *v;
  read_count("OTEL_BSP_MAX_QUEUE_SIZE", o.max_queue_size);
  read_count("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", o.max_export_batch_size);
  return o;
}

}  // namespace ctxflow::sdk
