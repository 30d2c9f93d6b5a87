// SPDX-License-Identifier: Apache-2.0
// http_client: HTTPS set-up through OpenSSL. The client's TLS context (TLS 1.2 or later, the
// system CA store or client_options::ca_file, peer verification on by default), and the
// handshake of a new connection with SNI and a certificate check whose findings name the
// failure.
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <memory>
#include <string>

#include <boost/asio/ssl/host_name_verification.hpp>

#include "ctxflow/context/diagnostics.hpp"
#include "integrations/http/client_connect.hpp"
#include "integrations/http/client_errors.hpp"
#include "integrations/http/client_pool.hpp"

namespace ctxflow::integrations::http {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using boost::system::error_code;

ssl::context& http_client::impl::tls_context() {
  std::call_once(tls_once, [this] {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    error_code ec;
    if (options.ca_file.empty())
      ctx->set_default_verify_paths(ec);
    else
      ctx->load_verify_file(options.ca_file, ec);
    if (ec) {
      tls_error = ec;
      tls_error_what = "ctxflow::integrations::http::http_client: cannot load ";
      tls_error_what += options.ca_file.empty() ? std::string("the system CA store")
                                                : "the CA file '" + options.ca_file + "'";
      reportf(severity::error, "http.client.tls_ca_failed", "%s: %s", tls_error_what.c_str(),
              ec.message().c_str());
    }
    ctx->set_verify_mode(options.verify_peer ? ssl::verify_peer : ssl::verify_none, ec);
    tls_ctx = std::move(ctx);
  });
  if (tls_error) throw detail::transport_failure(tls_error, tls_error_what, "tls_configuration");
  return *tls_ctx;
}

namespace detail {
namespace {

/// The message of a failed TLS handshake: what the certificate check found, or the handshake
/// error.
transport_failure handshake_failure(const connection& conn, const error_code& ec,
                                    const std::string& host, const std::string& peer) {
  std::string what =
      "ctxflow::integrations::http::http_client: TLS handshake with " + peer + " failed";
  if (conn.verify_error != X509_V_OK) {
    what += ": certificate verification failed: ";
    what += X509_verify_cert_error_string(conn.verify_error);
    what += " (depth " + std::to_string(conn.verify_depth) + ", subject " + conn.verify_subject +
            ")";
    return transport_failure(ec, what, "certificate");
  }
  if (conn.host_mismatch) {
    what += ": the certificate (subject " + conn.verify_subject + ") is not valid for '" + host +
            "'";
    return transport_failure(ec, what, "certificate");
  }
  return transport_failure(ec, what, "tls_handshake");
}

}  // namespace

net::awaitable<void> tls_handshake(connection& conn, const std::string& host, bool host_is_name,
                                   bool verify_peer, control& ctl) {
  SSL* native = conn.tls->native_handle();
  // SNI carries names only, never address literals (RFC 6066).
  if (host_is_name) SSL_set_tlsext_host_name(native, host.c_str());
  if (verify_peer) {
    conn.tls->set_verify_callback([c = &conn, check = ssl::host_name_verification(host)](
                                      bool preverified, ssl::verify_context& vc) {
      X509_STORE_CTX* store = vc.native_handle();
      auto subject = [&] {
        char name[256] = {};
        if (X509* cert = X509_STORE_CTX_get_current_cert(store))
          X509_NAME_oneline(X509_get_subject_name(cert), name, sizeof name);
        return std::string(name);
      };
      if (!preverified) {
        if (c->verify_error == X509_V_OK) {
          c->verify_error = X509_STORE_CTX_get_error(store);
          c->verify_depth = X509_STORE_CTX_get_error_depth(store);
          c->verify_subject = subject();
        }
        return false;
      }
      const bool ok = check(preverified, vc);
      if (!ok && !c->host_mismatch) {
        c->host_mismatch = true;
        c->verify_subject = subject();
      }
      return ok;
    });
  }
  error_code ec;
  ctl.check("the TLS handshake");
  co_await conn.tls->async_handshake(ssl::stream_base::client, ctl.token(ec));
  ctl.release();
  ctl.check("the TLS handshake");
  if (ec) {
    auto failure = handshake_failure(conn, ec, host, ctl.peer);
    reportf(severity::warning, "http.client.tls_failed", "%s: %s", failure.what(),
            ec.message().c_str());
    throw failure;
  }
}

}  // namespace detail
}  // namespace ctxflow::integrations::http
