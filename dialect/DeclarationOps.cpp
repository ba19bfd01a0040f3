//===- DeclarationOps.cpp - the golf dialect's module-level ops -----------===//
//
// The verifiers of the declarations a spec makes (optimizer groups, export
// classes, parameters, their uses) and of golf.fused: names unique, settings
// against the schema (dialect/GolfSchema.h), references declared.
//
//===----------------------------------------------------------------------===//

#include "dialect/GolfOps.h"
#include "dialect/GolfSchema.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace golf;

/// Checks a settings dictionary against a schema: known keys (with a
/// suggestion), the right kind of value, required keys present.
static LogicalResult verifySettings(Operation *op, DictionaryAttr settings,
                                    const std::vector<SettingSpec> &schema,
                                    StringRef what) {
  std::vector<std::string> names;
  for (const SettingSpec &s : schema)
    names.push_back(s.name);
  for (NamedAttribute entry : settings) {
    std::string key = entry.getName().str();
    const SettingSpec *spec = findSetting(schema, key);
    if (!spec) {
      std::string hint = closestMatch(key, names);
      return op->emitOpError()
             << "unknown " << what << " setting '" << key << "'"
             << (hint.empty() ? "" : "; did you mean '" + hint + "'?");
    }
    Attribute v = entry.getValue();
    bool ok = false;
    switch (spec->kind) {
    case ValueKind::Int: {
      auto i = dyn_cast<IntegerAttr>(v);
      ok = i && i.getType().isInteger(64);
      break;
    }
    case ValueKind::Float: {
      auto f = dyn_cast<FloatAttr>(v);
      ok = f && f.getType().isF64();
      break;
    }
    case ValueKind::Bool:
      ok = isa<BoolAttr>(v);
      break;
    case ValueKind::String:
      ok = isa<StringAttr>(v);
      break;
    }
    if (!ok)
      return op->emitOpError()
             << what << " setting '" << key << "' must be "
             << valueKindName(spec->kind) << " ("
             << (spec->kind == ValueKind::Int     ? "i64"
                 : spec->kind == ValueKind::Float ? "f64"
                                                  : "attribute")
             << ")";
  }
  for (const SettingSpec &s : schema)
    if (!s.defaultValue && !settings.get(s.name))
      return op->emitOpError()
             << what << " setting '" << s.name << "' is required";
  return success();
}

/// The names of the declarations of kind `OpT` before `op` in its module must
/// differ from its own.
template <typename OpT>
static LogicalResult verifyUniqueName(OpT op, StringRef what) {
  for (Operation &other : op->getBlock()->getOperations()) {
    if (&other == op.getOperation())
      return success();
    if (auto o = dyn_cast<OpT>(other); o && o.getName() == op.getName())
      return op.emitOpError()
             << what << " '" << op.getName() << "' is declared twice";
  }
  return success();
}

template <typename OpT>
static bool hasDeclaration(Operation *op, StringRef name) {
  for (Operation &other : op->getBlock()->getOperations())
    if (auto o = dyn_cast<OpT>(other); o && o.getName() == name)
      return true;
  return false;
}

LogicalResult FusedOp::verify() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError("has ")
           << getInputs().size() << " inputs but its body takes "
           << body.getNumArguments() << " arguments";
  for (auto [i, in, arg] :
       llvm::enumerate(getInputs().getTypes(), body.getArgumentTypes()))
    if (in != arg)
      return emitOpError("input ")
             << i << " is " << in << " but its body argument is " << arg;
  auto yield = cast<YieldOp>(body.getTerminator());
  auto list = [](TypeRange types) {
    std::string s;
    llvm::raw_string_ostream os(s);
    llvm::interleaveComma(types, os);
    return s;
  };
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError("yields (")
           << list(yield.getValues().getTypes()) << ") but its results are ("
           << list(getResultTypes()) << ")";
  return success();
}

LogicalResult OptimizerOp::verify() {
  if (failed(verifyUniqueName(*this, "optimizer group")))
    return failure();
  const std::vector<SettingSpec> *schema = optimizerSchema(getKind().str());
  if (!schema)
    return emitOpError() << "unknown optimizer kind '" << getKind()
                         << "' (expected muon or adam)";
  return verifySettings(*this, getSettings(), *schema, getKind());
}

