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

#include "codegen/Codegen.h"
#include "frontend/Frontend.h"
#include "passes/Model.h"
#include "runtime/artifact.h"
#include "runtime/corpus.h"
#include "runtime/memory.h"
#include "runtime/safetensors.h"
#include "runtime/shards.h"
#include "runtime/train.h"

#include "Revision.h"

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

using namespace golf;

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

int usage(const llvm::Twine &message) {
  llvm::errs() << "golfc: error: " << message << "\n" << kUsage;
  return 2;
}

std::string withCommas(int64_t n) {
  std::string digits = std::to_string(n), out;
  int k = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it, ++k) {
    if (k && k % 3 == 0 && *it != '-')
      out.insert(out.begin(), ',');
    out.insert(out.begin(), *it);
  }
  return out;
}

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// The settings in force, one a line: section.name, value, origin.
void printSettings(const CompileResult &r, llvm::raw_ostream &os) {
  size_t width = 0;
  for (const SettingInfo &s : r.settings)
    width = std::max(width, s.section.size() + 1 + s.name.size());
  for (const SettingInfo &s : r.settings) {
    std::string key = s.section + "." + s.name;
    os << "  " << key << std::string(width + 2 - key.size(), ' ') << s.value
       << std::string(s.value.size() < 14 ? 14 - s.value.size() : 1, ' ')
       << s.origin
       << std::string(s.origin.size() < 14 ? 14 - s.origin.size() : 1, ' ')
       << s.use << "\n";
  }
}

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
    if (auto a = e.getAs<mlir::StringAttr>("compressor"))
      plan.compressor = a.str();
    if (auto a = e.getAs<mlir::IntegerAttr>("compress_level"))
      plan.level = (int)a.getInt();
    if (auto a = e.getAs<mlir::IntegerAttr>("budget_bytes"))
      plan.budgetBytes = a.getInt();
    if (auto a = e.getAs<mlir::IntegerAttr>("gptq_batches"))
      plan.calibrationBatches = a.getInt();
    if (auto a = e.getAs<mlir::FloatAttr>("late_qat_threshold"))
      plan.lateQatThreshold = a.getValueAsDouble();
    if (auto a = e.getAs<mlir::StringAttr>("gptq_calibration"))
      plan.calibration = a.str();
    if (auto a = e.getAs<mlir::StringAttr>("fit_class"))
      plan.fitClass = a.str();
    if (auto a = e.getAs<mlir::StringAttr>("fit_rule"))
      plan.fitRule = a.str();
    if (auto a = e.getAs<mlir::IntegerAttr>("fit_margin_bytes"))
      plan.fitMarginBytes = a.getInt();
    if (auto a = e.getAs<mlir::IntegerAttr>("lqer_top_k"))
      plan.lqerTopK = a.getInt();
    if (auto a = e.getAs<mlir::IntegerAttr>("lqer_rank"))
      plan.lqerRank = a.getInt();
    if (auto a = e.getAs<mlir::IntegerAttr>("lqer_group"))
      plan.lqerGroup = a.getInt();
    if (auto a = e.getAs<mlir::FloatAttr>("gptq_temperature"))
      plan.temperature = a.getValueAsDouble();
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

/// What an entropy coder leaves of an ideal code, per compressor: measured
/// on golfc's artifacts (docs/export.md).
double coderOverhead(const std::string &compressor) {
  return compressor == "lzma" ? 1.0 : compressor == "zstd" ? 1.0 : 1.01;
}

/// The artifact's size predicted from the policy before training: each
/// integer tensor's codes at the entropy of Gaussian rows quantized by its
/// class (gaussianCodeBits, scale floors assumed not to bind), times the
/// coder's overhead, plus fp16 scales, pass-through values at full size,
/// names, shapes and the header; then the spec.
struct ArtifactEstimate {
  int64_t codes = 0, scales = 0, passthrough = 0, other = 0, spec = 0;
  int64_t total() const { return codes + scales + passthrough + other + spec; }
};

