//===- EmitterImpl.h - the front end's evaluator, shared by its files -----===//
//
// The compile-time values of a spec and the Emitter that evaluates it. Its
// definitions are split by concern: settings and declarations
// (EmitterSettings.cpp), statements and blocks (EmitterExec.cpp),
// expressions (EmitterEval.cpp), the builtin functions
// (EmitterBuiltins.cpp), the whole run and the compile jobs (Emitter.cpp).
// Private to frontend/.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_FRONTEND_EMITTERIMPL_H
#define GOLF_FRONTEND_EMITTERIMPL_H

#include "frontend/Frontend.h"
#include "frontend/Parser.h"

#include "dialect/GolfOps.h"
#include "dialect/GolfSchema.h"
#include "dialect/ShapeRules.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <pthread.h>
#include <set>

namespace golf::emit {

using llvm::Twine;

//===----------------------------------------------------------------------===//
// Compile-time values
//===----------------------------------------------------------------------===//

struct Val {
  enum Kind {
    None,
    Int,
    Float,
    Bool,
    Str,
    List,
    Stack,
    Tensor,
    Dim
  } kind = None;
  int64_t i = 0;                           // Int; Dim: 0 for B, 1 for T.
  double f = 0;                            // Float.
  bool b = false;                          // Bool.
  std::string s;                           // Str.
  std::shared_ptr<std::vector<Val>> items; // List (never mutated), Stack.
  mlir::Value t;                           // Tensor.

  static Val none() { return {}; }
  static Val ofInt(int64_t v) {
    Val x;
    x.kind = Int;
    x.i = v;
    return x;
  }
  static Val ofFloat(double v) {
    Val x;
    x.kind = Float;
    x.f = v;
    return x;
  }
  static Val ofBool(bool v) {
    Val x;
    x.kind = Bool;
    x.b = v;
    return x;
  }
  static Val ofStr(std::string v) {
    Val x;
    x.kind = Str;
    x.s = std::move(v);
    return x;
  }
  static Val ofList(std::vector<Val> v) {
    Val x;
    x.kind = List;
    x.items = std::make_shared<std::vector<Val>>(std::move(v));
    return x;
  }
  static Val ofTensor(mlir::Value v) {
    Val x;
    x.kind = Tensor;
    x.t = v;
    return x;
  }
  bool isNumber() const { return kind == Int || kind == Float; }
  double num() const { return kind == Int ? (double)i : f; }
};

inline const char *kindName(const Val &v) {
  switch (v.kind) {
  case Val::None:
    return "None";
  case Val::Int:
    return "an integer";
  case Val::Float:
    return "a number";
  case Val::Bool:
    return "a boolean";
  case Val::Str:
    return "a string";
  case Val::List:
    return "a list";
  case Val::Stack:
    return "a stack";
  case Val::Tensor:
    return "a tensor";
  case Val::Dim:
    return "a batch or sequence dimension";
  }
  return "?";
}

inline std::string formatVal(const Val &v) {
  switch (v.kind) {
  case Val::Int:
    return std::to_string(v.i);
  case Val::Float:
    return formatNumber(v.f);
  case Val::Bool:
    return v.b ? "true" : "false";
  case Val::Str:
    return "\"" + v.s + "\"";
  case Val::Dim:
    return v.i == 0 ? "B" : "T";
  case Val::List: {
    std::string s = "[";
    for (size_t k = 0; k < v.items->size(); ++k)
      s += (k ? ", " : "") + formatVal((*v.items)[k]);
    return s + "]";
  }
  default:
    return kindName(v);
  }
}

/// Reads `text` as a value of `kind`, as given on the command line or in the
/// environment. Returns false when it does not read as one.
inline bool parseLiteral(const std::string &text, ValueKind kind, Val &out) {
  const char *begin = text.c_str();
  char *end = nullptr;
  switch (kind) {
  case ValueKind::Int: {
    errno = 0;
    long long v = std::strtoll(begin, &end, 10);
    if (text.empty() || *end || errno)
      return false;
    out = Val::ofInt(v);
    return true;
  }
  case ValueKind::Float: {
    errno = 0;
    double v = std::strtod(begin, &end);
    if (text.empty() || *end || errno || !std::isfinite(v))
      return false;
    out = Val::ofFloat(v);
    return true;
  }
  case ValueKind::Bool:
    if (text == "1" || text == "true" || text == "True") {
      out = Val::ofBool(true);
      return true;
    }
    if (text == "0" || text == "false" || text == "False") {
      out = Val::ofBool(false);
      return true;
    }
    return false;
  case ValueKind::String:
    out =
        Val::ofStr(text.size() >= 2 && text.front() == '"' && text.back() == '"'
                       ? text.substr(1, text.size() - 2)
                       : text);
    return true;
  }
  return false;
}

inline std::optional<ValueKind> valueKindOf(const Val &v) {
  switch (v.kind) {
  case Val::Int:
    return ValueKind::Int;
  case Val::Float:
    return ValueKind::Float;
  case Val::Bool:
    return ValueKind::Bool;
  case Val::Str:
    return ValueKind::String;
  default:
    return std::nullopt;
  }
}

inline std::string joinPath(const std::string &scope, const std::string &rel) {
  return scope.empty() ? rel : rel.empty() ? scope : scope + "." + rel;
}

//===----------------------------------------------------------------------===//
// The emitter
//===----------------------------------------------------------------------===//

struct ParamRecord {
  ParamInfo info;
  std::vector<double> initArgs;
  Loc loc;
};

struct Frame {
  std::map<std::string, Val> locals;
  std::string scope; // Prefix of the parameters declared here.
  std::optional<Val> returned;
};

class Emitter {
public:
  Emitter(Diagnostics &diags, const CompileOptions &options,
          mlir::MLIRContext &ctx)
      : diags(diags), options(options), ctx(ctx), builder(&ctx) {
    elemType = options.f64 ? (mlir::Type)builder.getF64Type()
                           : (mlir::Type)builder.getF32Type();
  }

