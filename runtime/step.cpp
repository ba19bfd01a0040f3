#include "runtime/step.h"

#include "runtime/safetensors.h"
#include "runtime/shards.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <set>

namespace golf::rt {

namespace {

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// A memref descriptor, {allocated, aligned, offset, sizes[r], strides[r]},
/// for a contiguous row-major host buffer.
std::vector<int64_t> descriptor(Tensor &t) {
  int64_t rank = (int64_t)t.shape.size();
  void *data = !t.f64.empty()   ? (void *)t.f64.data()
               : !t.f32.empty() ? (void *)t.f32.data()
                                : (void *)t.i32.data();
  std::vector<int64_t> d(3 + 2 * rank);
  d[0] = d[1] = (int64_t)(intptr_t)data;
  int64_t stride = 1;
  for (int64_t r = rank - 1; r >= 0; --r) {
    d[3 + r] = t.shape[r];
    d[3 + rank + r] = stride;
    stride *= t.shape[r];
  }
  return d;
}

} // namespace

std::string StepPlan::toJson() const {
  nlohmann::json j;
  j["f64"] = f64;
  j["batch"] = batch;
  j["seq"] = seq;
  j["token_limit"] = tokenLimit;
  j["params"] = nlohmann::json::array();
  for (const ParamSpec &p : params)
    j["params"].push_back({{"name", p.name}, {"shape", p.shape}});
  return j.dump();
}

std::string StepPlan::fromJson(const std::string &text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  // A binary's plan holds the step's plan under "step" (and a trainer's
  // under "train").
  if (j.is_object() && j.contains("step"))
    j = j["step"];
  if (j.is_discarded() || !j.is_object() || !j.contains("params") ||
      !j["params"].is_array())
    return "the embedded plan is not valid JSON";
  f64 = j.value("f64", false);
  batch = j.value("batch", int64_t(1));
  seq = j.value("seq", int64_t(1));
  tokenLimit = j.value("token_limit", int64_t(INT64_MAX));
  params.clear();
  for (const nlohmann::json &p : j["params"]) {
    if (!p.is_object() || !p.contains("name") || !p["name"].is_string() ||
        !p.contains("shape") || !p["shape"].is_array())
      return "the embedded plan has a malformed parameter";
    ParamSpec spec;
    spec.name = p["name"].get<std::string>();
    for (const nlohmann::json &d : p["shape"])
      spec.shape.push_back(d.get<int64_t>());
    params.push_back(std::move(spec));
  }
  return "";
}

std::string loadStepInputs(const StepPlan &plan, const std::string &weightsPath,
                           const std::string &tokensPath,
                           std::vector<Tensor> &args) {
  args.clear();
  SafeTensors weights = readSafetensors(weightsPath);
  if (!weights.ok())
    return weights.error;
  for (const ParamSpec &p : plan.params) {
    auto it = weights.tensors.find(p.name);
    if (it == weights.tensors.end())
      return weightsPath + ": no tensor '" + p.name + "'";
    if (it->second.shape != p.shape)
      return weightsPath + ": tensor '" + p.name + "' has shape " +
             shapeText(it->second.shape) + ", the spec declares " +
             shapeText(p.shape);
    std::vector<double> values;
    if (!toDoubles(it->second, values))
      return weightsPath + ": tensor '" + p.name + "' has dtype " +
             it->second.dtype + ", not a floating-point type";
    Tensor t;
    t.shape = p.shape;
    if (plan.f64)
      t.f64 = std::move(values);
    else
      t.f32.assign(values.begin(), values.end());
    args.push_back(std::move(t));
  }
  Shard shard = readShard(tokensPath);
  if (!shard.ok())
    return shard.error;
  int64_t n = plan.batch * plan.seq;
  if ((int64_t)shard.tokens.size() < n + 1)
    return tokensPath + ": " + std::to_string(shard.tokens.size()) +
           " tokens, but batch " + std::to_string(plan.batch) + " and seq " +
           std::to_string(plan.seq) + " need " + std::to_string(n + 1);
  Tensor inputs, targets;
  inputs.shape = targets.shape = {plan.batch, plan.seq};
  for (int64_t i = 0; i <= n; ++i)
    if (shard.tokens[i] >= plan.tokenLimit)
      return tokensPath + ": token " + std::to_string(shard.tokens[i]) +
             " at position " + std::to_string(i) +
             " is not below the model's " + std::to_string(plan.tokenLimit) +
             " token ids";
  for (int64_t i = 0; i < n; ++i) {
    inputs.i32.push_back(shard.tokens[i]);
    targets.i32.push_back(shard.tokens[i + 1]);
  }
  args.push_back(std::move(inputs));
  args.push_back(std::move(targets));
  return "";
}

std::string writeGradients(const StepPlan &plan,
                           const std::vector<Tensor> &results,
                           const std::string &path) {
  if (results.size() != plan.params.size() + 1)
    return "the step returned " + std::to_string(results.size()) +
           " results for " + std::to_string(plan.params.size()) + " parameters";
  std::vector<std::pair<std::string, SafeTensor>> tensors;
  for (size_t i = 0; i < plan.params.size(); ++i) {
    const Tensor &g = results[i + 1];
    std::vector<double> values =
        plan.f64 ? g.f64 : std::vector<double>(g.f32.begin(), g.f32.end());
    tensors.push_back({plan.params[i].name,
                       fromDoubles(plan.params[i].shape, values, plan.f64)});
  }
  return writeSafetensors(path, tensors);
}

std::vector<Tensor> callPacked(const std::function<void(void **)> &invoke,
                               std::vector<Tensor> &args,
                               const std::vector<ResultSpec> &results) {
  // The C interface returns the results through a pointer to a struct of
  // their descriptors (all 64-bit words), passed first.
  size_t words = 0;
  for (const ResultSpec &r : results)
    words += 3 + 2 * r.shape.size();
  std::vector<int64_t> resultStruct(words, 0);
  std::vector<std::vector<int64_t>> descriptors;
  for (Tensor &t : args)
    descriptors.push_back(descriptor(t));
  std::vector<void *> pointers = {resultStruct.data()};
  for (auto &d : descriptors)
    pointers.push_back(d.data());
  std::vector<void *> packed;
  for (void *&p : pointers)
    packed.push_back(&p);
  invoke(packed.data());

  std::vector<Tensor> out;
  std::set<void *> freed; // Two results may share one buffer.
  size_t at = 0;
  for (const ResultSpec &spec : results) {
    void *allocated = (void *)(intptr_t)resultStruct[at];
    char *aligned = (char *)(intptr_t)resultStruct[at + 1];
    int64_t offset = resultStruct[at + 2], n = 1;
    for (int64_t d : spec.shape)
      n *= d;
    Tensor t;
    t.shape = spec.shape;
    // Results of bufferized functions are contiguous with identity layout.
    if (spec.f64)
      t.f64.assign((double *)aligned + offset, (double *)aligned + offset + n);
    else
      t.f32.assign((float *)aligned + offset, (float *)aligned + offset + n);
    if (freed.insert(allocated).second)
      std::free(allocated);
    at += 3 + 2 * spec.shape.size();
    out.push_back(std::move(t));
  }
  return out;
}

} // namespace golf::rt
