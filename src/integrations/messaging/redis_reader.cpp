// SPDX-License-Identifier: Apache-2.0
// redis_streams: the consumer side of a fetch (needs hiredis). Claiming the idle pending entries
// of dead consumers (XAUTOCLAIM, with a cursor per destination and a pause after a scan that
// found nothing), reading new entries (XREADGROUP, or XREAD from the last id seen), and parsing
// stream entries into messages.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "integrations/messaging/redis_streams_impl.hpp"

namespace ctxflow::integrations::messaging {

using detail::as_view;
using detail::claim_cursor;
using detail::is_error;
using detail::mono_clock;
using detail::reply_ptr;
using std::chrono::milliseconds;

namespace {

/// Parses one stream entry `[id, [field, value, ...]]` into `m`; false when it is not one (a
/// nil for an entry deleted while pending).
bool parse_entry(const redisReply* entry, const std::string& destination, message& m) {
  if (!entry || entry->type != REDIS_REPLY_ARRAY || entry->elements < 2) return false;
  m.id = std::string(as_view(entry->element[0]));
  m.destination = destination;
  const redisReply* fields = entry->element[1];
  if (fields->type == REDIS_REPLY_ARRAY) {
    for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
      const std::string_view name = as_view(fields->element[f]);
      const std::string_view value = as_view(fields->element[f + 1]);
      if (name == "body")
        m.body = std::string(value);
      else
        m.headers.emplace_back(std::string(name), std::string(value));
    }
  }
  return true;
}

}  // namespace

/// Claims idle pending entries of `destination` (XAUTOCLAIM). Needs reader_mu.
redis_streams::impl::read_result redis_streams::impl::claim(const std::string& destination,
                                                            std::size_t max,
                                                            std::vector<message>& out) {
  if (options.claim_idle.count() <= 0 || !claim_supported) return read_result::done;
  claim_cursor& cursor = claim_cursors[destination];
  const mono_clock::time_point now = mono_clock::now();
  if (cursor.next == "0-0" && now < cursor.not_before) return read_result::done;
  reply_ptr r = reader.command({"XAUTOCLAIM", destination, options.group,
                                options.consumer_name,
                                std::to_string(options.claim_idle.count()), cursor.next,
                                "COUNT", std::to_string(max)});
  if (!r) return read_result::done;
  if (is_error(r.get(), "NOGROUP")) return read_result::no_group;
  if (is_error(r.get(), "ERR unknown command")) {
    claim_supported = false;  // Redis before 6.2
    report(severity::warning, "messaging.redis.claim_unsupported",
           "redis XAUTOCLAIM is not supported by this server (Redis 6.2+); pending messages "
           "of dead consumers are not claimed");
    return read_result::done;
  }
  // Shape: [next cursor, [[id, [field, value, ...]], ...], [deleted ids...] (Redis 7)].
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 2) return read_result::done;
  cursor.next = std::string(as_view(r->element[0]));
  if (cursor.next.empty()) cursor.next = "0-0";
  const redisReply* entries = r->element[1];
  if (entries->type == REDIS_REPLY_ARRAY) {
    for (std::size_t i = 0; i < entries->elements; ++i) {
      message m;
      if (!parse_entry(entries->element[i], destination, m)) continue;
      m.redelivered = true;
      out.push_back(std::move(m));
    }
  }
  claimed.fetch_add(out.size(), std::memory_order_relaxed);
  // A complete scan that found nothing: look again after a fraction of the idle time.
  if (cursor.next == "0-0" && out.empty())
    cursor.not_before = now + std::min(options.claim_idle / 4, milliseconds(1000));
  return read_result::done;
}

/// XREAD / XREADGROUP of `destination`. Needs reader_mu.
redis_streams::impl::read_result redis_streams::impl::read(const std::string& destination,
                                                           std::size_t max, milliseconds wait,
                                                           std::vector<message>& out) {
  std::vector<std::string> args;
  if (grouped()) {
    args = {"XREADGROUP", "GROUP", options.group, options.consumer_name,
            "COUNT", std::to_string(max)};
  } else {
    args = {"XREAD", "COUNT", std::to_string(max)};
  }
  if (wait.count() > 0) {
    args.emplace_back("BLOCK");
    args.push_back(std::to_string(wait.count()));
  }
  args.emplace_back("STREAMS");
  args.push_back(destination);
  if (grouped()) {
    args.emplace_back(">");
  } else {
    auto it = last_ids.find(destination);
    args.push_back(it == last_ids.end() ? options.start_id : it->second);
  }
  reply_ptr r = reader.command(args, wait.count() > 0 ? wait : milliseconds(0));
  if (is_error(r.get(), "NOGROUP")) return read_result::no_group;
  // Shape: [[stream, [[id, [field, value, ...]], ...]]], or nil on timeout.
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0) return read_result::done;
  const redisReply* stream = r->element[0];
  if (stream->type != REDIS_REPLY_ARRAY || stream->elements < 2) return read_result::done;
  const redisReply* entries = stream->element[1];
  if (entries->type != REDIS_REPLY_ARRAY) return read_result::done;
  for (std::size_t i = 0; i < entries->elements; ++i) {
    message m;
    if (!parse_entry(entries->element[i], destination, m)) continue;
    if (!grouped()) last_ids[destination] = m.id;
    out.push_back(std::move(m));
  }
  return read_result::done;
}


}  // namespace ctxflow::integrations::messaging
