// SPDX-License-Identifier: Apache-2.0
// The demo's services in a build without the Asio integration: there are none. built() says
// so, and the demo then never creates them.
#include <stdexcept>

#include "cli/demo_services.hpp"

namespace ctxflow::cli {

struct payment_services::state {};

bool payment_services::built() noexcept { return false; }

payment_services::payment_services(const queue_choice&, sdk::tracer_provider_options) {
  throw std::logic_error("this build has no payment service (it needs CTXFLOW_WITH_ASIO=ON)");
}

payment_services::~payment_services() = default;

void payment_services::subscribe() {}

bool payment_services::stop(std::chrono::milliseconds) { return true; }

void payment_services::give_up() noexcept {}

coro::task<bool> payment_services::charge_payment() { co_return false; }

bool payment_services::notify_until_one(std::chrono::milliseconds) { return false; }

}  // namespace ctxflow::cli
