#include "runtime/train.h"

#include "runtime/artifact.h"
#include "runtime/bytes.h"
#include "runtime/data.h"
#include "runtime/file.h"
#include "runtime/init.h"
#include "runtime/safetensors.h"
#include "runtime/schedule.h"

#include <nlohmann/json.hpp>

#include "runtime/png.h"

#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include <unistd.h>

namespace golf::rt {

std::string TrainPlan::toJson() const {
  nlohmann::json j;
  const TrainSettings &s = settings;
  j["settings"] = {{"train_seq_len", s.trainSeqLen},
                   {"train_batch_tokens", s.trainBatchTokens},
                   {"iterations", s.iterations},
                   {"warmup_steps", s.warmupSteps},
                   {"warmdown_iters", s.warmdownIters},
                   {"warmdown_shape", s.warmdownShape},
                   {"warmdown_frac", s.warmdownFrac},
                   {"min_lr", s.minLr},
                   {"max_wallclock_seconds", s.maxWallclockSeconds},
                   {"grad_clip_norm", s.gradClipNorm},
                   {"seed", s.seed},
                   {"val_loss_every", s.valLossEvery},
                   {"train_log_every", s.trainLogEvery},
                   {"ema_enabled", s.emaEnabled},
                   {"ema_decay", s.emaDecay},
                   {"swa_enabled", s.swaEnabled},
                   {"swa_every", s.swaEvery},
                   {"swa_start_frac", s.swaStartFrac},
                   {"checkpoint_every", s.checkpointEvery},
                   {"ttt_enabled", s.tttEnabled},
                   {"ttt_chunk_tokens", s.tttChunkTokens},
                   {"ttt_epochs", s.tttEpochs},
                   {"ttt_batch_seqs", s.tttBatchSeqs},
                   {"ttt_lr", s.tttLr},
                   {"ttt_momentum", s.tttMomentum},
                   {"ttt_grad_clip", s.tttGradClip},
                   {"slot_enabled", s.slotEnabled},
                   {"slot_steps", s.slotSteps},
                   {"slot_batch_seqs", s.slotBatchSeqs},
                   {"slot_lr", s.slotLr},
                   {"slot_lr_min", s.slotLrMin},
                   {"slot_weight_decay", s.slotWeightDecay},
                   {"slot_warm_start", s.slotWarmStart},
                   {"switch_hparam", s.switchHparam},
                   {"switch_at", s.switchAt}};
  j["micro_batch"] = microBatch;
  j["step_group"] = stepGroup;
  j["accum_steps"] = accumSteps;
  j["token_limit"] = tokenLimit;
  j["classes"] = classes;
  j["eval_seq_len"] = evalSeqLen;
  j["eval_batch"] = evalBatch;
  j["eval_stride"] = evalStride;
  j["head_weight"] = headWeight;
  j["head_softcap"] = headSoftcap;
  j["spec_path"] = specPath;
  j["spec"] = specText;
  j["config"] = config;
  j["revision"] = revision;
  for (const TrainParam &p : params)
    j["params"].push_back({{"name", p.name},
                           {"shape", p.shape},
                           {"init", p.init},
                           {"init_args", p.initArgs},
                           {"group", p.group},
                           {"quant", p.quant}});
  j["export"] = {{"compressor", exports.compressor},
                 {"level", exports.level},
                 {"budget_bytes", exports.budgetBytes},
                 {"hessian_params", exports.hessianParams},
                 {"calibration", exports.calibration},
                 {"fit_class", exports.fitClass},
                 {"fit_rule", exports.fitRule},
                 {"fit_margin_bytes", exports.fitMarginBytes},
                 {"temperature", exports.temperature},
                 {"late_qat_threshold", exports.lateQatThreshold},
                 {"qat_params", exports.qatParams},
                 {"calibration_batches", exports.calibrationBatches},
                 {"lqer_top_k", exports.lqerTopK},
                 {"lqer_rank", exports.lqerRank},
                 {"lqer_group", exports.lqerGroup}};
  for (const auto &[name, q] : exports.classes)
    j["export"]["classes"].push_back({{"name", name},
                                      {"format", quantFormatName(q.format)},
                                      {"clip_percentile", q.clipPercentile},
                                      {"clip_sigmas", q.clipSigmas},
                                      {"scale_floor", q.scaleFloor},
                                      {"method", q.method},
                                      {"prune_percentile", q.prunePercentile},
                                      {"clip_search", q.clipSearch},
                                      {"damping", q.damping}});
  for (const TrainGroup &g : groups) {
    nlohmann::json o = {{"name", g.name}, {"kind", g.kind}};
    if (g.kind == "muon")
      o["settings"] = {{"lr", g.muon.lr},
                       {"momentum", g.muon.momentum},
                       {"nesterov", g.muon.nesterov},
                       {"backend_steps", g.muon.backendSteps},
                       {"momentum_warmup_start", g.muon.momentumWarmupStart},
                       {"momentum_warmup_steps", g.muon.momentumWarmupSteps},
                       {"weight_decay", g.muon.weightDecay},
                       {"row_normalize", g.muon.rowNormalize},
                       {"polar_express", g.muon.polarExpress}};
    else
      o["settings"] = {{"lr", g.adam.lr},
                       {"beta1", g.adam.beta1},
                       {"beta2", g.adam.beta2},
                       {"eps", g.adam.eps},
                       {"weight_decay", g.adam.weightDecay}};
    j["groups"].push_back(o);
  }
  return j.dump();
}

namespace {

std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/// A setting a built trainer may change, and where it lives.
struct Adjustable {
  const char *section, *name;
  int64_t TrainSettings::*integer = nullptr;
  double TrainSettings::*real = nullptr;
  bool TrainSettings::*flag = nullptr;
  double low = 0, high = 1e18; // allowed range of a number
};

const std::vector<Adjustable> &adjustables() {
  using S = TrainSettings;
  static const std::vector<Adjustable> table = {
      {"train", "iterations", &S::iterations, nullptr, nullptr, 1},
      {"train", "warmup_steps", &S::warmupSteps},
      {"train", "warmdown_iters", &S::warmdownIters},
      {"train", "warmdown_frac", nullptr, &S::warmdownFrac, nullptr, 0, 1},
      {"train", "min_lr", nullptr, &S::minLr, nullptr, 0, 1},
      {"train", "max_wallclock_seconds", nullptr, &S::maxWallclockSeconds},
      {"train", "grad_clip_norm", nullptr, &S::gradClipNorm},
      {"train", "seed", &S::seed},
      {"train", "val_loss_every", &S::valLossEvery},
      {"train", "train_log_every", &S::trainLogEvery},
      {"train", "ema_enabled", nullptr, nullptr, &S::emaEnabled},
      {"train", "ema_decay", nullptr, &S::emaDecay, nullptr, 0, 1},
      {"train", "swa_enabled", nullptr, nullptr, &S::swaEnabled},
      {"train", "swa_every", &S::swaEvery, nullptr, nullptr, 1},
      {"train", "swa_start_frac", nullptr, &S::swaStartFrac, nullptr, 0, 1},
      {"train", "checkpoint_every", &S::checkpointEvery},
      {"train", "switch_at", nullptr, &S::switchAt, nullptr, 0, 1},
      {"eval", "eval_stride"},
      {"eval", "ttt_enabled", nullptr, nullptr, &S::tttEnabled},
      {"eval", "ttt_epochs", &S::tttEpochs},
      {"eval", "ttt_lr", nullptr, &S::tttLr},
      {"eval", "ttt_momentum", nullptr, &S::tttMomentum, nullptr, 0, 1},
      {"eval", "ttt_grad_clip", nullptr, &S::tttGradClip},
      {"eval", "slot_steps", &S::slotSteps},
      {"eval", "slot_batch_seqs", &S::slotBatchSeqs, nullptr, nullptr, 1},
      {"eval", "slot_lr", nullptr, &S::slotLr},
      {"eval", "slot_lr_min", nullptr, &S::slotLrMin},
      {"eval", "slot_weight_decay", nullptr, &S::slotWeightDecay},
      {"eval", "slot_warm_start", nullptr, &S::slotWarmStart, nullptr, 0, 1},
  };
  return table;
}

/// The configuration's line for `key` (section.name): its value, and where
/// the line is, or npos.
size_t configLine(const std::string &config, const std::string &key,
                  std::string &value) {
  size_t at = 0;
  while (at < config.size()) {
    size_t end = config.find('\n', at);
    if (end == std::string::npos)
      end = config.size();
    std::istringstream line(config.substr(at, end - at));
    std::string k;
    if (line >> k && k == key) {
      line >> value;
      return at;
    }
    at = end + 1;
  }
  return std::string::npos;
}

bool sameValue(const std::string &a, const std::string &b) {
  auto number = [](const std::string &s, double &v) {
    char *end = nullptr;
    v = std::strtod(s.c_str(), &end);
    return !s.empty() && *end == 0;
  };
  auto unquote = [](std::string s) {
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"')
      s = s.substr(1, s.size() - 2);
    return s;
  };
  double x, y;
  if (number(a, x) && number(b, y))
    return x == y;
  return unquote(a) == unquote(b);
}

std::string upper(std::string s) {
  for (char &c : s)
    c = (char)std::toupper((unsigned char)c);
  return s;
}

} // namespace

std::string overrideSetting(TrainPlan &plan, const std::string &name,
                            const std::string &value,
                            const std::string &origin) {
  std::string bare = name.substr(name.find('.') + 1);
  const Adjustable *a = nullptr;
  for (const Adjustable &c : adjustables())
    if (bare == c.name &&
        (bare == name || name == std::string(c.section) + "." + c.name))
      a = &c;
  std::string key, compiled;
  if (!a) {
    for (const char *section : {"hparams", "train", "eval", "export"})
      if (name.find('.') == std::string::npos &&
          configLine(plan.config, std::string(section) + "." + name,
                     compiled) != std::string::npos)
        key = std::string(section) + "." + name;
    if (key.empty() &&
        configLine(plan.config, name, compiled) != std::string::npos)
      key = name;
    if (key.empty())
      return "unknown setting '" + name + "'";
    return key + " is compiled into this binary (" + compiled +
           "): rebuild it with golfc build --set " + bare + "=" + value;
  }
  key = std::string(a->section) + "." + a->name;
  TrainSettings &s = plan.settings;
  char *end = nullptr;
  const double number = std::strtod(value.c_str(), &end);
  const bool isNumber = !value.empty() && *end == 0;
  std::string shown = value;
  if (a->flag) {
    if (value != "true" && value != "false" && value != "1" && value != "0")
      return key + ": '" + value + "' is not true or false";
    s.*(a->flag) = value == "true" || value == "1";
    shown = s.*(a->flag) ? "true" : "false";
  } else if (!isNumber || std::isnan(number) || number < a->low ||
             number > a->high ||
             ((a->integer || !a->real) && number != std::floor(number))) {
    return key + ": '" + value + "' is not " +
           (a->real ? "a number" : "an integer") +
           (a->high < 1e18 ? " in [" + format("%g", a->low) + ", " +
                                 format("%g", a->high) + "]"
                           : " >= " + format("%g", a->low));
  } else if (a->integer) {
    s.*(a->integer) = (int64_t)number;
  } else if (a->real) {
    if (bare == "switch_at" && !(number > 0 && number < 1))
      return key + ": " + value + " must lie strictly between 0 and 1";
    s.*(a->real) = number;
  } else { // eval_stride
    if (number > plan.evalSeqLen)
      return "eval_stride " + value +
             " must be between 0 (non-overlapping windows) and eval_seq_len " +
             std::to_string(plan.evalSeqLen);
    plan.evalStride = (int64_t)number;
  }
  std::string old;
  size_t at = configLine(plan.config, key, old);
  std::string line = "  " + key;
  line.resize(std::max<size_t>(line.size() + 1, 38), ' ');
  line += shown;
  line.resize(std::max<size_t>(line.size() + 1, 52), ' ');
  line += origin;
  if (at == std::string::npos) {
    plan.config += line + "\n";
  } else {
    size_t end = plan.config.find('\n', at);
    plan.config.replace(
        at, (end == std::string::npos ? plan.config.size() : end) - at, line);
  }
  return "";
}

namespace {

/// Why a run-time setting has no effect under the others ("" when it has):
/// the built trainer's side of the compiler's ineffective-setting warnings.
std::string ineffective(const TrainSettings &s, const std::string &name) {
  if ((name == "swa_every" || name == "swa_start_frac") && !s.swaEnabled)
    return "swa_enabled is false";
  if (name == "swa_enabled" && s.swaEnabled && s.emaEnabled)
    return "with ema_enabled the EMA is exported and the SWA average is "
           "never used";
  if (name == "ema_decay" && !s.emaEnabled)
    return "ema_enabled is false";
  if (name == "warmdown_iters" && s.warmdownFrac > 0)
    return "warmdown_frac sets the warm-down";
  if (name == "switch_at" && s.switchHparam.empty())
    return "this binary has no switch_hparam";
  if (name.rfind("ttt_", 0) == 0 && name != "ttt_enabled" && !s.tttEnabled)
    return "ttt_enabled is false";
  if (name.rfind("slot_", 0) == 0 && !s.slotEnabled)
    return "this binary has no SLOT evaluation (slot_enabled is false)";
  return "";
}

} // namespace

std::string applyOverrides(TrainPlan &plan,
                           const std::vector<std::string> &sets,
                           const char *(*getenv)(const char *),
                           std::vector<std::string> *warnings) {
  // The environment, for every setting of the configuration.
  std::vector<std::pair<std::string, std::string>> env;
  std::istringstream lines(plan.config);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string key, value;
    if (!(fields >> key >> value) || key.find('.') == std::string::npos)
      continue;
    std::string bare = key.substr(key.find('.') + 1);
    const char *text = getenv ? getenv(upper(bare).c_str()) : nullptr;
    if (!text || !*text)
      continue;
    bool adjustable = false;
    for (const Adjustable &a : adjustables())
      adjustable |= bare == a.name;
    if (adjustable)
      env.push_back({bare, text});
    else if (!sameValue(text, value))
      return upper(bare) + "=" + text + " in the environment: " + key +
             " is compiled into this binary (" + value +
             "): rebuild it with golfc build, or unset " + upper(bare);
  }
  std::vector<std::pair<std::string, std::string>> applied;
  for (const auto &[name, value] : env) {
    std::string err = overrideSetting(plan, name, value, "env (run)");
    if (!err.empty())
      return upper(name) + " in the environment: " + err;
    applied.push_back({name, upper(name) + " in the environment"});
  }
  for (const std::string &set : sets) {
    size_t eq = set.find('=');
    if (eq == std::string::npos || eq == 0)
      return "--set takes name=value, got '" + set + "'";
    std::string name = set.substr(0, eq);
    std::string err =
        overrideSetting(plan, name, set.substr(eq + 1), "--set (run)");
    if (!err.empty())
      return err;
    applied.push_back({name.substr(name.find('.') + 1), "--set " + set});
  }
  // What was set and has no effect under the settings now in force.
  if (warnings)
    for (const auto &[name, origin] : applied) {
      std::string why = ineffective(plan.settings, name);
      if (!why.empty())
        warnings->push_back(origin + " has no effect: " + why);
    }
  return "";
}

