// SPDX-License-Identifier: Apache-2.0
// The component's namespace before it matched the folder, `ctxflow::messaging`, stays for one
// release as a deprecated alias of
//   ctxflow::integrations::messaging
// so that code still naming it compiles, with a deprecation warning (GCC warns where a function
// or variable is named through it, Clang also where a type is). Every public header of the
// component includes this one.
#pragma once

namespace ctxflow::integrations::messaging {}

namespace ctxflow {
namespace [[deprecated("use ctxflow::integrations::messaging")]] messaging {
using namespace ::ctxflow::integrations::messaging;
}  // namespace messaging
}  // namespace ctxflow
