//===- AST.h - syntax tree of the golf DSL -----------------------*- C++
//-*-===//
//
// The parser's output. Nothing here is evaluated: the Emitter walks the tree
// with the resolved settings and produces golf IR.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_FRONTEND_AST_H
#define GOLF_FRONTEND_AST_H

#include "frontend/Diagnostics.h"
#include "frontend/Lexer.h"

#include <memory>
#include <string>
#include <vector>

namespace golf {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// One segment of a dotted path: a name (`attn`), an integer (`0`) or an
/// interpolation (`{i + 1}`).
struct PathSegment {
  std::string name; // Empty for an interpolation.
  ExprPtr expr;     // Set for an interpolation.
  Loc loc;
};

struct Arg {
  std::string keyword; // Empty for a positional argument.
  ExprPtr value;
  Loc loc;
};

struct Expr {
  enum Kind {
    Int,      // text
    Float,    // text
    String,   // text
    Bool,     // flag
    None,     //
    Ellipsis, // ...
    Path,     // segments (a single name is a path of one segment)
    List,     // items
    Unary,    // op, items[0]
    Binary,   // op, items[0], items[1]
    Cond,     // items[0] if items[1] else items[2]
    Call,     // callee (name), args; scope set for `PATH: block(...)`
    Index,    // items[0][subscripts]
    Slice,    // items: start, end (either may be null) — only in subscripts
  } kind;
  Loc loc;
  std::string text;
  bool flag = false;
  Tok op = Tok::Eof;
  std::vector<PathSegment> segments;
  std::vector<ExprPtr> items;
  std::vector<Arg> args;
  std::vector<PathSegment> scope; // Call with a scope prefix.
  std::string opName;             // Unary `not`/`-`, Binary `and`/`or`.
  int depth = 1;                  // Height of the tree, bounded by the parser.

  Expr(Kind kind, Loc loc) : kind(kind), loc(loc) {}
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using StmtList = std::vector<StmtPtr>;

/// `key = value` inside a section, an optimizer or an export class.
struct Setting {
  std::string name;
  ExprPtr value;
  Loc loc;
};

struct ParamAttr {
  std::string key; // init, group, quant
  ExprPtr value;
  Loc loc;
};

struct Stmt {
  enum Kind {
    Param,  // path, shape, attrs
    Assign, // name = value
    Expr,   // value
    For,    // name in value { body }
    If,     // value { body } else { orelse }
    Return, // value
    Assert, // value, message
  } kind;
  Loc loc;
  std::string name;
  std::vector<PathSegment> path;
  std::vector<ExprPtr> shape;
  std::vector<ParamAttr> attrs;
  ExprPtr value;
  std::string message;
  StmtList body;
  StmtList orelse;

  Stmt(Kind kind, Loc loc) : kind(kind), loc(loc) {}
};

struct BlockDef {
  std::string name;
  std::vector<std::string> params;
  std::vector<Loc> paramLocs;
  StmtList body;
  Loc loc;
};

struct OptimizerDef {
  std::string name, kind;
  Loc loc, kindLoc;
  std::vector<Setting> settings;
};

struct QuantDef {
  std::string name;
  Loc loc;
  std::vector<Setting> settings;
};

/// A top-level item evaluated in order: a setting of a section, a `let`, or
/// an `assert`.
struct Definition {
  enum Kind { Setting, Let, Assert } kind;
  std::string section; // hparams, train, eval, export (Setting only).
  std::string name;
  ExprPtr value;
  std::string message; // Assert only.
  Loc loc;
};

struct Spec {
  std::vector<Definition> definitions;
  std::vector<OptimizerDef> optimizers;
  std::vector<QuantDef> quants;
  std::vector<BlockDef> blocks;
  bool hasModel = false;
  Loc modelLoc;
  std::vector<std::string> modelParams;
  StmtList modelBody;
};

} // namespace golf

#endif // GOLF_FRONTEND_AST_H
