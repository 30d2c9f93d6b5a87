// SPDX-License-Identifier: Apache-2.0
// A consumer process for the Redis fault tests: consumes `<destination>` as consumer `<name>` of
// group `<group>` on 127.0.0.1:`<port>`, prints `inside <message id>` on standard output when its
// handler starts, then sleeps in the handler until it is killed. It never claims other
// consumers' pending messages. Exit codes: 2 bad arguments, 3 no message within 30 s, 4 the
// handler returned (it should have been killed).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "ctxflow/integrations/messaging/consumer.hpp"
#include "ctxflow/integrations/messaging/redis_streams.hpp"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s <port> <destination> <group> <consumer name>\n", argv[0]);
    return 2;
  }
  namespace messaging = ctxflow::integrations::messaging;
  messaging::redis_options o;
  o.port = static_cast<std::uint16_t>(std::strtoul(argv[1], nullptr, 10));
  o.group = argv[3];
  o.consumer_name = argv[4];
  o.claim_idle = std::chrono::milliseconds(0);
  messaging::redis_streams redis(o);
  messaging::consumer_options co;
  co.max_messages = 1;
  co.wait = std::chrono::milliseconds(200);
  messaging::consumer c(redis, argv[2], co);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::size_t n = c.poll([](const messaging::message& m) {
      std::printf("inside %s\n", m.id.c_str());
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::seconds(60));
    });
    if (n > 0) return 4;
  }
  return 3;
}
