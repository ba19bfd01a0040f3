#include "tools/Driver.h"

#include "runtime/settings.h"

#include "Revision.h"

using namespace golf;

namespace golf::driver {

/// A number of an op's settings dictionary (float or integer), or
/// `fallback` when it is not there.
double settingNumber(mlir::DictionaryAttr d, const char *name,
                     double fallback) {
  if (auto a = d.getAs<mlir::FloatAttr>(name))
    return a.getValueAsDouble();
  if (auto a = d.getAs<mlir::IntegerAttr>(name))
    return (double)a.getInt();
  return fallback;
}

/// The export policy of a compiled spec: its `export` section and classes.
rt::ExportPlan exportPolicy(mlir::ModuleOp module) {
  rt::ExportPlan plan;
  if (auto e = module->getAttrOfType<mlir::DictionaryAttr>("golf.export")) {
    // Every export setting, into its field (the table of
    // runtime/settings.h); one the module lacks keeps its default.
    for (const rt::ExportField &f : rt::exportFields()) {
      mlir::Attribute a = e.get(f.name);
      if (auto i = mlir::dyn_cast_or_null<mlir::IntegerAttr>(a); i && f.integer)
        plan.*(f.integer) = i.getInt();
      else if (a && f.real)
        plan.*(f.real) = settingNumber(e, f.name, plan.*(f.real));
      else if (auto t = mlir::dyn_cast_or_null<mlir::StringAttr>(a);
               t && f.text)
        plan.*(f.text) = t.str();
    }
  }
  for (QuantOp q : module.getOps<QuantOp>()) {
    rt::QuantPolicy policy;
    rt::parseQuantFormat(q.getFormat().str(), policy.format);
    mlir::DictionaryAttr d = q.getSettings();
    auto num = [&](const char *name, double fallback) {
      return settingNumber(d, name, fallback);
    };
    policy.clipPercentile = num("clip_percentile", policy.clipPercentile);
    policy.clipSigmas = num("clip_sigmas", policy.clipSigmas);
    policy.scaleFloor = num("scale_floor", policy.scaleFloor);
    policy.prunePercentile = num("prune_percentile", policy.prunePercentile);
    policy.damping = num("damping", policy.damping);
    if (auto a = d.getAs<mlir::BoolAttr>("clip_search"))
      policy.clipSearch = a.getValue();
    if (auto a = d.getAs<mlir::StringAttr>("method"))
      policy.method = a.str();
    plan.classes.push_back({q.getName().str(), policy});
  }
  return plan;
}

/// Writes `text` to `path` through a temporary file and a rename, so a
/// reader never sees half a file.
bool writeAtomically(const std::string &path, const std::string &text) {
  std::string tmp = path + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec) {
      llvm::errs() << "golfc: error: cannot write '" << tmp
                   << "': " << ec.message() << "\n";
      return false;
    }
    os << text;
    os.close();
    if (os.has_error()) {
      llvm::errs() << "golfc: error: cannot write '" << tmp << "'\n";
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      return false;
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::errs() << "golfc: error: cannot write '" << path
                 << "': " << ec.message() << "\n";
    llvm::sys::fs::remove(tmp);
    return false;
  }
  return true;
}

int64_t trainSeqLen(mlir::ModuleOp module) {
  if (auto train = module->getAttrOfType<mlir::DictionaryAttr>("golf.train"))
    if (auto s = train.getAs<mlir::IntegerAttr>("train_seq_len"))
      return s.getInt();
  return 1024;
}

/// --seq, or the spec's train_seq_len, which must then be usable.
bool resolveSeq(Diagnostics &diags, mlir::ModuleOp module, int64_t &seq) {
  if (seq > 0)
    return true;
  seq = trainSeqLen(module);
  if (seq > 0 && seq <= (1 << 24))
    return true;
  diags.error({}, "train_seq_len is " + std::to_string(seq) +
                      "; a sequence length must be positive (or give --seq)");
  return false;
}

