// The driver of a binary made by `golfc build`: it runs the compiled
// training step once on given weights and tokens, prints the loss and can
// write every gradient. The object file golfc emits provides the step
// (golf_step_packed) and the plan that describes it (golf_plan).
#include "runtime/memory.h"
#include "runtime/step.h"

#include <cstdio>
#include <cstring>
#include <string>

extern "C" const char golf_plan[];
extern "C" void golf_step_packed(void **args);

int main(int argc, char **argv) {
  std::string weights, tokens, out;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string *into = arg == "--weights"  ? &weights
                        : arg == "--tokens" ? &tokens
                        : arg == "--out"    ? &out
                                            : nullptr;
    if (!into || i + 1 >= argc) {
      std::fprintf(stderr,
                   "usage: %s --weights W.safetensors --tokens T.bin "
                   "[--out G.safetensors]\n",
                   argv[0]);
      return 2;
    }
    *into = argv[++i];
  }
  if (weights.empty() || tokens.empty()) {
    std::fprintf(stderr, "%s: --weights and --tokens are required\n", argv[0]);
    return 2;
  }
  golf::rt::configureAllocator();
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
