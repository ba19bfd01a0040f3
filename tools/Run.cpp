#include "tools/Driver.h"

using namespace golf;

namespace golf::driver {

namespace {

/// JIT-compiled functions loaded on the CPU device, kept for the run.
struct CpuExecutables {
  std::vector<std::unique_ptr<rt::Executable>> loaded;
  /// `c` loaded (null for none).
  rt::Executable *load(const std::unique_ptr<CompiledFunction> &c) {
    if (!c)
      return nullptr;
    std::string error; // The CPU loads every image the JIT makes.
    loaded.push_back(rt::cpuDevice().load(c->image(), error));
    return loaded.back().get();
  }
};

} // namespace

/// `golfc bench`: compiles @train_step once, runs it `steps` times on random
/// weights and tokens, and prints the median step time, tokens per second,
/// effective GFLOP/s and the process's peak memory.
int runBench(Diagnostics &diags, CompileResult &result, int64_t batch,
             int64_t seq, int64_t steps) {
  mlir::ModuleOp module = *result.module;
  if (!resolveSeq(diags, module, seq))
    return 1;
  int64_t params = 0, limit = tokenLimit(module);
  std::vector<HostTensor> args;
  uint64_t state = 1337;
  auto uniform = [&] { // xorshift: no dependence on the C++ library.
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (double)(state >> 11) / 9007199254740992.0;
  };
  for (ParamOp p : module.getOps<ParamOp>()) {
    bool f64 = p.getType().getElementType().isF64();
    HostTensor t;
    t.shape.assign(p.getType().getShape().begin(),
                   p.getType().getShape().end());
    int64_t n = p.getType().getNumElements();
    params += n;
    for (int64_t i = 0; i < n; ++i) {
      double v = 0.04 * (uniform() - 0.5);
      f64 ? t.f64.push_back(v) : t.f32.push_back((float)v);
    }
    args.push_back(std::move(t));
  }
  HostTensor tokens, targets;
  tokens.shape = targets.shape = {batch, seq};
  int64_t ids = std::min<int64_t>(limit, 1 << 16);
  for (int64_t i = 0; i < batch * seq; ++i) {
    tokens.i32.push_back((int32_t)(uniform() * ids));
    targets.i32.push_back((int32_t)(uniform() * ids));
  }
  args.push_back(tokens);
  args.push_back(targets);

  auto start = std::chrono::steady_clock::now();
  if (!lowerTo(diags, module, "grad", batch, seq))
    return 1;
  int64_t layers = 0, dim = 0;
  module.walk([&](CausalAttentionOp a) {
    if (a->getParentOfType<mlir::func::FuncOp>().getName() != "model")
      return;
    ++layers;
    dim = a.getQ().getType().getDimSize(2) * a.getQ().getType().getDimSize(3);
  });
  mlir::PassManager pm(module.getContext());
  if (mlir::failed(buildPipeline(pm, "grad", "lowered", batch, seq)) ||
      mlir::failed(pm.run(module)))
    return 1;
  std::string error;
  auto compiled = CompiledFunction::create(module, "train_step", error);
  if (!compiled) {
    llvm::errs() << "golfc: error: " << error << "\n";
    return 1;
  }
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  // Peak memory from here on: the step's, not the compiler's.
  bool stepPeak = rt::resetPeakResident();
  compiled->run(args); // Warm-up.
  std::vector<double> times;
  for (int64_t s = 0; s < steps; ++s) {
    auto t0 = std::chrono::steady_clock::now();
    compiled->run(args);
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
            .count());
  }
  std::sort(times.begin(), times.end());
  double median = times[times.size() / 2];
  double tokensPerStep = (double)(batch * seq);
  // 6 flops per parameter and token (forward and backward matmuls), plus
  // causal attention: 6·L·d·T per token (QKᵀ and PV over T/2 keys, x3).
  double flops =
      6.0 * (double)params * tokensPerStep +
      6.0 * (double)layers * (double)dim * (double)seq * tokensPerStep;
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  int64_t peak = stepPeak ? rt::peakResidentBytes() : -1;
  double peakMB = peak >= 0 ? peak / 1048576.0 : usage.ru_maxrss / 1024.0;
  llvm::outs() << llvm::format(
      "golfc: params %lld  tokens/step %.0f  compile %.2f s  step %.4f s  "
      "tokens/s %.0f  GFLOP/s %.2f  peak RSS %.0f MB%s\n",
      (long long)params, tokensPerStep, compileSeconds, median,
      tokensPerStep / median, flops / median / 1e9, peakMB,
      peak >= 0 ? " (steps)" : " (process)");
  return 0;
}

