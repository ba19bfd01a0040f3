#include "runtime/checkpoint.h"

#include "runtime/safetensors.h"

namespace golf::rt {

std::vector<const std::vector<float> *>
weightsOf(const std::vector<Tensor> &args, size_t params) {
  std::vector<const std::vector<float> *> w;
  for (size_t i = 0; i < params; ++i)
    w.push_back(&args[i].f32);
  return w;
}

namespace {

SafeTensor floats(const std::vector<int64_t> &shape,
                  const std::vector<float> &v) {
  return fromDoubles(shape, std::vector<double>(v.begin(), v.end()), false);
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

} // namespace golf::rt