std::string modelSettings(const std::string &config) {
  std::string out;
  std::istringstream lines(config);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string key, value;
    if (!(fields >> key >> value))
      continue;
    for (const char *section : {"hparams.", "eval."})
      if (key.rfind(section, 0) == 0)
        out += key.substr(std::string(section).size()) + "=" + value + "\n";
  }
  return out;
}

std::string
exportArtifact(const TrainPlan &plan,
               const std::vector<const std::vector<float> *> &weights,
               const Hessians &hessians, ExportResult &result) {
  // Every tensor quantized by its class; `policies[i]` is tensor i's.
  Artifact a;
  a.spec = plan.specText;
  a.settings = modelSettings(plan.config);
  std::vector<QuantPolicy> policies;
  std::vector<const std::vector<double> *> inputHessians;
  for (size_t i = 0; i < plan.params.size(); ++i) {
    const TrainParam &p = plan.params[i];
    const QuantPolicy *found = nullptr;
    for (const auto &[name, q] : plan.exports.classes)
      if (name == p.quant)
        found = &q;
    if (!found)
      return p.name + ": no export class '" + p.quant + "' in the plan";
    policies.push_back(*found);
    inputHessians.push_back(nullptr);
    for (const auto &[name, values] : hessians)
      if (name == p.name)
        inputHessians.back() = &values;
    std::string error;
    a.tensors.push_back(quantize(p.name, p.shape, *weights[i], policies[i],
                                 inputHessians[i], error));
    if (!error.empty())
      return error;
  }
  // Encodes with the fit class changed by the fit rule at `amount` (< 0: as
  // its policy says; only that class's tensors are quantized again):
  // prune: the prune percentile; coarsen: the step scale; bits: how many
  // integer formats narrower (int8, int7, int6, int5): one bit less a step.
  const std::string &rule = plan.exports.fitRule;
  static const QuantFormat kNarrower[] = {QuantFormat::Int8, QuantFormat::Int7,
                                          QuantFormat::Int6, QuantFormat::Int5};
  auto adjusted = [&](QuantPolicy policy, double amount) {
    if (rule == "coarsen")
      policy.stepScale = amount;
    else if (rule == "bits") {
      int at = 0;
      while (at < 3 && kNarrower[at] != policy.format)
        ++at;
      // The floor keeps its meaning, a fraction of the grid: 1/127 of int8
      // becomes 1/31 of int6.
      const int from = quantRange(policy.format);
      policy.format = kNarrower[std::min(3, at + (int)amount)];
      policy.scaleFloor *= (double)from / quantRange(policy.format);
    } else
      policy.prunePercentile = std::max(policy.prunePercentile, amount);
    return policy;
  };
  auto build = [&](double amount, ExportResult &out) -> std::string {
    Artifact trial = a;
    if (amount >= 0)
      for (size_t i = 0; i < plan.params.size(); ++i) {
        if (plan.params[i].quant != plan.exports.fitClass)
          continue;
        std::string error;
        trial.tensors[i] =
            quantize(plan.params[i].name, plan.params[i].shape, *weights[i],
                     adjusted(policies[i], amount), inputHessians[i], error);
        if (!error.empty())
          return error;
      }
    // LQER (§7.8): the lqer_top_k integer matrices of largest quantization
    // error get a low-rank correction (the first of equals).
    out.lqerDetail.clear();
    if (plan.exports.lqerTopK > 0) {
      std::vector<std::pair<double, size_t>> errors;
      for (size_t i = 0; i < trial.tensors.size(); ++i)
        if (quantRange(trial.tensors[i].format) > 0 &&
            trial.tensors[i].shape.size() == 2)
          errors.push_back({-quantError(trial.tensors[i], *weights[i]), i});
      std::stable_sort(
          errors.begin(), errors.end(),
          [](const auto &x, const auto &y) { return x.first < y.first; });
      errors.resize(std::min<size_t>(errors.size(), plan.exports.lqerTopK));
      for (const auto &[negative, i] : errors) {
        std::string error =
            lqerCorrect(trial.tensors[i], *weights[i], plan.exports.lqerRank,
                        plan.exports.lqerGroup);
        if (!error.empty())
          return error;
        out.lqerDetail +=
            format("%s%s %.4g -> %.4g", out.lqerDetail.empty() ? "" : ", ",
                   plan.params[i].name.c_str(), -negative,
                   quantError(trial.tensors[i], *weights[i]));
      }
    }
    std::string err =
        encodeSmallestArtifact(trial, plan.exports.compressor,
                               plan.exports.level, out.bytes, &out.packed);
    out.countedBytes = (int64_t)(out.bytes.size() + plan.specText.size());
    return err;
  };
  std::string err = build(-1, result);
  const int64_t target = plan.exports.budgetBytes - plan.exports.fitMarginBytes;
  if (!err.empty() || result.countedBytes <= target ||
      plan.exports.fitClass.empty())
    return err;
  QuantPolicy base;
  for (const auto &[name, q] : plan.exports.classes)
    if (name == plan.exports.fitClass)
      base = q;
  ExportResult trial, best;
  if (rule == "bits") {
    // One bit less, then two, then three, while there is a narrower one.
    for (int steps = 1; steps <= 3; ++steps) {
      if (adjusted(base, steps).format == adjusted(base, steps - 1).format)
        break;
      if (!(err = build(steps, trial)).empty())
        return err;
      if (trial.countedBytes <= target) {
        trial.fitBeforeBytes = result.countedBytes;
        trial.unfittedBytes = std::move(result.bytes);
        trial.fitAmount = steps;
        trial.fitDetail = std::string("stored as ") +
                          quantFormatName(adjusted(base, steps).format) +
                          " instead of " + quantFormatName(base.format);
        result = std::move(trial);
        return "";
      }
    }
    return ""; // Even the narrowest does not fit: the caller reports it.
  }
  // Fit by construction: prune the fit class's smallest weights (at most
  // half of each tensor), or coarsen its grid (at most 8 times), as little
  // as fits: a bisection.
  const bool coarsen = rule == "coarsen";
  double lo = coarsen ? base.stepScale : base.prunePercentile;
  double hi = coarsen ? 8.0 : 50.0;
  if (!(err = build(hi, trial)).empty())
    return err;
  if (trial.countedBytes > target)
    return ""; // Even the most does not fit: the caller reports the size.
  best = trial;
  for (int i = 0; i < 12; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (!(err = build(mid, trial)).empty())
      return err;
    if (trial.countedBytes <= target) {
      hi = mid;
      best = trial;
    } else {
      lo = mid;
    }
  }
  best.fitBeforeBytes = result.countedBytes;
  best.unfittedBytes = std::move(result.bytes);
  best.fitAmount = hi;
  best.fitDetail =
      coarsen ? format("quantized on a grid %.4f times coarser (each row's "
                       "scale times %.4f)",
                       hi, hi)
              : format("pruned of its entries below percentile %.4f of each "
                       "tensor's |w|",
                       hi);
  result = std::move(best);
  return "";
}