  bool run(const Spec &spec, CompileResult &result);

private:
  // Errors. Every evaluation function returns false after reporting one.
  bool error(Loc loc, const Twine &message) {
    diags.error(loc, message);
    return false;
  }
  mlir::Location mlirLoc(Loc loc) {
    return mlir::FileLineColLoc::get(&ctx, diags.getPath(), loc.line, loc.col);
  }
  /// Counts compile-time work (and memory: a list or string costs its
  /// length), so that no spec runs away.
  bool tick(Loc loc, int64_t cost = 1) {
    if ((work += cost) > kMaxWork)
      return error(loc, "the spec does too much work at compile time (over " +
                            Twine(kMaxWork) + " steps); is a loop unbounded?");
    return true;
  }

  // Settings.
  bool resolveSettings(const Spec &spec);
  bool applyOverride(const std::string &name, ValueKind kind, Val &value,
                     std::string &origin);
  bool emitDeclarations(const Spec &spec);
  bool settingsDict(const std::vector<Setting> &given,
                    const std::vector<SettingSpec> &schema, const char *what,
                    Loc loc, mlir::DictionaryAttr &out,
                    const std::string &skip = "");

  // Statements and expressions.
  bool exec(const StmtList &body, Frame &frame);
  bool execParam(const Stmt &s, Frame &frame);
  bool eval(const Expr &e, Frame &frame, Val &out);
  bool evalPath(const std::vector<PathSegment> &path, Frame &frame,
                std::string &out);
  /// No silent knobs (issue 7): says where each setting is used and warns
  /// about the ones that have no effect under the others.
  void checkUses(const Spec &spec);
  bool lookup(const Expr &e, Frame &frame, Val &out);
  bool evalBinary(const Expr &e, Frame &frame, Val &out);
  bool evalIndex(const Expr &e, Frame &frame, Val &out);
  bool evalCall(const Expr &e, Frame &frame, Val &out);
  bool callBlock(const Expr &e, const BlockDef &def, Frame &frame, Val &out);
  bool callBuiltin(const Expr &e, Frame &frame, Val &out);

