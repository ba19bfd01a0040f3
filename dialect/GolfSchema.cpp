//===- GolfSchema.cpp - the settings golfc knows --------------------------===//
//
// The sections' settings are dialect/Settings.def's rows; the optimizer
// kinds' and export formats' keys are below. Defaults follow the
// challenge's train_gpt.py (reference §3-§6).
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

/// "a|b|c" as {"a", "b", "c"}; "" as none.
static std::vector<std::string> splitChoices(const char *text) {
  std::vector<std::string> out;
  std::string word;
  for (const char *c = text; *c; ++c) {
    if (*c == '|') {
      out.push_back(word);
      word.clear();
    } else {
      word += *c;
    }
  }
  if (!word.empty())
    out.push_back(word);
  return out;
}

/// The rows of dialect/Settings.def in `section`, in their order.
static std::vector<SettingSpec> sectionRows(const char *section) {
  std::vector<SettingSpec> out;
#define GOLF_SETTING(SECTION, NAME, KIND, DEFAULT, UNIT, CHOICES, HELP)        \
  if (std::strcmp(#SECTION, section) == 0)                                     \
    out.push_back({#NAME, K::KIND, DEFAULT, HELP, splitChoices(CHOICES), UNIT});
#include "dialect/Settings.def"
  return out;
}

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
  static const std::vector<SettingSpec> train = sectionRows("train"),
                                        eval = sectionRows("eval"),
                                        exports = sectionRows("export");
  if (section == "train")
    return &train;
  if (section == "eval")
    return &eval;
  if (section == "export")
    return &exports;
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
