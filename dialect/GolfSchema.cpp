//===- GolfSchema.cpp - the settings golfc knows --------------------------===//
//
// Defaults follow the challenge's train_gpt.py (reference §3-§6).
//
//===----------------------------------------------------------------------===//

#include "dialect/GolfSchema.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

namespace golf {

const char *valueKindName(ValueKind kind) {
  switch (kind) {
  case ValueKind::Int:
    return "integer";
  case ValueKind::Float:
    return "number";
  case ValueKind::Bool:
    return "boolean";
  case ValueKind::String:
    return "string";
  }
  return "?";
}

using K = ValueKind;

static const std::vector<SettingSpec> kTrain = {
    {"train_seq_len", K::Int, "1024", "tokens per training sequence", {}},
    {"train_batch_tokens",
     K::Int,
     "524288",
     "tokens per optimizer step, all ranks",
     {}},
    {"iterations", K::Int, "20000", "optimizer steps", {}},
    {"warmup_steps",
     K::Int,
     "20",
     "steps that prime compiled kernels, then weights and optimizer are "
     "restored; nothing to prime on the CPU, where it has no effect",
     {}},
    {"warmdown_iters",
     K::Int,
     "1200",
     "steps of linear lr decay to 0 at the end",
     {}},
    {"warmdown_frac",
     K::Float,
     "0.0",
     "above 0: the warm-down covers this last fraction of the run (the "
     "SP8192 stacks' form), instead of warmdown_iters",
     {}},
    {"min_lr",
     K::Float,
     "0.0",
     "the lr scale's floor once the warm-down has begun (PX/TOP: 0.1)",
     {}},
    {"warmdown_shape",
     K::String,
     "\"linear\"",
     "the warm-down's shape: linear, or sqrt (PR #1319's 1 - sqrt(1 - f) of "
     "the linear scale f, below the line)",
     {"linear", "sqrt"}},
    {"max_wallclock_seconds",
     K::Float,
     "600.0",
     "training time cap; 0 disables it",
     {}},
    {"grad_clip_norm",
     K::Float,
     "0.0",
     "global gradient-norm clip; 0 disables it",
     {}},
    {"grad_accum_steps",
     K::Int,
     "0",
     "micro-steps per optimizer step; 0: 8 / world size, as train_gpt.py",
     {}},
    {"seed", K::Int, "1337", "seed of initialization and data order", {}},
    {"val_loss_every",
     K::Int,
     "1000",
     "steps between validations; 0 disables them",
     {}},
    {"train_log_every", K::Int, "200", "steps between log lines", {}},
    {"ema_enabled",
     K::Bool,
     "false",
     "keep an exponential moving average of the weights",
     {}},
    {"ema_decay", K::Float, "0.997", "EMA decay per step", {}},
    {"swa_enabled",
     K::Bool,
     "false",
     "average snapshots once the lr scale is low",
     {}},
    {"swa_every", K::Int, "50", "steps between SWA snapshots", {}},
    {"swa_start_frac",
     K::Float,
     "0.5",
     "SWA starts when the lr scale falls below this",
     {}},
    {"switch_hparam",
     K::String,
     "\"\"",
     "a boolean hparam, true in the spec, that the step takes false until "
     "switch_at (depth recurrence switched on mid-run, say)",
     {}},
    {"switch_at",
     K::Float,
     "0.5",
     "fraction of the run (of its steps, or of the wall clock when the cap "
     "ends it first) from which switch_hparam is true",
     {}},
    {"checkpoint_every",
     K::Int,
     "100",
     "steps between checkpoints of the whole state (for --resume); 0: only "
     "at the end",
     {}},
};

static const std::vector<SettingSpec> kEval = {
    {"eval_seq_len", K::Int, "1024", "tokens per evaluation window", {}},
    {"eval_stride",
     K::Int,
     "0",
     "sliding-window stride; 0 scores non-overlapping windows",
     {}},
    {"val_batch_size",
     K::Int,
     "524288",
     "validation tokens per batch, all ranks",
     {}},
    {"ttt_enabled",
     K::Bool,
     "false",
     "score-first test-time training of the final score (reference §10.2)",
     {}},
    {"ttt_chunk_tokens",
     K::Int,
     "32768",
     "TTT: validation targets per chunk, scored, then trained on",
     {}},
    {"ttt_epochs", K::Int, "3", "TTT: passes over each scored chunk", {}},
    {"ttt_batch_seqs",
     K::Int,
     "32",
     "TTT: sequences of eval_seq_len per SGD step",
     {}},
    {"ttt_lr",
     K::Float,
     "0.002",
     "TTT: SGD lr of the first chunk, cosine to 0 at the last",
     {}},
    {"ttt_momentum", K::Float, "0.9", "TTT: SGD momentum", {}},
    {"ttt_grad_clip", K::Float, "1.0", "TTT: global gradient-norm clip", {}},
    {"slot_enabled",
     K::Bool,
     "false",
     "SLOT (reference §10.5): a per-window hidden shift and logit bias fitted "
     "to the very targets it scores; reported apart, as not a legal score",
     {}},
    {"slot_steps", K::Int, "64", "SLOT: AdamW steps per batch of windows", {}},
    {"slot_batch_seqs",
     K::Int,
     "32",
     "SLOT: windows fitted together (the loss is their scored mean)",
     {}},
    {"slot_lr",
     K::Float,
     "0.01",
     "SLOT: AdamW lr of the first step, cosine towards slot_lr_min",
     {}},
    {"slot_lr_min", K::Float, "0.001", "SLOT: the cosine's floor", {}},
    {"slot_weight_decay", K::Float, "0.01", "SLOT: AdamW weight decay", {}},
    {"slot_warm_start",
     K::Float,
     "0.85",
     "SLOT: a batch starts from this times the previous batch's shift and "
     "bias (0: from zero)",
     {}},
};

static const std::vector<SettingSpec> kExport = {
    {"compressor",
     K::String,
     "\"zlib\"",
     "compression of the quantized weights",
     {"zlib", "zstd", "lzma"}},
    {"compress_level",
     K::Int,
     "9",
     "compression level (zlib 0-9, zstd 1-22, lzma 0-9)",
     {}},
    {"budget_bytes",
     K::Int,
     "16000000",
     "artifact budget: compressed weights plus spec",
     {}},
    {"gptq_batches",
     K::Int,
     "16",
     "training batches of the calibration forward that gathers GPTQ's "
     "Hessians",
     {}},
    {"gptq_calibration",
     K::String,
     "\"train\"",
     "train: GPTQ's Hessians from training batches; self: from sequences the "
     "model samples itself",
     {"train", "self"}},
    {"gptq_temperature",
     K::Float,
     "0.8",
     "sampling temperature of self-generated calibration",
     {}},
    {"fit_class",
     K::String,
     "\"\"",
     "export class made smaller by fit_rule, as little as needed, when the "
     "artifact would exceed the budget; \"\" never",
     {}},
    {"fit_rule",
     K::String,
     "\"prune\"",
     "how fitting makes fit_class smaller: prune its smallest weights, "
     "coarsen its grid, or bits: one bit less a step",
     {"prune", "coarsen", "bits"}},
    {"lqer_top_k",
     K::Int,
     "0",
     "LQER (reference §7.8): the matrices of largest quantization error that "
     "get a low-rank correction (TOP: 3)",
     {}},
    {"lqer_rank", K::Int, "4", "LQER: the correction's rank", {}},
    {"lqer_group",
     K::Int,
     "64",
     "LQER: entries of B per fp16 scale of its int4 codes",
     {}},
    {"fit_margin_bytes",
     K::Int,
     "0",
     "bytes the fitted artifact keeps under the budget",
     {}},
    {"late_qat_threshold",
     K::Float,
     "0.0",
     "fake quantization starts when the lr scale falls below this; 0 disables "
     "it",
     {}},
};

static const std::vector<SettingSpec> kMuon = {
    {"lr", K::Float, nullptr, "learning rate before the schedule", {}},
    {"momentum", K::Float, "0.95", "momentum after warm-up", {}},
    {"nesterov", K::Bool, "true", "Nesterov momentum", {}},
    {"backend_steps", K::Int, "5", "Newton-Schulz iterations", {}},
    {"momentum_warmup_start", K::Float, "0.85", "momentum at step 0", {}},
    {"momentum_warmup_steps",
     K::Int,
     "500",
     "steps of linear momentum warm-up",
     {}},
    {"weight_decay",
     K::Float,
     "0.0",
     "decoupled weight decay, scaled by the scheduled lr",
     {}},
    {"row_normalize",
     K::Bool,
     "false",
     "MuonEq-R: each row of the update divided by its norm before "
     "Newton-Schulz (reference §4.4)",
     {}},
    {"polar_express",
     K::Bool,
     "false",
     "Newton-Schulz with the Polar Express coefficients, one tuple per "
     "iteration (reference §4.5; at most 5 iterations)",
     {}},
};

static const std::vector<SettingSpec> kAdam = {
    {"lr", K::Float, nullptr, "learning rate before the schedule", {}},
    {"beta1", K::Float, "0.9", "first-moment decay", {}},
    {"beta2", K::Float, "0.95", "second-moment decay", {}},
    {"eps", K::Float, "1e-8", "denominator epsilon", {}},
    {"weight_decay", K::Float, "0.0", "decoupled weight decay", {}},
};

static const std::vector<SettingSpec> kFloat = {
    {"prune_percentile",
     K::Float,
     "0.0",
     "entries below this percentile of the tensor's |w| are zeroed before "
     "storing",
     {}},
};
static const std::vector<SettingSpec> kInt = {
    {"clip_percentile",
     K::Float,
     "100.0",
     "per-row clip at this percentile of |w|",
     {}},
    {"clip_sigmas",
     K::Float,
     "0.0",
     "per-row clip at this many standard deviations of the row (SDClip); 0: "
     "clip_percentile",
     {}},
    {"scale_floor",
     K::Float,
     "0.0",
     "smallest per-row scale (the baseline's 1/127); 0 for none",
     {}},
    {"clip_search",
     K::Bool,
     "false",
     "gptq: quantize at each clip percentile 99.9, 99.95, 99.99, 99.999 and "
     "100, keep the least squared error over the tensor (PR #1319)",
     {}},
    {"damping",
     K::Float,
     "0.01",
     "gptq: fraction of the Hessian's mean diagonal added to its diagonal",
     {}},
    {"method",
     K::String,
     "\"rtn\"",
     "rtn: round to nearest; gptq_lite: the clip percentile with the least "
     "squared error; gptq: Hessian-aware rounding",
     {"rtn", "gptq_lite", "gptq"}},
    {"prune_percentile",
     K::Float,
     "0.0",
     "entries below this percentile of the tensor's |w| are zeroed before "
     "quantizing",
     {}},
};

const std::vector<SettingSpec> *sectionSchema(const std::string &section) {
  if (section == "train")
    return &kTrain;
  if (section == "eval")
    return &kEval;
  if (section == "export")
    return &kExport;
  return nullptr;
}

const std::vector<SettingSpec> *optimizerSchema(const std::string &kind) {
  if (kind == "muon")
    return &kMuon;
  if (kind == "adam")
    return &kAdam;
  return nullptr;
}

const std::vector<SettingSpec> *quantSchema(const std::string &format) {
  if (format == "fp32" || format == "fp16")
    return &kFloat;
  if (format == "int8" || format == "int7" || format == "int6" ||
      format == "int5")
    return &kInt;
  return nullptr;
}

const std::vector<std::string> &optimizerKinds() {
  static const std::vector<std::string> kinds = {"muon", "adam"};
  return kinds;
}

const std::vector<std::string> &quantFormats() {
  static const std::vector<std::string> formats = {"fp32", "fp16", "int8",
                                                   "int7", "int6", "int5"};
  return formats;
}

const std::vector<std::string> &sectionNames() {
  static const std::vector<std::string> names = {"train", "eval", "export"};
  return names;
}

const SettingSpec *findSetting(const std::vector<SettingSpec> &schema,
                               const std::string &name) {
  for (const SettingSpec &s : schema)
    if (name == s.name)
      return &s;
  return nullptr;
}

/// Shortest decimal that reads back as the same double, written as Python
/// writes floats: fixed notation unless the exponent is below -4 or above 15.
std::string formatNumber(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  char buf[64];
  int prec = 1;
  for (; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  int exp = std::atoi(std::strchr(buf, 'e') + 1);
  if (exp < -4 || exp >= 16)
    return buf;
  std::snprintf(buf, sizeof buf, "%.*f", std::max(1, prec - 1 - exp), v);
  return buf;
}

static size_t editDistance(const std::string &a, const std::string &b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min(
          {row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string closestMatch(const std::string &word,
                         const std::vector<std::string> &candidates) {
  std::string best;
  size_t bestDist = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string &c : candidates) {
    size_t d = editDistance(word, c);
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best;
}

} // namespace golf
