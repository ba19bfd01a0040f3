//===- Driver.h - what the commands of golfc share ------------*- C++ -*-===//
//
// golfc's commands, one file each group: the report and the size estimate
// (Report.cpp), the plans the runtime gets and the pipeline runs
// (Plans.cpp), the JIT commands (Run.cpp), ahead-of-time binaries
// (Build.cpp), the data command (Data.cpp); the command line in golfc.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_TOOLS_DRIVER_H
#define GOLF_TOOLS_DRIVER_H

#include "codegen/cpu/CpuCodegen.h"
#include "frontend/Frontend.h"
#include "passes/Model.h"
#include "runtime/artifact.h"
#include "runtime/backend/cpu/cpu_device.h"
#include "runtime/corpus.h"
#include "runtime/memory.h"
#include "runtime/safetensors.h"
#include "runtime/shards.h"
#include "runtime/train.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sys/resource.h>

namespace golf::driver {

/// The artifact's size predicted from the policy before training: each
/// integer tensor's codes at the entropy of Gaussian rows quantized by its
/// class (gaussianCodeBits, scale floors assumed not to bind), times the
/// coder's overhead, plus fp16 scales, pass-through values at full size,
/// names, shapes and the header; then the spec.
struct ArtifactEstimate {
  int64_t codes = 0, scales = 0, passthrough = 0, other = 0, spec = 0;
  int64_t total() const { return codes + scales + passthrough + other + spec; }
};

/// What a module's @model returns when it is compiled without gradients.
enum class ModelForm {
  Loss,        // the mean loss (golfc loss)
  TokenLosses, // the loss of every position (evaluation)
  Hidden,      // the hidden state the head reads (SLOT)
  Hessians,    // the loss, then GPTQ's input Hessians (calibration)
  Logits,      // the logits (sampling)
};

int usage(const llvm::Twine &message);

std::string withCommas(int64_t n);

using rt::shapeText;

/// The settings in force, one a line: section.name, value, origin.
void printSettings(const CompileResult &r, llvm::raw_ostream &os);

ArtifactEstimate estimateArtifact(const CompileResult &r,
                                  const rt::ExportPlan &policy,
                                  int64_t specBytes);

void printReport(const std::string &path, const CompileResult &r,
                 llvm::raw_ostream &os);

/// The report's artifact section; false when the artifact cannot fit: the
/// estimate is over the budget, is not merely an upper bound, and no
/// fit_class is named to make it fit.
bool printEstimate(const CompileResult &r, int64_t specBytes,
                   llvm::raw_ostream &os);

/// A number of an op's settings dictionary (float or integer), or
/// `fallback` when it is not there.
double settingNumber(mlir::DictionaryAttr d, const char *name, double fallback);

/// The export policy of a compiled spec: its `export` section and classes.
rt::ExportPlan exportPolicy(mlir::ModuleOp module);

/// Writes `text` to `path` through a temporary file and a rename, so a
/// reader never sees half a file.
bool writeAtomically(const std::string &path, const std::string &text);

int64_t trainSeqLen(mlir::ModuleOp module);

/// --seq, or the spec's train_seq_len, which must then be usable.
bool resolveSeq(Diagnostics &diags, mlir::ModuleOp module, int64_t &seq);

/// Runs the pipeline from `parsed` to `stage`. Errors of passes point into
/// the spec (every op carries its position) and print in the spec's format.
/// With `qat` the training step takes late QAT's inputs.
bool lowerTo(Diagnostics &diags, mlir::ModuleOp module,
             const std::string &stage, int64_t batch, int64_t seq,
             bool withGrad = true, ModelForm form = ModelForm::Loss,
             bool qat = false);

/// The largest token id the model can take: the rows of every embedding
/// table indexed by the tokens, the classes of every cross-entropy over the
/// targets. Data beyond it is refused before any kernel reads out of range.
int64_t tokenLimit(mlir::ModuleOp module);

/// The plan of a step: what the runtime needs to feed compiled code.
rt::StepPlan stepPlan(mlir::ModuleOp module, int64_t batch, int64_t seq);

/// The training plan of a spec: parameters with their initializers and
/// groups, the groups' settings, the train settings and the batch layout.
bool trainPlan(Diagnostics &diags, const CompileResult &result,
               const std::string &specPath, const std::string &specText,
               rt::TrainPlan &plan);

/// `golfc bench`: compiles @train_step once, runs it `steps` times on random
/// weights and tokens, and prints the median step time, tokens per second,
/// effective GFLOP/s and the process's peak memory.
int runBench(Diagnostics &diags, CompileResult &result, int64_t batch,
             int64_t seq, int64_t steps);

/// `golfc loss` and `golfc grad`: one step of @model (or @train_step) on
/// given weights and the first batch*seq+1 tokens of a shard.
int runStep(const std::string &command, Diagnostics &diags,
            CompileResult &result, int64_t batch, int64_t seq,
            const std::string &weightsPath, const std::string &tokensPath,
            const std::string &outPath);

/// `golfc train`: compiles @train_step for the micro-batch and @model for
/// one validation sequence with the JIT, then runs the training.
int runTrain(Diagnostics &diags, CompileResult &result,
             const std::string &specPath, const std::string &specText,
             const rt::TrainOptions &options);

/// `golfc eval ARTIFACT`: the artifact's weights, dequantized, scored by
/// @model rebuilt from its spec.
int runEval(Diagnostics &diags, CompileResult &result,
            const std::string &artifactPath, const rt::Artifact &artifact,
            const rt::TrainOptions &options, int64_t stride);

int runBuild(Diagnostics &diags, CompileResult &result, int64_t batch,
             int64_t seq, bool shapeGiven, const std::string &specPath,
             const std::string &specText, const std::string &outPath);

/// `golfc data FILE --out DIR [--vocab N | --tokenizer MODEL]
/// [--val-docs N]`: documents to the challenge's shards, training a BPE
/// tokenizer first with --vocab.
int runData(int argc, char **argv);
/// golfc settings: the table of every section's settings.
int runSettings(int argc, char **argv);

} // namespace golf::driver

#endif // GOLF_TOOLS_DRIVER_H
