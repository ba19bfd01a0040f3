#include "runtime/checkpoint.h"

#include "runtime/safetensors.h"

namespace golf::rt {

namespace {

/// A buffer as a safetensors tensor of its dtype (float32 or float64).
SafeTensor tensorOf(const Buffer &b) {
  std::vector<double> values((size_t)b.elements());
  if (b.dtype() == DType::f64) {
    b.device()->copyOut(values.data(), b);
  } else {
    std::vector<float> staging;
    const float *v = readOnHost(b, staging);
    values.assign(v, v + b.elements());
  }
  return fromDoubles(b.shape(), values, b.dtype() == DType::f64);
}

/// Values read from a checkpoint into a buffer of their count.
void fill(Buffer &b, const std::vector<double> &values) {
  if (b.dtype() == DType::f64) {
    b.device()->copyIn(b, values.data());
    return;
  }
  std::vector<float> v(values.begin(), values.end());
  b.device()->copyIn(b, v.data());
}

} // namespace

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
    t.push_back({"param/" + p.name, tensorOf((*r.weights)[i])});
    t.push_back({"m/" + p.name, tensorOf((*r.first)[i])});
    if ((*r.second)[i])
      t.push_back({"v/" + p.name, tensorOf((*r.second)[i])});
    if (r.ema)
      t.push_back({"ema/" + p.name, tensorOf(r.ema->weights()[i])});
    if (r.swa->count() > 0)
      t.push_back({"swa/" + p.name, tensorOf(r.swa->sums()[i])});
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
  ParamBuffers *swa =
      swaCount > 0 ? &r.swa->restore(swaCount, *r.weights) : nullptr;
  for (size_t i = 0; i < plan.params.size(); ++i) {
    const TrainParam &p = plan.params[i];
    auto load = [&](const std::string &prefix, Buffer &into) {
      std::string e = get(prefix + p.name, p.shape, v);
      if (e.empty())
        fill(into, v);
      return e;
    };
    std::string e = load("param/", (*r.weights)[i]);
    if (e.empty())
      e = load("m/", (*r.first)[i]);
    if (e.empty() && (*r.second)[i])
      e = load("v/", (*r.second)[i]);
    if (e.empty() && r.ema)
      e = load("ema/", r.ema->weights()[i]);
    if (e.empty() && swa)
      e = load("swa/", (*swa)[i]);
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
  return "";
}

} // namespace golf::rt