ArtifactEstimate estimateArtifact(const CompileResult &r,
                                  const rt::ExportPlan &policy,
                                  int64_t specBytes) {
  ArtifactEstimate e;
  double codeBytes = 0;
  // LQER's corrections, at most: on the lqer_top_k largest integer
  // matrices, Â's 2-bit and B̂'s 4-bit codes and B̂'s scales.
  std::vector<double> lqer;
  for (const ParamInfo &p : r.params) {
    const rt::QuantPolicy *q = nullptr;
    for (const auto &[name, c] : policy.classes)
      if (name == p.quant)
        q = &c;
    if (!q)
      continue;
    e.other += 2 + (int64_t)p.name.size() + 3 + 8 * (int64_t)p.shape.size();
    if (q->format == rt::QuantFormat::F32) {
      e.passthrough += 4 * p.count;
      continue;
    }
    if (q->format == rt::QuantFormat::F16) {
      e.passthrough += 2 * p.count;
      continue;
    }
    const int64_t rows = p.shape.size() >= 2 ? p.shape[0] : 1;
    const int64_t cols = rows ? p.count / rows : 0;
    // The trained spread is unknown: a scale floor is assumed not to bind,
    // which can only overestimate the bits.
    codeBytes += double(p.count) * rt::gaussianCodeBits(*q, cols, 0.0) / 8;
    e.scales += 2 * rows;
    if (p.shape.size() == 2)
      lqer.push_back(double(policy.lqerRank) * (2 * rows + 4 * cols) / 8 +
                     2.0 * std::ceil(double(policy.lqerRank * cols) /
                                     double(policy.lqerGroup)) +
                     5);
  }
  std::sort(lqer.rbegin(), lqer.rend());
  for (size_t i = 0; i < lqer.size() && (int64_t)i < policy.lqerTopK; ++i)
    codeBytes += lqer[i];
  e.codes = (int64_t)std::ceil(codeBytes * coderOverhead(policy.compressor));
  e.other += 40 + 12 + specBytes; // header, counts, the spec inside
  e.spec = specBytes;
  return e;
}

void printReport(const std::string &path, const CompileResult &r,
                 llvm::raw_ostream &os) {
  os << "spec: " << path
     << "\n\nsettings (value, origin, use: the line that first reads it, the "
        "runtime, or why it has no effect):\n";
  printSettings(r, os);

  os << "\nparameters:\n";
  size_t nameWidth = 4, shapeWidth = 5;
  for (const ParamInfo &p : r.params) {
    nameWidth = std::max(nameWidth, p.name.size());
    shapeWidth = std::max(shapeWidth, shapeText(p.shape).size());
  }
  auto row = [&](const std::string &name, const std::string &shape,
                 const std::string &count, const std::string &group,
                 const std::string &quant, const std::string &extra) {
    os << "  " << name << std::string(nameWidth + 2 - name.size(), ' ') << shape
       << std::string(shapeWidth + 2 - shape.size(), ' ')
       << std::string(count.size() < 11 ? 11 - count.size() : 0, ' ') << count
       << "  " << group
       << std::string(group.size() < 8 ? 8 - group.size() : 1, ' ') << quant
       << extra << "\n";
  };
  row("name", "shape", "count", "group", "quant", "");
  int64_t total = 0;
  std::map<std::string, std::pair<int64_t, int>> groups, quants;
  for (const ParamInfo &p : r.params) {
    row(p.name, shapeText(p.shape), withCommas(p.count), p.group, p.quant,
        p.uses > 1 ? "  (shared by " + std::to_string(p.uses) + " declarations)"
                   : "");
    total += p.count;
    groups[p.group].first += p.count;
    ++groups[p.group].second;
    quants[p.quant].first += p.count;
    ++quants[p.quant].second;
  }
  os << "\nby optimizer group:\n";
  for (const auto &[name, v] : groups)
    os << "  " << name << ": " << withCommas(v.first) << " in " << v.second
       << " tensors\n";
  os << "by export class:\n";
  for (const auto &[name, v] : quants)
    os << "  " << name << ": " << withCommas(v.first) << " in " << v.second
       << " tensors\n";
  os << "\ntotal: " << withCommas(total) << " parameters in " << r.params.size()
     << " tensors\n";
  if (r.early) {
    auto train = (*r.module)->getAttrOfType<mlir::DictionaryAttr>("golf.train");
    std::string name =
        train.getAs<mlir::StringAttr>("switch_hparam").getValue().str();
    os << "\nphases: " << name << " is false until "
       << llvm::format("%g", settingNumber(train, "switch_at", 0.5) * 100.0)
       << "% of the run, then true; both phases train these parameters, and "
          "evaluation runs it true (the early phase: golfc ir --set "
       << name << "=false)\n";
  }
}