/// `golfc loss` and `golfc grad`: one step of @model (or @train_step) on
/// given weights and the first batch*seq+1 tokens of a shard.
int runStep(const std::string &command, Diagnostics &diags,
            CompileResult &result, int64_t batch, int64_t seq,
            const std::string &weightsPath, const std::string &tokensPath,
            const std::string &outPath) {
  if (weightsPath.empty() || tokensPath.empty()) {
    llvm::errs() << "golfc: error: " << command
                 << " needs --weights and --tokens\n";
    return 2;
  }
  bool grad = command == "grad";
  if (grad && outPath.empty()) {
    llvm::errs() << "golfc: error: grad needs --out for the gradients\n";
    return 2;
  }
  mlir::ModuleOp module = *result.module;
  if (!resolveSeq(diags, module, seq))
    return 1;
  rt::StepPlan plan = stepPlan(module, batch, seq);
  // Inputs first: a bad file is reported before the compile.
  std::vector<HostTensor> args;
  std::string err = rt::loadStepInputs(plan, weightsPath, tokensPath, args);
  if (!err.empty()) {
    llvm::errs() << err << "\n";
    return 1;
  }
  if (!lowerTo(diags, module, "lowered", batch, seq, grad))
    return 1;
  std::string error;
  auto compiled =
      CompiledFunction::create(module, grad ? "train_step" : "model", error);
  if (!compiled) {
    llvm::errs() << "golfc: error: " << error << "\n";
    return 1;
  }
  std::vector<HostTensor> out = compiled->run(args);
  double loss = plan.f64 ? out[0].f64[0] : (double)out[0].f32[0];
  llvm::outs() << llvm::format("loss: %.17g\n", loss);
  if (!grad)
    return 0;
  err = rt::writeGradients(plan, out, outPath);
  if (!err.empty()) {
    llvm::errs() << "golfc: error: " << err << "\n";
    return 1;
  }
  return 0;
}