std::string TrainPlan::fromJson(const std::string &text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object() && j.contains("step") && !j.contains("train"))
    return "this binary runs one step only (it was built with --batch or "
           "--seq); build it without them to train";
  if (j.is_object() && j.contains("train"))
    j = j["train"];
  if (j.is_discarded() || !j.is_object() || !j.contains("params") ||
      !j.contains("groups") || !j.contains("settings"))
    return "the embedded training plan is not valid";
  const nlohmann::json &s = j["settings"];
  TrainSettings &t = settings;
  t.trainSeqLen = s.value("train_seq_len", t.trainSeqLen);
  t.trainBatchTokens = s.value("train_batch_tokens", t.trainBatchTokens);
  t.iterations = s.value("iterations", t.iterations);
  t.warmupSteps = s.value("warmup_steps", t.warmupSteps);
  t.warmdownIters = s.value("warmdown_iters", t.warmdownIters);
  t.warmdownShape = s.value("warmdown_shape", t.warmdownShape);
  t.warmdownFrac = s.value("warmdown_frac", t.warmdownFrac);
  t.minLr = s.value("min_lr", t.minLr);
  t.maxWallclockSeconds =
      s.value("max_wallclock_seconds", t.maxWallclockSeconds);
  t.gradClipNorm = s.value("grad_clip_norm", t.gradClipNorm);
  t.seed = s.value("seed", t.seed);
  t.valLossEvery = s.value("val_loss_every", t.valLossEvery);
  t.trainLogEvery = s.value("train_log_every", t.trainLogEvery);
  t.emaEnabled = s.value("ema_enabled", t.emaEnabled);
  t.emaDecay = s.value("ema_decay", t.emaDecay);
  t.swaEnabled = s.value("swa_enabled", t.swaEnabled);
  t.swaEvery = s.value("swa_every", t.swaEvery);
  t.swaStartFrac = s.value("swa_start_frac", t.swaStartFrac);
  t.checkpointEvery = s.value("checkpoint_every", t.checkpointEvery);
  t.tttEnabled = s.value("ttt_enabled", t.tttEnabled);
  t.tttChunkTokens = s.value("ttt_chunk_tokens", t.tttChunkTokens);
  t.tttEpochs = s.value("ttt_epochs", t.tttEpochs);
  t.tttBatchSeqs = s.value("ttt_batch_seqs", t.tttBatchSeqs);
  t.tttLr = s.value("ttt_lr", t.tttLr);
  t.tttMomentum = s.value("ttt_momentum", t.tttMomentum);
  t.tttGradClip = s.value("ttt_grad_clip", t.tttGradClip);
  t.slotEnabled = s.value("slot_enabled", t.slotEnabled);
  t.slotSteps = s.value("slot_steps", t.slotSteps);
  t.slotBatchSeqs = s.value("slot_batch_seqs", t.slotBatchSeqs);
  t.slotLr = s.value("slot_lr", t.slotLr);
  t.slotLrMin = s.value("slot_lr_min", t.slotLrMin);
  t.slotWeightDecay = s.value("slot_weight_decay", t.slotWeightDecay);
  t.slotWarmStart = s.value("slot_warm_start", t.slotWarmStart);
  t.switchHparam = s.value("switch_hparam", t.switchHparam);
  t.switchAt = s.value("switch_at", t.switchAt);
  microBatch = j.value("micro_batch", int64_t(1));
  stepGroup = j.value("step_group", int64_t(1));
  accumSteps = j.value("accum_steps", int64_t(1));
  tokenLimit = j.value("token_limit", int64_t(0));
  classes = j.value("classes", int64_t(0));
  evalSeqLen = j.value("eval_seq_len", int64_t(1024));
  evalBatch = j.value("eval_batch", int64_t(1));
  evalStride = j.value("eval_stride", int64_t(0));
  headWeight = j.value("head_weight", std::string());
  headSoftcap = j.value("head_softcap", 0.0);
  specPath = j.value("spec_path", std::string());
  specText = j.value("spec", std::string());
  config = j.value("config", std::string());
  revision = j.value("revision", std::string());
  params.clear();
  for (const nlohmann::json &p : j["params"])
    params.push_back({p.value("name", std::string()),
                      p.value("shape", std::vector<int64_t>()),
                      p.value("init", std::string()),
                      p.value("init_args", std::vector<double>()),
                      p.value("group", std::string()),
                      p.value("quant", std::string())});
  exports = ExportPlan();
  if (j.contains("export")) {
    const nlohmann::json &e = j["export"];
    exports.compressor = e.value("compressor", exports.compressor);
    exports.level = e.value("level", exports.level);
    exports.budgetBytes = e.value("budget_bytes", exports.budgetBytes);
    exports.hessianParams =
        e.value("hessian_params", std::vector<std::string>());
    exports.calibrationBatches =
        e.value("calibration_batches", exports.calibrationBatches);
    exports.lateQatThreshold =
        e.value("late_qat_threshold", exports.lateQatThreshold);
    exports.calibration = e.value("calibration", exports.calibration);
    exports.fitClass = e.value("fit_class", exports.fitClass);
    exports.fitRule = e.value("fit_rule", exports.fitRule);
    exports.fitMarginBytes =
        e.value("fit_margin_bytes", exports.fitMarginBytes);
    exports.temperature = e.value("temperature", exports.temperature);
    exports.qatParams = e.value("qat_params", std::vector<std::string>());
    exports.lqerTopK = e.value("lqer_top_k", exports.lqerTopK);
    exports.lqerRank = e.value("lqer_rank", exports.lqerRank);
    exports.lqerGroup = e.value("lqer_group", exports.lqerGroup);
    if (e.contains("classes"))
      for (const nlohmann::json &c : e["classes"]) {
        QuantPolicy q;
        if (!parseQuantFormat(c.value("format", std::string()), q.format))
          return "the plan has an unknown export format";
        q.clipPercentile = c.value("clip_percentile", q.clipPercentile);
        q.clipSigmas = c.value("clip_sigmas", q.clipSigmas);
        q.scaleFloor = c.value("scale_floor", q.scaleFloor);
        q.method = c.value("method", q.method);
        q.prunePercentile = c.value("prune_percentile", q.prunePercentile);
        q.clipSearch = c.value("clip_search", q.clipSearch);
        q.damping = c.value("damping", q.damping);
        exports.classes.push_back({c.value("name", std::string()), q});
      }
  }
  groups.clear();
  for (const nlohmann::json &g : j["groups"]) {
    TrainGroup group;
    group.name = g.value("name", std::string());
    group.kind = g.value("kind", std::string());
    const nlohmann::json &o = g["settings"];
    if (group.kind == "muon") {
      MuonSettings &m = group.muon;
      m.lr = o.value("lr", 0.0);
      m.momentum = o.value("momentum", m.momentum);
      m.nesterov = o.value("nesterov", m.nesterov);
      m.backendSteps = o.value("backend_steps", m.backendSteps);
      m.momentumWarmupStart =
          o.value("momentum_warmup_start", m.momentumWarmupStart);
      m.momentumWarmupSteps =
          o.value("momentum_warmup_steps", m.momentumWarmupSteps);
      m.weightDecay = o.value("weight_decay", m.weightDecay);
      m.rowNormalize = o.value("row_normalize", m.rowNormalize);
      m.polarExpress = o.value("polar_express", m.polarExpress);
    } else {
      AdamSettings &a = group.adam;
      a.lr = o.value("lr", 0.0);
      a.beta1 = o.value("beta1", a.beta1);
      a.beta2 = o.value("beta2", a.beta2);
      a.eps = o.value("eps", a.eps);
      a.weightDecay = o.value("weight_decay", a.weightDecay);
    }
    groups.push_back(group);
  }
  return "";
}

