// SPDX-License-Identifier: Apache-2.0
// trace_store on SQLite: one connection behind a mutex, prepared statements kept for the
// store's lifetime, spans kept whole as one-span OTLP protobuf requests.
#include "ctxflow/viewer/trace_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <utility>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/exporters/otlp/proto_encoder.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/sdk/resource.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"

namespace ctxflow::viewer {
namespace {

// Bumped when the schema changes; a file with another version is refused at open.
constexpr int schema_version = 1;

constexpr const char* schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS spans (
  trace_id    TEXT NOT NULL,     -- 32 lowercase hex digits
  span_id     TEXT NOT NULL,     -- 16 lowercase hex digits
  parent_id   TEXT,              -- NULL for a span without parent
  service     TEXT NOT NULL,     -- the resource's service.name, '' when it has none
  name        TEXT NOT NULL,
  start_ns    INTEGER NOT NULL,  -- Unix time, nanoseconds
  end_ns      INTEGER NOT NULL,
  status_code INTEGER NOT NULL,  -- OTLP: 0 unset, 1 ok, 2 error
  kind        INTEGER NOT NULL,  -- OTLP: 1 internal, 2 server, 3 client, 4 producer, 5 consumer
  otlp        BLOB NOT NULL,     -- the span as a one-span binary ExportTraceServiceRequest
  PRIMARY KEY (trace_id, span_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS spans_by_service ON spans (service, trace_id);
CREATE TABLE IF NOT EXISTS traces (
  trace_id     TEXT PRIMARY KEY,
  seq          INTEGER NOT NULL,  -- order of arrival; retention deletes the lowest
  start_ns     INTEGER NOT NULL,
  end_ns       INTEGER NOT NULL,
  duration_ns  INTEGER NOT NULL,
  root_name    TEXT NOT NULL,
  root_service TEXT NOT NULL,
  services     TEXT NOT NULL,     -- JSON array of the distinct service names, sorted
  span_count   INTEGER NOT NULL,
  error_count  INTEGER NOT NULL,
  updated_ns   INTEGER NOT NULL   -- Unix time of the last add, nanoseconds
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS traces_by_start ON traces (start_ns);
CREATE INDEX IF NOT EXISTS traces_by_seq ON traces (seq);
)sql";

std::string hex(const trace::trace_id& id) {
  const auto h = id.to_hex();
  return {h.data(), h.size()};
}
std::string hex(const trace::span_id& id) {
  const auto h = id.to_hex();
  return {h.data(), h.size()};
}

std::string_view service_of(const sdk::span_data& s) noexcept {
  if (!s.resource_ptr) return {};
  return sdk::find_string_attribute(*s.resource_ptr, "service.name").value_or(std::string_view());
}

std::uint64_t unix_now_ns() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// SQLite integers are signed 64-bit; OTLP times are unsigned. Stored as the same bits: every
// time before 2262 keeps its order.
sqlite3_int64 to_db(std::uint64_t v) noexcept { return static_cast<sqlite3_int64>(v); }
std::uint64_t from_db(sqlite3_int64 v) noexcept { return static_cast<std::uint64_t>(v); }

// A prepared statement, finalised with its owner.
struct statement {
  sqlite3_stmt* s = nullptr;
  statement() = default;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  ~statement() { sqlite3_finalize(s); }
};

// Resets a statement (and clears its bindings) when the scope ends, however it ends.
struct reset_on_exit {
  sqlite3_stmt* s;
  ~reset_on_exit() {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

std::string column_text(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p == nullptr ? std::string() : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
}

}  // namespace

struct trace_store::impl {
  mutable std::mutex mu;
  sqlite3* db = nullptr;
  std::string path;  // for messages; ":memory:" for none
  std::size_t max_traces = 0;
  std::size_t traces = 0;        // rows of `traces`, guarded by mu
  std::int64_t next_seq = 1;     // guarded by mu

  statement insert_span, insert_trace, aggregate, root, update_trace, evict_spans, evict_traces,
      list, one_summary, spans_of, json_items, count_spans;
  std::string encoded;  // scratch for encode_protobuf, guarded by mu

  ~impl() {
    // Statements first (members are destroyed after this body, but the connection must
    // outlive them): finalise explicitly, then close.
    for (statement* st : {&insert_span, &insert_trace, &aggregate, &root, &update_trace,
                          &evict_spans, &evict_traces, &list, &one_summary, &spans_of,
                          &json_items, &count_spans}) {
      sqlite3_finalize(st->s);
      st->s = nullptr;
    }
    if (db != nullptr) sqlite3_close_v2(db);
  }

  std::string db_error() const { return sqlite3_errmsg(db); }

  bool exec(const char* sql, std::string& error) {
    char* msg = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &msg);
    if (rc == SQLITE_OK) return true;
    error = describe(rc, msg != nullptr ? msg : sqlite3_errstr(rc));
    sqlite3_free(msg);
    return false;
  }

  bool prepare(statement& st, const char* sql, std::string& error) {
    const int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st.s, nullptr);
    if (rc == SQLITE_OK) return true;
    error = describe(rc, db_error());
    return false;
  }

  // A message that says what is wrong with the file, not only what SQLite said.
  std::string describe(int rc, std::string_view detail) const {
    const std::string where = path == ":memory:" ? std::string("the in-memory database") : path;
    switch (rc & 0xff) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return where + " is locked by another process or store (is another `ctxflow serve` using it?)";
      case SQLITE_NOTADB:
        return where + " is not a SQLite database";
      case SQLITE_CORRUPT:
        return where + " is corrupt: " + std::string(detail);
      case SQLITE_CANTOPEN:
        return "cannot open " + where + ": " + std::string(detail);
      case SQLITE_READONLY:
        return where + " is read-only: " + std::string(detail);
      case SQLITE_FULL:
        return where + ": the disk is full";
      default:
        return where + ": " + std::string(detail);
    }
  }

  bool open(const store_options& o, std::string& error);
  bool store_batch(std::span<const sdk::span_data* const> spans, std::string& error);
  bool refresh_trace(const std::string& id, std::uint64_t now, std::string& error);
  bool read_summary(sqlite3_stmt* s, trace_summary& out, std::string& error);
};

bool trace_store::impl::open(const store_options& o, std::string& error) {
  path = o.path.empty() ? std::string(":memory:") : o.path;
  max_traces = o.max_traces;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    error = describe(rc, db != nullptr ? db_error() : std::string(sqlite3_errstr(rc)));
    return false;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(std::clamp<long long>(o.busy_timeout.count(), 0, 3600000)));
  if (!o.path.empty()) {
    // One store per file: the lock taken by the first write below is kept until close, so a
    // second store fails at its open instead of waiting at every write. Write-ahead logging
    // keeps commits cheap; NORMAL synchronisation loses at most the last commits on power loss.
    if (!exec("PRAGMA locking_mode=EXCLUSIVE", error)) return false;
    if (!exec("PRAGMA journal_mode=WAL", error)) return false;
    if (!exec("PRAGMA synchronous=NORMAL", error)) return false;
  }
  // Take the write lock now, then check what is in the file before touching it.
  if (!exec("BEGIN EXCLUSIVE", error)) return false;
  int version = 0;
  int tables = 0;
  {
    statement st;
    if (!prepare(st, "PRAGMA user_version", error)) return false;
    rc = sqlite3_step(st.s);
    if (rc != SQLITE_ROW) {
      error = describe(rc, db_error());
      return false;
    }
    version = sqlite3_column_int(st.s, 0);
    statement t;
    if (!prepare(t, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'", error)) return false;
    rc = sqlite3_step(t.s);
    if (rc != SQLITE_ROW) {
      error = describe(rc, db_error());
      return false;
    }
    tables = sqlite3_column_int(t.s, 0);
  }
  if (tables > 0 && version != schema_version) {
    error = path + " is not a ctxflow trace store (schema version " + std::to_string(version) +
            ", expected " + std::to_string(schema_version) + ")";
    return false;  // closing the connection rolls back
  }
  if (!o.path.empty()) {
    statement check;
    if (!prepare(check, "PRAGMA quick_check(1)", error)) return false;
    rc = sqlite3_step(check.s);
    if (rc != SQLITE_ROW) {
      error = describe(rc, db_error());
      return false;
    }
    const std::string verdict = column_text(check.s, 0);
    if (verdict != "ok") {
      error = path + " is corrupt: " + verdict;
      return false;
    }
  }
  if (!exec(schema_sql, error)) return false;
  if (!exec(("PRAGMA user_version=" + std::to_string(schema_version)).c_str(), error)) return false;
  if (!exec("COMMIT", error)) return false;

  if (!prepare(insert_span,
               "INSERT OR REPLACE INTO spans (trace_id, span_id, parent_id, service, name, "
               "start_ns, end_ns, status_code, kind, otlp) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
               "?9, ?10)",
               error) ||
      !prepare(insert_trace,
               "INSERT INTO traces (trace_id, seq, start_ns, end_ns, duration_ns, root_name, "
               "root_service, services, span_count, error_count, updated_ns) "
               "VALUES (?1, ?2, 0, 0, 0, '', '', '[]', 0, 0, 0) ON CONFLICT (trace_id) DO NOTHING",
               error) ||
      !prepare(aggregate,
               "SELECT min(start_ns), max(end_ns), count(*), total(status_code = 2), "
               "(SELECT json_group_array(service) FROM (SELECT DISTINCT service FROM spans "
               "WHERE trace_id = ?1 ORDER BY service)) FROM spans WHERE trace_id = ?1",
               error) ||
      !prepare(root,
               "SELECT name, service FROM spans WHERE trace_id = ?1 "
               "ORDER BY parent_id IS NOT NULL, start_ns, span_id LIMIT 1",
               error) ||
      !prepare(update_trace,
               "UPDATE traces SET start_ns = ?2, end_ns = ?3, duration_ns = ?4, root_name = ?5, "
               "root_service = ?6, services = ?7, span_count = ?8, error_count = ?9, "
               "updated_ns = ?10 WHERE trace_id = ?1",
               error) ||
      !prepare(evict_spans,
               "DELETE FROM spans WHERE trace_id IN "
               "(SELECT trace_id FROM traces ORDER BY seq LIMIT ?1)",
               error) ||
      !prepare(evict_traces,
               "DELETE FROM traces WHERE trace_id IN "
               "(SELECT trace_id FROM traces ORDER BY seq LIMIT ?1)",
               error) ||
      !prepare(list,
               "SELECT trace_id, root_name, root_service, services, start_ns, end_ns, "
               "span_count, error_count, updated_ns FROM traces AS t "
               "WHERE (?1 = '' OR EXISTS (SELECT 1 FROM spans AS s WHERE s.service = ?1 "
               "AND s.trace_id = t.trace_id)) "
               "AND (?2 = '' OR EXISTS (SELECT 1 FROM spans AS s WHERE s.trace_id = t.trace_id "
               "AND instr(s.name, ?2) > 0)) "
               "AND duration_ns >= ?3 ORDER BY start_ns DESC, trace_id LIMIT ?4",
               error) ||
      !prepare(one_summary,
               "SELECT trace_id, root_name, root_service, services, start_ns, end_ns, "
               "span_count, error_count, updated_ns FROM traces WHERE trace_id = ?1",
               error) ||
      !prepare(spans_of, "SELECT otlp FROM spans WHERE trace_id = ?1 ORDER BY start_ns, span_id",
               error) ||
      !prepare(json_items, "SELECT value FROM json_each(?1)", error) ||
      !prepare(count_spans, "SELECT count(*) FROM spans", error))
    return false;

  statement counts;
  if (!prepare(counts, "SELECT count(*), coalesce(max(seq), 0) + 1 FROM traces", error)) return false;
  rc = sqlite3_step(counts.s);
  if (rc != SQLITE_ROW) {
    error = describe(rc, db_error());
    return false;
  }
  traces = static_cast<std::size_t>(sqlite3_column_int64(counts.s, 0));
  next_seq = sqlite3_column_int64(counts.s, 1);
  return true;
}

bool trace_store::impl::refresh_trace(const std::string& id, std::uint64_t now, std::string& error) {
  std::uint64_t start = 0, end = 0;
  sqlite3_int64 count = 0, errors = 0;
  std::string services, name, service;
  {
    reset_on_exit r{aggregate.s};
    bind_text(aggregate.s, 1, id);
    const int rc = sqlite3_step(aggregate.s);
    if (rc != SQLITE_ROW) {
      error = describe(rc, db_error());
      return false;
    }
    start = from_db(sqlite3_column_int64(aggregate.s, 0));
    end = from_db(sqlite3_column_int64(aggregate.s, 1));
    count = sqlite3_column_int64(aggregate.s, 2);
    errors = static_cast<sqlite3_int64>(sqlite3_column_double(aggregate.s, 3));
    services = column_text(aggregate.s, 4);
  }
  {
    reset_on_exit r{root.s};
    bind_text(root.s, 1, id);
    const int rc = sqlite3_step(root.s);
    if (rc == SQLITE_ROW) {
      name = column_text(root.s, 0);
      service = column_text(root.s, 1);
    } else if (rc != SQLITE_DONE) {
      error = describe(rc, db_error());
      return false;
    }
  }
  reset_on_exit r{update_trace.s};
  bind_text(update_trace.s, 1, id);
  sqlite3_bind_int64(update_trace.s, 2, to_db(start));
  sqlite3_bind_int64(update_trace.s, 3, to_db(end));
  sqlite3_bind_int64(update_trace.s, 4, to_db(end > start ? end - start : 0));
  bind_text(update_trace.s, 5, name);
  bind_text(update_trace.s, 6, service);
  bind_text(update_trace.s, 7, services);
  sqlite3_bind_int64(update_trace.s, 8, count);
  sqlite3_bind_int64(update_trace.s, 9, errors);
  sqlite3_bind_int64(update_trace.s, 10, to_db(now));
  const int rc = sqlite3_step(update_trace.s);
  if (rc != SQLITE_DONE) {
    error = describe(rc, db_error());
    return false;
  }
  return true;
}

bool trace_store::impl::store_batch(std::span<const sdk::span_data* const> spans,
                                    std::string& error) {
  std::vector<std::string> touched;
  for (const sdk::span_data* s : spans) {
    if (s == nullptr || !s->context.trace.valid() || !s->context.span.valid()) continue;
    const std::string tid = hex(s->context.trace);
    if (std::find(touched.end() - static_cast<std::ptrdiff_t>(std::min<std::size_t>(touched.size(), 4)),
                  touched.end(), tid) == touched.end())
      touched.push_back(tid);
    const sdk::span_data* one[] = {s};
    exporters::otlp::encode_protobuf(one, encoded);
    reset_on_exit r{insert_span.s};
    bind_text(insert_span.s, 1, tid);
    bind_text(insert_span.s, 2, hex(s->context.span));
    if (s->parent_span_id.valid())
      bind_text(insert_span.s, 3, hex(s->parent_span_id));
    else
      sqlite3_bind_null(insert_span.s, 3);
    bind_text(insert_span.s, 4, service_of(*s));
    bind_text(insert_span.s, 5, s->name);
    sqlite3_bind_int64(insert_span.s, 6, to_db(s->start_time_unix_nano));
    sqlite3_bind_int64(insert_span.s, 7, to_db(s->end_time_unix_nano));
    sqlite3_bind_int(insert_span.s, 8, static_cast<int>(s->status.code));
    sqlite3_bind_int(insert_span.s, 9, static_cast<int>(s->kind));
    sqlite3_bind_blob(insert_span.s, 10, encoded.data(), static_cast<int>(encoded.size()),
                      SQLITE_STATIC);
    const int rc = sqlite3_step(insert_span.s);
    if (rc != SQLITE_DONE) {
      error = describe(rc, db_error());
      return false;
    }
  }
  if (touched.empty()) {
    error = "no span with a valid trace and span id";
    return false;
  }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  const std::uint64_t now = unix_now_ns();
  for (const std::string& tid : touched) {
    {
      reset_on_exit r{insert_trace.s};
      bind_text(insert_trace.s, 1, tid);
      sqlite3_bind_int64(insert_trace.s, 2, next_seq);
      const int rc = sqlite3_step(insert_trace.s);
      if (rc != SQLITE_DONE) {
        error = describe(rc, db_error());
        return false;
      }
      if (sqlite3_changes(db) == 1) {
        ++next_seq;
        ++traces;
      }
    }
    if (!refresh_trace(tid, now, error)) return false;
  }
  if (max_traces != 0 && traces > max_traces) {
    const auto excess = static_cast<sqlite3_int64>(traces - max_traces);
    for (statement* st : {&evict_spans, &evict_traces}) {
      reset_on_exit r{st->s};
      sqlite3_bind_int64(st->s, 1, excess);
      const int rc = sqlite3_step(st->s);
      if (rc != SQLITE_DONE) {
        error = describe(rc, db_error());
        return false;
      }
    }
    traces = max_traces;
  }
  return true;
}

bool trace_store::impl::read_summary(sqlite3_stmt* s, trace_summary& out, std::string& error) {
  out.trace_id = trace::trace_id::from_hex(column_text(s, 0));
  out.name = column_text(s, 1);
  out.service = column_text(s, 2);
  out.services.clear();
  {
    reset_on_exit r{json_items.s};
    const std::string services = column_text(s, 3);
    bind_text(json_items.s, 1, services);
    int rc;
    while ((rc = sqlite3_step(json_items.s)) == SQLITE_ROW)
      out.services.push_back(column_text(json_items.s, 0));
    if (rc != SQLITE_DONE) {
      error = describe(rc, db_error());
      return false;
    }
  }
  out.start_time_unix_nano = from_db(sqlite3_column_int64(s, 4));
  out.end_time_unix_nano = from_db(sqlite3_column_int64(s, 5));
  out.span_count = static_cast<std::size_t>(sqlite3_column_int64(s, 6));
  out.error_count = static_cast<std::size_t>(sqlite3_column_int64(s, 7));
  out.updated_unix_nano = from_db(sqlite3_column_int64(s, 8));
  return true;
}

trace_store::trace_store(std::unique_ptr<impl> p) noexcept : impl_(std::move(p)) {}
trace_store::~trace_store() = default;

std::unique_ptr<trace_store> trace_store::open(const store_options& options,
                                               std::string& error) noexcept {
  CTXFLOW_TRY {
    auto p = std::make_unique<impl>();
    if (!p->open(options, error)) {
      report(severity::error, "viewer.store.open_failed", error);
      return nullptr;
    }
    return std::unique_ptr<trace_store>(new trace_store(std::move(p)));
  }
  CTXFLOW_CATCH_ALL {
    error = std::string("cannot open the trace store: ") + current_exception_message();
    report(severity::error, "viewer.store.open_failed", error);
    return nullptr;
  }
}

bool trace_store::add(std::span<const sdk::span_data* const> spans) noexcept {
  std::lock_guard lock(impl_->mu);
  std::string error;
  const std::size_t traces_before = impl_->traces;
  const std::int64_t seq_before = impl_->next_seq;
  bool ok = false;
  CTXFLOW_TRY {
    if (!impl_->exec("BEGIN IMMEDIATE", error)) {
      report(severity::error, "viewer.store.write_failed", error);
      return false;
    }
    ok = impl_->store_batch(spans, error);
  }
  CTXFLOW_CATCH_ALL {
    ok = false;
    error = current_exception_message();
  }
  std::string ignored;
  if (ok && impl_->exec("COMMIT", error)) return true;
  impl_->exec("ROLLBACK", ignored);
  impl_->traces = traces_before;
  impl_->next_seq = seq_before;
  reportf(severity::error, "viewer.store.write_failed", "%zu spans not stored: %s", spans.size(),
          error.c_str());
  return false;
}

bool trace_store::add(std::span<const sdk::span_data> spans) noexcept {
  CTXFLOW_TRY {
    std::vector<const sdk::span_data*> ptrs;
    ptrs.reserve(spans.size());
    for (const auto& s : spans) ptrs.push_back(&s);
    return add(std::span<const sdk::span_data* const>(ptrs));
  }
  CTXFLOW_CATCH_ALL {
    report(severity::error, "viewer.store.write_failed", current_exception_message());
    return false;
  }
}

std::vector<trace_summary> trace_store::list(const trace_query& query) const noexcept {
  std::vector<trace_summary> out;
  std::lock_guard lock(impl_->mu);
  std::string error;
  CTXFLOW_TRY {
    sqlite3_stmt* s = impl_->list.s;
    reset_on_exit r{s};
    bind_text(s, 1, query.service);
    bind_text(s, 2, query.name);
    sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(
                                 std::min<std::uint64_t>(query.min_duration_nano, INT64_MAX)));
    sqlite3_bind_int64(s, 4, static_cast<sqlite3_int64>(
                                 std::min<std::uint64_t>(query.limit, INT64_MAX)));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      trace_summary t;
      if (!impl_->read_summary(s, t, error)) break;
      out.push_back(std::move(t));
    }
    if (error.empty() && rc != SQLITE_DONE) error = impl_->describe(rc, impl_->db_error());
  }
  CTXFLOW_CATCH_ALL { error = current_exception_message(); }
  if (!error.empty()) {
    report(severity::error, "viewer.store.read_failed", error);
    out.clear();
  }
  return out;
}

bool trace_store::summary(const trace::trace_id& id, trace_summary& out) const noexcept {
  std::lock_guard lock(impl_->mu);
  std::string error;
  bool found = false;
  CTXFLOW_TRY {
    sqlite3_stmt* s = impl_->one_summary.s;
    reset_on_exit r{s};
    bind_text(s, 1, hex(id));
    const int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
      found = impl_->read_summary(s, out, error);
    else if (rc != SQLITE_DONE)
      error = impl_->describe(rc, impl_->db_error());
  }
  CTXFLOW_CATCH_ALL { error = current_exception_message(); }
  if (!error.empty()) {
    report(severity::error, "viewer.store.read_failed", error);
    return false;
  }
  return found;
}

std::vector<sdk::span_data> trace_store::get(const trace::trace_id& id) const noexcept {
  std::vector<sdk::span_data> out;
  std::lock_guard lock(impl_->mu);
  std::string error;
  CTXFLOW_TRY {
    sqlite3_stmt* s = impl_->spans_of.s;
    reset_on_exit r{s};
    bind_text(s, 1, hex(id));
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
      const auto* p = static_cast<const char*>(sqlite3_column_blob(s, 0));
      const auto n = static_cast<std::size_t>(sqlite3_column_bytes(s, 0));
      std::string decode_error;
      if (!decode_protobuf(std::string_view(p == nullptr ? "" : p, n), out, decode_error)) {
        error = "a stored span of trace " + hex(id) + " does not decode: " + decode_error;
        break;
      }
    }
    if (error.empty() && rc != SQLITE_DONE) error = impl_->describe(rc, impl_->db_error());
  }
  CTXFLOW_CATCH_ALL { error = current_exception_message(); }
  if (!error.empty()) {
    report(severity::error, "viewer.store.read_failed", error);
    out.clear();
  }
  return out;
}