/// `golfc train`: compiles @train_step for the micro-batch and @model for
/// one validation sequence with the JIT, then runs the training.
int runTrain(Diagnostics &diags, CompileResult &result,
             const std::string &specPath, const std::string &specText,
             const rt::TrainOptions &options) {
  if (options.trainGlob.empty() || options.valGlob.empty() ||
      options.tokenizer.empty() || options.outDir.empty()) {
    llvm::errs() << "golfc: error: train needs --train, --val, --tokenizer "
                    "and --out\n";
    return 2;
  }
  rt::TrainPlan plan;
  if (!trainPlan(diags, result, specPath, specText, plan))
    return 1;
  mlir::ModuleOp module = *result.module;
  mlir::OwningOpRef<mlir::ModuleOp> evalModule = module.clone();
  const bool calibrating = !plan.exports.hessianParams.empty();
  const bool sampling = calibrating && plan.exports.calibration == "self";
  mlir::OwningOpRef<mlir::ModuleOp> calibModule, sampleModule;
  if (calibrating)
    calibModule = module.clone();
  if (sampling)
    sampleModule = module.clone();
  const bool ttt = plan.settings.tttEnabled;
  if (ttt) {
    std::string why = rt::tttCheck(plan);
    if (!why.empty()) {
      llvm::errs() << "golfc: error: " << why << "\n";
      return 1;
    }
  }
  mlir::OwningOpRef<mlir::ModuleOp> tttModule;
  if (ttt)
    tttModule = module.clone();
  const bool switching = (bool)result.early;
  const bool slot = plan.settings.slotEnabled;
  mlir::OwningOpRef<mlir::ModuleOp> hiddenModule;
  if (slot)
    hiddenModule = module.clone();
  const int64_t seq = plan.settings.trainSeqLen;
  auto start = std::chrono::steady_clock::now();
  std::string error;
  const int64_t rows = plan.microBatch * plan.stepGroup;
  if (!lowerTo(diags, module, "lowered", rows, seq, /*withGrad=*/true,
               ModelForm::Loss, /*qat=*/true) ||
      !lowerTo(diags, *evalModule, "lowered", plan.evalBatch, plan.evalSeqLen,
               /*withGrad=*/false, ModelForm::TokenLosses) ||
      (calibrating && !lowerTo(diags, *calibModule, "lowered", rows, seq,
                               /*withGrad=*/false, ModelForm::Hessians)) ||
      (sampling && !lowerTo(diags, *sampleModule, "lowered", rows, seq,
                            /*withGrad=*/false, ModelForm::Logits)) ||
      (ttt && !lowerTo(diags, *tttModule, "lowered", rt::tttRows(plan),
                       plan.evalSeqLen, /*withGrad=*/true, ModelForm::Loss)) ||
      (switching && !lowerTo(diags, *result.early, "lowered", rows, seq,
                             /*withGrad=*/true, ModelForm::Loss,
                             /*qat=*/true)) ||
      (slot &&
       !lowerTo(diags, *hiddenModule, "lowered", plan.evalBatch,
                plan.evalSeqLen, /*withGrad=*/false, ModelForm::Hidden)))
    return 1;
  auto step = CompiledFunction::create(module, "train_step", error);
  auto eval =
      step ? CompiledFunction::create(*evalModule, "model", error) : nullptr;
  std::unique_ptr<CompiledFunction> calibrate, sample;
  if (eval && calibrating)
    calibrate = CompiledFunction::create(*calibModule, "model", error);
  if (calibrate && sampling)
    sample = CompiledFunction::create(*sampleModule, "model", error);
  std::unique_ptr<CompiledFunction> tttStep;
  if (eval && ttt)
    tttStep = CompiledFunction::create(*tttModule, "train_step", error);
  std::unique_ptr<CompiledFunction> earlyStep, hidden;
  if (eval && switching)
    earlyStep = CompiledFunction::create(*result.early, "train_step", error);
  if (eval && slot)
    hidden = CompiledFunction::create(*hiddenModule, "model", error);
  if (!step || !eval || (calibrating && !calibrate) || (sampling && !sample) ||
      (ttt && !tttStep) || (switching && !earlyStep) || (slot && !hidden)) {
    llvm::errs() << "golfc: error: " << error << "\n";
    return 1;
  }
  llvm::outs() << llvm::format(
      "compiled the step (%lld x %lld tokens) and the evaluation in %.1f s\n",
      (long long)rows, (long long)seq,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count());
  llvm::outs().flush();
  // Loaded on the CPU device, bound by role in the runtime.
  CpuExecutables loaded;
  rt::TrainExecutables functions;
  functions.step = loaded.load(step);
  functions.eval = loaded.load(eval);
  functions.calibrate = loaded.load(calibrate);
  functions.logits = loaded.load(sample);
  functions.ttt = loaded.load(tttStep);
  functions.stepEarly = loaded.load(earlyStep);
  functions.hidden = loaded.load(hidden);
  // One process, for now: the collectives are identities.
  std::unique_ptr<rt::Comm> comm = rt::singleProcessComm();
  return rt::train(plan, functions, *comm, options);
}

