//===- golfc.cpp - the golfc driver ---------------------------------------===//
//
//   golfc ir SPEC [--emit=STAGE] [--set name=value]... [-o FILE]
//   golfc report SPEC [--set name=value]...
//   golfc loss SPEC --weights W.safetensors --tokens T.bin --batch B --seq T
//   golfc train SPEC --train GLOB --val GLOB --tokenizer MODEL --out DIR
//   golfc data FILE --out DIR (--vocab N | --tokenizer MODEL)
//
// Exit status: 0 on success, 1 when the spec (or a setting) is wrong, 2 when
// the command line is.
//
//===----------------------------------------------------------------------===//

#include "tools/Driver.h"

using namespace golf;
using namespace golf::driver;

namespace {

const char *kUsage = R"(usage: golfc COMMAND SPEC [options]

commands:
  ir SPEC       print the golf IR of a stage
  report SPEC   print the settings in force and every parameter with its count
  loss SPEC     compile @model for this CPU and print its loss on given weights
                and tokens (--weights, --tokens, --batch, --seq)
  grad SPEC     the same for @train_step: print the loss and write every
                parameter's gradient, by name, to --out (safetensors)
  bench SPEC    time @train_step on random weights (--batch, --seq, --steps)
  build SPEC    compile the training ahead of time into a binary (-o BIN)
                that needs no MLIR: BIN --train GLOB --val GLOB --tokenizer
                MODEL --out DIR [--resume] trains as `golfc train` does;
                BIN --weights W --tokens T [--out G] runs one step. With
                --batch/--seq the binary runs that one step only
  data FILE     documents (JSONL {"text": ...} lines, or text split at blank
                lines) to shards of [BOS] + pieces in --out DIR: the first
                --val-docs (default 1/20) to val_*.bin, the rest to
                train_*.bin; --vocab N first trains a BPE tokenizer with the
                challenge's settings (DIR/tokenizer.model), or --tokenizer
  train SPEC    train the spec on the CPU (JIT): --train GLOB --val GLOB
                --tokenizer MODEL --out DIR; DIR gets train.log,
                final.safetensors, artifact.bin (the quantized weights and
                the spec) and summary.json (val_loss, val_bpb, the round
                trip's)
  settings      every setting of the train, eval and export sections: kind,
                default, unit, whether a built trainer may change it at run
                time, meaning (--markdown: the table of docs/dsl.md)
  eval ARTIFACT score an artifact's round-tripped weights: --val GLOB
                --tokenizer MODEL [--stride N] (default: the spec's
                eval_stride); the model is rebuilt from the spec and settings
                the artifact holds

options:
  --set name=value   override a setting (repeatable; wins over the
                     environment variable NAME, which wins over the spec)
  --no-env           ignore environment variables
  --emit=STAGE       ir: parsed (default), specialized (B and T fixed),
                     bound (parameters as arguments), quantized (late QAT's
                     fake quantization), grad (@train_step),
                     selected (library calls chosen), fused (kernels
                     grouped), lowered (linalg; kernels as functions),
                     llvm (the LLVM dialect)
  --batch N          sequences per batch (default 1)
  --seq N            tokens per sequence (default: train_seq_len)
  --weights FILE     loss: the parameters, a safetensors file keyed by name
  --tokens FILE      loss: a token shard; its first batch*seq+1 tokens are
                     the inputs and the targets shifted by one
  --dtype f32|f64    element type of parameters and activations (default f32)
  --loc              ir: print each op's position in the spec
  -o FILE            write the output to FILE instead of standard output
  --out FILE         grad: where the gradients go; train: the run directory
  --train GLOB       train: the training shards (challenge format)
  --val GLOB         train: the validation shards
  --tokenizer MODEL  train: the SentencePiece model, for val_bpb's bytes
  --resume           train: continue the run in --out from its checkpoint
  --max-steps N      train: stop after N steps, checkpointed for --resume
)";

} // namespace