  // Helpers.
  bool toInt(const Val &v, Loc loc, const char *what, int64_t &out);
  bool toNumber(const Val &v, Loc loc, const char *what, double &out);
  bool toBool(const Val &v, Loc loc, const char *what, bool &out);
  bool toTensor(const Val &v, Loc loc, mlir::Type elem, mlir::Value &out);
  bool toShape(const Val &v, Loc loc, Shape &out);
  mlir::RankedTensorType typeOf(mlir::Value v) {
    return mlir::cast<mlir::RankedTensorType>(v.getType());
  }
  mlir::Value constant(Loc loc, double value, mlir::Type elem) {
    return builder.create<ConstantOp>(mlirLoc(loc),
                                      mlir::RankedTensorType::get({}, elem),
                                      builder.getF64FloatAttr(value));
  }
  bool checkShape(const ShapeResult &r, Loc loc) {
    return r.ok() ? true : error(loc, r.error);
  }
  mlir::RankedTensorType tensorType(const Shape &shape, mlir::Type elem) {
    return mlir::RankedTensorType::get(shape, elem);
  }
  bool tensorBinary(const Expr &e, const std::string &op, const Val &a,
                    const Val &b, Val &out);
  bool normalizeAxis(int64_t &axis, int64_t rank, Loc loc);
  /// Settings, constants, B, T and blocks cannot be assigned.
  bool checkAssignable(const std::string &name, Loc loc) {
    if (name == "B" || name == "T")
      return error(loc, "'" + name + "' is the " +
                            (name == "B" ? "batch" : "sequence") +
                            " dimension and cannot be assigned");
    if (globals.count(name)) {
      error(loc, "'" + name +
                     "' is a setting or constant of the spec and "
                     "cannot be assigned");
      if (globalLocs.count(name))
        diags.note(globalLocs[name], "defined here");
      return false;
    }
    if (blocks.count(name))
      return error(loc, "'" + name + "' is a block and cannot be assigned");
    return true;
  }

  static constexpr int64_t kMaxWork = 2000000;
  static constexpr int kMaxEvalDepth = 3000;
  struct DepthGuard {
    int &depth;
    explicit DepthGuard(int &depth) : depth(depth) { ++depth; }
    ~DepthGuard() { --depth; }
  };
  static constexpr int kMaxDepth = 64;

  Diagnostics &diags;
  const CompileOptions &options;
  mlir::MLIRContext &ctx;
  mlir::OpBuilder builder;
  mlir::Type elemType;
  mlir::ModuleOp module;
  mlir::func::FuncOp model;

  std::map<std::string, Val> globals;
  std::map<std::string, Loc> globalLocs; // Where a setting or let is defined.
  std::map<std::string, Loc> firstRead; // Where a setting or let is first read.
  // What each setting or let's definition reads: it is used when they are.
  std::map<std::string, std::set<std::string>> readsOf;
  std::string defining; // The definition being evaluated, if any.
  std::map<std::string, const BlockDef *> blocks;
  std::map<std::string, Loc> optimizerLocs, quantLocs;
  std::vector<SettingInfo> settings;
  std::map<std::string, ParamRecord> params;
  std::vector<std::string> paramOrder;
  std::map<std::string, mlir::Value> paramRefs;
  int64_t work = 0;
  int depth = 0;
  int evalDepth = 0;
  std::vector<std::string> callStack; // Blocks being called, outermost first.
};

} // namespace golf::emit

#endif // GOLF_FRONTEND_EMITTERIMPL_H