LogicalResult QuantOp::verify() {
  if (failed(verifyUniqueName(*this, "export class")))
    return failure();
  const std::vector<SettingSpec> *schema = quantSchema(getFormat().str());
  if (!schema)
    return emitOpError() << "unknown export format '" << getFormat()
                         << "' (expected fp32, fp16, int8, int7, int6 or int5)";
  LogicalResult r = verifySettings(*this, getSettings(), *schema, getFormat());
  if (failed(r))
    return r;
  if (auto clip = getSettings().getAs<FloatAttr>("clip_percentile")) {
    double p = clip.getValueAsDouble();
    if (!(p > 0.0 && p <= 100.0))
      return emitOpError() << "clip_percentile must be in (0, 100], got "
                           << formatNumber(p);
  }
  if (auto sigmas = getSettings().getAs<FloatAttr>("clip_sigmas")) {
    double k = sigmas.getValueAsDouble();
    if (!(k >= 0.0 && k < 1e6))
      return emitOpError() << "clip_sigmas must be in [0, 1e6), got "
                           << formatNumber(k);
    auto method = getSettings().getAs<StringAttr>("method");
    if (k > 0 && method && method.getValue() == "gptq_lite")
      return emitOpError() << "gptq_lite searches clip percentiles; it takes "
                              "no clip_sigmas";
  }
  if (auto prune = getSettings().getAs<FloatAttr>("prune_percentile")) {
    double p = prune.getValueAsDouble();
    if (!(p >= 0.0 && p < 100.0))
      return emitOpError() << "prune_percentile must be in [0, 100), got "
                           << formatNumber(p);
  }
  if (auto floor = getSettings().getAs<FloatAttr>("scale_floor")) {
    double f = floor.getValueAsDouble();
    if (!(f >= 0.0 && f < 65504.0))
      return emitOpError() << "scale_floor must be in [0, 65504), got "
                           << formatNumber(f);
  }
  return success();
}

/// Number of arguments of each initializer; -1 for `rows`, which takes one
/// value per row.
static int initArity(StringRef init) {
  return llvm::StringSwitch<int>(init)
      .Cases("zeros", "ones", "kaiming_uniform", 0)
      .Cases("const", "orthogonal", 1)
      .Cases("normal", "uniform", 2)
      .Case("rows", -1)
      .Default(-2);
}

LogicalResult ParamOp::verify() {
  auto type = cast<RankedTensorType>(getType());
  if (!type.hasStaticShape() ||
      llvm::any_of(type.getShape(), [](int64_t d) { return d <= 0; }))
    return emitOpError() << "parameter '" << getSymName()
                         << "' needs a static shape of positive sizes, got "
                         << type;
  int arity = initArity(getInit());
  size_t nargs = getInitArgs().size();
  if (arity == -2)
    return emitOpError() << "unknown initializer '" << getInit() << "'";
  if (arity == -1 && type.getRank() == 0)
    return emitOpError() << "initializer 'rows' needs a tensor with rows";
  if (arity == -1 && (int64_t)nargs != type.getDimSize(0))
    return emitOpError() << "initializer 'rows' needs one value per row: "
                         << type.getDimSize(0) << " rows, " << nargs
                         << " values";
  if (arity >= 0 && (size_t)arity != nargs)
    return emitOpError() << "initializer '" << getInit() << "' takes " << arity
                         << " argument(s), got " << nargs;
  if (getInit() == "normal" && getInitArgs()[1] < 0)
    return emitOpError() << "initializer 'normal' needs a non-negative std";
  if (getInit() == "uniform" && getInitArgs()[0] > getInitArgs()[1])
    return emitOpError() << "initializer 'uniform' needs low <= high";
  if ((getInit() == "kaiming_uniform" || getInit() == "orthogonal") &&
      type.getRank() != 2)
    return emitOpError() << "initializer '" << getInit()
                         << "' needs a matrix, got " << type;
  if (!hasDeclaration<OptimizerOp>(*this, getGroup()))
    return emitOpError() << "group '" << getGroup()
                         << "' names no golf.optimizer";
  if (!hasDeclaration<QuantOp>(*this, getQuant()))
    return emitOpError() << "quant '" << getQuant() << "' names no golf.quant";
  return success();
}

LogicalResult ParamRefOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto param = symbols.lookupNearestSymbolFrom<ParamOp>(*this, getNameAttr());
  if (!param)
    return emitOpError() << "'" << getName() << "' is not a golf.param";
  if (param.getType() != getType())
    return emitOpError() << "type " << getType() << " differs from parameter '"
                         << getName() << "' of type " << param.getType();
  return success();
}