namespace {

/// Prints to stdout and appends to the run's log file. On a terminal, a
/// progress bar stays on the last line, under the log lines.
class Log {
public:
  Log(const std::string &path, bool append)
      : file(path, append ? std::ios::app : std::ios::trunc),
        tty(isatty(fileno(stdout))) {}
  bool ok() const { return file.good(); }
  void line(const std::string &text) {
    std::printf("%s%s\n", barShown ? "\r\033[K" : "", text.c_str());
    barShown = false;
    std::fflush(stdout);
    file << text << "\n";
    file.flush();
  }
  void progress(int64_t step, int64_t total, double loss, double stepMs) {
    if (!tty)
      return;
    const int width = 30;
    const int done =
        total > 0 ? (int)std::min<int64_t>(width, step * width / total) : 0;
    const double eta = stepMs * (double)std::max<int64_t>(0, total - step);
    std::printf("\r\033[K[%s%s] step %lld/%lld  loss %.4f  %.0f ms/step  "
                "%.0f s left",
                std::string(done, '#').c_str(),
                std::string(width - done, '.').c_str(), (long long)step,
                (long long)total, loss, stepMs, eta / 1000);
    std::fflush(stdout);
    barShown = true;
  }

private:
  std::ofstream file;
  bool tty, barShown = false;
};

std::string format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char *fmt, ...) {
  char buffer[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buffer, sizeof buffer, fmt, args);
  va_end(args);
  return buffer;
}

struct Validation {
  double loss = 0, bpb = 0;
  int64_t tokens = 0, bytes = 0;
};

/// Scores `windows` (`batch` per call of the evaluation, a short window
/// padded after its end: the model is causal, padding changes no scored
/// position), adding each scored position's loss in float64, window after
/// window, to `lossSum`, and the targets and bytes to `v`.
void scoreWindows(const TrainFunctions &f, std::vector<Tensor> &args,
                  const std::vector<uint16_t> &val, int64_t seq, int64_t batch,
                  const std::vector<EvalWindow> &windows,
                  const ByteTable &bytes, double &lossSum, Validation &v) {
  Tensor &inputs = args[args.size() - 2], &targets = args.back();
  inputs.shape = targets.shape = {batch, seq};
  for (size_t first = 0; first < windows.size(); first += batch) {
    const size_t count = std::min(windows.size() - first, (size_t)batch);
    inputs.i32.assign(batch * seq, 0);
    targets.i32.assign(batch * seq, 0);
    for (size_t r = 0; r < count; ++r) {
      const EvalWindow &w = windows[first + r];
      for (int64_t i = 0; i < w.length; ++i) {
        inputs.i32[r * seq + i] = val[w.start + i];
        targets.i32[r * seq + i] = val[w.start + i + 1];
      }
    }
    std::vector<Tensor> out = f.eval(args);
    for (size_t r = 0; r < count; ++r) {
      const EvalWindow &w = windows[first + r];
      const float *nll = out[0].f32.data() + r * seq;
      for (int64_t i = w.scoredFrom; i < w.length; ++i)
        lossSum += (double)nll[i];
      const int64_t scored = w.length - w.scoredFrom;
      v.tokens += scored;
      v.bytes +=
          countBytes(bytes, inputs.i32.data() + r * seq + w.scoredFrom,
                     targets.i32.data() + r * seq + w.scoredFrom, scored);
    }
  }
}

/// The loss and bytes of the validation split over evalWindows(stride).
/// The result does not depend on the batch.
Validation validate(const TrainFunctions &f, std::vector<Tensor> &args,
                    const std::vector<uint16_t> &val, int64_t seq,
                    int64_t batch, int64_t stride, const ByteTable &bytes) {
  Validation v;
  double lossSum = 0;
  scoreWindows(f, args, val, seq, batch,
               evalWindows((int64_t)val.size() - 1, seq, stride), bytes,
               lossSum, v);
  v.loss = lossSum / (double)v.tokens;
  v.bpb = bitsPerByte(v.loss, v.tokens, v.bytes);
  return v;
}

} // namespace

std::string tttCheck(const TrainPlan &plan) {
  const TrainSettings &s = plan.settings;
  if (s.tttEpochs < 0 || s.tttLr < 0 || s.tttGradClip < 0)
    return "ttt_epochs, ttt_lr and ttt_grad_clip must not be negative";
  if (s.tttBatchSeqs < 1)
    return "ttt_batch_seqs must be at least 1, got " +
           std::to_string(s.tttBatchSeqs);
  if (!(s.tttMomentum >= 0 && s.tttMomentum < 1))
    return "ttt_momentum must be in [0, 1), got " + format("%g", s.tttMomentum);
  if (s.tttChunkTokens < plan.evalSeqLen)
    return "ttt_chunk_tokens " + std::to_string(s.tttChunkTokens) +
           " holds no sequence of eval_seq_len " +
           std::to_string(plan.evalSeqLen);
  return "";
}

int64_t tttRows(const TrainPlan &plan) {
  const TrainSettings &s = plan.settings;
  const int64_t seqs = std::max<int64_t>(s.tttChunkTokens / plan.evalSeqLen, 1);
  const int64_t g =
      std::gcd(std::min(seqs, std::max<int64_t>(s.tttBatchSeqs, 1)), seqs);
  for (int64_t d = g; d >= 1; --d)
    if (g % d == 0 &&
        d * plan.evalSeqLen <= std::max<int64_t>(plan.evalSeqLen, 16384))
      return d;
  return 1;
}

Score validateTtt(const TrainPlan &plan, const TrainFunctions &f,
                  std::vector<Tensor> &step, size_t nParams,
                  const std::vector<uint16_t> &val, int64_t stride,
                  const ByteTable &bytes) {
  const TrainSettings &s = plan.settings;
  const int64_t targets = (int64_t)val.size() - 1, seq = plan.evalSeqLen;
  const int64_t rows = tttRows(plan);
  const int64_t chunk = s.tttChunkTokens;
  const int64_t numChunks = (targets + chunk - 1) / chunk;
  // Each window belongs to the chunk of its first scored target.
  const std::vector<EvalWindow> windows =
      evalWindows(targets, plan.evalSeqLen, stride);
  std::vector<std::vector<EvalWindow>> byChunk(numChunks);
  for (const EvalWindow &w : windows)
    byChunk[std::min((w.start + w.scoredFrom) / chunk, numChunks - 1)]
        .push_back(w);
  // The evaluation's arguments borrow the step's weights (swapped in and
  // out, never copied).
  std::vector<Tensor> evalArgs(nParams + 2);
  std::vector<std::vector<float>> momentum(nParams), grads(nParams);
  Tensor &inputs = step[nParams], &targetsT = step[nParams + 1];
  inputs.shape = targetsT.shape = {rows, seq};
  inputs.i32.resize(rows * seq);
  targetsT.i32.resize(rows * seq);
  Validation total;
  double totalLoss = 0;
  for (int64_t c = 0; c < numChunks; ++c) {
    // 1. Score the chunk's windows with the weights trained on the chunks
    //    before it only.
    for (size_t i = 0; i < nParams; ++i) {
      evalArgs[i].shape = step[i].shape;
      evalArgs[i].f32.swap(step[i].f32);
    }
    Validation v;
    double lossSum = 0;
    scoreWindows(f, evalArgs, val, plan.evalSeqLen, plan.evalBatch, byChunk[c],
                 bytes, lossSum, v);
    for (size_t i = 0; i < nParams; ++i)
      evalArgs[i].f32.swap(step[i].f32);
    totalLoss += lossSum;
    total.tokens += v.tokens;
    total.bytes += v.bytes;
    // 2. Then train on it, unless it is the last: its sequences of
    //    eval_seq_len whose targets end inside it, ttt_epochs passes of SGD
    //    with momentum in batches of ttt_batch_seqs, the lr cosine-decayed
    //    over the chunks.
    if (c == numChunks - 1 || s.tttEpochs == 0)
      continue;
    const int64_t start = c * chunk;
    const int64_t seqs = (std::min(start + chunk, targets) - start) / seq;
    const double lr =
        s.tttLr * 0.5 *
        (1 + std::cos(M_PI * (double)c /
                      (double)std::max<int64_t>(numChunks - 1, 1)));
    for (int64_t epoch = 0; epoch < s.tttEpochs; ++epoch)
      for (int64_t b = 0; b < seqs; b += s.tttBatchSeqs) {
        const int64_t n = std::min(seqs - b, s.tttBatchSeqs);
        for (size_t i = 0; i < nParams; ++i)
          grads[i].assign(step[i].f32.size(), 0.0f);
        for (int64_t call = 0; call < n / rows; ++call) {
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t at = start + (b + call * rows + r) * seq;
            for (int64_t i = 0; i < seq; ++i) {
              inputs.i32[r * seq + i] = val[at + i];
              targetsT.i32[r * seq + i] = val[at + i + 1];
            }
          }
          std::vector<Tensor> out = f.ttt(step);
          // The batch's mean gradient: its calls are equal in size.
          const float w = (float)rows / (float)n;
          for (size_t i = 0; i < nParams; ++i)
            for (size_t k = 0; k < grads[i].size(); ++k)
              grads[i][k] += w * out[i + 1].f32[k];
        }
        // torch.nn.utils.clip_grad_norm_, then torch.optim.SGD (momentum,
        // no dampening): buf = m·buf + g (buf = g at first), w -= lr·buf.
        double sq = 0;
        for (const auto &g : grads)
          for (float x : g)
            sq += (double)x * x;
        const double norm = std::sqrt(sq);
        const float clip = s.tttGradClip > 0 && norm > s.tttGradClip
                               ? (float)(s.tttGradClip / (norm + 1e-6))
                               : 1.0f;
        for (size_t i = 0; i < nParams; ++i) {
          std::vector<float> &buf = momentum[i];
          const bool fresh = buf.empty();
          if (fresh)
            buf.assign(grads[i].size(), 0.0f);
          float *w = step[i].f32.data();
          for (size_t k = 0; k < buf.size(); ++k) {
            const float g = grads[i][k] * clip;
            buf[k] = fresh ? g : (float)s.tttMomentum * buf[k] + g;
            w[k] -= (float)lr * buf[k];
          }
        }
      }
  }
  Score score;
  score.tokens = total.tokens;
  score.bytes = total.bytes;
  score.loss = totalLoss / (double)total.tokens;
  score.bpb = bitsPerByte(score.loss, total.tokens, total.bytes);
  return score;
}

