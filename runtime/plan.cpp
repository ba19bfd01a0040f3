// The training plan the compiler hands to the runtime: its JSON (what a
// built trainer embeds), the run-time overrides of its settings, and the
// model settings an artifact keeps.
#include "runtime/log.h"
#include "runtime/settings.h"
#include "runtime/train.h"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <limits>
#include <sstream>

namespace golf::rt {

std::string TrainPlan::toJson() const {
  nlohmann::json j;
  const TrainSettings &s = settings;
  j["settings"] = nlohmann::json::object();
  for (const SettingField &f : settingFields())
    f.apply(s, [&](const auto &v) { j["settings"][f.name] = v; });
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
  j["params"] = nlohmann::json::array();
  for (const TrainParam &p : params)
    j["params"].push_back({{"name", p.name},
                           {"shape", p.shape},
                           {"init", p.init},
                           {"init_args", p.initArgs},
                           {"group", p.group},
                           {"quant", p.quant}});
  // The export settings under their names, then what the compiler adds.
  nlohmann::json &e = j["export"] = nlohmann::json::object();
  for (const ExportField &f : exportFields())
    f.apply(exports, [&](const auto &v) { e[f.name] = v; });
  e["hessian_params"] = exports.hessianParams;
  e["qat_params"] = exports.qatParams;
  j["export"]["classes"] = nlohmann::json::array();
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
  j["groups"] = nlohmann::json::array();
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
  // The settings a built trainer may change: the table's run-time ones, and
  // the sliding stride (a field of the plan, not of its settings).
  static const SettingField stride = {"eval", "eval_stride"};
  std::vector<const SettingField *> adjustable = {&stride};
  for (const SettingField &f : settingFields())
    if (f.runtime)
      adjustable.push_back(&f);
  const SettingField *a = nullptr;
  for (const SettingField *c : adjustable)
    if (bare == c->name &&
        (bare == name || name == std::string(c->section) + "." + c->name))
      a = c;
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
    if (changeableAtRunTime(bare))
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

namespace {

/// Reads the keys of the plan's JSON, each required and of its type: a plan
/// without one was not written by this golfc. The first miss is the error.
struct PlanReader {
  std::string error;

  static bool read(const nlohmann::json &v, int64_t &out) {
    // An unsigned value above INT64_MAX would wrap.
    if (!v.is_number_integer() ||
        (v.is_number_unsigned() &&
         v.get<uint64_t>() > (uint64_t)std::numeric_limits<int64_t>::max()))
      return false;
    out = v.get<int64_t>();
    return true;
  }
  static bool read(const nlohmann::json &v, int &out) {
    int64_t wide;
    if (!read(v, wide) || wide < std::numeric_limits<int>::min() ||
        wide > std::numeric_limits<int>::max())
      return false;
    out = (int)wide;
    return true;
  }
  static bool read(const nlohmann::json &v, double &out) {
    return v.is_number() && (out = v.get<double>(), true);
  }
  static bool read(const nlohmann::json &v, bool &out) {
    return v.is_boolean() && (out = v.get<bool>(), true);
  }
  static bool read(const nlohmann::json &v, std::string &out) {
    return v.is_string() && (out = v.get<std::string>(), true);
  }
  template <typename T>
  static bool read(const nlohmann::json &v, std::vector<T> &out) {
    if (!v.is_array())
      return false;
    out.assign(v.size(), T());
    for (size_t i = 0; i < v.size(); ++i)
      if (!read(v[i], out[i]))
        return false;
    return true;
  }

  /// `out` = `object[key]`, or an error that names the key.
  template <typename T>
  void get(const nlohmann::json &object, const char *key, T &out) {
    if (!error.empty())
      return;
    auto it = object.is_object() ? object.find(key) : object.end();
    if (it == object.end() || !read(*it, out))
      error = std::string("the embedded training plan ") +
              (it == object.end() ? "has no '" : "has a malformed '") + key +
              "': rebuild the binary with this golfc";
  }
  /// The array `object[key]` (an error, and an empty array, otherwise).
  const nlohmann::json &array(const nlohmann::json &object, const char *key) {
    static const nlohmann::json empty = nlohmann::json::array();
    return nested(object, key, /*isArray=*/true, empty);
  }
  /// The object `object[key]` (an error, and an empty object, otherwise).
  const nlohmann::json &child(const nlohmann::json &object, const char *key) {
    static const nlohmann::json empty = nlohmann::json::object();
    return nested(object, key, /*isArray=*/false, empty);
  }

private:
  const nlohmann::json &nested(const nlohmann::json &object, const char *key,
                               bool isArray, const nlohmann::json &empty) {
    auto it = object.is_object() ? object.find(key) : object.end();
    if (it != object.end() && (isArray ? it->is_array() : it->is_object()))
      return *it;
    if (error.empty())
      error = std::string("the embedded training plan ") +
              (it == object.end() ? "has no '" : "has a malformed '") + key +
              "' (" + (isArray ? "a list" : "an object") +
              "): rebuild the binary with this golfc";
    return empty;
  }
};

} // namespace

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
  // Every setting of the table, of its type: a plan without one was not
  // written by this golfc.
  for (const SettingField &f : settingFields()) {
    auto it = s.find(f.name);
    bool ok = it != s.end();
    if (ok)
      f.apply(t, [&](auto &v) { ok = PlanReader::read(*it, v); });
    if (!ok)
      return std::string("the embedded training plan ") +
             (it == s.end() ? "has no setting " : "has a malformed setting ") +
             f.section + "." + f.name + ": rebuild the binary with this golfc";
  }
  PlanReader r;
  r.get(j, "micro_batch", microBatch);
  r.get(j, "step_group", stepGroup);
  r.get(j, "accum_steps", accumSteps);
  r.get(j, "token_limit", tokenLimit);
  r.get(j, "classes", classes);
  r.get(j, "eval_seq_len", evalSeqLen);
  r.get(j, "eval_batch", evalBatch);
  r.get(j, "eval_stride", evalStride);
  r.get(j, "head_weight", headWeight);
  r.get(j, "head_softcap", headSoftcap);
  r.get(j, "spec_path", specPath);
  r.get(j, "spec", specText);
  r.get(j, "config", config);
  r.get(j, "revision", revision);
  params.clear();
  for (const nlohmann::json &p : r.array(j, "params")) {
    TrainParam param;
    r.get(p, "name", param.name);
    r.get(p, "shape", param.shape);
    r.get(p, "init", param.init);
    r.get(p, "init_args", param.initArgs);
    r.get(p, "group", param.group);
    r.get(p, "quant", param.quant);
    params.push_back(param);
  }
  exports = ExportPlan();
  {
    const nlohmann::json &e = r.child(j, "export");
    for (const ExportField &f : exportFields())
      f.apply(exports, [&](auto &v) { r.get(e, f.name, v); });
    r.get(e, "hessian_params", exports.hessianParams);
    r.get(e, "qat_params", exports.qatParams);
    for (const nlohmann::json &c : r.array(e, "classes")) {
      QuantPolicy q;
      std::string format, name;
      r.get(c, "format", format);
      r.get(c, "name", name);
      if (r.error.empty() && !parseQuantFormat(format, q.format))
        return "the plan has an unknown export format '" + format + "'";
      r.get(c, "clip_percentile", q.clipPercentile);
      r.get(c, "clip_sigmas", q.clipSigmas);
      r.get(c, "scale_floor", q.scaleFloor);
      r.get(c, "method", q.method);
      r.get(c, "prune_percentile", q.prunePercentile);
      r.get(c, "clip_search", q.clipSearch);
      r.get(c, "damping", q.damping);
      exports.classes.push_back({name, q});
    }
  }
  groups.clear();
  for (const nlohmann::json &g : r.array(j, "groups")) {
    TrainGroup group;
    r.get(g, "name", group.name);
    r.get(g, "kind", group.kind);
    const nlohmann::json &o = r.child(g, "settings");
    if (group.kind == "muon") {
      MuonSettings &m = group.muon;
      r.get(o, "lr", m.lr);
      r.get(o, "momentum", m.momentum);
      r.get(o, "nesterov", m.nesterov);
      r.get(o, "backend_steps", m.backendSteps);
      r.get(o, "momentum_warmup_start", m.momentumWarmupStart);
      r.get(o, "momentum_warmup_steps", m.momentumWarmupSteps);
      r.get(o, "weight_decay", m.weightDecay);
      r.get(o, "row_normalize", m.rowNormalize);
      r.get(o, "polar_express", m.polarExpress);
    } else {
      AdamSettings &a = group.adam;
      r.get(o, "lr", a.lr);
      r.get(o, "beta1", a.beta1);
      r.get(o, "beta2", a.beta2);
      r.get(o, "eps", a.eps);
      r.get(o, "weight_decay", a.weightDecay);
    }
    groups.push_back(group);
  }
  return r.error;
}

} // namespace golf::rt
