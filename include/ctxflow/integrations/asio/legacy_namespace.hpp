// SPDX-License-Identifier: Apache-2.0
// The Asio integration's namespace before it matched the folder, `ctxflow::asio_integration`,
// stays for one release as a deprecated alias of
//   ctxflow::integrations::asio
// so that code still naming it compiles, with a deprecation warning (GCC warns at the first name
// used through it in a translation unit, Clang at every one). Every public header of the
// integration includes this one.
#pragma once

namespace ctxflow::integrations::asio {}

namespace ctxflow {
namespace [[deprecated("use ctxflow::integrations::asio")]] asio_integration {
using namespace ::ctxflow::integrations::asio;
}  // namespace asio_integration
}  // namespace ctxflow