namespace {

/// The parameters' current values, by pointer: nothing is copied.
std::vector<const std::vector<float> *>
weightsOf(const std::vector<Tensor> &args, size_t params) {
  std::vector<const std::vector<float> *> w;
  for (size_t i = 0; i < params; ++i)
    w.push_back(&args[i].f32);
  return w;
}

/// Everything a run needs to continue where it stopped.
struct RunState {
  std::vector<Tensor> *args;
  std::vector<std::vector<float>> *first, *second;
  Ema *ema;
  Swa *swa;
  std::vector<std::pair<double, double>> *trainCurve, *valCurve;
  int64_t step = 0;
  double trainMs = 0;
  std::pair<int64_t, int64_t> data{0, 0};
};

SafeTensor floats(const std::vector<int64_t> &shape,
                  const std::vector<float> &v) {
  return fromDoubles(shape, std::vector<double>(v.begin(), v.end()), false);
}

std::string saveCheckpoint(const std::string &path, const TrainPlan &plan,
                           const RunState &r) {
  std::vector<std::pair<std::string, SafeTensor>> t;
  t.push_back(
      {"state", fromDoubles({5},
                            {(double)r.step, r.trainMs, (double)r.data.first,
                             (double)r.data.second, (double)r.swa->count()},
                            true)});
  for (size_t i = 0; i < plan.params.size(); ++i) {
    const TrainParam &p = plan.params[i];
    t.push_back({"param/" + p.name, floats(p.shape, (*r.args)[i].f32)});
    t.push_back({"m/" + p.name, floats(p.shape, (*r.first)[i])});
    if (!(*r.second)[i].empty())
      t.push_back({"v/" + p.name, floats(p.shape, (*r.second)[i])});
    if (r.ema)
      t.push_back({"ema/" + p.name, floats(p.shape, r.ema->weights()[i])});
    if (r.swa->count() > 0)
      t.push_back(
          {"swa/" + p.name, fromDoubles(p.shape, r.swa->sums()[i], true)});
  }
  for (auto [name, curve] : {std::pair{"curve/train", r.trainCurve},
                             std::pair{"curve/val", r.valCurve}}) {
    if (curve->empty())
      continue;
    std::vector<double> flat;
    for (auto [x, y] : *curve)
      flat.push_back(x), flat.push_back(y);
    t.push_back({name, fromDoubles({(int64_t)curve->size(), 2}, flat, true)});
  }
  return writeSafetensors(path, t);
}

std::string loadCheckpoint(const std::string &path, const TrainPlan &plan,
                           RunState &r) {
  SafeTensors file = readSafetensors(path);
  if (!file.ok())
    return file.error;
  auto get = [&](const std::string &name, const std::vector<int64_t> &shape,
                 std::vector<double> &out) -> std::string {
    auto it = file.tensors.find(name);
    if (it == file.tensors.end())
      return path + ": no tensor '" + name +
             "' (a checkpoint of another spec?)";
    if (it->second.shape != shape || !toDoubles(it->second, out))
      return path + ": tensor '" + name + "' does not match the spec";
    return "";
  };
  std::vector<double> v;
  if (std::string e = get("state", {5}, v); !e.empty())
    return e;
  r.step = (int64_t)v[0];
  r.trainMs = v[1];
  r.data = {(int64_t)v[2], (int64_t)v[3]};
  const int64_t swaCount = (int64_t)v[4];
  std::vector<std::vector<float>> ema;
  std::vector<std::vector<double>> swa;
  for (size_t i = 0; i < plan.params.size(); ++i) {
    const TrainParam &p = plan.params[i];
    auto load = [&](const std::string &prefix, std::vector<float> &into) {
      std::string e = get(prefix + p.name, p.shape, v);
      if (e.empty())
        into.assign(v.begin(), v.end());
      return e;
    };
    std::string e = load("param/", (*r.args)[i].f32);
    if (e.empty())
      e = load("m/", (*r.first)[i]);
    if (e.empty() && !(*r.second)[i].empty())
      e = load("v/", (*r.second)[i]);
    if (e.empty() && r.ema) {
      ema.emplace_back();
      e = load("ema/", ema.back());
    }
    if (e.empty() && swaCount > 0) {
      e = get("swa/" + p.name, p.shape, v);
      swa.push_back(v);
    }
    if (!e.empty())
      return e;
  }
  for (auto [name, curve] : {std::pair{"curve/train", r.trainCurve},
                             std::pair{"curve/val", r.valCurve}}) {
    auto it = file.tensors.find(name);
    if (it == file.tensors.end() || !toDoubles(it->second, v))
      continue;
    curve->clear();
    for (size_t k = 0; k + 1 < v.size(); k += 2)
      curve->push_back({v[k], v[k + 1]});
  }
  if (r.ema)
    r.ema->restore(std::move(ema));
  if (swaCount > 0)
    r.swa->restore(swaCount, std::move(swa));
  return "";
}

} // namespace

std::string evaluate(const TrainPlan &plan, const TrainFunctions &f,
                     std::vector<std::vector<float>> weights,
                     const std::string &valGlob, const std::string &tokenizer,
                     int64_t stride, Score &score, Score *slot) {
  std::string error;
  std::vector<std::string> files = matchFiles(valGlob, error);
  ByteTable bytes;
  std::vector<uint16_t> val;
  if (error.empty())
    loadByteTable(tokenizer, plan.tokenLimit, bytes, error);
  if (error.empty())
    loadValidation(files, plan.evalSeqLen, val, error);
  if (!error.empty())
    return error;
  for (uint16_t t : val)
    if (t >= plan.tokenLimit)
      return valGlob + ": token " + std::to_string(t) +
             " is not below the model's " + std::to_string(plan.tokenLimit) +
             " token ids";
  if (weights.size() != plan.params.size())
    return "the evaluation needs " + std::to_string(plan.params.size()) +
           " weights, got " + std::to_string(weights.size());
  std::vector<Tensor> args;
  for (size_t i = 0; i < weights.size(); ++i) {
    Tensor t;
    t.shape = plan.params[i].shape;
    t.f32 = std::move(weights[i]);
    args.push_back(std::move(t));
  }
  args.push_back({});
  args.push_back({});
  if (plan.settings.slotEnabled && slot) {
    std::string why = f.hidden ? slotCheck(plan)
                               : "SLOT needs its compiled "
                                 "hidden-state forward";
    if (!why.empty())
      return why;
    *slot = validateSlot(plan, f, args, val, stride, bytes);
  }
  if (plan.settings.tttEnabled) {
    if (!f.ttt)
      return "ttt_enabled needs TTT's compiled step";
    std::string why = tttCheck(plan);
    if (!why.empty())
      return why;
    score = validateTtt(plan, f, args, weights.size(), val, stride, bytes);
    return "";
  }
  Validation v =
      validate(f, args, val, plan.evalSeqLen, plan.evalBatch, stride, bytes);
  score = {v.loss, v.bpb, v.tokens, v.bytes};
  return "";
}