int golf::driver::usage(const llvm::Twine &message) {
  llvm::errs() << "golfc: error: " << message << "\n" << kUsage;
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return usage("no command");
  std::string command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    llvm::outs() << kUsage;
    return 0;
  }
  if (command == "data")
    return runData(argc, argv);
  if (command == "settings")
    return runSettings(argc, argv);
  if (command != "ir" && command != "report" && command != "loss" &&
      command != "grad" && command != "bench" && command != "build" &&
      command != "train" && command != "eval")
    return usage("unknown command '" + command + "'");

  std::string specPath, emit = "parsed", outPath, weightsPath, tokensPath;
  CompileOptions options;
  options.getenv = [](const char *name) { return std::getenv(name); };
  int64_t batch = 1, seq = 0, steps = 5, stride = -1;
  rt::TrainOptions trainOptions;
  bool shapeGiven = false;
  bool printLocations = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    // "--flag=value" or "--flag value" for the flags that take a value.
    std::string flag = arg, v;
    bool hasValue = false;
    static const std::set<std::string> withValue = {
        "--set",     "--emit",   "--batch",     "--seq",       "--dtype",
        "--weights", "--tokens", "-o",          "--out",       "--steps",
        "--train",   "--val",    "--tokenizer", "--max-steps", "--stride"};
    if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 &&
                                   eq != std::string::npos &&
                                   withValue.count(arg.substr(0, eq))) {
      flag = arg.substr(0, eq);
      v = arg.substr(eq + 1);
      hasValue = true;
    } else if (withValue.count(arg)) {
      if (i + 1 >= argc)
        return usage(arg + " needs a value");
      v = argv[++i];
      hasValue = true;
    }
    (void)hasValue;
    if (flag == "--set") {
      size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0)
        return usage("--set takes name=value, got '" + v + "'");
      options.sets.push_back({v.substr(0, eq), v.substr(eq + 1)});
    } else if (flag == "--loc") {
      printLocations = true;
    } else if (flag == "--no-env") {
      options.getenv = nullptr;
    } else if (flag == "--emit") {
      emit = v;
      const std::vector<std::string> &stages = stageNames();
      if (std::find(stages.begin(), stages.end(), emit) == stages.end())
        return usage("unknown stage '" + emit +
                     "' (stages: " + llvm::join(stages, ", ") + ")");
    } else if (flag == "--steps") {
      long long n;
      if (llvm::StringRef(v).getAsInteger(10, n) || n <= 0 || n > 100000)
        return usage("--steps takes a positive integer, got '" + v + "'");
      steps = n;
    } else if (flag == "--batch" || flag == "--seq") {
      long long n;
      if (llvm::StringRef(v).getAsInteger(10, n) || n <= 0 || n > (1 << 24))
        return usage(flag + " takes a positive integer, got '" + v + "'");
      (flag == "--batch" ? batch : seq) = n;
      shapeGiven = true;
    } else if (flag == "--dtype") {
      if (v != "f32" && v != "f64")
        return usage("--dtype is f32 or f64, got '" + v + "'");
      options.f64 = v == "f64";
    } else if (flag == "--resume") {
      trainOptions.resume = true;
    } else if (flag == "--max-steps") {
      long long n;
      if (llvm::StringRef(v).getAsInteger(10, n) || n <= 0)
        return usage("--max-steps takes a positive integer, got '" + v + "'");
      trainOptions.maxSteps = n;
    } else if (flag == "--stride") {
      long long n;
      if (llvm::StringRef(v).getAsInteger(10, n) || n < 0)
        return usage("--stride takes an integer >= 0, got '" + v + "'");
      stride = n;
    } else if (flag == "--train") {
      trainOptions.trainGlob = v;
    } else if (flag == "--val") {
      trainOptions.valGlob = v;
    } else if (flag == "--tokenizer") {
      trainOptions.tokenizer = v;
    } else if (flag == "--weights") {
      weightsPath = v;
    } else if (flag == "--tokens") {
      tokensPath = v;
    } else if (flag == "-o" || flag == "--out") {
      outPath = v;
    } else if (arg.size() > 1 && arg[0] == '-') {
      return usage("unknown option '" + arg + "'");
    } else if (specPath.empty()) {
      specPath = arg;
    } else {
      return usage("more than one spec given ('" + specPath + "', '" + arg +
                   "')");
    }
  }
  if (specPath.empty())
    return usage("no spec given");

  // An artifact carries its spec and the settings that rebuild its model;
  // the environment has no say.
  rt::Artifact artifact;
  if (command == "eval") {
    std::string err = rt::readArtifact(specPath, artifact);
    if (!err.empty()) {
      llvm::errs() << "golfc: error: " << err << "\n";
      return 1;
    }
    options.getenv = nullptr;
    options.warnUnused = false;
    options.phases = false;
    std::vector<std::pair<std::string, std::string>> sets;
    llvm::SmallVector<llvm::StringRef> lines;
    llvm::StringRef(artifact.settings).split(lines, '\n', -1, false);
    for (llvm::StringRef line : lines) {
      auto [name, value] = line.split('=');
      sets.push_back({name.str(), value.str()});
    }
    for (auto &set : options.sets)
      sets.push_back(set); // --set after the artifact's (a stride, say)
    options.sets = sets;
  }
  auto buffer =
      command == "eval"
          ? llvm::MemoryBuffer::getMemBufferCopy(artifact.spec, specPath)
      : specPath == "-" ? llvm::MemoryBuffer::getSTDIN()
                        : llvm::MemoryBuffer::getFile(specPath);
  if (!buffer) {
    llvm::errs() << specPath << ": error: cannot read the spec: "
                 << buffer.getError().message() << "\n";
    return 1;
  }
  Diagnostics diags(specPath == "-"     ? "<stdin>"
                    : command == "eval" ? specPath + " (its spec)"
                                        : specPath,
                    (*buffer)->getBuffer().str(), llvm::errs());
  rt::configureAllocator();
  registerCompilerPasses();
  mlir::DialectRegistry registry;
  registerCompilerDialects(registry);
  mlir::MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  CompileResult result;
  if (!compileSpec(diags, options, context, result))
    return 1;

  if (command == "bench")
    return runBench(diags, result, batch, seq, steps);
  if (command == "train") {
    trainOptions.outDir = outPath;
    return runTrain(diags, result, specPath, (*buffer)->getBuffer().str(),
                    trainOptions);
  }
  if (command == "eval")
    return runEval(diags, result, specPath, artifact, trainOptions, stride);
  if (command == "build")
    return runBuild(diags, result, batch, seq, shapeGiven, specPath,
                    (*buffer)->getBuffer().str(), outPath);
  if (command == "loss" || command == "grad")
    return runStep(command, diags, result, batch, seq, weightsPath, tokensPath,
                   outPath);

  std::string text;
  llvm::raw_string_ostream os(text);
  if (command == "report") {
    printReport(specPath, result, os);
    if (!printEstimate(result, (int64_t)(*buffer)->getBufferSize(), os)) {
      os.flush();
      llvm::outs() << text;
      llvm::outs().flush();
      llvm::errs() << specPath
                   << ": error: the artifact this policy makes would not fit "
                      "the budget (see the estimate above)\n";
      return 1;
    }
  } else {
    if (!resolveSeq(diags, *result.module, seq) ||
        !lowerTo(diags, *result.module, emit, batch, seq, /*withGrad=*/true,
                 ModelForm::Loss, /*qat=*/true))
      return 1;
    mlir::OpPrintingFlags flags;
    if (printLocations)
      flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/true);
    result.module->print(os, flags);
    os << "\n";
  }
  os.flush();
  if (outPath.empty()) {
    llvm::outs() << text;
    llvm::outs().flush();
    return 0;
  }
  return writeAtomically(outPath, text) ? 0 : 1;
}
