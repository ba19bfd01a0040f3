//===- Passes.h - golfc's passes ---------------------------------*- C++
//-*-===//

#ifndef GOLF_PASSES_PASSES_H
#define GOLF_PASSES_PASSES_H

#include "dialect/GolfOps.h"
#include "mlir/Pass/Pass.h"

namespace golf {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

} // namespace golf

#endif // GOLF_PASSES_PASSES_H