/// Runs the pipeline from `parsed` to `stage`. Errors of passes point into
/// the spec (every op carries its position) and print in the spec's format.
/// With `qat` the training step takes late QAT's inputs.
bool lowerTo(Diagnostics &diags, mlir::ModuleOp module,
             const std::string &stage, int64_t batch, int64_t seq,
             bool withGrad, ModelForm form, bool qat) {
  mlir::PassManager pm(module.getContext());
  // Without gradients the pipeline steps over the `grad` stage; for an
  // evaluation, @model returns the loss of every position instead.
  bool skip = !withGrad && stage != "parsed" && stage != "specialized" &&
              stage != "bound";
  bool built = true;
  if (skip) {
    built = mlir::succeeded(buildPipeline(pm, "parsed", "bound", batch, seq));
    if (form == ModelForm::TokenLosses)
      pm.addPass(createGolfTokenLosses());
    if (form == ModelForm::Hessians)
      pm.addPass(createGolfCollectHessians());
    if (form == ModelForm::Logits)
      pm.addPass(createGolfReturnLogits());
    if (form == ModelForm::Hidden)
      pm.addPass(createGolfReturnHidden());
    built =
        built && mlir::succeeded(buildPipeline(pm, "grad", stage, batch, seq));
  } else {
    built =
        mlir::succeeded(buildPipeline(pm, "parsed", stage, batch, seq, qat));
  }
  if (!built) {
    diags.error({}, "internal error: cannot build the pipeline to " + stage);
    return false;
  }
  mlir::ScopedDiagnosticHandler handler(
      module.getContext(), [&](mlir::Diagnostic &d) {
        Loc loc;
        if (auto fl = mlir::dyn_cast<mlir::FileLineColLoc>(d.getLocation()))
          loc = {fl.getLine(), fl.getColumn()};
        diags.error(loc, d.str());
        return mlir::success();
      });
  return mlir::succeeded(pm.run(module));
}

/// The largest token id the model can take: the rows of every embedding
/// table indexed by the tokens, the classes of every cross-entropy over the
/// targets. Data beyond it is refused before any kernel reads out of range.
int64_t tokenLimit(mlir::ModuleOp module) {
  int64_t limit = INT64_MAX;
  auto model = module.lookupSymbol<mlir::func::FuncOp>("model");
  model.walk([&](mlir::Operation *op) {
    if (auto e = mlir::dyn_cast<EmbeddingOp>(op))
      if (mlir::isa<mlir::BlockArgument>(e.getIndices()))
        limit = std::min(limit, e.getTable().getType().getDimSize(0));
    if (auto c = mlir::dyn_cast<CrossEntropyOp>(op))
      if (mlir::isa<mlir::BlockArgument>(c.getTargets()))
        limit = std::min(limit, c.getLogits().getType().getShape().back());
  });
  return limit;
}

/// The plan of a step: what the runtime needs to feed compiled code.
rt::StepPlan stepPlan(mlir::ModuleOp module, int64_t batch, int64_t seq) {
  rt::StepPlan plan;
  plan.batch = batch;
  plan.seq = seq;
  plan.tokenLimit = tokenLimit(module);
  for (ParamOp p : module.getOps<ParamOp>()) {
    plan.f64 = p.getType().getElementType().isF64();
    plan.params.push_back({p.getSymName().str(),
                           std::vector<int64_t>(p.getType().getShape().begin(),
                                                p.getType().getShape().end())});
  }
  return plan;
}

