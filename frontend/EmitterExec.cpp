//===- EmitterExec.cpp - statements, blocks, conversions
//--------------------===//

#include "frontend/EmitterImpl.h"

using namespace golf;

namespace golf::emit {

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

bool Emitter::exec(const StmtList &body, Frame &frame) {
  for (const StmtPtr &sp : body) {
    const Stmt &s = *sp;
    if (!tick(s.loc))
      return false;
    switch (s.kind) {
    case Stmt::Param:
      if (!execParam(s, frame))
        return false;
      break;
    case Stmt::Assign: {
      Val v;
      if (!eval(*s.value, frame, v))
        return false;
      if (!checkAssignable(s.name, s.loc))
        return false;
      frame.locals[s.name] = v;
      break;
    }
    case Stmt::Expr: {
      Val v;
      if (!eval(*s.value, frame, v))
        return false;
      break;
    }
    case Stmt::For: {
      Val range;
      if (!eval(*s.value, frame, range))
        return false;
      if (range.kind != Val::List)
        return error(s.value->loc, Twine("a for loop runs over a list, not ") +
                                       kindName(range));
      if (!checkAssignable(s.name, s.loc))
        return false;
      auto items = range.items; // Keep alive.
      for (const Val &item : *items) {
        if (!tick(s.loc))
          return false;
        frame.locals[s.name] = item;
        if (!exec(s.body, frame))
          return false;
        if (frame.returned)
          return true;
      }
      break;
    }
    case Stmt::If: {
      Val c;
      bool cond;
      if (!eval(*s.value, frame, c) ||
          !toBool(c, s.value->loc, "an 'if' condition", cond))
        return false;
      if (!exec(cond ? s.body : s.orelse, frame))
        return false;
      break;
    }
    case Stmt::Return: {
      Val v;
      if (!eval(*s.value, frame, v))
        return false;
      frame.returned = v;
      return true;
    }
    case Stmt::Assert: {
      Val v;
      bool ok;
      if (!eval(*s.value, frame, v) ||
          !toBool(v, s.value->loc, "an assertion", ok))
        return false;
      if (!ok)
        return error(s.loc, "assertion failed: " + s.message);
      break;
    }
    }
    if (frame.returned)
      return true;
  }
  return true;
}

bool Emitter::execParam(const Stmt &s, Frame &frame) {
  std::string rel;
  if (!evalPath(s.path, frame, rel))
    return false;
  std::string name = joinPath(frame.scope, rel);
  if (name == "model" || llvm::StringRef(name).starts_with("golf_rt_"))
    return error(s.loc, "'" + name +
                            "' is reserved and cannot name a "
                            "parameter");
  if (s.path.size() == 1 && !s.path[0].expr &&
      (frame.locals.count(rel) || globals.count(rel)))
    return error(s.loc, "parameter '" + rel + "' would be hidden by the " +
                            (frame.locals.count(rel) ? "variable"
                                                     : "setting or constant") +
                            " of the same name; rename one");
  ParamRecord rec;
  rec.loc = s.loc;
  rec.info.name = name;
  rec.info.count = 1;
  for (const ExprPtr &d : s.shape) {
    Val v;
    int64_t n;
    if (!eval(*d, frame, v) || !toInt(v, d->loc, "a shape dimension", n))
      return false;
    if (n <= 0)
      return error(d->loc, "parameter '" + name + "' has a dimension of size " +
                               Twine(n) + "; sizes must be positive");
    if (rec.info.count > (int64_t(1) << 40) / n)
      return error(d->loc, "parameter '" + name + "' is too large");
    rec.info.shape.push_back(n);
    rec.info.count *= n;
  }
  std::map<std::string, const ParamAttr *> attrs;
  for (const ParamAttr &a : s.attrs) {
    if (a.key != "init" && a.key != "group" && a.key != "quant") {
      std::string hint = closestMatch(a.key, {"init", "group", "quant"});
      return error(a.loc,
                   "unknown parameter attribute '" + a.key +
                       "' (expected init, group and quant)" +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
    if (attrs.count(a.key))
      return error(a.loc, "'" + a.key + "' is given twice");
    attrs[a.key] = &a;
  }
  for (const char *key : {"init", "group", "quant"})
    if (!attrs.count(key))
      return error(s.loc, "parameter '" + name + "' needs " + key + "=...");

  // init: a name, or a call with numeric arguments.
  const Expr &init = *attrs["init"]->value;
  static const std::map<std::string, std::pair<int, int>> kInits = {
      {"zeros", {0, 0}},           {"ones", {0, 0}},
      {"kaiming_uniform", {0, 0}}, {"const", {1, 1}},
      {"normal", {1, 2}},          {"uniform", {2, 2}},
      {"orthogonal", {0, 1}},      {"rows", {1, 1 << 20}}};
  std::vector<std::string> initNames;
  for (const auto &kv : kInits)
    initNames.push_back(kv.first);
  std::string initName;
  std::vector<double> initArgs;
  if (init.kind == Expr::Path && init.segments.size() == 1 &&
      !init.segments[0].expr) {
    initName = init.segments[0].name;
  } else if (init.kind == Expr::Call && init.scope.empty()) {
    initName = init.text;
    for (const Arg &arg : init.args) {
      if (!arg.keyword.empty())
        return error(arg.loc, "initializer arguments are positional");
      Val v;
      double x;
      if (!eval(*arg.value, frame, v) ||
          !toNumber(v, arg.value->loc, "an initializer argument", x))
        return false;
      initArgs.push_back(x);
    }
  } else {
    return error(init.loc, "init must name an initializer, e.g. init=zeros or "
                           "init=normal(0, 0.02)");
  }
  auto it = kInits.find(initName);
  if (it == kInits.end()) {
    std::string hint = closestMatch(initName, initNames);
    return error(init.loc,
                 "unknown initializer '" + initName + "'" +
                     (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  int nargs = (int)initArgs.size();
  if (nargs < it->second.first || nargs > it->second.second)
    return error(init.loc, "initializer '" + initName + "' takes " +
                               (it->second.first == it->second.second
                                    ? Twine(it->second.first)
                                    : Twine(it->second.first) + " to " +
                                          Twine(it->second.second)) +
                               " argument(s), got " + Twine(nargs));
  if (initName == "normal" && nargs == 1)
    initArgs.insert(initArgs.begin(), 0.0); // normal(std) = normal(0, std)
  if (initName == "orthogonal" && nargs == 0)
    initArgs.push_back(1.0);
  if (initName == "normal" && initArgs[1] < 0)
    return error(init.loc, "normal(mean, std) needs a non-negative std");
  if (initName == "uniform" && initArgs[0] > initArgs[1])
    return error(init.loc, "uniform(low, high) needs low <= high");
  if (initName == "rows" && rec.info.shape.empty())
    return error(init.loc, "rows(...) needs a parameter with rows; '" + name +
                               "' is a scalar");
  if (initName == "rows" && (int64_t)initArgs.size() != rec.info.shape[0])
    return error(init.loc, "rows(...) gives one value per row: parameter '" +
                               name + "' has " + Twine(rec.info.shape[0]) +
                               " rows, rows() has " + Twine(nargs) + " values");
  if ((initName == "kaiming_uniform" || initName == "orthogonal") &&
      rec.info.shape.size() != 2)
    return error(init.loc, "initializer '" + initName + "' needs a matrix; '" +
                               name + "' has rank " +
                               Twine(rec.info.shape.size()));
  rec.info.init = initName;
  rec.initArgs = initArgs;

  // group and quant name declared symbols.
  for (const char *key : {"group", "quant"}) {
    const Expr &v = *attrs[key]->value;
    bool isGroup = std::string(key) == "group";
    auto &table = isGroup ? optimizerLocs : quantLocs;
    if (v.kind != Expr::Path || v.segments.size() != 1 || v.segments[0].expr)
      return error(v.loc,
                   Twine(key) + " must name " +
                       (isGroup ? "an optimizer group" : "an export class"));
    const std::string &ref = v.segments[0].name;
    if (!table.count(ref)) {
      std::vector<std::string> names;
      for (const auto &kv : table)
        names.push_back(kv.first);
      std::string hint = closestMatch(ref, names);
      return error(v.loc,
                   Twine("unknown ") +
                       (isGroup ? "optimizer group '" : "export class '") +
                       ref + "'" +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
    (isGroup ? rec.info.group : rec.info.quant) = ref;
  }

  // Declaring the same parameter again shares it (depth recurrence); it
  // must then be declared identically.
  if (auto prev = params.find(name); prev != params.end()) {
    ParamRecord &p = prev->second;
    if (p.info.shape != rec.info.shape || p.info.init != rec.info.init ||
        p.initArgs != rec.initArgs || p.info.group != rec.info.group ||
        p.info.quant != rec.info.quant) {
      error(s.loc, "parameter '" + name +
                       "' is declared again differently; a shared parameter "
                       "must be declared identically");
      diags.note(p.loc, "first declared here");
      return false;
    }
    ++p.info.uses;
    return true;
  }
  rec.info.uses = 1;
  mlir::OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(model);
  builder.create<ParamOp>(
      mlirLoc(s.loc), builder.getStringAttr(name),
      mlir::TypeAttr::get(tensorType(
          Shape(rec.info.shape.begin(), rec.info.shape.end()), elemType)),
      builder.getStringAttr(rec.info.init),
      builder.getDenseF64ArrayAttr(rec.initArgs),
      builder.getStringAttr(rec.info.group),
      builder.getStringAttr(rec.info.quant));
  params[name] = rec;
  paramOrder.push_back(name);
  return true;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

bool Emitter::evalPath(const std::vector<PathSegment> &path, Frame &frame,
                       std::string &out) {
  out.clear();
  for (const PathSegment &seg : path) {
    std::string part = seg.name;
    if (seg.expr) {
      Val v;
      if (!eval(*seg.expr, frame, v))
        return false;
      if (v.kind == Val::Int)
        part = std::to_string(v.i);
      else if (v.kind == Val::Str && !v.s.empty())
        part = v.s;
      else
        return error(seg.expr->loc, Twine("a name segment must be an integer "
                                          "or a string, not ") +
                                        kindName(v));
    }
    out = out.empty() ? part : out + "." + part;
  }
  return true;
}

bool Emitter::evalCall(const Expr &e, Frame &frame, Val &out) {
  if (auto it = blocks.find(e.text); it != blocks.end())
    return callBlock(e, *it->second, frame, out);
  if (!e.scope.empty())
    return error(e.loc, "'" + e.text +
                            "' is not a block; only blocks take a "
                            "scope prefix");
  return callBuiltin(e, frame, out);
}

bool Emitter::callBlock(const Expr &e, const BlockDef &def, Frame &frame,
                        Val &out) {
  if (std::find(callStack.begin(), callStack.end(), def.name) !=
      callStack.end())
    return error(e.loc, "block '" + def.name + "' calls itself (through " +
                            llvm::join(callStack, " -> ") +
                            "); blocks cannot be recursive");
  if (depth >= kMaxDepth)
    return error(e.loc, "blocks call each other too deeply (" +
                            Twine(kMaxDepth) + " levels)");
  Frame inner;
  std::string rel;
  if (!evalPath(e.scope, frame, rel))
    return false;
  inner.scope = joinPath(frame.scope, rel);
  size_t positional = 0;
  for (const Arg &arg : e.args) {
    Val v;
    if (!eval(*arg.value, frame, v))
      return false;
    std::string name;
    if (arg.keyword.empty()) {
      if (positional >= def.params.size())
        return error(arg.loc, "block '" + def.name + "' takes " +
                                  Twine(def.params.size()) + " argument(s)");
      name = def.params[positional++];
    } else {
      if (std::find(def.params.begin(), def.params.end(), arg.keyword) ==
          def.params.end())
        return error(arg.loc, "block '" + def.name + "' has no argument '" +
                                  arg.keyword + "'");
      name = arg.keyword;
    }
    if (inner.locals.count(name))
      return error(arg.loc, "argument '" + name + "' is given twice");
    inner.locals[name] = v;
  }
  for (const std::string &p : def.params)
    if (!inner.locals.count(p))
      return error(e.loc,
                   "block '" + def.name + "' needs argument '" + p + "'");
  ++depth;
  callStack.push_back(def.name);
  bool ok = exec(def.body, inner);
  callStack.pop_back();
  --depth;
  if (!ok)
    return false;
  out = inner.returned ? *inner.returned : Val::none();
  return true;
}

//===----------------------------------------------------------------------===//
// Built-in functions
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Conversions
//===----------------------------------------------------------------------===//

bool Emitter::toInt(const Val &v, Loc loc, const char *what, int64_t &out) {
  if (v.kind == Val::Int) {
    out = v.i;
    return true;
  }
  return error(
      loc, Twine(what) + " must be an integer, got " +
               (v.kind == Val::Float ? formatNumber(v.f) : kindName(v)) +
               (v.kind == Val::Float ? " (use // for integer division)" : ""));
}

bool Emitter::toNumber(const Val &v, Loc loc, const char *what, double &out) {
  if (v.isNumber()) {
    out = v.num();
    return true;
  }
  return error(loc, Twine(what) + " must be a number, not " + kindName(v));
}

bool Emitter::toBool(const Val &v, Loc loc, const char *what, bool &out) {
  if (v.kind == Val::Bool) {
    out = v.b;
    return true;
  }
  return error(loc, Twine(what) + " must be a boolean, not " + kindName(v) +
                        (v.kind == Val::Tensor ? " (conditions are decided at "
                                                 "compile time; use where())"
                                               : ""));
}

bool Emitter::toTensor(const Val &v, Loc loc, mlir::Type elem,
                       mlir::Value &out) {
  if (v.kind == Val::Tensor) {
    out = v.t;
    return true;
  }
  if (v.kind == Val::Int && (elem.isInteger(32))) {
    if (v.i < INT32_MIN || v.i > INT32_MAX)
      return error(loc,
                   "integer " + Twine(v.i) + " does not fit a 32-bit tensor");
    out = constant(loc, (double)v.i, elem);
    return true;
  }
  if (v.isNumber() && mlir::isa<mlir::FloatType>(elem)) {
    out = constant(loc, v.num(), elem);
    return true;
  }
  if (v.kind == Val::Float)
    return error(loc, "a number cannot meet an integer tensor");
  return error(loc, Twine("expected a tensor or a number, not ") + kindName(v));
}

bool Emitter::toShape(const Val &v, Loc loc, Shape &out) {
  if (v.kind != Val::List)
    return error(loc, Twine("a shape is a list like [B, T, model_dim], not ") +
                          kindName(v));
  bool seenB = false, seenT = false;
  for (const Val &d : *v.items) {
    if (d.kind == Val::Dim) {
      // B and T keep their identity and order: [B, T, ...].
      bool isB = d.i == 0;
      if ((isB && (seenB || seenT)) || (!isB && (seenT || !seenB)))
        return error(loc, "a shape names B and T once each, B first: "
                          "[B, T, ...]");
      (isB ? seenB : seenT) = true;
      out.push_back(kDyn);
      continue;
    }
    int64_t n;
    if (!toInt(d, loc, "a shape dimension", n))
      return false;
    if (n <= 0)
      return error(loc, "shape dimension " + Twine(n) + " must be positive");
    out.push_back(n);
  }
  return true;
}

} // namespace golf::emit
