//===- EmitterEval.cpp - expressions
//----------------------------------------===//

#include "frontend/EmitterImpl.h"

using namespace golf;

namespace golf::emit {

bool Emitter::lookup(const Expr &e, Frame &frame, Val &out) {
  std::string rel;
  bool simple = e.segments.size() == 1 && !e.segments[0].expr;
  if (simple) {
    const std::string &name = e.segments[0].name;
    bool local = frame.locals.count(name), global = globals.count(name);
    if (local || global) {
      // A parameter of the same name in scope would be silently hidden.
      std::string asParam = joinPath(frame.scope, name);
      if (params.count(asParam))
        return error(e.loc, "'" + name + "' is ambiguous: a " +
                                (local ? "variable" : "setting or constant") +
                                " and the parameter '" + asParam +
                                "'; rename one");
      out = local ? frame.locals[name] : globals[name];
      if (!local && !defining.empty())
        readsOf[defining].insert(name);
      else if (!local)
        firstRead.emplace(name, e.loc);
      return true;
    }
    if (blocks.count(name))
      return error(e.loc,
                   "'" + name + "' is a block; call it: " + name + "(...)");
  }
  if (!evalPath(e.segments, frame, rel))
    return false;
  std::string name = joinPath(frame.scope, rel);
  auto it = params.find(name);
  if (it == params.end()) {
    std::vector<std::string> candidates;
    for (const auto &kv : frame.locals)
      candidates.push_back(kv.first);
    for (const auto &kv : globals)
      candidates.push_back(kv.first);
    for (const auto &kv : params)
      if (frame.scope.empty() ||
          llvm::StringRef(kv.first).starts_with(frame.scope + "."))
        candidates.push_back(
            kv.first.substr(frame.scope.empty() ? 0 : frame.scope.size() + 1));
    std::string hint = closestMatch(rel, candidates);
    return error(e.loc,
                 "unknown name '" + rel + "'" +
                     (simple ? "" : Twine(" (no parameter '") + name + "')") +
                     (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  // One read per parameter, where it is first used: @model is one block of
  // straight-line code, so it dominates every later use.
  mlir::Value &ref = paramRefs[name];
  if (!ref) {
    const ParamInfo &info = it->second.info;
    ref = builder.create<ParamRefOp>(
        mlirLoc(e.loc),
        tensorType(Shape(info.shape.begin(), info.shape.end()), elemType),
        mlir::FlatSymbolRefAttr::get(&ctx, name));
  }
  out = Val::ofTensor(ref);
  return true;
}

bool Emitter::eval(const Expr &e, Frame &frame, Val &out) {
  if (!tick(e.loc))
    return false;
  // Blocks and expressions nest in one budget: the stack must hold them.
  DepthGuard guard(evalDepth);
  if (evalDepth > kMaxEvalDepth)
    return error(e.loc, "blocks and expressions nest too deeply (over " +
                            Twine(kMaxEvalDepth) + " levels)");
  switch (e.kind) {
  case Expr::Int: {
    errno = 0;
    char *end = nullptr;
    long long v = std::strtoll(e.text.c_str(), &end, 10);
    if (errno || *end)
      return error(e.loc, "integer " + e.text + " is too large");
    out = Val::ofInt(v);
    return true;
  }
  case Expr::Float: {
    double v = std::strtod(e.text.c_str(), nullptr);
    if (!std::isfinite(v))
      return error(e.loc, "number " + e.text + " is out of range");
    out = Val::ofFloat(v);
    return true;
  }
  case Expr::String:
    out = Val::ofStr(e.text);
    return true;
  case Expr::Bool:
    out = Val::ofBool(e.flag);
    return true;
  case Expr::None:
    out = Val::none();
    return true;
  case Expr::Ellipsis:
    return error(e.loc, "'...' is only allowed in a subscript");
  case Expr::Slice:
    return error(e.loc, "a slice is only allowed in a subscript");
  case Expr::Path:
    return lookup(e, frame, out);
  case Expr::List: {
    std::vector<Val> items;
    for (const ExprPtr &item : e.items) {
      Val v;
      if (!eval(*item, frame, v))
        return false;
      items.push_back(v);
    }
    out = Val::ofList(std::move(items));
    return true;
  }
  case Expr::Unary: {
    Val v;
    if (!eval(*e.items[0], frame, v))
      return false;
    if (e.opName == "not") {
      bool b;
      if (!toBool(v, e.items[0]->loc, "'not'", b))
        return false;
      out = Val::ofBool(!b);
      return true;
    }
    if (v.kind == Val::Int) {
      if (v.i == INT64_MIN)
        return error(e.loc, "integer overflow");
      out = Val::ofInt(-v.i);
    } else if (v.kind == Val::Float) {
      out = Val::ofFloat(-v.f);
    } else if (v.kind == Val::Tensor) {
      if (!mlir::isa<mlir::FloatType>(typeOf(v.t).getElementType()))
        return error(e.loc, "'-' needs a float tensor");
      out = Val::ofTensor(builder.create<NegOp>(mlirLoc(e.loc), v.t));
    } else {
      return error(e.loc, Twine("cannot negate ") + kindName(v));
    }
    return true;
  }
  case Expr::Binary:
    return evalBinary(e, frame, out);
  case Expr::Cond: {
    Val c;
    bool cond;
    if (!eval(*e.items[1], frame, c) ||
        !toBool(c, e.items[1]->loc, "a conditional expression", cond))
      return false;
    return eval(*e.items[cond ? 0 : 2], frame, out);
  }
  case Expr::Call:
    return evalCall(e, frame, out);
  case Expr::Index:
    return evalIndex(e, frame, out);
  }
  return error(e.loc, "unsupported expression");
}

bool Emitter::evalBinary(const Expr &e, Frame &frame, Val &out) {
  const std::string &op = e.opName;
  Val a, b;
  if (op == "and" || op == "or") {
    bool x, y;
    if (!eval(*e.items[0], frame, a) ||
        !toBool(a, e.items[0]->loc, ("'" + op + "'").c_str(), x))
      return false;
    if ((op == "and" && !x) || (op == "or" && x)) { // Short-circuit.
      out = Val::ofBool(x);
      return true;
    }
    if (!eval(*e.items[1], frame, b) ||
        !toBool(b, e.items[1]->loc, ("'" + op + "'").c_str(), y))
      return false;
    out = Val::ofBool(y);
    return true;
  }
  if (!eval(*e.items[0], frame, a) || !eval(*e.items[1], frame, b))
    return false;
  if (a.kind == Val::Tensor || b.kind == Val::Tensor)
    return tensorBinary(e, op, a, b, out);
  if (a.kind == Val::Dim || b.kind == Val::Dim)
    return error(e.loc, "B and T are the batch and sequence dimensions; they "
                        "have no value at compile time and may only appear in "
                        "a reshape's shape");

  // Lists: concatenation and equality.
  if (a.kind == Val::List && b.kind == Val::List && op == "+") {
    if (!tick(e.loc, (int64_t)(a.items->size() + b.items->size())))
      return false;
    std::vector<Val> items(*a.items);
    items.insert(items.end(), b.items->begin(), b.items->end());
    out = Val::ofList(std::move(items));
    return true;
  }
  // Strings: concatenation and comparison.
  if (a.kind == Val::Str && b.kind == Val::Str) {
    if (op == "+") {
      if (!tick(e.loc, (int64_t)(a.s.size() + b.s.size())))
        return false;
      out = Val::ofStr(a.s + b.s);
      return true;
    }
    if (op == "==" || op == "!=") {
      out = Val::ofBool((a.s == b.s) == (op == "=="));
      return true;
    }
  }
  if (a.kind == Val::Bool && b.kind == Val::Bool &&
      (op == "==" || op == "!=")) {
    out = Val::ofBool((a.b == b.b) == (op == "=="));
    return true;
  }
  if (!a.isNumber() || !b.isNumber())
    return error(e.loc, "cannot apply '" + op + "' to " + kindName(a) +
                            " and " + kindName(b));

  if (op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" ||
      op == ">=") {
    bool r;
    if (a.kind == Val::Int && b.kind == Val::Int) {
      r = op == "=="   ? a.i == b.i
          : op == "!=" ? a.i != b.i
          : op == "<"  ? a.i < b.i
          : op == "<=" ? a.i <= b.i
          : op == ">"  ? a.i > b.i
                       : a.i >= b.i;
    } else {
      double x = a.num(), y = b.num();
      r = op == "=="   ? x == y
          : op == "!=" ? x != y
          : op == "<"  ? x < y
          : op == "<=" ? x <= y
          : op == ">"  ? x > y
                       : x >= y;
    }
    out = Val::ofBool(r);
    return true;
  }
  if (a.kind == Val::Int && b.kind == Val::Int && op != "/" && op != "**") {
    int64_t x = a.i, y = b.i, r = 0;
    bool overflow = false;
    if (op == "+")
      overflow = __builtin_add_overflow(x, y, &r);
    else if (op == "-")
      overflow = __builtin_sub_overflow(x, y, &r);
    else if (op == "*")
      overflow = __builtin_mul_overflow(x, y, &r);
    else if (op == "^")
      r = x ^ y;
    else if (op == "//" || op == "%") {
      if (y == 0)
        return error(e.loc, "integer division by zero");
      if (x == INT64_MIN && y == -1)
        return error(e.loc, "integer overflow");
      int64_t q = x / y, m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) { // Floor, as Python.
        --q;
        m += y;
      }
      r = op == "//" ? q : m;
    } else
      return error(e.loc, "cannot apply '" + op + "' to integers");
    if (overflow)
      return error(e.loc, "integer overflow in '" + op + "'");
    out = Val::ofInt(r);
    return true;
  }
  if (a.kind == Val::Int && b.kind == Val::Int && op == "**" && b.i >= 0) {
    int64_t r = 1;
    for (int64_t k = 0; k < b.i; ++k) {
      if (__builtin_mul_overflow(r, a.i, &r))
        return error(e.loc, "integer overflow in '**'");
      if (r == 0 || r == 1)
        break;
    }
    if (r == 1 && a.i == -1 && b.i % 2 == 1)
      r = -1;
    out = Val::ofInt(r);
    return true;
  }
  double x = a.num(), y = b.num(), r;
  if (op == "+")
    r = x + y;
  else if (op == "-")
    r = x - y;
  else if (op == "*")
    r = x * y;
  else if (op == "/") {
    if (y == 0)
      return error(e.loc, "division by zero");
    r = x / y;
  } else if (op == "//" || op == "%") {
    if (y == 0)
      return error(e.loc, "division by zero");
    double q = std::floor(x / y);
    r = op == "//" ? q : x - q * y;
  } else if (op == "**")
    r = std::pow(x, y);
  else
    return error(e.loc, "cannot apply '" + op + "' to numbers");
  if (!std::isfinite(r))
    return error(e.loc,
                 "'" + op + "' gives a result that is not a finite number");
  out = Val::ofFloat(r);
  return true;
}

bool Emitter::tensorBinary(const Expr &e, const std::string &op, const Val &a,
                           const Val &b, Val &out) {
  mlir::Type elem = a.kind == Val::Tensor ? typeOf(a.t).getElementType()
                                          : typeOf(b.t).getElementType();
  if (elem.isInteger(1))
    return error(e.loc, "'" + op + "' does not apply to masks; use where()");
  mlir::Value x, y;
  if (!toTensor(a, e.items[0]->loc, elem, x) ||
      !toTensor(b, e.items[1]->loc, elem, y))
    return false;
  mlir::Type ex = typeOf(x).getElementType(), ey = typeOf(y).getElementType();
  if (ex != ey)
    return error(e.loc, "'" + op +
                            "' mixes a float tensor and an integer "
                            "tensor");
  ShapeResult r = broadcastShapes(typeOf(x).getShape(), typeOf(y).getShape());
  if (!checkShape(r, e.loc))
    return false;
  mlir::Location loc = mlirLoc(e.loc);
  bool isInt = ex.isInteger(32);
  if (op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" ||
      op == ">=") {
    const char *pred = op == "=="   ? "eq"
                       : op == "!=" ? "ne"
                       : op == "<"  ? "lt"
                       : op == "<=" ? "le"
                       : op == ">"  ? "gt"
                                    : "ge";
    out = Val::ofTensor(builder.create<CmpOp>(
        loc, tensorType(r.shape, builder.getI1Type()), pred, x, y));
    return true;
  }
  mlir::RankedTensorType type = tensorType(r.shape, ex);
  mlir::Value v;
  if (op == "+")
    v = builder.create<AddOp>(loc, type, x, y);
  else if (op == "-")
    v = builder.create<SubOp>(loc, type, x, y);
  else if (op == "*")
    v = builder.create<MulOp>(loc, type, x, y);
  else if (op == "/" && !isInt)
    v = builder.create<DivOp>(loc, type, x, y);
  else if (op == "%" && isInt)
    v = builder.create<RemOp>(loc, type, x, y);
  else if (op == "^" && isInt)
    v = builder.create<XorOp>(loc, type, x, y);
  else
    return error(e.loc, "'" + op + "' does not apply to " +
                            (isInt ? "integer" : "float") + " tensors");
  out = Val::ofTensor(v);
  return true;
}

bool Emitter::normalizeAxis(int64_t &axis, int64_t rank, Loc loc) {
  if (axis < -rank || axis >= rank)
    return error(loc, "axis " + Twine(axis) +
                          " is out of range for a tensor of "
                          "rank " +
                          Twine(rank));
  if (axis < 0)
    axis += rank;
  return true;
}

bool Emitter::evalIndex(const Expr &e, Frame &frame, Val &out) {
  Val base;
  if (!eval(*e.items[0], frame, base))
    return false;
  size_t nsubs = e.items.size() - 1;
  if (base.kind == Val::List) {
    if (nsubs != 1)
      return error(e.loc, "a list takes one subscript");
    const Expr &sub = *e.items[1];
    int64_t n = (int64_t)base.items->size();
    if (sub.kind == Expr::Slice) {
      int64_t lo = 0, hi = n;
      Val v;
      if (sub.items[0] && (!eval(*sub.items[0], frame, v) ||
                           !toInt(v, sub.loc, "a slice bound", lo)))
        return false;
      if (sub.items[1] && (!eval(*sub.items[1], frame, v) ||
                           !toInt(v, sub.loc, "a slice bound", hi)))
        return false;
      lo = lo < 0 ? std::max<int64_t>(0, lo + n) : std::min(lo, n);
      hi = hi < 0 ? std::max<int64_t>(0, hi + n) : std::min(hi, n);
      out = Val::ofList(std::vector<Val>(
          base.items->begin() + lo, base.items->begin() + std::max(lo, hi)));
      return true;
    }
    Val v;
    int64_t k;
    if (!eval(sub, frame, v) || !toInt(v, sub.loc, "a list index", k))
      return false;
    if (k < -n || k >= n)
      return error(sub.loc, "index " + Twine(k) +
                                " is out of range for a list "
                                "of " +
                                Twine(n));
    out = (*base.items)[k < 0 ? k + n : k];
    return true;
  }
  if (base.kind != Val::Tensor)
    return error(e.loc, Twine("cannot index ") + kindName(base));

  // Tensors: integers select (and drop) a dimension, slices narrow it, None
  // inserts a dimension of size 1, '...' stands for the dimensions not named.
  mlir::Value x = base.t;
  Shape in(typeOf(x).getShape());
  int64_t rank = (int64_t)in.size();
  int64_t named = 0, ellipses = 0;
  for (size_t k = 1; k <= nsubs; ++k) {
    Expr::Kind kind = e.items[k]->kind;
    if (kind == Expr::Ellipsis)
      ++ellipses;
    else if (kind != Expr::None)
      ++named;
  }
  if (ellipses > 1)
    return error(e.loc, "a subscript has at most one '...'");
  if (named > rank)
    return error(e.loc, "too many subscripts (" + Twine(named) +
                            ") for a tensor of rank " + Twine(rank));
  Shape outShape;
  int64_t dim = 0;
  bool reshape = false;
  for (size_t k = 1; k <= nsubs; ++k) {
    const Expr &sub = *e.items[k];
    if (sub.kind == Expr::Ellipsis) {
      for (int64_t n = rank - named; n > 0; --n)
        outShape.push_back(in[dim++]);
      continue;
    }
    if (sub.kind == Expr::None) {
      outShape.push_back(1);
      reshape = true;
      continue;
    }
    int64_t size = in[dim];
    int64_t lo, hi;
    bool drop = sub.kind != Expr::Slice;
    if (drop) {
      Val v;
      if (!eval(sub, frame, v) || !toInt(v, sub.loc, "a tensor index", lo))
        return false;
      if (size == kDyn)
        return error(sub.loc, "the batch and sequence dimensions cannot be "
                              "indexed (use shift)");
      if (lo < -size || lo >= size)
        return error(sub.loc, "index " + Twine(lo) +
                                  " is out of range for "
                                  "dimension " +
                                  Twine(dim) + " of size " + Twine(size));
      if (lo < 0)
        lo += size;
      hi = lo + 1;
    } else {
      Val v;
      bool full = !sub.items[0] && !sub.items[1];
      if (full) {
        outShape.push_back(size);
        ++dim;
        continue;
      }
      if (size == kDyn)
        return error(sub.loc, "the batch and sequence dimensions cannot be "
                              "sliced (use shift)");
      lo = 0, hi = size;
      if (sub.items[0] && (!eval(*sub.items[0], frame, v) ||
                           !toInt(v, sub.items[0]->loc, "a slice bound", lo)))
        return false;
      if (sub.items[1] && (!eval(*sub.items[1], frame, v) ||
                           !toInt(v, sub.items[1]->loc, "a slice bound", hi)))
        return false;
      // As NumPy: negative bounds count from the end, then clamp.
      lo = lo < 0 ? std::max<int64_t>(0, lo + size) : std::min(lo, size);
      hi = hi < 0 ? std::max<int64_t>(0, hi + size) : std::min(hi, size);
      if (lo >= hi)
        return error(sub.loc, "the slice selects nothing of dimension " +
                                  Twine(dim) + " (size " + Twine(size) + ")");
    }
    if (lo != 0 || hi != size) {
      ShapeResult r = sliceShape(typeOf(x).getShape(), dim, lo, hi);
      if (!checkShape(r, sub.loc))
        return false;
      x = builder.create<SliceOp>(
          mlirLoc(sub.loc), tensorType(r.shape, typeOf(x).getElementType()), x,
          builder.getI64IntegerAttr(dim), builder.getI64IntegerAttr(lo),
          builder.getI64IntegerAttr(hi));
    }
    if (drop)
      reshape = true;
    else
      outShape.push_back(hi - lo);
    ++dim;
  }
  while (dim < rank)
    outShape.push_back(in[dim++]);
  auto dynamicPositions = [](llvm::ArrayRef<int64_t> shape) {
    llvm::SmallVector<size_t> at;
    for (size_t i = 0; i < shape.size(); ++i)
      if (shape[i] == kDyn)
        at.push_back(i);
    return at;
  };
  if (dynamicPositions(in) != dynamicPositions(outShape))
    return error(e.loc, "a subscript cannot add dimensions before the batch "
                        "and sequence dimensions");
  if (reshape) {
    ShapeResult r = reshapeShape(typeOf(x).getShape(), outShape);
    if (!checkShape(r, e.loc))
      return false;
    x = builder.create<ReshapeOp>(
        mlirLoc(e.loc), tensorType(outShape, typeOf(x).getElementType()), x);
  }
  out = Val::ofTensor(x);
  return true;
}

} // namespace golf::emit
