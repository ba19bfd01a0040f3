//===- Emitter.cpp - runs a spec's compile-time program, emits golf IR ----===//
//
// A spec is a small program evaluated at compile time: numbers, booleans,
// strings, lists and stacks are computed here; tensor expressions emit golf
// ops into @model. Every error is reported at its source position, with the
// shape rules of dialect/ShapeRules.h, before any op is built, so the IR
// that comes out always verifies.
//
//===----------------------------------------------------------------------===//

#include "frontend/EmitterImpl.h"

#include <pthread.h>

using namespace golf;
using namespace golf::emit;
using llvm::Twine;

namespace golf::emit {

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

} // namespace golf::emit

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
