// The driver of a binary made by `golfc build`. The object files golfc emits
// provide the step (golf_step_packed), for a trainer the evaluation
// (golf_eval_packed), and the plan that describes them (golf_plan).
//
//   BIN --train GLOB --val GLOB --tokenizer MODEL --out DIR [--resume]
//       [--max-steps N]      trains, as `golfc train` does
//   BIN --weights W --tokens T [--out G]
//                            runs one step: prints the loss, writes the
//                            gradients
#include "runtime/memory.h"
#include "runtime/step.h"
#include "runtime/train.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" const char golf_plan[];
extern "C" void golf_step_packed(void **args);
// Only in trainers.
extern "C" void golf_eval_packed(void **args) __attribute__((weak));
extern "C" void golf_calib_packed(void **args) __attribute__((weak));
extern "C" void golf_ttt_packed(void **args) __attribute__((weak));
extern "C" void golf_logits_packed(void **args) __attribute__((weak));
extern "C" void golf_step_early_packed(void **args) __attribute__((weak));
extern "C" void golf_hidden_packed(void **args) __attribute__((weak));

namespace {

int usage(const char *argv0) {
  std::fprintf(stderr,
               "usage: %s --train GLOB --val GLOB --tokenizer MODEL --out DIR "
               "[--set name=value]... [--resume] [--max-steps N]\n"
               "       %s --weights W.safetensors --tokens T.bin "
               "[--out G.safetensors]\n",
               argv0, argv0);
  return 2;
}

int runStep(const std::string &weights, const std::string &tokens,
            const std::string &out) {
  golf::rt::StepPlan plan;
  std::string err = plan.fromJson(golf_plan);
  std::vector<golf::rt::Tensor> args;
  if (err.empty())
    err = golf::rt::loadStepInputs(plan, weights, tokens, args);
  if (!err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  std::vector<golf::rt::ResultSpec> results = {{{}, plan.f64}};
  for (const golf::rt::ParamSpec &p : plan.params)
    results.push_back({p.shape, plan.f64});
  std::vector<golf::rt::Tensor> outs =
      golf::rt::callPacked(golf_step_packed, args, results);
  double loss = plan.f64 ? outs[0].f64[0] : (double)outs[0].f32[0];
  std::printf("loss: %.17g\n", loss);
  if (!out.empty()) {
    err = golf::rt::writeGradients(plan, outs, out);
    if (!err.empty()) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 1;
    }
  }
  return 0;
}

int runTrain(const golf::rt::TrainOptions &options,
             const std::vector<std::string> &sets) {
  golf::rt::TrainPlan plan;
  std::string err = plan.fromJson(golf_plan);
  std::vector<std::string> warnings;
  if (err.empty())
    err = golf::rt::applyOverrides(
        plan, sets,
        [](const char *name) -> const char * { return std::getenv(name); },
        &warnings);
  for (const std::string &w : warnings)
    std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (err.empty() && !golf_eval_packed)
    err = "this binary has no evaluation function; rebuild it";
  if (!err.empty()) {
    std::fprintf(stderr, "error: %s\n", err.c_str());
    return 1;
  }
  std::vector<golf::rt::ResultSpec> stepResults = {{{}, false}},
                                    evalResults = {
                                        {{plan.evalBatch, plan.evalSeqLen},
                                         false}};
  for (const golf::rt::TrainParam &p : plan.params)
    stepResults.push_back({p.shape, false});
  golf::rt::TrainFunctions functions;
  functions.step = [&](std::vector<golf::rt::Tensor> &args) {
    return golf::rt::callPacked(golf_step_packed, args, stepResults);
  };
  functions.eval = [&](std::vector<golf::rt::Tensor> &args) {
    return golf::rt::callPacked(golf_eval_packed, args, evalResults);
  };
  // GPTQ's calibration forward: the loss, then XᵀX of each parameter's
  // input ([in, in], in = the product of its shape past the first).
  std::vector<golf::rt::ResultSpec> calibResults = {{{}, false}};
  for (const std::string &name : plan.exports.hessianParams)
    for (const golf::rt::TrainParam &p : plan.params)
      if (p.name == name) {
        int64_t in = 1;
        for (size_t d = 1; d < p.shape.size(); ++d)
          in *= p.shape[d];
        calibResults.push_back({{in, in}, false});
      }
  if (!plan.exports.hessianParams.empty()) {
    if (!golf_calib_packed) {
      std::fprintf(stderr, "error: this binary has no calibration forward; "
                           "rebuild it\n");
      return 1;
    }
    functions.calibrate = [&](std::vector<golf::rt::Tensor> &args) {
      return golf::rt::callPacked(golf_calib_packed, args, calibResults);
    };
  }
  // Sampling for self-generated calibration: the logits [rows, seq, V].
  std::vector<golf::rt::ResultSpec> logitResults = {
      {{plan.microBatch * plan.stepGroup, plan.settings.trainSeqLen,
        plan.classes},
       false}};
  if (plan.exports.calibration == "self" &&
      !plan.exports.hessianParams.empty()) {
    if (!golf_logits_packed) {
      std::fprintf(stderr, "error: this binary cannot sample; rebuild it\n");
      return 1;
    }
    functions.logits = [&](std::vector<golf::rt::Tensor> &args) {
      return golf::rt::callPacked(golf_logits_packed, args, logitResults);
    };
  }
  // Score-first TTT's step (built when the spec enables it).
  if (golf_ttt_packed)
    functions.ttt = [&](std::vector<golf::rt::Tensor> &args) {
      return golf::rt::callPacked(golf_ttt_packed, args, stepResults);
    };
  // SLOT's hidden-state forward: [evalBatch, evalSeqLen, d] (d: the head
  // weight's second dimension).
  std::vector<golf::rt::ResultSpec> hiddenResults;
  for (const golf::rt::TrainParam &p : plan.params)
    if (p.name == plan.headWeight && p.shape.size() == 2)
      hiddenResults = {{{plan.evalBatch, plan.evalSeqLen, p.shape[1]}, false}};
  if (golf_hidden_packed && !hiddenResults.empty())
    functions.hidden = [&](std::vector<golf::rt::Tensor> &args) {
      return golf::rt::callPacked(golf_hidden_packed, args, hiddenResults);
    };
  // The early phase's step (built when the spec has a switch_hparam).
  if (golf_step_early_packed)
    functions.stepEarly = [&](std::vector<golf::rt::Tensor> &args) {
      return golf::rt::callPacked(golf_step_early_packed, args, stepResults);
    };
  return golf::rt::train(plan, functions, options);
}

} // namespace