int train(const TrainPlan &plan, const TrainFunctions &f,
          const TrainOptions &options) {
  using Clock = std::chrono::steady_clock;
  const TrainSettings &s = plan.settings;
  // What the settings ask of the compiled functions, before anything runs.
  std::string why;
  if (s.tttEnabled)
    why = f.ttt ? tttCheck(plan)
                : "this binary has no TTT step: build it with ttt_enabled=true";
  if (why.empty() && s.slotEnabled)
    why = f.hidden ? slotCheck(plan)
                   : "this binary has no SLOT evaluation: build it with "
                     "slot_enabled=true";
  if (why.empty() && !s.switchHparam.empty() && !f.stepEarly)
    why = "switch_hparam " + s.switchHparam + " needs the early step";
  if (!why.empty()) {
    std::fprintf(stderr, "error: %s\n", why.c_str());
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(options.outDir, ec);
  if (ec) {
    std::fprintf(stderr, "%s: %s\n", options.outDir.c_str(),
                 ec.message().c_str());
    return 1;
  }
  Log log(options.outDir + "/train.log", options.resume);
  if (!log.ok()) {
    std::fprintf(stderr, "%s/train.log: cannot write\n",
                 options.outDir.c_str());
    return 1;
  }
  // The run's record: spec, resolved configuration, revision.
  log.line("spec: " + plan.specPath);
  log.line(plan.specText);
  log.line("config:\n" + plan.config);
  log.line("revision: " + plan.revision);

  std::string error;
  std::vector<std::string> trainFiles = matchFiles(options.trainGlob, error);
  std::vector<std::string> valFiles;
  if (error.empty())
    valFiles = matchFiles(options.valGlob, error);
  ByteTable bytes;
  std::vector<uint16_t> val;
  if (error.empty())
    loadByteTable(options.tokenizer, plan.tokenLimit, bytes, error);
  if (error.empty())
    loadValidation(valFiles, plan.evalSeqLen, val, error);
  if (error.empty())
    for (size_t i = 0; i < val.size(); ++i)
      if (val[i] >= plan.tokenLimit) {
        error = options.valGlob + ": token " + std::to_string(val[i]) +
                " is not below the model's " + std::to_string(plan.tokenLimit) +
                " token ids";
        break;
      }
  if (!error.empty()) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  log.line(format("train_shards:%zu val_tokens:%zu micro_batch:%lld "
                  "accum_steps:%lld micro_batches_per_call:%lld",
                  trainFiles.size(), val.size() - 1, (long long)plan.microBatch,
                  (long long)plan.accumSteps, (long long)plan.stepGroup));
  if (s.warmupSteps > 0)
    log.line(format("warmup_steps:%lld has no effect on the CPU: there are "
                    "no kernels to prime",
                    (long long)s.warmupSteps));

  // Parameters, initialized in order from one generator.
  std::map<std::string, const TrainGroup *> groups;
  for (const TrainGroup &g : plan.groups)
    groups[g.name] = &g;
  Random random((uint64_t)s.seed);
  std::vector<Tensor> args;
  for (const TrainParam &p : plan.params) {
    Tensor t;
    t.shape = p.shape;
    std::string err = initialize(p.init, p.initArgs, p.shape, random, t.f32);
    if (!groups.count(p.group))
      err = "no optimizer group '" + p.group + "'";
    else if (groups[p.group]->kind == "muon" && p.shape.size() != 2)
      err = "the muon group '" + p.group + "' takes matrices only";
    if (!err.empty()) {
      std::fprintf(stderr, "error: parameter %s: %s\n", p.name.c_str(),
                   err.c_str());
      return 1;
    }
    args.push_back(std::move(t));
  }
  const size_t nParams = plan.params.size();
  const int64_t rows = plan.microBatch * plan.stepGroup;
  args.push_back(Tensor{{rows, s.trainSeqLen}, {}, {}, {}});
  args.push_back(Tensor{{rows, s.trainSeqLen}, {}, {}, {}});
  // One call's inputs and targets: stepGroup micro-batches of `from`,
  // sliced exactly as train_gpt.py slices them, every id checked.
  auto takeCall = [&](TokenStream &from, Tensor &inputs, Tensor &targets,
                      std::string &err) {
    inputs.i32.clear();
    targets.i32.clear();
    for (int64_t micro = 0; micro < plan.stepGroup; ++micro) {
      TokenBatch batch;
      if (!nextBatch(from, s.trainBatchTokens, s.trainSeqLen, 1, 0,
                     plan.accumSteps, batch, err))
        return false;
      for (const std::vector<int32_t> *ids : {&batch.inputs, &batch.targets})
        for (int32_t t : *ids)
          if (t >= plan.tokenLimit) {
            err = options.trainGlob + ": token " + std::to_string(t) +
                  " is not below the model's " +
                  std::to_string(plan.tokenLimit) + " token ids";
            return false;
          }
      inputs.i32.insert(inputs.i32.end(), batch.inputs.begin(),
                        batch.inputs.end());
      targets.i32.insert(targets.i32.end(), batch.targets.begin(),
                         batch.targets.end());
    }
    return true;
  };
  // Late QAT's inputs: the switch, then each covered parameter's row clips
  // (its class's percentile of each row's |w|, from the current weights).
  struct QatParam {
    size_t index;
    QuantPolicy policy;
  };
  std::vector<QatParam> qat;
  for (const std::string &name : plan.exports.qatParams)
    for (size_t i = 0; i < nParams; ++i)
      if (plan.params[i].name == name)
        for (const auto &[cls, policy] : plan.exports.classes)
          if (cls == plan.params[i].quant)
            qat.push_back({i, policy});
  if (qat.size() != plan.exports.qatParams.size()) {
    std::fprintf(stderr, "error: the plan's QAT parameters are not all "
                         "parameters of an export class\n");
    return 1;
  }
  bool qatOn = false;
  if (!qat.empty()) {
    args.push_back(Tensor{{}, {}, {0.0f}, {}});
    for (const QatParam &q : qat)
      args.push_back(Tensor{{plan.params[q.index].shape[0], 1},
                            {},
                            std::vector<float>(plan.params[q.index].shape[0]),
                            {}});
  }

  // Optimizer state.
  std::vector<std::vector<float>> first(nParams), second(nParams);
  for (size_t i = 0; i < nParams; ++i) {
    first[i].assign(args[i].f32.size(), 0.0f);
    if (groups[plan.params[i].group]->kind == "adam")
      second[i].assign(args[i].f32.size(), 0.0f);
  }
  std::vector<float> scratch;
  std::unique_ptr<Ema> ema;
  if (s.emaEnabled)
    ema = std::make_unique<Ema>(s.emaDecay, [&] {
      std::vector<std::vector<float>> initial;
      for (size_t i = 0; i < nParams; ++i)
        initial.push_back(args[i].f32);
      return initial;
    }());
  Swa swa(s.swaEnabled ? s.swaEvery : 0, s.swaStartFrac);

  TokenStream stream(trainFiles);
  Schedule schedule{s.iterations,          s.warmdownIters,
                    s.maxWallclockSeconds, s.warmdownShape == "sqrt",
                    s.warmdownFrac,        s.minLr};
  double trainMs = 0;
  int64_t step = 0;
  const std::string checkpoint = options.outDir + "/checkpoint.safetensors";
  std::vector<std::pair<double, double>> trainCurve, valCurve;
  RunState state{&args, &first,      &second,  ema.get(),
                 &swa,  &trainCurve, &valCurve};
  if (options.resume) {
    std::string err = loadCheckpoint(checkpoint, plan, state);
    if (err.empty() && !stream.seek(state.data.first, state.data.second, err))
      err = options.trainGlob + ": " + err;
    if (!err.empty()) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 1;
    }
    step = state.step;
    trainMs = state.trainMs;
    log.line(format("resumed at step %lld (train_time %.0fms) from %s",
                    (long long)step, trainMs, checkpoint.c_str()));
  }
  auto save = [&]() {
    state.step = step;
    state.trainMs = trainMs;
    state.data = stream.position();
    std::string err = saveCheckpoint(checkpoint, plan, state);
    if (!err.empty())
      std::fprintf(stderr, "%s\n", err.c_str());
    return err.empty();
  };
  const int64_t firstStep = step;
  bool early = !s.switchHparam.empty();

  std::vector<std::vector<float>> grads(nParams);
  Validation last;
  // Validation time does not count as training time.
  auto validateNow = [&](int64_t stride) {
    std::vector<Tensor> evalArgs;
    evalArgs.reserve(nParams + 2);
    for (size_t i = 0; i < nParams; ++i)
      evalArgs.push_back(args[i]);
    evalArgs.push_back({});
    evalArgs.push_back({});
    return validate(f, evalArgs, val, plan.evalSeqLen, plan.evalBatch, stride,
                    bytes);
  };
  auto runValidation = [&](int64_t at) {
    last = validateNow(/*stride=*/0);
    valCurve.push_back({(double)at, last.loss});
    log.line(format("step:%lld/%lld val_loss:%.4f val_bpb:%.4f "
                    "train_time:%.0fms step_avg:%.2fms",
                    (long long)at, (long long)s.iterations, last.loss, last.bpb,
                    trainMs, at ? trainMs / (double)at : 0.0));
  };

  while (!scheduleDone(schedule, step, trainMs)) {
    if (s.valLossEvery > 0 && step % s.valLossEvery == 0 && step > 0)
      runValidation(step);
    auto t0 = Clock::now();
    const double scale = lrScale(schedule, step, trainMs);
    if (!qat.empty() && !qatOn && scale < plan.exports.lateQatThreshold) {
      // Once on, it stays on (the lr scale never rises again, so a resumed
      // run turns it on at its first step too).
      qatOn = true;
      args[nParams + 2].f32[0] = 1.0f;
      // Numbered as the step lines are: it applies from this step on.
      log.line(format("late_qat:enabled step:%lld lr_scale:%.4f",
                      (long long)step + 1, scale));
    }
    // The phase switch: the early step until switch_at of the run, then the
    // spec's own for good (the fraction never falls, so a resumed run
    // switches at its first step too).
    if (early && trainingFraction(schedule, step, trainMs) >= s.switchAt) {
      early = false;
      log.line(format("switch:%s=true step:%lld frac:%.4f",
                      s.switchHparam.c_str(), (long long)step + 1,
                      trainingFraction(schedule, step, trainMs)));
    }
    if (qatOn)
      for (size_t k = 0; k < qat.size(); ++k) {
        const Tensor &w = args[qat[k].index];
        const int64_t r = w.shape[0], c = (int64_t)w.f32.size() / r;
        std::vector<float> &clips = args[nParams + 3 + k].f32;
        std::vector<double> rows =
            policyClips(w.f32.data(), r, c, qat[k].policy);
        for (int64_t row = 0; row < r; ++row)
          clips[row] = (float)rows[row];
      }
    double loss = 0;
    for (size_t i = 0; i < nParams; ++i)
      grads[i].assign(args[i].f32.size(), 0.0f);
    // Micro-batches are sliced exactly as train_gpt.py slices them, and
    // stepGroup of them go through the step in one call: the mean loss over
    // equal micro-batches is the mean of their means.
    const int64_t calls = plan.accumSteps / plan.stepGroup;
    for (int64_t call = 0; call < calls; ++call) {
      if (!takeCall(stream, args[nParams], args[nParams + 1], error)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
      }
      std::vector<Tensor> out = early ? f.stepEarly(args) : f.step(args);
      loss += (double)out[0].f32[0] / (double)calls;
      const float w = 1.0f / (float)calls;
      for (size_t i = 0; i < nParams; ++i)
        for (size_t k = 0; k < grads[i].size(); ++k)
          grads[i][k] += w * out[i + 1].f32[k];
    }
    if (s.gradClipNorm > 0) {
      double sq = 0;
      for (const auto &g : grads)
        for (float x : g)
          sq += (double)x * x;
      const double norm = std::sqrt(sq);
      if (norm > s.gradClipNorm) {
        const float c = (float)(s.gradClipNorm / (norm + 1e-6));
        for (auto &g : grads)
          for (float &x : g)
            x *= c;
      }
    }
    for (size_t i = 0; i < nParams; ++i) {
      const TrainGroup &g = *groups[plan.params[i].group];
      float *w = args[i].f32.data();
      if (g.kind == "muon")
        muonStep(g.muon, scale, step, w, grads[i].data(), first[i].data(),
                 plan.params[i].shape[0], plan.params[i].shape[1], scratch);
      else
        adamStep(g.adam, scale, step + 1, w, grads[i].data(), first[i].data(),
                 second[i].data(), (int64_t)grads[i].size());
    }
    ++step;
    if (ema)
      ema->update(weightsOf(args, nParams));
    if (s.swaEnabled && swa.observe(step, scale, weightsOf(args, nParams)) &&
        swa.count() == 1)
      log.line(format("swa:start step:%lld", (long long)step));
    trainMs +=
        std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!std::isfinite(loss)) {
      log.line(format("step:%lld/%lld train_loss:%f: the loss is not finite, "
                      "stopping",
                      (long long)step, (long long)s.iterations, loss));
      return 1;
    }
    trainCurve.push_back({(double)step, loss});
    log.progress(step, s.iterations, loss, trainMs / (double)step);
    if (s.checkpointEvery > 0 && step % s.checkpointEvery == 0 &&
        !scheduleDone(schedule, step, trainMs) && !save())
      return 1;
    if (options.maxSteps > 0 && step - firstStep >= options.maxSteps &&
        !scheduleDone(schedule, step, trainMs)) {
      if (!save())
        return 1;
      log.line(format("stopped after %lld steps at step %lld: continue "
                      "with --resume",
                      (long long)(step - firstStep), (long long)step));
      return 0;
    }
    if (s.trainLogEvery > 0 && (step <= 10 || step % s.trainLogEvery == 0 ||
                                scheduleDone(schedule, step, trainMs)))
      log.line(format("step:%lld/%lld train_loss:%.4f train_time:%.0fms "
                      "step_avg:%.2fms",
                      (long long)step, (long long)s.iterations, loss, trainMs,
                      trainMs / (double)step));
  }

  // The weights exported: EMA, else SWA with two snapshots or more, else
  // the last ones.
  std::string exported = "raw";
  if (ema) {
    for (size_t i = 0; i < nParams; ++i)
      args[i].f32 = ema->weights()[i];
    exported = "ema";
  } else if (s.swaEnabled && swa.count() >= 2) {
    std::vector<std::vector<float>> avg = swa.average();
    for (size_t i = 0; i < nParams; ++i)
      args[i].f32 = avg[i];
    exported = format("swa (%lld snapshots)", (long long)swa.count());
  }
  log.line("weights: " + exported);
  runValidation(step);
  // The score: sliding windows when the spec asks for them.
  Validation score = last;
  const bool sliding = plan.evalStride > 0 && plan.evalStride < plan.evalSeqLen;
  if (sliding) {
    auto t0 = Clock::now();
    score = validateNow(plan.evalStride);
    log.line(format(
        "sliding_window stride:%lld val_loss:%.4f val_bpb:%.4f "
        "eval_time:%.0fms",
        (long long)plan.evalStride, score.loss, score.bpb,
        std::chrono::duration<double, std::milli>(Clock::now() - t0).count()));
  }

  // Score-first TTT (reference §10.2) of the current weights, on a copy.
  Score ttt;
  auto runTtt = [&](double bpb, const char *of) {
    auto t0 = Clock::now();
    std::vector<Tensor> copy(args.begin(), args.begin() + nParams + 2);
    ttt = validateTtt(plan, f, copy, nParams, val,
                      sliding ? plan.evalStride : 0, bytes);
    log.line(format(
        "final_ttt val_loss:%.8f val_bpb:%.8f (score-first: "
        "chunks of %lld, %lld epochs, lr %g; the %s without it "
        "%.8f, %+.4f) eval_time:%.0fms",
        ttt.loss, ttt.bpb, (long long)s.tttChunkTokens, (long long)s.tttEpochs,
        s.tttLr, of, bpb, ttt.bpb - bpb,
        std::chrono::duration<double, std::milli>(Clock::now() - t0).count()));
  };

  // SLOT (reference §10.5) of the current weights: labelled, not a score.
  Score slot;
  auto runSlot = [&](double bpb, const char *of) {
    auto t0 = Clock::now();
    std::vector<Tensor> copy(args.begin(), args.begin() + nParams + 2);
    slot =
        validateSlot(plan, f, copy, val, sliding ? plan.evalStride : 0, bytes);
    log.line(format(
        "final_slot val_loss:%.8f val_bpb:%.8f (SLOT, NOT a legal score: "
        "fitted to the targets it scores; %lld steps, lr %g to %g, batches "
        "of %lld windows; the %s without it %.8f, %+.4f) eval_time:%.0fms",
        slot.loss, slot.bpb, (long long)s.slotSteps, s.slotLr, s.slotLrMin,
        (long long)s.slotBatchSeqs, of, bpb, slot.bpb - bpb,
        std::chrono::duration<double, std::milli>(Clock::now() - t0).count()));
  };

  // The artifact (§7): quantized, compressed and within the budget before
  // anything is written as final, then read back and scored as the
  // challenge scores it.
  ExportResult artifact;
  Validation roundTrip;
  double unfittedBpb = 0; // when fitting: the unfitted artifact's round trip
  const bool exporting = !plan.exports.classes.empty();
  if (exporting) {
    // GPTQ's input Hessians, from a forward over the first training
    // batches (reference §7.7), in float64.
    Hessians hessians;
    if (!plan.exports.hessianParams.empty()) {
      auto t0 = Clock::now();
      TokenStream calibration(trainFiles);
      std::vector<Tensor> calibArgs(args.begin(), args.begin() + nParams + 2);
      const bool selfGenerated = plan.exports.calibration == "self";
      Random sampler((uint64_t)s.seed ^ 0x9e3779b97f4a7c15ull);
      for (const std::string &name : plan.exports.hessianParams)
        hessians.push_back({name, {}});
      int64_t tokens = 0;
      double calibrationLoss = 0;
      for (int64_t b = 0; b < plan.exports.calibrationBatches; ++b) {
        if (selfGenerated) {
          // Sequences the model samples itself: from the tokenizer's BOS
          // (AR's records draw a uniform first token, which derails a small
          // model into noise: measured on the test corpus, loss 4.7 on its
          // samples against 0.4 from BOS), each next token from
          // softmax(logits / temperature) at the last position, re-running
          // the whole window (later positions, still 0, do not reach
          // earlier ones).
          const int64_t seq = s.trainSeqLen;
          std::vector<int32_t> buffer(rows * (seq + 1), 0);
          for (int64_t r = 0; r < rows; ++r)
            buffer[r * (seq + 1)] =
                bytes.bos >= 0 && bytes.bos < plan.tokenLimit
                    ? (int32_t)bytes.bos
                    : (int32_t)(sampler.next() % (uint64_t)plan.tokenLimit);
          std::vector<double> p;
          for (int64_t t = 0; t < seq; ++t) {
            std::vector<int32_t> &in = calibArgs[nParams].i32;
            in.assign(rows * seq, 0);
            for (int64_t r = 0; r < rows; ++r)
              for (int64_t i = 0; i <= t; ++i)
                in[r * seq + i] = buffer[r * (seq + 1) + i];
            calibArgs[nParams + 1].i32 = in;
            std::vector<Tensor> out = f.logits(calibArgs);
            const int64_t vocab = (int64_t)out[0].f32.size() / (rows * seq);
            for (int64_t r = 0; r < rows; ++r) {
              const float *z = out[0].f32.data() + (r * seq + t) * vocab;
              const int64_t classes = std::min(vocab, plan.tokenLimit);
              double top = -INFINITY, sum = 0;
              for (int64_t v = 0; v < classes; ++v)
                top = std::max(top, (double)z[v] / plan.exports.temperature);
              p.assign(classes, 0.0);
              for (int64_t v = 0; v < classes; ++v)
                sum += p[v] =
                    std::exp((double)z[v] / plan.exports.temperature - top);
              double u = sampler.uniform() * sum;
              int64_t pick = classes - 1;
              for (int64_t v = 0; v < classes; ++v)
                if ((u -= p[v]) < 0) {
                  pick = v;
                  break;
                }
              buffer[r * (seq + 1) + t + 1] = (int32_t)pick;
            }
          }
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t i = 0; i < seq; ++i) {
              calibArgs[nParams].i32[r * seq + i] = buffer[r * (seq + 1) + i];
              calibArgs[nParams + 1].i32[r * seq + i] =
                  buffer[r * (seq + 1) + i + 1];
            }
        } else if (!takeCall(calibration, calibArgs[nParams],
                             calibArgs[nParams + 1], error)) {
          std::fprintf(stderr, "%s\n", error.c_str());
          return 1;
        }
        tokens += (int64_t)calibArgs[nParams].i32.size();
        std::vector<Tensor> out = f.calibrate(calibArgs);
        calibrationLoss +=
            (double)out[0].f32[0] / (double)plan.exports.calibrationBatches;
        for (size_t k = 0; k < hessians.size(); ++k) {
          std::vector<double> &h = hessians[k].second;
          const std::vector<float> &x = out[k + 1].f32;
          h.resize(x.size(), 0.0);
          for (size_t i = 0; i < x.size(); ++i)
            h[i] += x[i];
        }
      }
      // The model's loss on its calibration tokens: on its own samples it
      // is low (about its entropy at the temperature), which shows the
      // sampler draws from the model.
      log.line(
          format("gptq: %zu Hessians from %lld %s tokens (loss %.4f) in %.1fs",
                 hessians.size(), (long long)tokens,
                 selfGenerated ? "self-generated" : "training", calibrationLoss,
                 std::chrono::duration<double>(Clock::now() - t0).count()));
    }
    std::string err =
        exportArtifact(plan, weightsOf(args, nParams), hessians, artifact);
    Artifact back;
    if (err.empty())
      err = decodeArtifact(artifact.bytes, "the artifact", back);
    if (!err.empty()) {
      std::fprintf(stderr, "error: %s\n", err.c_str());
      return 1;
    }
    if (!artifact.lqerDetail.empty())
      log.line(format("lqer: rank %lld corrections, error norms: %s",
                      (long long)plan.exports.lqerRank,
                      artifact.lqerDetail.c_str()));
    if (artifact.fitBeforeBytes > 0)
      log.line(format(
          "fit: the %lld bytes counted were over %lld (budget "
          "%lld, margin %lld): class '%s' %s",
          (long long)artifact.fitBeforeBytes,
          (long long)(plan.exports.budgetBytes - plan.exports.fitMarginBytes),
          (long long)plan.exports.budgetBytes,
          (long long)plan.exports.fitMarginBytes, plan.exports.fitClass.c_str(),
          artifact.fitDetail.c_str()));
    log.line(format("artifact: %zu bytes (%s level %d, %s codes) + spec %zu "
                    "bytes = %lld bytes counted of %lld",
                    artifact.bytes.size(), plan.exports.compressor.c_str(),
                    plan.exports.level, artifact.packed ? "bit-packed" : "byte",
                    plan.specText.size(), (long long)artifact.countedBytes,
                    (long long)plan.exports.budgetBytes));
    log.line("artifact_sha256: " + artifactHash(artifact.bytes));
    if (artifact.countedBytes > plan.exports.budgetBytes) {
      const std::string msg = format(
          "error: the artifact is %lld bytes counted, over the budget of "
          "%lld: nothing is written as final",
          (long long)artifact.countedBytes,
          (long long)plan.exports.budgetBytes);
      log.line(msg);
      std::fprintf(stderr, "%s\n", msg.c_str());
      return 1;
    }
    std::vector<std::vector<float>> kept(nParams);
    for (size_t i = 0; i < nParams; ++i) {
      kept[i] = std::move(args[i].f32);
      args[i].f32 = dequantize(back.tensors[i]);
    }
    // What fitting cost: the round trip of the artifact the class's policy
    // made, over the budget, against the fitted one's.
    Validation unfitted;
    if (artifact.fitBeforeBytes > 0) {
      Artifact over;
      err =
          decodeArtifact(artifact.unfittedBytes, "the unfitted artifact", over);
      if (!err.empty()) {
        std::fprintf(stderr, "error: %s\n", err.c_str());
        return 1;
      }
      for (size_t i = 0; i < nParams; ++i)
        args[i].f32 = dequantize(over.tensors[i]);
      unfitted = validateNow(sliding ? plan.evalStride : 0);
      unfittedBpb = unfitted.bpb;
      for (size_t i = 0; i < nParams; ++i)
        args[i].f32 = dequantize(back.tensors[i]);
    }
    roundTrip = validateNow(sliding ? plan.evalStride : 0);
    log.line(format("final_roundtrip val_loss:%.8f val_bpb:%.8f "
                    "(unquantized val_bpb:%.8f, %+.4f)",
                    roundTrip.loss, roundTrip.bpb, score.bpb,
                    roundTrip.bpb - score.bpb));
    if (artifact.fitBeforeBytes > 0)
      log.line(format("fit_cost: %+.4f val_bpb (the round trip %.8f fitted, "
                      "%.8f as the policy made it, over the budget)",
                      roundTrip.bpb - unfitted.bpb, roundTrip.bpb,
                      unfitted.bpb));
    err = writeAtomically(options.outDir + "/artifact.bin",
                          {{artifact.bytes.data(), artifact.bytes.size()}});
    if (!err.empty()) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 1;
    }
    // TTT adapts the model the artifact restores, as the records do (the
    // artifact is already written: TTT is long at full size).
    if (s.slotEnabled)
      runSlot(roundTrip.bpb, "round trip");
    if (s.tttEnabled)
      runTtt(roundTrip.bpb, "round trip");
    for (size_t i = 0; i < nParams; ++i)
      args[i].f32 = std::move(kept[i]);
  }

  if (s.slotEnabled && !exporting)
    runSlot(score.bpb, "score");
  if (s.tttEnabled && !exporting)
    runTtt(score.bpb, "score");

  std::vector<std::pair<std::string, SafeTensor>> tensors;
  for (size_t i = 0; i < nParams; ++i)
    tensors.push_back({plan.params[i].name,
                       fromDoubles(plan.params[i].shape,
                                   std::vector<double>(args[i].f32.begin(),
                                                       args[i].f32.end()),
                                   false)});
  std::string err =
      writeSafetensors(options.outDir + "/final.safetensors", tensors);
  if (!err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  nlohmann::json summary = {
      {"val_loss", score.loss},
      {"val_bpb", score.bpb},
      {"steps", step},
      {"tokens", step * s.trainBatchTokens},
      {"train_time_ms", trainMs},
      {"weights", exported},
      {"val_tokens", score.tokens},
      {"val_bytes", score.bytes},
      {"eval_stride", sliding ? plan.evalStride : 0},
  };
  if (exporting) {
    summary["artifact_bytes"] = artifact.bytes.size();
    summary["artifact_sha256"] = artifactHash(artifact.bytes);
    summary["counted_bytes"] = artifact.countedBytes;
    summary["budget_bytes"] = plan.exports.budgetBytes;
    summary["roundtrip_val_loss"] = roundTrip.loss;
    summary["roundtrip_val_bpb"] = roundTrip.bpb;
    if (artifact.fitBeforeBytes > 0)
      summary["fit"] = {{"class", plan.exports.fitClass},
                        {"rule", plan.exports.fitRule},
                        {plan.exports.fitRule == "coarsen" ? "step_scale"
                         : plan.exports.fitRule == "bits"  ? "bits_fewer"
                                                           : "prune_percentile",
                         artifact.fitAmount},
                        {"detail", artifact.fitDetail},
                        {"roundtrip_val_bpb_unfitted", unfittedBpb},
                        {"cost_bpb", roundTrip.bpb - unfittedBpb},
                        {"counted_bytes_before", artifact.fitBeforeBytes}};
  }
  if (s.tttEnabled) {
    summary["ttt_val_loss"] = ttt.loss;
    summary["ttt_val_bpb"] = ttt.bpb;
  }
  if (s.slotEnabled) { // Never the score: SLOT fits the targets it scores.
    summary["slot_val_loss"] = slot.loss;
    summary["slot_val_bpb"] = slot.bpb;
    summary["slot_legal"] = false;
  }
  if (sliding) { // The non-overlapping windows' numbers, for comparison.
    summary["val_loss_windows"] = last.loss;
    summary["val_bpb_windows"] = last.bpb;
  }
  const std::string summaryText = summary.dump(2) + "\n";
  err = writeAtomically(options.outDir + "/summary.json",
                        {{summaryText.data(), summaryText.size()}});
  if (!err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  err = writeLossCurve(options.outDir + "/loss.png", trainCurve, valCurve);
  if (!err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  log.line(format("final val_loss:%.8f val_bpb:%.8f", score.loss, score.bpb));
  return 0;
}

} // namespace golf::rt
