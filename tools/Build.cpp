#include "tools/Driver.h"

using namespace golf;

namespace golf::driver {

int runBuild(Diagnostics &diags, CompileResult &result, int64_t batch,
             int64_t seq, bool shapeGiven, const std::string &specPath,
             const std::string &specText, const std::string &outPath) {
  if (outPath.empty()) {
    llvm::errs() << "golfc: error: build needs -o for the binary\n";
    return 2;
  }
  mlir::ModuleOp module = *result.module;
  // Without --batch and --seq the binary is a trainer: the step at the
  // spec's micro-batch, and @model for one validation window.
  rt::TrainPlan train;
  const bool trainer = !shapeGiven;
  if (trainer) {
    if (!trainPlan(diags, result, specPath, specText, train))
      return 1;
    if (train.settings.tttEnabled) {
      std::string why = rt::tttCheck(train);
      if (!why.empty()) {
        llvm::errs() << "golfc: error: " << why << "\n";
        return 1;
      }
    }
    batch = train.microBatch * train.stepGroup;
    seq = train.settings.trainSeqLen;
  } else if (!resolveSeq(diags, module, seq)) {
    return 1;
  }
  rt::StepPlan plan = stepPlan(module, batch, seq);
  std::string json = "{\"step\":" + plan.toJson() +
                     (trainer ? ",\"train\":" + train.toJson() : "") + "}";
  mlir::OwningOpRef<mlir::ModuleOp> evalModule, calibModule, sampleModule,
      tttModule, hiddenModule;
  const bool calibrating = trainer && !train.exports.hessianParams.empty();
  const bool sampling = calibrating && train.exports.calibration == "self";
  const bool ttt = trainer && train.settings.tttEnabled;
  if (ttt)
    tttModule = module.clone();
  if (trainer && train.settings.slotEnabled)
    hiddenModule = module.clone();
  if (trainer)
    evalModule = module.clone();
  if (calibrating)
    calibModule = module.clone();
  if (sampling)
    sampleModule = module.clone();
  std::string binary = outPath + ".tmp", error;
  std::vector<std::string> objects = {outPath + ".step.o.tmp"};
  if (trainer)
    objects.push_back(outPath + ".eval.o.tmp");
  if (calibrating)
    objects.push_back(outPath + ".calib.o.tmp");
  if (sampling)
    objects.push_back(outPath + ".sample.o.tmp");
  if (ttt)
    objects.push_back(outPath + ".ttt.o.tmp");
  const bool slot = trainer && train.settings.slotEnabled;
  if (slot)
    objects.push_back(outPath + ".hidden.o.tmp");
  const bool switching = trainer && result.early;
  if (switching)
    objects.push_back(outPath + ".early.o.tmp");
  auto removeObjects = [&] {
    for (const std::string &o : objects)
      llvm::sys::fs::remove(o);
  };
  if (!lowerTo(diags, module, "lowered", batch, seq, /*withGrad=*/true,
               ModelForm::Loss, /*qat=*/trainer))
    return 1;
  bool ok = emitObject(module, "train_step", "golf_step_packed", json,
                       objects[0], error);
  if (ok && trainer)
    ok =
        lowerTo(diags, *evalModule, "lowered", train.evalBatch,
                train.evalSeqLen, /*withGrad=*/false, ModelForm::TokenLosses) &&
        emitObject(*evalModule, "model", "golf_eval_packed", "", objects[1],
                   error);
  if (ok && calibrating)
    ok = lowerTo(diags, *calibModule, "lowered", batch, seq,
                 /*withGrad=*/false, ModelForm::Hessians) &&
         emitObject(*calibModule, "model", "golf_calib_packed", "", objects[2],
                    error);
  if (ok && sampling)
    ok = lowerTo(diags, *sampleModule, "lowered", batch, seq,
                 /*withGrad=*/false, ModelForm::Logits) &&
         emitObject(*sampleModule, "model", "golf_logits_packed", "",
                    objects[3], error);
  if (ok && ttt)
    ok = lowerTo(diags, *tttModule, "lowered", rt::tttRows(train),
                 train.evalSeqLen, /*withGrad=*/true, ModelForm::Loss) &&
         emitObject(*tttModule, "train_step", "golf_ttt_packed", "",
                    objects[objects.size() - 1 - switching - slot], error);
  if (ok && slot)
    ok = lowerTo(diags, *hiddenModule, "lowered", train.evalBatch,
                 train.evalSeqLen, /*withGrad=*/false, ModelForm::Hidden) &&
         emitObject(*hiddenModule, "model", "golf_hidden_packed", "",
                    objects[objects.size() - 1 - switching], error);
  if (ok && switching)
    ok = lowerTo(diags, *result.early, "lowered", batch, seq,
                 /*withGrad=*/true, ModelForm::Loss, /*qat=*/true) &&
         emitObject(*result.early, "train_step", "golf_step_early_packed", "",
                    objects.back(), error);
  if (!ok) {
    if (!error.empty())
      llvm::errs() << "golfc: error: " << error << "\n";
    removeObjects();
    return 1;
  }
  auto cxx = llvm::sys::findProgramByName("c++");
  if (!cxx) {
    llvm::errs() << "golfc: error: no C++ linker (c++) on PATH\n";
    removeObjects();
    return 1;
  }
  std::vector<std::string> argv = {*cxx, "-o", binary};
  argv.insert(argv.end(), objects.begin(), objects.end());
  argv.push_back(GOLF_STEP_MAIN_LIB);
  argv.push_back(GOLF_RUNTIME_LIB);
  for (llvm::StringRef flag : llvm::split(GOLF_RUNTIME_LDFLAGS, ';'))
    if (!flag.empty())
      argv.push_back(flag.str());
  argv.push_back("-lpthread");
  argv.push_back("-lm");
  std::vector<llvm::StringRef> refs(argv.begin(), argv.end());
  std::string message;
  int rc =
      llvm::sys::ExecuteAndWait(*cxx, refs, std::nullopt, {}, 0, 0, &message);
  removeObjects();
  if (rc != 0) {
    llvm::errs() << "golfc: error: linking " << outPath << " failed"
                 << (message.empty() ? "" : ": " + message) << "\n";
    llvm::sys::fs::remove(binary);
    return 1;
  }
  if (std::error_code ec = llvm::sys::fs::rename(binary, outPath)) {
    llvm::errs() << "golfc: error: " << outPath << ": " << ec.message() << "\n";
    return 1;
  }
  if (trainer)
    llvm::outs() << "built " << outPath << ": a trainer, " << batch << "x"
                 << seq << " tokens a call (" << train.stepGroup
                 << " micro-steps of " << train.microBatch << " sequences), "
                 << plan.params.size() << " parameters\n";
  else
    llvm::outs() << "built " << outPath << ": one training step of " << batch
                 << "x" << seq << " tokens, " << plan.params.size()
                 << " parameters\n";
  return 0;
}

} // namespace golf::driver
