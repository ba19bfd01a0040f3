// The artifact of trained weights (reference §7): each tensor quantized by
// its export class, compressed, made to fit the budget when the spec says
// how.
#include "runtime/artifact.h"
#include "runtime/log.h"
#include "runtime/train.h"

#include <algorithm>
#include <cmath>

namespace golf::rt {

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
                               (int)plan.exports.level, out.bytes, &out.packed);
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

} // namespace golf::rt
