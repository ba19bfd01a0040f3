#include "runtime/step.h"

#include "runtime/backend/cpu/cpu_device.h"
#include "runtime/safetensors.h"
#include "runtime/shards.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>

namespace golf::rt {

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

DType dtypeOf(const Tensor &t) {
  return !t.f64.empty() ? DType::f64 : !t.i32.empty() ? DType::i32 : DType::f32;
}

void *dataOf(Tensor &t) {
  return !t.f64.empty()   ? (void *)t.f64.data()
         : !t.i32.empty() ? (void *)t.i32.data()
                          : (void *)t.f32.data();
}

Tensor tensorFor(const Slot &slot) {
  Tensor t;
  t.shape = slot.shape;
  const size_t n = (size_t)elementCount(slot.shape);
  if (slot.dtype == DType::f64)
    t.f64.resize(n);
  else if (slot.dtype == DType::i32)
    t.i32.resize(n);
  else
    t.f32.resize(n);
  return t;
}

Buffer hostView(Tensor &t) {
  const size_t held = !t.f64.empty()   ? t.f64.size()
                      : !t.i32.empty() ? t.i32.size()
                                       : t.f32.size();
  if ((int64_t)held != elementCount(t.shape)) {
    std::fprintf(stderr,
                 "internal error: a tensor of shape %s holds %zu elements\n",
                 shapeText(t.shape).c_str(), held);
    std::abort();
  }
  return Buffer::view(cpuDevice(), dtypeOf(t), t.shape, dataOf(t));
}

std::vector<Tensor> runOnHost(Executable &exe, std::vector<Tensor> &args) {
  const Signature &sig = exe.signature();
  std::vector<Buffer> views;
  for (size_t i = 0; i < args.size() && i < sig.args.size(); ++i)
    views.push_back(hostView(args[i]));
  std::vector<Tensor> out;
  for (const Slot &s : sig.results) {
    out.push_back(tensorFor(s));
    views.push_back(hostView(out.back()));
  }
  std::vector<Buffer *> pointers;
  for (Buffer &b : views)
    pointers.push_back(&b);
  if (args.size() != sig.args.size()) {
    std::fprintf(stderr, "internal error: %s takes %zu arguments, given %zu\n",
                 exe.name().c_str(), sig.args.size(), args.size());
    std::abort();
  }
  std::string err = exe.run(pointers.data(), pointers.data() + args.size());
  if (!err.empty()) {
    std::fprintf(stderr, "internal error: %s\n", err.c_str());
    std::abort();
  }
  return out;
}

} // namespace golf::rt