/// The training plan of a spec: parameters with their initializers and
/// groups, the groups' settings, the train settings and the batch layout.
bool trainPlan(Diagnostics &diags, const CompileResult &result,
               const std::string &specPath, const std::string &specText,
               rt::TrainPlan &plan) {
  mlir::ModuleOp module = *result.module;
  auto train = module->getAttrOfType<mlir::DictionaryAttr>("golf.train");
  auto eval = module->getAttrOfType<mlir::DictionaryAttr>("golf.eval");
  // Every setting the runtime consumes, from its section (the table of
  // runtime/settings.h); one the module lacks keeps its default.
  rt::TrainSettings &t = plan.settings;
  for (const rt::SettingField &f : rt::settingFields()) {
    mlir::DictionaryAttr d =
        llvm::StringRef(f.section) == "eval" ? eval : train;
    mlir::Attribute a = d ? d.get(f.name) : mlir::Attribute();
    if (!a)
      continue;
    if (auto i = mlir::dyn_cast<mlir::IntegerAttr>(a); i && f.integer)
      t.*(f.integer) = i.getInt();
    else if (f.real &&
             (mlir::isa<mlir::FloatAttr>(a) || mlir::isa<mlir::IntegerAttr>(a)))
      t.*(f.real) = settingNumber(d, f.name, t.*(f.real));
    else if (auto b = mlir::dyn_cast<mlir::BoolAttr>(a); b && f.flag)
      t.*(f.flag) = b.getValue();
    else if (auto str = mlir::dyn_cast<mlir::StringAttr>(a); str && f.text)
      t.*(f.text) = str.getValue().str();
  }
  // The phase switch only when the early step was compiled.
  if (!result.early) {
    t.switchHparam.clear();
    t.switchAt = rt::TrainSettings().switchAt;
  }
  // One process (world size 1): train_gpt.py's 8 / world micro-steps
  // unless the spec says otherwise.
  plan.accumSteps = t.gradAccumSteps > 0 ? t.gradAccumSteps : 8;
  const int64_t local = t.trainBatchTokens / plan.accumSteps;
  if (t.trainSeqLen <= 0 || local <= 0 || local % t.trainSeqLen != 0 ||
      t.trainBatchTokens % plan.accumSteps != 0) {
    diags.error({}, "train_batch_tokens " + std::to_string(t.trainBatchTokens) +
                        " in " + std::to_string(plan.accumSteps) +
                        " micro-steps is not a whole number of sequences of "
                        "train_seq_len " +
                        std::to_string(t.trainSeqLen) +
                        " per micro-step (set grad_accum_steps)");
    return false;
  }
  plan.microBatch = local / t.trainSeqLen;
  // Several micro-steps per call of the step keep its matrix products
  // large: up to 16384 tokens a call, a divisor of the micro-steps.
  plan.stepGroup = 1;
  for (int64_t g = plan.accumSteps; g >= 1; --g)
    if (plan.accumSteps % g == 0 &&
        g * local <= std::max<int64_t>(local, 16384)) {
      plan.stepGroup = g;
      break;
    }
  auto evalInt = [&](const char *name, int64_t fallback) {
    if (eval)
      if (auto a = eval.getAs<mlir::IntegerAttr>(name))
        return a.getInt();
    return fallback;
  };
  plan.evalSeqLen = evalInt("eval_seq_len", t.trainSeqLen);
  if (plan.evalSeqLen <= 0) {
    diags.error({}, "eval_seq_len must be positive");
    return false;
  }
  plan.evalStride = evalInt("eval_stride", 0);
  // The head SLOT applies: cross_entropy(softcap(linear(h, W))) (the
  // hidden-state forward's lowering reports any other form).
  {
    auto model = module.lookupSymbol<mlir::func::FuncOp>("model");
    auto ret = mlir::cast<mlir::func::ReturnOp>(
        model.getBody().back().getTerminator());
    if (auto loss = ret.getOperand(0).getDefiningOp<CrossEntropyOp>())
      if (Head head = findHead(model, loss); head.linear) {
        plan.headWeight = head.weight;
        plan.headSoftcap =
            head.softcap ? head.softcap.getCap().convertToDouble() : 0.0;
      }
  }
  if (plan.evalStride < 0 || plan.evalStride > plan.evalSeqLen) {
    diags.error({}, "eval_stride " + std::to_string(plan.evalStride) +
                        " must be between 0 (non-overlapping windows) and "
                        "eval_seq_len " +
                        std::to_string(plan.evalSeqLen));
    return false;
  }
  // Windows per call: train_gpt.py's local validation batch on one rank
  // (val_batch_size over 8 micro-steps), at most 16,384 tokens a call like
  // the step. The numbers do not depend on it.
  plan.evalBatch = std::max<int64_t>(
      1, std::min(evalInt("val_batch_size", 524288) / (8 * plan.evalSeqLen),
                  16384 / plan.evalSeqLen));
  plan.tokenLimit = tokenLimit(module);
  module.lookupSymbol<mlir::func::FuncOp>("model").walk([&](CrossEntropyOp c) {
    plan.classes = c.getLogits().getType().getShape().back();
  });
  for (ParamOp p : module.getOps<ParamOp>()) {
    if (!p.getType().getElementType().isF32()) {
      diags.error({}, "training runs in float32 (--dtype f64 is for checking "
                      "gradients)");
      return false;
    }
    plan.params.push_back(
        {p.getSymName().str(),
         std::vector<int64_t>(p.getType().getShape().begin(),
                              p.getType().getShape().end()),
         p.getInit().str(),
         std::vector<double>(p.getInitArgs().begin(), p.getInitArgs().end()),
         p.getGroup().str(), p.getQuant().str()});
  }
  // The export: the `export` section and every export class.
  plan.exports = exportPolicy(module);
  if (!plan.exports.fitClass.empty()) {
    bool known = false;
    for (const auto &[name, q] : plan.exports.classes)
      known |= name == plan.exports.fitClass && rt::quantRange(q.format) > 0;
    if (!known) {
      diags.error({}, "fit_class '" + plan.exports.fitClass +
                          "' is not an export class with an integer format");
      return false;
    }
  }
  if (plan.exports.lqerTopK < 0 || plan.exports.lqerRank < 1 ||
      plan.exports.lqerRank > 255 || plan.exports.lqerGroup < 1 ||
      plan.exports.lqerGroup > 65535) {
    diags.error({}, "lqer_top_k must not be negative, lqer_rank must be in "
                    "[1, 255] and lqer_group in [1, 65535]");
    return false;
  }
  if (plan.exports.calibration == "self" && !(plan.exports.temperature > 0)) {
    diags.error({}, "gptq_temperature must be positive to sample");
    return false;
  }
  for (const rt::TrainParam &p : plan.params)
    for (const auto &[name, policy] : plan.exports.classes)
      if (name == p.quant) {
        if (policy.method == "gptq")
          plan.exports.hessianParams.push_back(p.name);
        // The parameters golf-insert-fake-quant covers, in its order.
        if (plan.exports.lateQatThreshold > 0 && p.shape.size() == 2 &&
            rt::quantRange(policy.format) > 0)
          plan.exports.qatParams.push_back(p.name);
      }
  for (OptimizerOp o : module.getOps<OptimizerOp>()) {
    rt::TrainGroup g;
    g.name = o.getName().str();
    g.kind = o.getKind().str();
    mlir::DictionaryAttr d = o.getSettings();
    auto num = [&](const char *name, double fallback) {
      return settingNumber(d, name, fallback);
    };
    if (g.kind == "muon") {
      rt::MuonSettings &m = g.muon;
      m.lr = num("lr", 0);
      m.momentum = num("momentum", m.momentum);
      if (auto a = d.getAs<mlir::BoolAttr>("nesterov"))
        m.nesterov = a.getValue();
      m.backendSteps = (int64_t)num("backend_steps", (double)m.backendSteps);
      m.momentumWarmupStart =
          num("momentum_warmup_start", m.momentumWarmupStart);
      m.momentumWarmupSteps =
          (int64_t)num("momentum_warmup_steps", (double)m.momentumWarmupSteps);
      m.weightDecay = num("weight_decay", m.weightDecay);
      if (auto a = d.getAs<mlir::BoolAttr>("row_normalize"))
        m.rowNormalize = a.getValue();
      if (auto a = d.getAs<mlir::BoolAttr>("polar_express"))
        m.polarExpress = a.getValue();
    } else {
      rt::AdamSettings &a = g.adam;
      a.lr = num("lr", 0);
      a.beta1 = num("beta1", a.beta1);
      a.beta2 = num("beta2", a.beta2);
      a.eps = num("eps", a.eps);
      a.weightDecay = num("weight_decay", a.weightDecay);
    }
    plan.groups.push_back(g);
  }
  plan.specPath = specPath;
  plan.specText = specText;
  llvm::raw_string_ostream config(plan.config);
  printSettings(result, config);
  config.flush();
  plan.revision = GOLF_REVISION;
  return true;
}

} // namespace golf::driver
