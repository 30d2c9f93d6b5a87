// SPDX-License-Identifier: Apache-2.0
// in_process_queue: named FIFOs under one mutex, a condition variable for blocking fetches.
#include "ctxflow/integrations/messaging/in_process_queue.hpp"

#include "ctxflow/context/diagnostics.hpp"

namespace ctxflow::integrations::messaging {

std::optional<std::string> in_process_queue::append(std::string_view destination,
                                                    const header_list& headers,
                                                    std::string_view body) noexcept {
  try {
    std::lock_guard lock(mu_);
    if (closed_) return std::nullopt;
    message m;
    m.id = std::to_string(next_id_++) + "-0";
    m.destination = std::string(destination);
    m.headers = headers;
    m.body = std::string(body);
    std::string id = m.id;
    auto it = queues_.find(destination);
    if (it == queues_.end()) it = queues_.emplace(std::string(destination), std::deque<message>{}).first;
    it->second.push_back(std::move(m));
    cv_.notify_all();
    return id;
  } catch (...) {
    report(severity::error, "messaging.queue.alloc_failed", "in_process_queue: append failed");
    return std::nullopt;
  }
}

std::vector<message> in_process_queue::fetch(std::string_view destination, std::size_t max,
                                             std::chrono::milliseconds wait) noexcept {
  std::vector<message> out;
  try {
    std::unique_lock lock(mu_);
    auto ready = [&] {
      if (closed_) return true;
      auto it = queues_.find(destination);
      return it != queues_.end() && !it->second.empty();
    };
    if (wait.count() > 0) cv_.wait_for(lock, wait, ready);
    auto it = queues_.find(destination);
    if (it == queues_.end()) return out;
    while (out.size() < max && !it->second.empty()) {
      out.push_back(std::move(it->second.front()));
      it->second.pop_front();
    }
  } catch (...) {
    report(severity::error, "messaging.queue.alloc_failed", "in_process_queue: fetch failed");
  }
  return out;
}

std::size_t in_process_queue::size(std::string_view destination) const {
  std::lock_guard lock(mu_);
  auto it = queues_.find(destination);
  return it == queues_.end() ? 0 : it->second.size();
}

void in_process_queue::close() noexcept {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

}  // namespace ctxflow::integrations::messaging