/// The report's artifact section; false when the artifact cannot fit: the
/// estimate is over the budget, is not merely an upper bound, and no
/// fit_class is named to make it fit.
bool printEstimate(const CompileResult &r, int64_t specBytes,
                   llvm::raw_ostream &os) {
  rt::ExportPlan policy = exportPolicy(*r.module);
  ArtifactEstimate e = estimateArtifact(r, policy, specBytes);
  bool floored = false;
  for (const auto &[name, q] : policy.classes)
    floored |= q.scaleFloor > 0 && rt::quantRange(q.format) > 0;
  os << "\nartifact estimate (" << policy.compressor << " level "
     << policy.level << "):\n"
     << "  codes        " << withCommas(e.codes) << " bytes\n"
     << "  scales       " << withCommas(e.scales) << " bytes\n"
     << "  pass-through " << withCommas(e.passthrough) << " bytes\n"
     << "  other        " << withCommas(e.other) << " bytes (header, names, "
     << "the spec inside)\n"
     << "  + the spec   " << withCommas(e.spec) << " bytes\n"
     << "  counted      " << withCommas(e.total()) << " of "
     << withCommas(policy.budgetBytes) << " bytes: ";
  const bool fits = e.total() <= policy.budgetBytes;
  if (fits)
    os << "fits, " << withCommas(policy.budgetBytes - e.total())
       << " bytes to spare\n";
  else
    os << "over by " << withCommas(e.total() - policy.budgetBytes) << "\n";
  if (floored)
    os << "  (an upper bound: a scale floor binds on rows whose clip is below "
          "range x floor, which only training decides; assumed not to)\n";
  if (!fits && !policy.fitClass.empty())
    os << "note: over the budget, the export makes class '" << policy.fitClass
       << "' smaller (fit_rule \"" << policy.fitRule
       << "\") as little as makes the artifact fit (export.fit_class)\n";
  else if (!fits && floored)
    os << "warning: the artifact may not fit the budget: the estimate is only "
          "an upper bound; export.fit_class makes the export fit by "
          "construction\n";
  return fits || floored || !policy.fitClass.empty();
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

/// What a module's @model returns when it is compiled without gradients.
enum class ModelForm {
  Loss,        // the mean loss (golfc loss)
  TokenLosses, // the loss of every position (evaluation)
  Hidden,      // the hidden state the head reads (SLOT)
  Hessians,    // the loss, then GPTQ's input Hessians (calibration)
  Logits,      // the logits (sampling)
};

/// Runs the pipeline from `parsed` to `stage`. Errors of passes point into
/// the spec (every op carries its position) and print in the spec's format.
/// With `qat` the training step takes late QAT's inputs.
bool lowerTo(Diagnostics &diags, mlir::ModuleOp module,
             const std::string &stage, int64_t batch, int64_t seq,
             bool withGrad = true, ModelForm form = ModelForm::Loss,
             bool qat = false) {
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

/// `golfc build`: @train_step as an object file for this machine, linked
/// with the runtime's step driver into a binary that needs no MLIR.
bool trainPlan(Diagnostics &diags, const CompileResult &result,
               const std::string &specPath, const std::string &specText,
               rt::TrainPlan &plan);

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

/// The training plan of a spec: parameters with their initializers and
/// groups, the groups' settings, the train settings and the batch layout.
bool trainPlan(Diagnostics &diags, const CompileResult &result,
               const std::string &specPath, const std::string &specText,
               rt::TrainPlan &plan) {
  mlir::ModuleOp module = *result.module;
  auto train = module->getAttrOfType<mlir::DictionaryAttr>("golf.train");
  auto integer = [&](const char *name, int64_t fallback) {
    if (train)
      if (auto a = train.getAs<mlir::IntegerAttr>(name))
        return a.getInt();
    return fallback;
  };
  auto real = [&](const char *name, double fallback) {
    if (train)
      if (auto a = train.getAs<mlir::FloatAttr>(name))
        return a.getValueAsDouble();
    return fallback;
  };
  auto boolean = [&](const char *name, bool fallback) {
    if (train)
      if (auto a = train.getAs<mlir::BoolAttr>(name))
        return a.getValue();
    return fallback;
  };
  rt::TrainSettings &t = plan.settings;
  t.trainSeqLen = integer("train_seq_len", t.trainSeqLen);
  t.trainBatchTokens = integer("train_batch_tokens", t.trainBatchTokens);
  t.iterations = integer("iterations", t.iterations);
  t.warmupSteps = integer("warmup_steps", t.warmupSteps);
  t.warmdownIters = integer("warmdown_iters", t.warmdownIters);
  if (train)
    if (auto a = train.getAs<mlir::StringAttr>("warmdown_shape"))
      t.warmdownShape = a.getValue().str();
  t.maxWallclockSeconds = real("max_wallclock_seconds", t.maxWallclockSeconds);
  t.warmdownFrac = real("warmdown_frac", t.warmdownFrac);
  t.minLr = real("min_lr", t.minLr);
  t.gradClipNorm = real("grad_clip_norm", t.gradClipNorm);
  t.seed = integer("seed", t.seed);
  t.valLossEvery = integer("val_loss_every", t.valLossEvery);
  t.trainLogEvery = integer("train_log_every", t.trainLogEvery);
  t.emaEnabled = boolean("ema_enabled", t.emaEnabled);
  t.emaDecay = real("ema_decay", t.emaDecay);
  t.swaEnabled = boolean("swa_enabled", t.swaEnabled);
  t.swaEvery = integer("swa_every", t.swaEvery);
  t.swaStartFrac = real("swa_start_frac", t.swaStartFrac);
  t.gradAccumSteps = integer("grad_accum_steps", 0);
  t.checkpointEvery = integer("checkpoint_every", t.checkpointEvery);
  if (result.early) {
    if (auto a = train.getAs<mlir::StringAttr>("switch_hparam"))
      t.switchHparam = a.getValue().str();
    t.switchAt = real("switch_at", t.switchAt);
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
  auto eval = module->getAttrOfType<mlir::DictionaryAttr>("golf.eval");
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
  auto evalReal = [&](const char *name, double fallback) {
    if (eval)
      if (auto a = eval.getAs<mlir::FloatAttr>(name))
        return a.getValueAsDouble();
    return fallback;
  };
  if (eval)
    if (auto a = eval.getAs<mlir::BoolAttr>("ttt_enabled"))
      t.tttEnabled = a.getValue();
  t.tttChunkTokens = evalInt("ttt_chunk_tokens", t.tttChunkTokens);
  t.tttEpochs = evalInt("ttt_epochs", t.tttEpochs);
  t.tttBatchSeqs = evalInt("ttt_batch_seqs", t.tttBatchSeqs);
  t.tttLr = evalReal("ttt_lr", t.tttLr);
  t.tttMomentum = evalReal("ttt_momentum", t.tttMomentum);
  t.tttGradClip = evalReal("ttt_grad_clip", t.tttGradClip);
  if (eval)
    if (auto a = eval.getAs<mlir::BoolAttr>("slot_enabled"))
      t.slotEnabled = a.getValue();
  t.slotSteps = evalInt("slot_steps", t.slotSteps);
  t.slotBatchSeqs = evalInt("slot_batch_seqs", t.slotBatchSeqs);
  t.slotLr = evalReal("slot_lr", t.slotLr);
  t.slotLrMin = evalReal("slot_lr_min", t.slotLrMin);
  t.slotWeightDecay = evalReal("slot_weight_decay", t.slotWeightDecay);
  t.slotWarmStart = evalReal("slot_warm_start", t.slotWarmStart);
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
  rt::TrainFunctions functions;
  functions.step = [&](std::vector<HostTensor> &args) {
    return step->run(args);
  };
  functions.eval = [&](std::vector<HostTensor> &args) {
    return eval->run(args);
  };
  if (calibrating)
    functions.calibrate = [&](std::vector<HostTensor> &args) {
      return calibrate->run(args);
    };
  if (sampling)
    functions.logits = [&](std::vector<HostTensor> &args) {
      return sample->run(args);
    };
  if (ttt)
    functions.ttt = [&](std::vector<HostTensor> &args) {
      return tttStep->run(args);
    };
  if (switching)
    functions.stepEarly = [&](std::vector<HostTensor> &args) {
      return earlyStep->run(args);
    };
  if (slot)
    functions.hidden = [&](std::vector<HostTensor> &args) {
      return hidden->run(args);
    };
  return rt::train(plan, functions, options);
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
  rt::TrainFunctions functions;
  functions.eval = [&](std::vector<HostTensor> &args) {
    return eval->run(args);
  };
  if (ttt)
    functions.ttt = [&](std::vector<HostTensor> &args) {
      return step->run(args);
    };
  if (slot)
    functions.hidden = [&](std::vector<HostTensor> &args) {
      return hidden->run(args);
    };
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

/// `golfc data FILE --out DIR [--vocab N | --tokenizer MODEL]
/// [--val-docs N]`: documents to the challenge's shards, training a BPE
/// tokenizer first with --vocab.
int runData(int argc, char **argv) {
  std::string input, out, tokenizer;
  int64_t vocab = 0, valDocs = -1;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string &into) {
      if (i + 1 >= argc)
        return false;
      into = argv[++i];
      return true;
    };
    auto number = [&](int64_t &into, int64_t lo, int64_t hi) {
      std::string v;
      long long n;
      if (!value(v) || llvm::StringRef(v).getAsInteger(10, n) || n < lo ||
          n > hi)
        return false;
      into = n;
      return true;
    };
    bool ok = true;
    if (arg == "--out" || arg == "-o")
      ok = value(out);
    else if (arg == "--tokenizer")
      ok = value(tokenizer);
    else if (arg == "--vocab")
      ok = number(vocab, 260, 65536);
    else if (arg == "--val-docs")
      ok = number(valDocs, 0, INT64_MAX);
    else if (!arg.empty() && arg[0] == '-')
      return usage("unknown option '" + arg + "'");
    else if (input.empty())
      input = arg;
    else
      return usage("more than one input given");
    if (!ok)
      return usage(arg + (arg == "--vocab" ? " takes a vocabulary size in "
                                             "[260, 65536]"
                                           : " needs a valid value"));
  }
  if (input.empty() || out.empty() || (vocab == 0) == tokenizer.empty())
    return usage("data needs FILE, --out DIR and one of --vocab N or "
                 "--tokenizer MODEL");
  std::vector<std::string> docs;
  std::string error;
  if (!rt::readDocuments(input, docs, error)) {
    llvm::errs() << error << "\n";
    return 1;
  }
  if (valDocs < 0)
    valDocs = std::max<int64_t>(1, (int64_t)docs.size() / 20);
  if (valDocs >= (int64_t)docs.size()) {
    llvm::errs() << input << ": " << docs.size() << " documents, not more "
                 << "than the " << valDocs << " for validation\n";
    return 1;
  }
  if (std::error_code ec = llvm::sys::fs::create_directories(out)) {
    llvm::errs() << out << ": " << ec.message() << "\n";
    return 1;
  }
  if (vocab) {
    tokenizer = out + "/tokenizer.model";
    if (!rt::trainTokenizer(docs, vocab, out + "/tokenizer", error)) {
      llvm::errs() << "golfc: error: " << error << "\n";
      return 1;
    }
    llvm::outs() << "trained " << tokenizer << " (BPE, " << vocab
                 << " pieces)\n";
  }
  rt::ShardCounts counts;
  if (!rt::writeTokenShards(docs, tokenizer, valDocs, out, 100000000, counts,
                            error)) {
    llvm::errs() << error << "\n";
    return 1;
  }
  llvm::outs() << "val: " << counts.valDocs << " documents, "
               << counts.valTokens << " tokens in " << counts.valShards
               << " shard(s)\ntrain: " << counts.trainDocs << " documents, "
               << counts.trainTokens << " tokens in " << counts.trainShards
               << " shard(s)\n";
  return 0;
}

} // namespace

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
