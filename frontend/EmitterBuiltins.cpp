//===- EmitterBuiltins.cpp - the builtin functions of the DSL
//---------------===//

#include "frontend/EmitterImpl.h"

using namespace golf;

namespace golf::emit {

//===----------------------------------------------------------------------===//
// Built-in functions
//===----------------------------------------------------------------------===//

bool Emitter::callBuiltin(const Expr &e, Frame &frame, Val &out) {
  const std::string &name = e.text;
  // Signatures: argument names in order; a trailing '?' marks optional ones.
  static const std::map<std::string, std::vector<std::string>> kSignatures = {
      {"embedding", {"ids", "table"}},
      {"linear", {"x", "weight"}},
      {"rms_norm", {"x", "eps?"}},
      {"rope", {"x", "dims?", "base?"}},
      {"causal_attention", {"q", "k", "v", "scale?", "starts?", "segment?"}},
      {"softcap", {"x", "cap"}},
      {"cross_entropy", {"logits", "targets", "focal_gamma?"}},
      {"leaky_relu", {"x", "alpha?"}},
      {"reshape", {"x", "shape"}},
      {"concat", {"tensors", "axis?"}},
      {"shift", {"x", "amount?", "fill?"}},
      {"sum", {"x", "axis", "keepdim?"}},
      {"mean", {"x", "axis", "keepdim?"}},
      {"where", {"cond", "a", "b"}},
      {"range", {"a", "b?", "step?"}},
      {"len", {"x"}},
      {"stack", {}},
      {"push", {"stack", "value"}},
      {"pop", {"stack"}},
      {"int", {"x"}},
      {"float", {"x"}},
      {"min", {"a", "b?"}},
      {"max", {"a", "b?"}},
  };
  // Every unary op of the dialect (UnaryMathOpInterface) is a function of
  // one argument named by its mnemonic: relu, tanh, exp...
  static const std::vector<std::string> kUnary = {"x"};
  mlir::MLIRContext *ctx = builder.getContext();
  std::optional<mlir::RegisteredOperationName> unary =
      mlir::RegisteredOperationName::lookup("golf." + name, ctx);
  if (unary && !unary->hasInterface<UnaryMathOpInterface>())
    unary.reset();
  auto sig = kSignatures.find(name);
  if (sig == kSignatures.end() && !unary) {
    std::vector<std::string> names;
    for (const auto &kv : kSignatures)
      names.push_back(kv.first);
    for (mlir::RegisteredOperationName op : ctx->getRegisteredOperations())
      if (op.hasInterface<UnaryMathOpInterface>())
        names.push_back(op.getStringRef().drop_front(5).str());
    for (const auto &kv : blocks)
      names.push_back(kv.first);
    std::string hint = closestMatch(name, names);
    return error(e.loc,
                 "unknown function '" + name + "'" +
                     (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  const std::vector<std::string> &params = unary ? kUnary : sig->second;
  std::vector<std::optional<Val>> args(params.size());
  std::vector<Loc> locs(params.size(), e.loc);
  auto paramName = [](const std::string &p) {
    return p.back() == '?' ? p.substr(0, p.size() - 1) : p;
  };
  size_t positional = 0;
  for (const Arg &arg : e.args) {
    size_t slot = params.size();
    if (arg.keyword.empty()) {
      slot = positional++;
      if (slot >= params.size())
        return error(arg.loc, name + "() takes at most " +
                                  Twine(params.size()) + " argument(s)");
    } else {
      for (size_t k = 0; k < params.size(); ++k)
        if (paramName(params[k]) == arg.keyword)
          slot = k;
      if (slot == params.size())
        return error(arg.loc,
                     name + "() has no argument '" + arg.keyword + "'");
    }
    if (args[slot])
      return error(arg.loc,
                   "argument '" + paramName(params[slot]) + "' is given twice");
    Val v;
    if (!eval(*arg.value, frame, v))
      return false;
    args[slot] = v;
    locs[slot] = arg.value->loc;
  }
  for (size_t k = 0; k < params.size(); ++k)
    if (!args[k] && params[k].back() != '?')
      return error(e.loc, name + "() needs argument '" + params[k] + "'");

  mlir::Location loc = mlirLoc(e.loc);
  auto tensorArg = [&](size_t k, mlir::Value &v) -> bool {
    if (args[k]->kind != Val::Tensor)
      return error(locs[k], name + "(): '" + paramName(params[k]) +
                                "' must be a tensor, not " +
                                kindName(*args[k]));
    v = args[k]->t;
    return true;
  };
  auto floatTensorArg = [&](size_t k, mlir::Value &v) -> bool {
    if (!tensorArg(k, v))
      return false;
    if (!mlir::isa<mlir::FloatType>(typeOf(v).getElementType()))
      return error(locs[k], name + "(): '" + paramName(params[k]) +
                                "' must be a float tensor");
    return true;
  };
  auto intTensorArg = [&](size_t k, mlir::Value &v) -> bool {
    if (!tensorArg(k, v))
      return false;
    if (!typeOf(v).getElementType().isInteger(32))
      return error(locs[k], name + "(): '" + paramName(params[k]) +
                                "' must be an integer tensor (token ids)");
    return true;
  };
  auto numberArg = [&](size_t k, double dflt, double &v) -> bool {
    if (!args[k] || args[k]->kind == Val::None) {
      v = dflt;
      return true;
    }
    return toNumber(
        *args[k], locs[k],
        (name + "() argument '" + paramName(params[k]) + "'").c_str(), v);
  };
  auto intArg = [&](size_t k, int64_t dflt, int64_t &v) -> bool {
    if (!args[k]) {
      v = dflt;
      return true;
    }
    return toInt(*args[k], locs[k],
                 (name + "() argument '" + paramName(params[k]) + "'").c_str(),
                 v);
  };
  auto boolArg = [&](size_t k, bool dflt, bool &v) -> bool {
    if (!args[k]) {
      v = dflt;
      return true;
    }
    return toBool(*args[k], locs[k],
                  (name + "() argument '" + paramName(params[k]) + "'").c_str(),
                  v);
  };
  auto yield = [&](mlir::Value v) {
    out = Val::ofTensor(v);
    return true;
  };

  // Model ops.
  if (name == "embedding") {
    mlir::Value ids, table;
    if (!intTensorArg(0, ids) || !floatTensorArg(1, table))
      return false;
    ShapeResult r =
        embeddingShape(typeOf(ids).getShape(), typeOf(table).getShape());
    if (!checkShape(r, e.loc))
      return false;
    return yield(builder.create<EmbeddingOp>(loc, tensorType(r.shape, elemType),
                                             ids, table));
  }
  if (name == "linear") {
    mlir::Value x, w;
    if (!floatTensorArg(0, x) || !floatTensorArg(1, w))
      return false;
    ShapeResult r = linearShape(typeOf(x).getShape(), typeOf(w).getShape());
    if (!checkShape(r, e.loc))
      return false;
    return yield(
        builder.create<LinearOp>(loc, tensorType(r.shape, elemType), x, w));
  }
  if (name == "rms_norm") {
    mlir::Value x;
    if (!floatTensorArg(0, x))
      return false;
    if (typeOf(x).getRank() == 0)
      return error(e.loc, "rms_norm() needs a tensor of rank at least 1");
    mlir::FloatAttr eps;
    if (args[1] && args[1]->kind != Val::None) {
      double v;
      if (!numberArg(1, 0, v))
        return false;
      if (!(v > 0))
        return error(locs[1], "rms_norm(): eps must be positive");
      eps = builder.getF64FloatAttr(v);
    }
    return yield(builder.create<RmsNormOp>(loc, x, eps));
  }
  if (name == "rope") {
    mlir::Value x;
    if (!floatTensorArg(0, x))
      return false;
    Shape s(typeOf(x).getShape());
    int64_t dims;
    double base;
    if (!intArg(1, s.empty() ? 0 : s.back(), dims) ||
        !numberArg(2, 10000.0, base))
      return false;
    if (!checkShape(ropeShape(s, dims), e.loc))
      return false;
    if (!(base > 1))
      return error(args[2] ? locs[2] : e.loc,
                   "rope(): base must be greater than 1");
    return yield(builder.create<RopeOp>(loc, x, builder.getI64IntegerAttr(dims),
                                        builder.getF64FloatAttr(base),
                                        nullptr));
  }
  if (name == "causal_attention") {
    mlir::Value q, k, v;
    if (!floatTensorArg(0, q) || !floatTensorArg(1, k) || !floatTensorArg(2, v))
      return false;
    ShapeResult r = attentionShape(typeOf(q).getShape(), typeOf(k).getShape(),
                                   typeOf(v).getShape());
    if (!checkShape(r, e.loc))
      return false;
    mlir::FloatAttr scale;
    if (args[3] && args[3]->kind != Val::None) {
      double s;
      if (!numberArg(3, 0, s))
        return false;
      if (!(s > 0))
        return error(locs[3], "causal_attention(): scale must be positive");
      scale = builder.getF64FloatAttr(s);
    }
    // Documents: `starts` [B, T], above 0.5 where one begins.
    mlir::Value starts;
    if (args[4] && args[4]->kind != Val::None) {
      if (!floatTensorArg(4, starts))
        return false;
      llvm::ArrayRef<int64_t> st = typeOf(starts).getShape(),
                              qs = typeOf(q).getShape();
      auto agree = [](int64_t a, int64_t b) {
        return mlir::ShapedType::isDynamic(a) ||
               mlir::ShapedType::isDynamic(b) || a == b;
      };
      if (st.size() != 2 || !agree(st[0], qs[0]) || !agree(st[1], qs[1]))
        return error(locs[4], "causal_attention(): starts must be [B, T] of "
                              "q's [B, T, H, D], got " +
                                  formatShape(st));
    }
    // `segment` L: documents are also cut every L positions from their start.
    mlir::IntegerAttr segment;
    if (args[5] && args[5]->kind != Val::None) {
      int64_t l;
      if (!toInt(*args[5], locs[5], "causal_attention(): segment", l))
        return false;
      if (!starts)
        return error(locs[5], "causal_attention(): segment needs starts");
      if (l < 1)
        return error(locs[5], "causal_attention(): segment must be positive, "
                              "got " +
                                  std::to_string(l));
      segment = builder.getI64IntegerAttr(l);
    }
    // The library is the target's choice (golf-select-libraries).
    return yield(builder.create<CausalAttentionOp>(
        loc, typeOf(q), q, k, v, starts, scale, segment,
        /*library=*/mlir::StringAttr()));
  }
  if (name == "softcap") {
    mlir::Value x;
    double cap;
    if (!floatTensorArg(0, x) || !numberArg(1, 0, cap))
      return false;
    if (!(cap > 0))
      return error(locs[1], "softcap(): cap must be positive");
    return yield(
        builder.create<SoftcapOp>(loc, x, builder.getF64FloatAttr(cap)));
  }
  if (name == "cross_entropy") {
    mlir::Value logits, targets;
    if (!floatTensorArg(0, logits) || !intTensorArg(1, targets))
      return false;
    ShapeResult r = crossEntropyShape(typeOf(logits).getShape(),
                                      typeOf(targets).getShape());
    if (!checkShape(r, e.loc))
      return false;
    double gamma = 0;
    if (!numberArg(2, 0, gamma))
      return false;
    if (!(gamma >= 0 && gamma <= 100))
      return error(locs[2], "cross_entropy(): focal_gamma must be in [0, 100]");
    return yield(builder.create<CrossEntropyOp>(
        loc, tensorType({}, elemType), logits, targets,
        builder.getF64FloatAttr(gamma)));
  }

  // The unary ops: on numbers the op's own function, on float tensors the
  // op.
  if (unary) {
    if (args[0]->kind != Val::Tensor) {
      // On integers abs and neg stay integers, as unary minus does.
      if ((name == "abs" || name == "neg") && args[0]->kind == Val::Int) {
        if (args[0]->i == INT64_MIN)
          return error(e.loc, "integer overflow");
        out = Val::ofInt(name == "abs" ? std::llabs(args[0]->i) : -args[0]->i);
        return true;
      }
      double x;
      if (!toNumber(*args[0], locs[0], (name + "()").c_str(), x))
        return false;
      double r = unary->getInterface<UnaryMathOpInterface>()->evaluate(x);
      if (!std::isfinite(r))
        return error(e.loc,
                     name + "(" + formatNumber(x) + ") is not a finite number");
      out = Val::ofFloat(r);
      return true;
    }
    mlir::Value x;
    if (!floatTensorArg(0, x))
      return false;
    mlir::OperationState state(loc, *unary);
    state.addOperands(x);
    state.addTypes(x.getType());
    return yield(builder.create(state)->getResult(0));
  }
  if (name == "leaky_relu") {
    mlir::Value x;
    if (!floatTensorArg(0, x))
      return false;
    double alpha;
    if (!numberArg(1, 0.01, alpha))
      return false;
    if (!(alpha >= 0 && alpha <= 1))
      return error(locs[1], "leaky_relu(): alpha must be in [0, 1]");
    return yield(
        builder.create<LeakyReluOp>(loc, x, builder.getF64FloatAttr(alpha)));
  }

  // Shape functions.
  if (name == "reshape") {
    mlir::Value x;
    Shape shape;
    if (!tensorArg(0, x) || !toShape(*args[1], locs[1], shape))
      return false;
    ShapeResult r = reshapeShape(typeOf(x).getShape(), shape);
    if (!checkShape(r, e.loc))
      return false;
    return yield(builder.create<ReshapeOp>(
        loc, tensorType(shape, typeOf(x).getElementType()), x));
  }
  if (name == "concat") {
    if (args[0]->kind != Val::List || args[0]->items->empty())
      return error(locs[0], "concat() takes a non-empty list of tensors");
    llvm::SmallVector<mlir::Value> inputs;
    llvm::SmallVector<Shape> shapes;
    for (const Val &v : *args[0]->items) {
      if (v.kind != Val::Tensor)
        return error(locs[0], Twine("concat(): the list holds ") + kindName(v));
      if (!inputs.empty() &&
          typeOf(v.t).getElementType() != typeOf(inputs[0]).getElementType())
        return error(locs[0], "concat(): the tensors differ in element type");
      inputs.push_back(v.t);
      shapes.push_back(Shape(typeOf(v.t).getShape()));
    }
    int64_t axis;
    if (!intArg(1, -1, axis) ||
        !normalizeAxis(axis, typeOf(inputs[0]).getRank(), e.loc))
      return false;
    ShapeResult r = concatShape(shapes, axis);
    if (!checkShape(r, e.loc))
      return false;
    return yield(builder.create<ConcatOp>(
        loc, tensorType(r.shape, typeOf(inputs[0]).getElementType()), inputs,
        builder.getI64IntegerAttr(axis)));
  }
  if (name == "shift") {
    mlir::Value x;
    int64_t amount;
    double fill;
    if (!tensorArg(0, x) || !intArg(1, 1, amount) || !numberArg(2, 0.0, fill))
      return false;
    if (!checkShape(shiftShape(typeOf(x).getShape(), amount), e.loc))
      return false;
    mlir::Type elem = typeOf(x).getElementType();
    if (elem.isInteger(32) &&
        (fill != std::trunc(fill) || std::fabs(fill) > 2147483647.0))
      return error(locs[2], "shift(): the fill of an integer tensor must be a "
                            "32-bit integer");
    if (elem.isInteger(1) && fill != 0 && fill != 1)
      return error(locs[2], "shift(): the fill of a mask must be 0 or 1");
    return yield(builder.create<ShiftOp>(loc, x,
                                         builder.getI64IntegerAttr(amount),
                                         builder.getF64FloatAttr(fill)));
  }
  if (name == "sum" || name == "mean") {
    mlir::Value x;
    int64_t axis;
    bool keepdim;
    if (!floatTensorArg(0, x) || !intArg(1, 0, axis) ||
        !boolArg(2, false, keepdim) ||
        !normalizeAxis(axis, typeOf(x).getRank(), locs[1]))
      return false;
    ShapeResult r = reduceShape(typeOf(x).getShape(), axis, keepdim);
    if (!checkShape(r, e.loc))
      return false;
    mlir::RankedTensorType type =
        tensorType(r.shape, typeOf(x).getElementType());
    mlir::UnitAttr keep = keepdim ? builder.getUnitAttr() : nullptr;
    if (name == "sum")
      return yield(builder.create<SumOp>(
          loc, type, x, builder.getI64IntegerAttr(axis), keep));
    return yield(builder.create<MeanOp>(loc, type, x,
                                        builder.getI64IntegerAttr(axis), keep));
  }
  if (name == "where") {
    mlir::Value c, a, b;
    if (!tensorArg(0, c))
      return false;
    if (!typeOf(c).getElementType().isInteger(1))
      return error(locs[0],
                   "where(): the condition must be a mask (a comparison)");
    mlir::Type elem =
        args[1]->kind == Val::Tensor   ? typeOf(args[1]->t).getElementType()
        : args[2]->kind == Val::Tensor ? typeOf(args[2]->t).getElementType()
                                       : elemType;
    if (!toTensor(*args[1], locs[1], elem, a) ||
        !toTensor(*args[2], locs[2], elem, b))
      return false;
    if (typeOf(a).getElementType() != typeOf(b).getElementType())
      return error(e.loc,
                   "where(): both choices must have the same element type");
    ShapeResult r = broadcastShapes(typeOf(a).getShape(), typeOf(b).getShape());
    if (r.ok())
      r = broadcastShapes(typeOf(c).getShape(), r.shape);
    if (!checkShape(r, e.loc))
      return false;
    return yield(builder.create<SelectOp>(
        loc, tensorType(r.shape, typeOf(a).getElementType()), c, a, b));
  }

  // Compile-time functions.
  if (name == "range") {
    int64_t a, b, step;
    if (!intArg(0, 0, a) || !intArg(1, 0, b) || !intArg(2, 1, step))
      return false;
    if (!args[1]) {
      b = a;
      a = 0;
    }
    if (step == 0)
      return error(locs[2], "range() step must not be zero");
    std::vector<Val> items;
    for (int64_t k = a; step > 0 ? k < b : k > b; k += step) {
      if (!tick(e.loc))
        return false;
      items.push_back(Val::ofInt(k));
      if ((step > 0 && k > INT64_MAX - step) ||
          (step < 0 && k < INT64_MIN - step))
        break;
    }
    out = Val::ofList(std::move(items));
    return true;
  }
  if (name == "len") {
    if (args[0]->kind != Val::List && args[0]->kind != Val::Stack)
      return error(locs[0], Twine("len() takes a list or a stack, not ") +
                                kindName(*args[0]));
    out = Val::ofInt((int64_t)args[0]->items->size());
    return true;
  }
  if (name == "stack") {
    out = Val{Val::Stack};
    out.items = std::make_shared<std::vector<Val>>();
    return true;
  }
  if (name == "push" || name == "pop") {
    if (args[0]->kind != Val::Stack)
      return error(locs[0], name + "() takes a stack (made by stack()), not " +
                                kindName(*args[0]));
    if (name == "push") {
      if (!tick(e.loc))
        return false;
      args[0]->items->push_back(*args[1]);
      out = Val::none();
      return true;
    }
    if (args[0]->items->empty())
      return error(e.loc, "pop() from an empty stack");
    out = args[0]->items->back();
    args[0]->items->pop_back();
    return true;
  }
  if (name == "int") {
    double x;
    if (args[0]->kind == Val::Int) {
      out = *args[0];
      return true;
    }
    if (!toNumber(*args[0], locs[0], "int()", x))
      return false;
    if (!(std::fabs(x) < 9.2e18))
      return error(locs[0], "int(): " + formatNumber(x) + " is out of range");
    out = Val::ofInt((int64_t)std::trunc(x));
    return true;
  }
  if (name == "float") {
    double x;
    if (!toNumber(*args[0], locs[0], "float()", x))
      return false;
    out = Val::ofFloat(x);
    return true;
  }
  if (name == "min" || name == "max") {
    bool isMin = name == "min";
    if (!args[1]) { // min(list)
      if (args[0]->kind != Val::List || args[0]->items->empty())
        return error(locs[0],
                     name + "() of one argument takes a non-empty list");
      Val best = (*args[0]->items)[0];
      for (const Val &v : *args[0]->items) {
        if (!v.isNumber())
          return error(locs[0], name + "(): the list holds " + kindName(v));
        if (isMin ? v.num() < best.num() : v.num() > best.num())
          best = v;
      }
      out = best;
      return true;
    }
    const Val &a = *args[0], &b = *args[1];
    if (a.kind == Val::Tensor || b.kind == Val::Tensor) {
      mlir::Type elem = a.kind == Val::Tensor ? typeOf(a.t).getElementType()
                                              : typeOf(b.t).getElementType();
      mlir::Value x, y;
      if (!toTensor(a, locs[0], elem, x) || !toTensor(b, locs[1], elem, y))
        return false;
      if (typeOf(x).getElementType() != typeOf(y).getElementType() ||
          elem.isInteger(1))
        return error(e.loc,
                     name + "(): both tensors must be float or both integer");
      ShapeResult r =
          broadcastShapes(typeOf(x).getShape(), typeOf(y).getShape());
      if (!checkShape(r, e.loc))
        return false;
      mlir::RankedTensorType type = tensorType(r.shape, elem);
      if (isMin)
        return yield(builder.create<MinOp>(loc, type, x, y));
      return yield(builder.create<MaxOp>(loc, type, x, y));
    }
    if (!a.isNumber() || !b.isNumber())
      return error(e.loc, name + "() takes numbers or tensors");
    if (a.kind == Val::Int && b.kind == Val::Int)
      out = Val::ofInt(isMin ? std::min(a.i, b.i) : std::max(a.i, b.i));
    else
      out = Val::ofFloat(isMin ? std::min(a.num(), b.num())
                               : std::max(a.num(), b.num()));
    return true;
  }
  return error(e.loc, "unknown function '" + name + "'");
}

} // namespace golf::emit
