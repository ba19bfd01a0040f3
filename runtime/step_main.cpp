// The driver of a binary made by `golfc build`. The object files golfc emits
// provide the step (golf_step_packed), for a trainer the evaluation
// (golf_eval_packed), and the plan that describes them (golf_plan).
//
//   BIN --train GLOB --val GLOB --tokenizer MODEL --out DIR [--resume]
//       [--max-steps N]      trains, as `golfc train` does
//   BIN --weights W --tokens T [--out G]
//                            runs one step: prints the loss, writes the
//                            gradients
#include "runtime/backend/cpu/cpu_device.h"
#include "runtime/memory.h"
#include "runtime/step.h"
#include "runtime/train.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" const char golf_plan[];
// Each compiled function: its entry and its signature (golfc's emitObject).
// Only the step is in every binary; the rest only in trainers that use them.
#define GOLF_ENTRY(NAME)                                                       \
  extern "C" void golf_##NAME##_packed(void **args) __attribute__((weak));     \
  extern "C" const char golf_##NAME##_packed_signature[] __attribute__((weak));
GOLF_ENTRY(step)
GOLF_ENTRY(eval)
GOLF_ENTRY(calib)
GOLF_ENTRY(ttt)
GOLF_ENTRY(logits)
GOLF_ENTRY(step_early)
GOLF_ENTRY(hidden)
#undef GOLF_ENTRY

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

/// The compiled function `name` loaded on the CPU device, or null when the
/// binary does not have it; `error` says why one it has cannot load.
std::unique_ptr<golf::rt::Executable> load(const char *name,
                                           void (*packed)(void **),
                                           const char *signature,
                                           std::string &error) {
  if (!packed || !signature)
    return nullptr;
  golf::rt::ExecutableImage image;
  image.name = name;
  image.packed = packed;
  std::string err = image.signature.fromJson(signature);
  if (!err.empty()) {
    error = std::string("the binary's ") + name + " has " + err;
    return nullptr;
  }
  return golf::rt::cpuDevice().load(image, error);
}

int runStep(const std::string &weights, const std::string &tokens,
            const std::string &out) {
  golf::rt::StepPlan plan;
  std::string err = plan.fromJson(golf_plan);
  std::vector<golf::rt::Tensor> args;
  std::unique_ptr<golf::rt::Executable> step;
  if (err.empty())
    step = load("step", golf_step_packed, golf_step_packed_signature, err);
  if (err.empty() && !step)
    err = "this binary has no step";
  if (err.empty())
    err = golf::rt::loadStepInputs(plan, weights, tokens, args);
  if (!err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  std::vector<golf::rt::Tensor> outs = golf::rt::runOnHost(*step, args);
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
  // Every compiled function the binary holds, each with its signature; the
  // runtime binds them by role and says what a setting needs that is not
  // there.
  std::unique_ptr<golf::rt::Executable> step, eval, calib, logits, ttt, early,
      hidden;
#define GOLF_LOAD(VAR, NAME)                                                   \
  if (err.empty())                                                             \
    VAR = load(#NAME, golf_##NAME##_packed, golf_##NAME##_packed_signature,    \
               err);
  GOLF_LOAD(step, step)
  GOLF_LOAD(eval, eval)
  GOLF_LOAD(calib, calib)
  GOLF_LOAD(logits, logits)
  GOLF_LOAD(ttt, ttt)
  GOLF_LOAD(early, step_early)
  GOLF_LOAD(hidden, hidden)
#undef GOLF_LOAD
  if (err.empty() && !plan.exports.hessianParams.empty() && !calib)
    err = "this binary has no calibration forward; rebuild it";
  if (err.empty() && plan.exports.calibration == "self" &&
      !plan.exports.hessianParams.empty() && !logits)
    err = "this binary cannot sample; rebuild it";
  if (!err.empty()) {
    std::fprintf(stderr, "error: %s\n", err.c_str());
    return 1;
  }
  golf::rt::TrainExecutables functions;
  functions.step = step.get();
  functions.eval = eval.get();
  functions.calibrate = calib.get();
  functions.logits = logits.get();
  functions.ttt = ttt.get();
  functions.stepEarly = early.get();
  functions.hidden = hidden.get();
  // One process, for now: the collectives are identities.
  std::unique_ptr<golf::rt::Comm> comm = golf::rt::singleProcessComm();
  return golf::rt::train(plan, functions, *comm, options);
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