std::size_t trace_store::trace_count() const noexcept {
  std::lock_guard lock(impl_->mu);
  return impl_->traces;
}

std::size_t trace_store::span_count() const noexcept {
  std::lock_guard lock(impl_->mu);
  sqlite3_stmt* s = impl_->count_spans.s;
  reset_on_exit r{s};
  const int rc = sqlite3_step(s);
  if (rc != SQLITE_ROW) {
    report(severity::error, "viewer.store.read_failed", impl_->describe(rc, impl_->db_error()));
    return 0;
  }
  return static_cast<std::size_t>(sqlite3_column_int64(s, 0));
}

// --- JSON -----------------------------------------------------------------------------------

std::string trace_list_json(std::span<const trace_summary> traces) {
  std::string out = "{\"traces\":[";
  bool first = true;
  for (const trace_summary& t : traces) {
    if (!first) out.push_back(',');
    first = false;
    out += "{\"traceId\":\"";
    out += hex(t.trace_id);
    out += "\",\"name\":";
    append_json_string(out, t.name);
    out += ",\"service\":";
    append_json_string(out, t.service);
    out += ",\"services\":[";
    for (std::size_t i = 0; i < t.services.size(); ++i) {
      if (i != 0) out.push_back(',');
      append_json_string(out, t.services[i]);
    }
    out += "],\"startTimeUnixNano\":\"";
    out += std::to_string(t.start_time_unix_nano);
    out += "\",\"durationNano\":\"";
    out += std::to_string(t.duration_nano());
    out += "\",\"spanCount\":";
    out += std::to_string(t.span_count);
    out += ",\"errorCount\":";
    out += std::to_string(t.error_count);
    out += '}';
  }
  out += "]}";
  return out;
}

}  // namespace ctxflow::viewer
