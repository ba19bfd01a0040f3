//===- Emitter.cpp - runs a spec's compile-time program, emits golf IR ----===//
//
// A spec is a small program evaluated at compile time: numbers, booleans,
// strings, lists and stacks are computed here; tensor expressions emit golf
// ops into @model. Every error is reported at its source position, with the
// shape rules of dialect/ShapeRules.h, before any op is built, so the IR
// that comes out always verifies.
//
//===----------------------------------------------------------------------===//

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

using namespace golf;
using llvm::Twine;

namespace {

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

const char *kindName(const Val &v) {
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

std::string formatVal(const Val &v) {
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
bool parseLiteral(const std::string &text, ValueKind kind, Val &out) {
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

std::optional<ValueKind> valueKindOf(const Val &v) {
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

std::string joinPath(const std::string &scope, const std::string &rel) {
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

//===----------------------------------------------------------------------===//
// Settings: spec, environment, --set
//===----------------------------------------------------------------------===//

bool Emitter::applyOverride(const std::string &name, ValueKind kind, Val &value,
                            std::string &origin) {
  // The environment first, --set last: the command line wins.
  if (options.getenv) {
    std::string env = llvm::StringRef(name).upper();
    if (const char *text = options.getenv(env.c_str()); text && *text) {
      if (!parseLiteral(text, kind, value))
        return error({}, "environment variable " + env + "='" + text +
                             "' is not " + valueKindName(kind) + " (setting '" +
                             name + "')");
      origin = "env " + env;
    }
  }
  for (const auto &[key, text] : options.sets) {
    if (key != name)
      continue;
    if (!parseLiteral(text, kind, value))
      return error({}, "--set " + key + "=" + text + ": expected " +
                           valueKindName(kind) + " for '" + name + "'");
    origin = "--set";
  }
  return true;
}

bool Emitter::resolveSettings(const Spec &spec) {
  globals["B"] = Val{Val::Dim};
  globals["B"].i = 0;
  globals["T"] = Val{Val::Dim};
  globals["T"].i = 1;

  // Which section each known setting belongs to.
  std::map<std::string, std::pair<std::string, const SettingSpec *>> known;
  for (const std::string &section : sectionNames())
    for (const SettingSpec &s : *sectionSchema(section))
      known[s.name] = {section, &s};

  // The defaults of the settings the spec does not define come first, so
  // that any setting may refer to them; a setting the spec defines is
  // visible from its definition on.
  std::map<std::string, size_t> index; // name -> position in `settings`.
  std::set<std::string> declared, inSpec;
  for (const Definition &d : spec.definitions)
    if (d.kind == Definition::Setting)
      inSpec.insert(d.name);
  for (const std::string &section : sectionNames())
    for (const SettingSpec &s : *sectionSchema(section)) {
      if (inSpec.count(s.name))
        continue;
      Val v;
      std::string text = s.defaultValue;
      parseLiteral(text, s.kind, v);
      std::string origin = "default";
      if (!applyOverride(s.name, s.kind, v, origin))
        return false;
      globals[s.name] = v;
      index[s.name] = settings.size();
      settings.push_back({s.name, section, formatVal(v), origin, {}});
    }

  Frame top;
  for (const Definition &d : spec.definitions) {
    if (!tick(d.loc))
      return false;
    if (d.kind == Definition::Assert) {
      Val v;
      bool ok;
      if (!eval(*d.value, top, v) ||
          !toBool(v, d.value->loc, "an assertion", ok))
        return false;
      if (!ok)
        return error(d.loc, "assertion failed: " + d.message);
      continue;
    }
    if (d.name == "B" || d.name == "T")
      return error(d.loc, "'" + d.name + "' is the " +
                              (d.name == "B" ? "batch" : "sequence") +
                              " dimension and cannot be redefined");
    if (declared.count(d.name)) {
      error(d.loc, "'" + d.name + "' is already defined");
      diags.note(globalLocs[d.name], "first defined here");
      return false;
    }
    declared.insert(d.name);
    globalLocs[d.name] = d.loc;
    Val v;
    defining = d.name;
    const bool evaluated = eval(*d.value, top, v);
    defining.clear();
    if (!evaluated)
      return false;
    if (d.kind == Definition::Let) {
      if (v.kind == Val::Tensor || v.kind == Val::Stack)
        return error(d.value->loc,
                     Twine("a constant cannot hold ") + kindName(v));
      globals[d.name] = v;
      continue;
    }
    // A setting.
    auto it = known.find(d.name);
    const SettingSpec *schema = nullptr;
    if (d.section == "hparams") {
      if (it != known.end())
        return error(d.loc, "'" + d.name + "' is a setting of section '" +
                                it->second.first + "'; define it there");
    } else {
      if (it == known.end() || it->second.first != d.section) {
        std::vector<std::string> names;
        for (const SettingSpec &s : *sectionSchema(d.section))
          names.push_back(s.name);
        std::string hint = closestMatch(d.name, names);
        if (it != known.end())
          return error(d.loc, "'" + d.name + "' is a setting of section '" +
                                  it->second.first + "', not '" + d.section +
                                  "'");
        return error(
            d.loc, "unknown " + d.section + " setting '" + d.name + "'" +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      }
      schema = it->second.second;
    }
    std::optional<ValueKind> kind = valueKindOf(v);
    if (!kind)
      return error(d.value->loc, Twine("a setting must be a number, a boolean "
                                       "or a string, not ") +
                                     kindName(v));
    if (schema) {
      if (schema->kind == ValueKind::Float && v.kind == Val::Int)
        v = Val::ofFloat((double)v.i);
      else if (schema->kind != *kind)
        return error(d.value->loc, "'" + d.name + "' must be " +
                                       valueKindName(schema->kind) + ", got " +
                                       kindName(v));
      kind = schema->kind;
    }
    std::string origin = "spec";
    if (!applyOverride(d.name, *kind, v, origin))
      return false;
    if (schema && !schema->choices.empty() &&
        std::find(schema->choices.begin(), schema->choices.end(), v.s) ==
            schema->choices.end())
      return error(d.value->loc, "'" + d.name + "' must be one of " +
                                     llvm::join(schema->choices, ", ") +
                                     ", got \"" + v.s + "\"");
    globals[d.name] = v;
    SettingInfo info{d.name, d.section, formatVal(v), origin, d.loc};
    if (auto at = index.find(d.name); at != index.end())
      settings[at->second] = info;
    else {
      index[d.name] = settings.size();
      settings.push_back(info);
    }
  }

  // Every --set must name a setting.
  std::vector<std::string> names;
  for (const SettingInfo &s : settings)
    names.push_back(s.name);
  for (const auto &[key, text] : options.sets) {
    if (index.count(key))
      continue;
    if (declared.count(key))
      return error({}, "--set " + key + "=" + text + ": '" + key +
                           "' is derived with 'let' and cannot be set; set "
                           "the settings it is computed from");
    std::string hint = closestMatch(key, names);
    return error(
        {}, "--set " + key + "=" + text + ": unknown setting '" + key + "'" +
                (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  // Schema settings whose value was checked above only if the spec set them.
  for (const std::string &section : sectionNames())
    for (const SettingSpec &s : *sectionSchema(section))
      if (!s.choices.empty()) {
        const Val &v = globals[s.name];
        if (std::find(s.choices.begin(), s.choices.end(), v.s) ==
            s.choices.end())
          return error({}, "'" + Twine(s.name) + "' must be one of " +
                               llvm::join(s.choices, ", ") + ", got \"" + v.s +
                               "\"");
      }
  return true;
}

/// Builds the resolved settings of an optimizer or export class: every key
/// of the schema, given or defaulted, checked and converted.
bool Emitter::settingsDict(const std::vector<Setting> &given,
                           const std::vector<SettingSpec> &schema,
                           const char *what, Loc loc, mlir::DictionaryAttr &out,
                           const std::string &skip) {
  std::vector<std::string> names;
  for (const SettingSpec &s : schema)
    names.push_back(s.name);
  std::map<std::string, Val> values;
  Frame top;
  for (const Setting &s : given) {
    if (s.name == skip)
      continue;
    const SettingSpec *spec = findSetting(schema, s.name);
    if (!spec) {
      std::string hint = closestMatch(s.name, names);
      return error(s.loc,
                   Twine("unknown ") + what + " setting '" + s.name + "'" +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
    if (values.count(s.name))
      return error(s.loc, "'" + s.name + "' is given twice");
    Val v;
    if (!eval(*s.value, top, v))
      return false;
    if (spec->kind == ValueKind::Float && v.kind == Val::Int)
      v = Val::ofFloat((double)v.i);
    if (valueKindOf(v) != spec->kind)
      return error(s.value->loc, "'" + s.name + "' must be " +
                                     valueKindName(spec->kind) + ", got " +
                                     kindName(v));
    values[s.name] = v;
  }
  llvm::SmallVector<mlir::NamedAttribute> attrs;
  for (const SettingSpec &spec : schema) {
    Val v;
    if (auto it = values.find(spec.name); it != values.end())
      v = it->second;
    else if (spec.defaultValue)
      parseLiteral(spec.defaultValue, spec.kind, v);
    else
      return error(loc,
                   Twine(what) + " setting '" + spec.name + "' is required");
    mlir::Attribute a;
    switch (spec.kind) {
    case ValueKind::Int:
      a = builder.getI64IntegerAttr(v.i);
      break;
    case ValueKind::Float:
      a = builder.getF64FloatAttr(v.f);
      break;
    case ValueKind::Bool:
      a = builder.getBoolAttr(v.b);
      break;
    case ValueKind::String:
      a = builder.getStringAttr(v.s);
      break;
    }
    attrs.push_back(builder.getNamedAttr(spec.name, a));
  }
  out = builder.getDictionaryAttr(attrs);
  return true;
}

bool Emitter::emitDeclarations(const Spec &spec) {
  builder.setInsertionPointToEnd(module.getBody());
  for (const OptimizerDef &def : spec.optimizers) {
    if (optimizerLocs.count(def.name)) {
      error(def.loc, "optimizer group '" + def.name + "' is already defined");
      diags.note(optimizerLocs[def.name], "first defined here");
      return false;
    }
    optimizerLocs[def.name] = def.loc;
    const std::vector<SettingSpec> *schema = optimizerSchema(def.kind);
    if (!schema) {
      std::string hint = closestMatch(def.kind, optimizerKinds());
      return error(def.kindLoc,
                   "unknown optimizer kind '" + def.kind +
                       "' (expected muon or adam)" +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
    mlir::DictionaryAttr dict;
    if (!settingsDict(def.settings, *schema, def.kind.c_str(), def.loc, dict))
      return false;
    // Polar Express has one coefficient tuple per iteration, five known.
    if (auto polar = dict.getAs<mlir::BoolAttr>("polar_express");
        polar && polar.getValue())
      if (auto steps = dict.getAs<mlir::IntegerAttr>("backend_steps");
          steps && steps.getInt() > 5)
        for (const Setting &s : def.settings)
          if (s.name == "polar_express")
            return error(s.loc, "polar_express has coefficients for 5 "
                                "Newton-Schulz iterations, not " +
                                    std::to_string(steps.getInt()) +
                                    " (backend_steps)");
    builder.create<OptimizerOp>(mlirLoc(def.loc), def.name, def.kind, dict);
  }
  for (const QuantDef &def : spec.quants) {
    if (quantLocs.count(def.name)) {
      error(def.loc, "export class '" + def.name + "' is already defined");
      diags.note(quantLocs[def.name], "first defined here");
      return false;
    }
    quantLocs[def.name] = def.loc;
    const Setting *format = nullptr;
    for (const Setting &s : def.settings)
      if (s.name == "format")
        format = &s;
    if (!format)
      return error(
          def.loc,
          "export class '" + def.name +
              "' needs a format (fp32, fp16, int8, int7, int6 or int5)");
    Val v;
    Frame top;
    if (!eval(*format->value, top, v))
      return false;
    const std::vector<SettingSpec> *schema =
        v.kind == Val::Str ? quantSchema(v.s) : nullptr;
    if (!schema) {
      std::string hint =
          v.kind == Val::Str ? closestMatch(v.s, quantFormats()) : "";
      return error(
          format->value->loc,
          "format must be one of \"fp32\", \"fp16\", \"int8\", \"int7\", "
          "\"int6\", \"int5\", got " +
              formatVal(v) +
              (hint.empty() ? "" : "; did you mean \"" + hint + "\"?"));
    }
    mlir::DictionaryAttr dict;
    if (!settingsDict(def.settings, *schema, v.s.c_str(), def.loc, dict,
                      "format"))
      return false;
    if (auto clip = dict.getAs<mlir::FloatAttr>("clip_percentile")) {
      double p = clip.getValueAsDouble();
      if (!(p > 0.0 && p <= 100.0)) {
        for (const Setting &s : def.settings)
          if (s.name == "clip_percentile")
            return error(s.value->loc,
                         "clip_percentile must be in (0, 100], got " +
                             formatNumber(p));
      }
    }
    // Two clip rules would leave one silently unused.
    const Setting *percentile = nullptr, *sigmas = nullptr;
    for (const Setting &s : def.settings) {
      if (s.name == "clip_percentile")
        percentile = &s;
      if (s.name == "clip_sigmas")
        sigmas = &s;
    }
    if (percentile && sigmas)
      return error(sigmas->loc, "export class '" + def.name +
                                    "' sets clip_sigmas and clip_percentile, "
                                    "two clip rules: keep one");
    // The GPTQ-only settings, and clip_search's own percentiles.
    auto method = dict.getAs<mlir::StringAttr>("method");
    for (const Setting &s : def.settings) {
      if (s.name == "clip_search" && (percentile || sigmas))
        return error(s.loc, "export class '" + def.name +
                                "' sets clip_search and " +
                                (sigmas ? "clip_sigmas" : "clip_percentile") +
                                ", two clip rules: keep one");
      if ((s.name == "clip_search" || s.name == "damping") &&
          (!method || method.getValue() != "gptq") && options.warnUnused)
        diags.warning(s.loc, "export class '" + def.name + "': " + s.name +
                                 " has no effect: its method is not \"gptq\"");
    }
    builder.create<QuantOp>(mlirLoc(def.loc), def.name, v.s, dict);
  }
  return true;
}

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

void Emitter::checkUses(const Spec &spec) {
  auto warn = [&](Loc loc, const std::string &message) {
    if (options.warnUnused)
      diags.warning(loc, message);
  };
  auto valueOf = [&](const std::string &name) -> const Val * {
    auto it = globals.find(name);
    return it == globals.end() ? nullptr : &it->second;
  };
  auto flag = [&](const char *name) {
    const Val *v = valueOf(name);
    return v && v->kind == Val::Bool && v->b;
  };
  auto text = [&](const char *name) {
    const Val *v = valueOf(name);
    return v && v->kind == Val::Str ? v->s : std::string();
  };
  bool gptq = false, integer = false;
  module.walk([&](QuantOp q) {
    llvm::StringRef f = q.getFormat();
    integer |= f == "int8" || f == "int7" || f == "int6" || f == "int5";
    if (auto m = q.getSettings().getAs<mlir::StringAttr>("method"))
      gptq |= m.getValue() == "gptq";
  });
  // Why a fixed-section setting has no effect under the others; "" when it
  // has one.
  auto ineffective = [&](const SettingInfo &s) -> std::string {
    const std::string &n = s.name;
    if ((n == "swa_every" || n == "swa_start_frac") && !flag("swa_enabled"))
      return "swa_enabled is false";
    if (n == "swa_enabled" && s.value == "true" && flag("ema_enabled"))
      return "with ema_enabled the EMA is exported and the SWA average is "
             "never used (as in GL/PM/AR, reference §9.3)";
    if (n == "ema_decay" && !flag("ema_enabled"))
      return "ema_enabled is false";
    if ((n == "gptq_batches" || n == "gptq_calibration" ||
         n == "gptq_temperature") &&
        !gptq)
      return "no export class uses method \"gptq\"";
    if (n == "gptq_temperature" && text("gptq_calibration") != "self")
      return "gptq_calibration is not \"self\"";
    if ((n == "fit_margin_bytes" || n == "fit_rule") &&
        text("fit_class").empty())
      return "fit_class is empty";
    if (n.rfind("ttt_", 0) == 0 && n != "ttt_enabled" && !flag("ttt_enabled"))
      return "ttt_enabled is false";
    if (n.rfind("slot_", 0) == 0 && n != "slot_enabled" &&
        !flag("slot_enabled"))
      return "slot_enabled is false";
    if (n == "late_qat_threshold" && !integer)
      return "no export class is an integer format";
    if (n == "warmdown_iters") {
      const Val *f = valueOf("warmdown_frac");
      if (f && f->kind == Val::Float && f->f > 0)
        return "warmdown_frac sets the warm-down";
    }
    if (n == "warmdown_shape" && s.value != "\"linear\"") {
      const Val *w = valueOf("warmdown_iters"), *f = valueOf("warmdown_frac");
      if (w && w->kind == Val::Int && w->i <= 0 &&
          !(f && f->kind == Val::Float && f->f > 0))
        return "warmdown_iters and warmdown_frac are 0: there is no "
               "warm-down to shape";
    }
    // Late QAT and SWA start when the lr scale falls below their
    // threshold, which a floor at or above it never lets happen.
    if (n == "late_qat_threshold" || n == "swa_start_frac") {
      const Val *v = valueOf(n), *m = valueOf("min_lr");
      if (v && m && v->kind == Val::Float && m->kind == Val::Float &&
          v->f > 0 && m->f > 0 && m->f >= v->f)
        return "min_lr " + formatVal(*m) +
               " keeps the lr scale from falling below it";
    }
    if (n == "lqer_rank" || n == "lqer_group") {
      const Val *k = valueOf("lqer_top_k");
      if (k && k->kind == Val::Int && k->i <= 0)
        return "lqer_top_k is 0";
    }
    if (n == "switch_at" && text("switch_hparam").empty())
      return "switch_hparam is empty";
    if (n == "switch_at" || n == "switch_hparam") {
      const Val *v = valueOf(text("switch_hparam"));
      if (v && v->kind == Val::Bool && !v->b)
        return text("switch_hparam") + " is false, so the step never switches";
    }
    return "";
  };
  // Used: read by the program (the model, blocks, optimizers, classes,
  // asserts), consumed by the runtime (the fixed sections), or read by the
  // definition of something used.
  std::map<std::string, std::string> via;
  std::vector<std::string> work;
  for (const auto &[name, loc] : firstRead)
    work.push_back(name);
  for (const SettingInfo &s : settings)
    if (s.section != "hparams")
      work.push_back(s.name);
  std::set<std::string> used(work.begin(), work.end());
  while (!work.empty()) {
    std::string name = work.back();
    work.pop_back();
    for (const std::string &dep : readsOf[name])
      if (used.insert(dep).second) {
        via[dep] = name;
        work.push_back(dep);
      }
  }
  for (SettingInfo &s : settings) {
    if (s.section == "hparams") {
      auto read = firstRead.find(s.name);
      if (read != firstRead.end()) {
        s.use = "line " + std::to_string(read->second.line);
        continue;
      }
      if (used.count(s.name)) {
        s.use = "via " + via[s.name];
        continue;
      }
      s.use = "no effect: nothing reads it under these settings";
      warn(s.loc, "hparams." + s.name + " (" + s.origin +
                      ") has no effect: nothing in the spec reads "
                      "it under these settings");
      continue;
    }
    std::string why = ineffective(s);
    if (why.empty()) {
      s.use = "runtime";
      continue;
    }
    s.use = "no effect: " + why;
    if (s.origin != "default")
      warn(s.loc, s.section + "." + s.name + " (" + s.origin +
                      ") has no effect: " + why);
  }
  for (const Definition &d : spec.definitions)
    if (d.kind == Definition::Let && !used.count(d.name))
      warn(d.loc, "let " + d.name + " is never used");
  std::set<std::string> groups;
  for (const auto &[name, p] : params)
    groups.insert(p.info.group);
  for (const OptimizerDef &o : spec.optimizers)
    if (!groups.count(o.name))
      warn(o.loc, "optimizer group '" + o.name +
                      "' has no parameters under these settings: "
                      "its settings have no effect");
}

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
      {"relu", {"x"}},
      {"square", {"x"}},
      {"tanh", {"x"}},
      {"sigmoid", {"x"}},
      {"sqrt", {"x"}},
      {"rsqrt", {"x"}},
      {"exp", {"x"}},
      {"log", {"x"}},
      {"abs", {"x"}},
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
  auto sig = kSignatures.find(name);
  if (sig == kSignatures.end()) {
    std::vector<std::string> names;
    for (const auto &kv : kSignatures)
      names.push_back(kv.first);
    for (const auto &kv : blocks)
      names.push_back(kv.first);
    std::string hint = closestMatch(name, names);
    return error(e.loc,
                 "unknown function '" + name + "'" +
                     (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  const std::vector<std::string> &params = sig->second;
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
    return yield(builder.create<CausalAttentionOp>(loc, typeOf(q), q, k, v,
                                                   starts, scale, segment));
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

  // Elementwise functions of numbers or tensors.
  static const std::map<std::string, double (*)(double)> kMath = {
      {"tanh", [](double x) { return std::tanh(x); }},
      {"sqrt", [](double x) { return std::sqrt(x); }},
      {"exp", [](double x) { return std::exp(x); }},
      {"log", [](double x) { return std::log(x); }},
      {"abs", [](double x) { return std::fabs(x); }},
      {"sigmoid", [](double x) { return 1.0 / (1.0 + std::exp(-x)); }},
      {"rsqrt", [](double x) { return 1.0 / std::sqrt(x); }},
      {"relu", [](double x) { return x > 0 ? x : 0.0; }},
      {"square", [](double x) { return x * x; }},
  };
  if (kMath.count(name) && args[0]->kind != Val::Tensor) {
    if (name == "abs" && args[0]->kind == Val::Int) {
      if (args[0]->i == INT64_MIN)
        return error(e.loc, "integer overflow");
      out = Val::ofInt(std::llabs(args[0]->i));
      return true;
    }
    double x;
    if (!toNumber(*args[0], locs[0], (name + "()").c_str(), x))
      return false;
    double r = kMath.at(name)(x);
    if (!std::isfinite(r))
      return error(e.loc,
                   name + "(" + formatNumber(x) + ") is not a finite number");
    out = Val::ofFloat(r);
    return true;
  }
  if (kMath.count(name) || name == "leaky_relu") {
    mlir::Value x;
    if (!floatTensorArg(0, x))
      return false;
    if (name == "relu")
      return yield(builder.create<ReluOp>(loc, x));
    if (name == "square")
      return yield(builder.create<SquareOp>(loc, x));
    if (name == "tanh")
      return yield(builder.create<TanhOp>(loc, x));
    if (name == "sigmoid")
      return yield(builder.create<SigmoidOp>(loc, x));
    if (name == "sqrt")
      return yield(builder.create<SqrtOp>(loc, x));
    if (name == "rsqrt")
      return yield(builder.create<RsqrtOp>(loc, x));
    if (name == "exp")
      return yield(builder.create<ExpOp>(loc, x));
    if (name == "log")
      return yield(builder.create<LogOp>(loc, x));
    if (name == "abs")
      return yield(builder.create<AbsOp>(loc, x));
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

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

bool Emitter::run(const Spec &spec, CompileResult &result) {
  for (const BlockDef &b : spec.blocks) {
    if (blocks.count(b.name)) {
      error(b.loc, "block '" + b.name + "' is already defined");
      diags.note(blocks[b.name]->loc, "first defined here");
      return false;
    }
    blocks[b.name] = &b;
  }
  if (!resolveSettings(spec))
    return false;
  for (const auto &b : blocks)
    if (globals.count(b.first))
      return error(b.second->loc,
                   "block '" + b.first +
                       "' has the name of a setting or constant");

  // Line 0: errors about the whole module have no position in the spec.
  module = mlir::ModuleOp::create(
      mlir::FileLineColLoc::get(&ctx, diags.getPath(), 0, 0));
  if (!emitDeclarations(spec)) {
    module.erase();
    return false;
  }

  // @model(tokens, targets): the types of its result are known at the end.
  builder.setInsertionPointToEnd(module.getBody());
  auto tokens = mlir::RankedTensorType::get({kDyn, kDyn}, builder.getI32Type());
  model = builder.create<mlir::func::FuncOp>(
      mlirLoc(spec.modelLoc), "model",
      builder.getFunctionType({tokens, tokens}, {}));
  mlir::Block *entry = model.addEntryBlock();
  builder.setInsertionPointToEnd(entry);
  Frame frame;
  if (spec.modelParams.size() == 2) {
    frame.locals[spec.modelParams[0]] = Val::ofTensor(entry->getArgument(0));
    frame.locals[spec.modelParams[1]] = Val::ofTensor(entry->getArgument(1));
  }
  bool ok = exec(spec.modelBody, frame);
  if (ok && !frame.returned)
    ok = error(spec.modelLoc,
               "the model must return its loss: return cross_entropy(...)");
  if (ok &&
      (frame.returned->kind != Val::Tensor ||
       typeOf(frame.returned->t).getRank() != 0 ||
       !mlir::isa<mlir::FloatType>(typeOf(frame.returned->t).getElementType())))
    ok = error(spec.modelLoc,
               Twine("the model must return its loss, a scalar "
                     "float tensor; it returned ") +
                   kindName(*frame.returned) +
                   (frame.returned->kind == Val::Tensor
                        ? " of shape " +
                              formatShape(typeOf(frame.returned->t).getShape())
                        : std::string()));
  if (ok && params.empty())
    ok = error(spec.modelLoc, "the model declares no parameters");
  if (!ok) {
    module.erase();
    return false;
  }
  builder.create<mlir::func::ReturnOp>(mlirLoc(spec.modelLoc),
                                       frame.returned->t);
  model.setFunctionType(
      builder.getFunctionType({tokens, tokens}, {frame.returned->t.getType()}));

  // Settings of the sections go on the module, so every stage shows them.
  llvm::SmallVector<mlir::NamedAttribute> hparams;
  std::map<std::string, llvm::SmallVector<mlir::NamedAttribute>> sections;
  for (const SettingInfo &s : settings) {
    const Val &v = globals[s.name];
    mlir::Attribute a =
        v.kind == Val::Int     ? (mlir::Attribute)builder.getI64IntegerAttr(v.i)
        : v.kind == Val::Float ? (mlir::Attribute)builder.getF64FloatAttr(v.f)
        : v.kind == Val::Bool  ? (mlir::Attribute)builder.getBoolAttr(v.b)
                               : (mlir::Attribute)builder.getStringAttr(v.s);
    sections[s.section].push_back(builder.getNamedAttr(s.name, a));
  }
  for (auto &[section, attrs] : sections)
    module->setAttr("golf." + section, builder.getDictionaryAttr(attrs));

  // The IR must verify: anything else is a bug of the front end, reported
  // as such rather than crashing later.
  std::string messages;
  {
    mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
      llvm::raw_string_ostream os(messages);
      os << d << "\n";
      return mlir::success();
    });
    if (mlir::failed(mlir::verify(module))) {
      diags.error({}, "internal error: the emitted IR does not verify:\n" +
                          messages);
      module.erase();
      return false;
    }
  }

  result.module = module;
  checkUses(spec);
  // Report settings section by section, each in spec order, then defaults.
  static const std::vector<std::string> kOrder = {"hparams", "train", "eval",
                                                  "export"};
  auto rank = [](const SettingInfo &s) {
    return std::find(kOrder.begin(), kOrder.end(), s.section) - kOrder.begin();
  };
  std::stable_sort(settings.begin(), settings.end(),
                   [&](const SettingInfo &a, const SettingInfo &b) {
                     if (rank(a) != rank(b))
                       return rank(a) < rank(b);
                     return (a.origin == "default") < (b.origin == "default");
                   });
  result.settings = settings;
  for (const std::string &name : paramOrder)
    result.params.push_back(params[name].info);
  return true;
}

} // namespace

void golf::registerFrontendDialects(mlir::MLIRContext &context) {
  context.loadDialect<GolfDialect, mlir::func::FuncDialect>();
}

namespace {
struct CompileJob {
  Diagnostics &diags;
  const CompileOptions &options;
  mlir::MLIRContext &context;
  CompileResult &result;
  bool ok = false;

  void run() {
    Spec spec = parseSpec(diags);
    if (diags.hasErrors())
      return;
    Emitter emitter(diags, options, context);
    ok = emitter.run(spec, result);
  }
};
} // namespace

static bool compileOnce(Diagnostics &diags, const CompileOptions &options,
                        mlir::MLIRContext &context, CompileResult &result) {
  CompileJob job{diags, options, context, result};
  // Parsing and evaluation recurse as deep as their budgets allow (about
  // 3,000 levels); a thread with a 256 MiB stack holds that whatever the
  // build (sanitizers triple frame sizes) and whatever the caller's stack.
  pthread_attr_t attr;
  pthread_t thread;
  bool threaded = pthread_attr_init(&attr) == 0 &&
                  pthread_attr_setstacksize(&attr, size_t(256) << 20) == 0 &&
                  pthread_create(
                      &thread, &attr,
                      [](void *p) -> void * {
                        static_cast<CompileJob *>(p)->run();
                        return nullptr;
                      },
                      &job) == 0;
  pthread_attr_destroy(&attr);
  if (threaded)
    pthread_join(thread, nullptr);
  else
    job.run();
  return job.ok;
}

/// The early phase of a spec with a `switch_hparam`: the same spec with the
/// hparam false. Both phases train one set of weights, so their parameters
/// must agree in name, shape, initializer, group and export class.
static bool compileEarly(Diagnostics &diags, const CompileOptions &options,
                         mlir::MLIRContext &context, CompileResult &result) {
  const SettingInfo *name = nullptr, *at = nullptr;
  for (const SettingInfo &s : result.settings) {
    if (s.section == "train" && s.name == "switch_hparam")
      name = &s;
    if (s.section == "train" && s.name == "switch_at")
      at = &s;
  }
  std::string hparam = name ? name->value : "";
  if (hparam.size() >= 2 && hparam.front() == '"')
    hparam = hparam.substr(1, hparam.size() - 2);
  if (hparam.empty() || !options.phases)
    return true;
  const SettingInfo *target = nullptr;
  for (const SettingInfo &s : result.settings)
    if (s.section == "hparams" && s.name == hparam)
      target = &s;
  auto fail = [&](Loc loc, const std::string &message) {
    diags.error(loc, message);
    result.module = nullptr;
    return false;
  };
  if (!target)
    return fail(name->loc, "switch_hparam names '" + hparam +
                               "', which is not an hparam of the spec");
  if (target->value != "true" && target->value != "false")
    return fail(name->loc, "switch_hparam names '" + hparam +
                               "' = " + target->value +
                               ": the switched hparam must be a boolean");
  double frac = at ? std::strtod(at->value.c_str(), nullptr) : 0.5;
  if (!(frac > 0 && frac < 1))
    return fail(at->loc, "switch_at " + at->value +
                             " must lie strictly between 0 and 1 (the "
                             "fraction of the run at which " +
                             hparam + " turns true)");
  if (target->value == "false")
    return true; // warned about as a setting without effect
  CompileOptions early = options;
  early.sets.push_back({hparam, "false"});
  early.warnUnused = false; // the spec's own compile warned already
  CompileResult phase;
  if (!compileOnce(diags, early, context, phase)) {
    diags.note(name->loc, "in the early phase, with " + hparam +
                              " = false (switch_hparam)");
    result.module = nullptr;
    return false;
  }
  auto shape = [](const std::vector<int64_t> &s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i)
      out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
  };
  const std::vector<ParamInfo> &a = phase.params, &b = result.params;
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    std::string why;
    if (i >= a.size())
      why = "does not declare '" + b[i].name + "'";
    else if (i >= b.size())
      why = "declares '" + a[i].name + "' besides";
    else if (a[i].name != b[i].name)
      why = "declares '" + a[i].name + "' where the spec declares '" +
            b[i].name + "'";
    else if (a[i].shape != b[i].shape)
      why = "declares '" + a[i].name + "' " + shape(a[i].shape) + " against " +
            shape(b[i].shape);
    else if (a[i].init != b[i].init || a[i].group != b[i].group ||
             a[i].quant != b[i].quant)
      why = "declares '" + a[i].name +
            "' with another initializer, group or export class";
    if (!why.empty())
      return fail(name->loc,
                  "with " + hparam + " = false the model " + why +
                      ": both phases train the same parameters (size them "
                      "for the late phase)");
  }
  // The runtime takes everything but the step from the spec as written:
  // the early phase may change the model only.
  mlir::ModuleOp first = *phase.module, late = *result.module;
  for (const char *section : {"golf.train", "golf.eval", "golf.export"})
    if (first->getAttr(section) != late->getAttr(section))
      return fail(name->loc, "with " + hparam + " = false the " +
                                 std::string(section + 5) +
                                 " settings differ: the early phase may "
                                 "change the model only");
  auto declarations = [](mlir::ModuleOp m) {
    std::string text;
    llvm::raw_string_ostream os(text);
    for (OptimizerOp o : m.getOps<OptimizerOp>())
      os << o.getName() << o.getKind() << o.getSettings();
    for (QuantOp q : m.getOps<QuantOp>())
      os << q.getName() << q.getFormat() << q.getSettings();
    return text;
  };
  if (declarations(first) != declarations(late))
    return fail(name->loc, "with " + hparam +
                               " = false the optimizer groups or export "
                               "classes differ: the early phase may change "
                               "the model only");
  result.early = std::move(phase.module);
  return true;
}

bool golf::compileSpec(Diagnostics &diags, const CompileOptions &options,
                       mlir::MLIRContext &context, CompileResult &result) {
  registerFrontendDialects(context);
  return compileOnce(diags, options, context, result) &&
         compileEarly(diags, options, context, result);
}