int main(int argc, char **argv) {
  std::string weights, tokens, out, maxSteps;
  std::vector<std::string> sets;
  golf::rt::TrainOptions train;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--resume") {
      train.resume = true;
      continue;
    }
    if (arg == "--set") {
      if (i + 1 >= argc)
        return usage(argv[0]);
      sets.push_back(argv[++i]);
      continue;
    }
    std::string *into = arg == "--weights"     ? &weights
                        : arg == "--tokens"    ? &tokens
                        : arg == "--out"       ? &out
                        : arg == "--train"     ? &train.trainGlob
                        : arg == "--val"       ? &train.valGlob
                        : arg == "--tokenizer" ? &train.tokenizer
                        : arg == "--max-steps" ? &maxSteps
                                               : nullptr;
    if (!into || i + 1 >= argc)
      return usage(argv[0]);
    *into = argv[++i];
  }
  golf::rt::configureAllocator();
  if (!train.trainGlob.empty() || !train.valGlob.empty() ||
      !train.tokenizer.empty()) {
    if (train.trainGlob.empty() || train.valGlob.empty() ||
        train.tokenizer.empty() || out.empty()) {
      std::fprintf(stderr,
                   "%s: --train, --val, --tokenizer and --out are "
                   "required to train\n",
                   argv[0]);
      return 2;
    }
    if (!maxSteps.empty()) {
      char *end = nullptr;
      long long n = std::strtoll(maxSteps.c_str(), &end, 10);
      if (*end || n <= 0) {
        std::fprintf(stderr, "%s: --max-steps takes a positive integer\n",
                     argv[0]);
        return 2;
      }
      train.maxSteps = n;
    }
    train.outDir = out;
    return runTrain(train, sets);
  }
  if (!sets.empty()) {
    std::fprintf(stderr, "%s: --set is for training (--train ...)\n", argv[0]);
    return 2;
  }
  if (weights.empty() || tokens.empty()) {
    std::fprintf(stderr, "%s: --weights and --tokens are required\n", argv[0]);
    return 2;
  }
  return runStep(weights, tokens, out);
}
