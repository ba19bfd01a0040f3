//===- Parser.h - parser of the golf DSL -------------------------*- C++
//-*-===//

#ifndef GOLF_FRONTEND_PARSER_H
#define GOLF_FRONTEND_PARSER_H

#include "frontend/AST.h"

namespace golf {

/// Parses a whole spec. Syntax errors are reported to `diags`; the parser
/// recovers at the next line or closing brace and goes on, so one run
/// reports every independent mistake (up to Diagnostics::kMaxErrors).
Spec parseSpec(Diagnostics &diags);

} // namespace golf

#endif // GOLF_FRONTEND_PARSER_H