/// `golfc eval ARTIFACT`: the artifact's weights, dequantized, scored by
/// @model rebuilt from its spec.
int runEval(Diagnostics &diags, CompileResult &result,
            const std::string &artifactPath, const rt::Artifact &artifact,
            const rt::TrainOptions &options, int64_t stride) {
  if (options.valGlob.empty() || options.tokenizer.empty()) {
    llvm::errs() << "golfc: error: eval needs --val and --tokenizer\n";
    return 2;
  }
  rt::TrainPlan plan;
  if (!trainPlan(diags, result, artifactPath, artifact.spec, plan))
    return 1;
  if (stride < 0)
    stride = plan.evalStride;
  if (stride > plan.evalSeqLen) {
    llvm::errs() << "golfc: error: --stride " << stride
                 << " is longer than the window (eval_seq_len "
                 << plan.evalSeqLen << ")\n";
    return 1;
  }
  // The artifact's tensors, by name, in the parameters' order.
  std::vector<std::vector<float>> weights;
  for (const rt::TrainParam &p : plan.params) {
    const rt::QuantTensor *found = nullptr;
    for (const rt::QuantTensor &t : artifact.tensors)
      if (t.name == p.name)
        found = &t;
    if (!found || found->shape != p.shape) {
      llvm::errs() << "golfc: error: " << artifactPath << ": "
                   << (found ? "tensor '" + p.name + "' has another shape"
                             : "no tensor '" + p.name + "'")
                   << " than its spec declares\n";
      return 1;
    }
    weights.push_back(rt::dequantize(*found));
  }
  mlir::ModuleOp module = *result.module;
  // Score-first TTT (the artifact's eval settings) trains with the step.
  const bool ttt = plan.settings.tttEnabled;
  mlir::OwningOpRef<mlir::ModuleOp> stepModule, hiddenModule;
  if (ttt)
    stepModule = module.clone();
  const bool slot = plan.settings.slotEnabled;
  if (slot)
    hiddenModule = module.clone();
  if (!lowerTo(diags, module, "lowered", plan.evalBatch, plan.evalSeqLen,
               /*withGrad=*/false, ModelForm::TokenLosses) ||
      (ttt && !lowerTo(diags, *stepModule, "lowered", rt::tttRows(plan),
                       plan.evalSeqLen, /*withGrad=*/true, ModelForm::Loss)) ||
      (slot &&
       !lowerTo(diags, *hiddenModule, "lowered", plan.evalBatch,
                plan.evalSeqLen, /*withGrad=*/false, ModelForm::Hidden)))
    return 1;
  std::string error;
  auto eval = CompiledFunction::create(module, "model", error);
  std::unique_ptr<CompiledFunction> step, hidden;
  if (eval && ttt)
    step = CompiledFunction::create(*stepModule, "train_step", error);
  if (eval && slot)
    hidden = CompiledFunction::create(*hiddenModule, "model", error);
  if (!eval || (ttt && !step) || (slot && !hidden)) {
    llvm::errs() << "golfc: error: " << error << "\n";
    return 1;
  }
  CpuExecutables loaded;
  rt::TrainExecutables functions;
  functions.eval = loaded.load(eval);
  functions.ttt = loaded.load(step);
  functions.hidden = loaded.load(hidden);
  rt::Score score, slotScore;
  error = rt::evaluate(plan, functions, std::move(weights), options.valGlob,
                       options.tokenizer, stride, score,
                       slot ? &slotScore : nullptr);
  if (!error.empty()) {
    llvm::errs() << "golfc: error: " << error << "\n";
    return 1;
  }
  std::ifstream file(artifactPath, std::ios::binary | std::ios::ate);
  const int64_t bytes = file ? (int64_t)file.tellg() : -1;
  llvm::outs() << llvm::format(
      "artifact: %lld bytes + spec %zu bytes = %lld bytes counted of %lld\n",
      (long long)bytes, artifact.spec.size(),
      (long long)(bytes + (int64_t)artifact.spec.size()),
      (long long)plan.exports.budgetBytes);
  llvm::outs() << "artifact_sha256: " << artifact.sha256 << "\n";
  llvm::outs() << llvm::format(
      "val_loss:%.8f val_bpb:%.8f tokens:%lld bytes:%lld stride:%lld%s\n",
      score.loss, score.bpb, (long long)score.tokens, (long long)score.bytes,
      (long long)stride, ttt ? " ttt:score-first" : "");
  if (slot)
    llvm::outs() << llvm::format(
        "slot val_loss:%.8f val_bpb:%.8f (NOT a legal score: SLOT fits the "
        "targets it scores)\n",
        slotScore.loss, slotScore.bpb);
  return 0;
}

} // namespace golf::driver
