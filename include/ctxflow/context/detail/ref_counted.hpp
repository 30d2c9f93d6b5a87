// SPDX-License-Identifier: Apache-2.0
// Moved to the public header ctxflow/context/ref_counted.hpp; kept so that existing includes
// still compile. Include the public header instead.
#pragma once

#include "ctxflow/context/ref_counted.hpp"
