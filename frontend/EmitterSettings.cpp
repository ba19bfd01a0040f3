//===- EmitterSettings.cpp - settings and declarations
//----------------------===//

#include "frontend/EmitterImpl.h"

using namespace golf;

namespace golf::emit {

//===----------------------------------------------------------------------===//
// Settings: spec, environment, --set
//===----------------------------------------------------------------------===//

bool Emitter::applyOverride(const std::string &name, ValueKind kind, Val &value,
                            std::string &origin) {
  // The environment first, --set last: the command line wins.
  if (options.getenv) {
    std::string env = llvm::StringRef(name).upper();
    if (const char *text = options.getenv(env.c_str()); text && *text) {
      if (!parseLiteral(text, kind, value))
        return error({}, "environment variable " + env + "='" + text +
                             "' is not " + valueKindName(kind) + " (setting '" +
                             name + "')");
      origin = "env " + env;
    }
  }
  for (const auto &[key, text] : options.sets) {
    if (key != name)
      continue;
    if (!parseLiteral(text, kind, value))
      return error({}, "--set " + key + "=" + text + ": expected " +
                           valueKindName(kind) + " for '" + name + "'");
    origin = "--set";
  }
  return true;
}

bool Emitter::resolveSettings(const Spec &spec) {
  globals["B"] = Val{Val::Dim};
  globals["B"].i = 0;
  globals["T"] = Val{Val::Dim};
  globals["T"].i = 1;

  // Which section each known setting belongs to.
  std::map<std::string, std::pair<std::string, const SettingSpec *>> known;
  for (const std::string &section : sectionNames())
    for (const SettingSpec &s : *sectionSchema(section))
      known[s.name] = {section, &s};

  // The defaults of the settings the spec does not define come first, so
  // that any setting may refer to them; a setting the spec defines is
  // visible from its definition on.
  std::map<std::string, size_t> index; // name -> position in `settings`.
  std::set<std::string> declared, inSpec;
  for (const Definition &d : spec.definitions)
    if (d.kind == Definition::Setting)
      inSpec.insert(d.name);
  for (const std::string &section : sectionNames())
    for (const SettingSpec &s : *sectionSchema(section)) {
      if (inSpec.count(s.name))
        continue;
      Val v;
      std::string text = s.defaultValue;
      parseLiteral(text, s.kind, v);
      std::string origin = "default";
      if (!applyOverride(s.name, s.kind, v, origin))
        return false;
      globals[s.name] = v;
      index[s.name] = settings.size();
      settings.push_back({s.name, section, formatVal(v), origin, {}});
    }

  Frame top;
  for (const Definition &d : spec.definitions) {
    if (!tick(d.loc))
      return false;
    if (d.kind == Definition::Assert) {
      Val v;
      bool ok;
      if (!eval(*d.value, top, v) ||
          !toBool(v, d.value->loc, "an assertion", ok))
        return false;
      if (!ok)
        return error(d.loc, "assertion failed: " + d.message);
      continue;
    }
    if (d.name == "B" || d.name == "T")
      return error(d.loc, "'" + d.name + "' is the " +
                              (d.name == "B" ? "batch" : "sequence") +
                              " dimension and cannot be redefined");
    if (declared.count(d.name)) {
      error(d.loc, "'" + d.name + "' is already defined");
      diags.note(globalLocs[d.name], "first defined here");
      return false;
    }
    declared.insert(d.name);
    globalLocs[d.name] = d.loc;
    Val v;
    defining = d.name;
    const bool evaluated = eval(*d.value, top, v);
    defining.clear();
    if (!evaluated)
      return false;
    if (d.kind == Definition::Let) {
      if (v.kind == Val::Tensor || v.kind == Val::Stack)
        return error(d.value->loc,
                     Twine("a constant cannot hold ") + kindName(v));
      globals[d.name] = v;
      continue;
    }
    // A setting.
    auto it = known.find(d.name);
    const SettingSpec *schema = nullptr;
    if (d.section == "hparams") {
      if (it != known.end())
        return error(d.loc, "'" + d.name + "' is a setting of section '" +
                                it->second.first + "'; define it there");
    } else {
      if (it == known.end() || it->second.first != d.section) {
        std::vector<std::string> names;
        for (const SettingSpec &s : *sectionSchema(d.section))
          names.push_back(s.name);
        std::string hint = closestMatch(d.name, names);
        if (it != known.end())
          return error(d.loc, "'" + d.name + "' is a setting of section '" +
                                  it->second.first + "', not '" + d.section +
                                  "'");
        return error(
            d.loc, "unknown " + d.section + " setting '" + d.name + "'" +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
      }
      schema = it->second.second;
    }
    std::optional<ValueKind> kind = valueKindOf(v);
    if (!kind)
      return error(d.value->loc, Twine("a setting must be a number, a boolean "
                                       "or a string, not ") +
                                     kindName(v));
    if (schema) {
      if (schema->kind == ValueKind::Float && v.kind == Val::Int)
        v = Val::ofFloat((double)v.i);
      else if (schema->kind != *kind)
        return error(d.value->loc, "'" + d.name + "' must be " +
                                       valueKindName(schema->kind) + ", got " +
                                       kindName(v));
      kind = schema->kind;
    }
    std::string origin = "spec";
    if (!applyOverride(d.name, *kind, v, origin))
      return false;
    if (schema && !schema->choices.empty() &&
        std::find(schema->choices.begin(), schema->choices.end(), v.s) ==
            schema->choices.end())
      return error(d.value->loc, "'" + d.name + "' must be one of " +
                                     llvm::join(schema->choices, ", ") +
                                     ", got \"" + v.s + "\"");
    globals[d.name] = v;
    SettingInfo info{d.name, d.section, formatVal(v), origin, d.loc};
    if (auto at = index.find(d.name); at != index.end())
      settings[at->second] = info;
    else {
      index[d.name] = settings.size();
      settings.push_back(info);
    }
  }

  // Every --set must name a setting.
  std::vector<std::string> names;
  for (const SettingInfo &s : settings)
    names.push_back(s.name);
  for (const auto &[key, text] : options.sets) {
    if (index.count(key))
      continue;
    if (declared.count(key))
      return error({}, "--set " + key + "=" + text + ": '" + key +
                           "' is derived with 'let' and cannot be set; set "
                           "the settings it is computed from");
    std::string hint = closestMatch(key, names);
    return error(
        {}, "--set " + key + "=" + text + ": unknown setting '" + key + "'" +
                (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
  }
  // Schema settings whose value was checked above only if the spec set them.
  for (const std::string &section : sectionNames())
    for (const SettingSpec &s : *sectionSchema(section))
      if (!s.choices.empty()) {
        const Val &v = globals[s.name];
        if (std::find(s.choices.begin(), s.choices.end(), v.s) ==
            s.choices.end())
          return error({}, "'" + Twine(s.name) + "' must be one of " +
                               llvm::join(s.choices, ", ") + ", got \"" + v.s +
                               "\"");
      }
  return true;
}

/// Builds the resolved settings of an optimizer or export class: every key
/// of the schema, given or defaulted, checked and converted.
bool Emitter::settingsDict(const std::vector<Setting> &given,
                           const std::vector<SettingSpec> &schema,
                           const char *what, Loc loc, mlir::DictionaryAttr &out,
                           const std::string &skip) {
  std::vector<std::string> names;
  for (const SettingSpec &s : schema)
    names.push_back(s.name);
  std::map<std::string, Val> values;
  Frame top;
  for (const Setting &s : given) {
    if (s.name == skip)
      continue;
    const SettingSpec *spec = findSetting(schema, s.name);
    if (!spec) {
      std::string hint = closestMatch(s.name, names);
      return error(s.loc,
                   Twine("unknown ") + what + " setting '" + s.name + "'" +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
    if (values.count(s.name))
      return error(s.loc, "'" + s.name + "' is given twice");
    Val v;
    if (!eval(*s.value, top, v))
      return false;
    if (spec->kind == ValueKind::Float && v.kind == Val::Int)
      v = Val::ofFloat((double)v.i);
    if (valueKindOf(v) != spec->kind)
      return error(s.value->loc, "'" + s.name + "' must be " +
                                     valueKindName(spec->kind) + ", got " +
                                     kindName(v));
    values[s.name] = v;
  }
  llvm::SmallVector<mlir::NamedAttribute> attrs;
  for (const SettingSpec &spec : schema) {
    Val v;
    if (auto it = values.find(spec.name); it != values.end())
      v = it->second;
    else if (spec.defaultValue)
      parseLiteral(spec.defaultValue, spec.kind, v);
    else
      return error(loc,
                   Twine(what) + " setting '" + spec.name + "' is required");
    mlir::Attribute a;
    switch (spec.kind) {
    case ValueKind::Int:
      a = builder.getI64IntegerAttr(v.i);
      break;
    case ValueKind::Float:
      a = builder.getF64FloatAttr(v.f);
      break;
    case ValueKind::Bool:
      a = builder.getBoolAttr(v.b);
      break;
    case ValueKind::String:
      a = builder.getStringAttr(v.s);
      break;
    }
    attrs.push_back(builder.getNamedAttr(spec.name, a));
  }
  out = builder.getDictionaryAttr(attrs);
  return true;
}

bool Emitter::emitDeclarations(const Spec &spec) {
  builder.setInsertionPointToEnd(module.getBody());
  for (const OptimizerDef &def : spec.optimizers) {
    if (optimizerLocs.count(def.name)) {
      error(def.loc, "optimizer group '" + def.name + "' is already defined");
      diags.note(optimizerLocs[def.name], "first defined here");
      return false;
    }
    optimizerLocs[def.name] = def.loc;
    const std::vector<SettingSpec> *schema = optimizerSchema(def.kind);
    if (!schema) {
      std::string hint = closestMatch(def.kind, optimizerKinds());
      return error(def.kindLoc,
                   "unknown optimizer kind '" + def.kind +
                       "' (expected muon or adam)" +
                       (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    }
    mlir::DictionaryAttr dict;
    if (!settingsDict(def.settings, *schema, def.kind.c_str(), def.loc, dict))
      return false;
    // Polar Express has one coefficient tuple per iteration, five known.
    if (auto polar = dict.getAs<mlir::BoolAttr>("polar_express");
        polar && polar.getValue())
      if (auto steps = dict.getAs<mlir::IntegerAttr>("backend_steps");
          steps && steps.getInt() > 5)
        for (const Setting &s : def.settings)
          if (s.name == "polar_express")
            return error(s.loc, "polar_express has coefficients for 5 "
                                "Newton-Schulz iterations, not " +
                                    std::to_string(steps.getInt()) +
                                    " (backend_steps)");
    builder.create<OptimizerOp>(mlirLoc(def.loc), def.name, def.kind, dict);
  }
  for (const QuantDef &def : spec.quants) {
    if (quantLocs.count(def.name)) {
      error(def.loc, "export class '" + def.name + "' is already defined");
      diags.note(quantLocs[def.name], "first defined here");
      return false;
    }
    quantLocs[def.name] = def.loc;
    const Setting *format = nullptr;
    for (const Setting &s : def.settings)
      if (s.name == "format")
        format = &s;
    if (!format)
      return error(
          def.loc,
          "export class '" + def.name +
              "' needs a format (fp32, fp16, int8, int7, int6 or int5)");
    Val v;
    Frame top;
    if (!eval(*format->value, top, v))
      return false;
    const std::vector<SettingSpec> *schema =
        v.kind == Val::Str ? quantSchema(v.s) : nullptr;
    if (!schema) {
      std::string hint =
          v.kind == Val::Str ? closestMatch(v.s, quantFormats()) : "";
      return error(
          format->value->loc,
          "format must be one of \"fp32\", \"fp16\", \"int8\", \"int7\", "
          "\"int6\", \"int5\", got " +
              formatVal(v) +
              (hint.empty() ? "" : "; did you mean \"" + hint + "\"?"));
    }
    mlir::DictionaryAttr dict;
    if (!settingsDict(def.settings, *schema, v.s.c_str(), def.loc, dict,
                      "format"))
      return false;
    if (auto clip = dict.getAs<mlir::FloatAttr>("clip_percentile")) {
      double p = clip.getValueAsDouble();
      if (!(p > 0.0 && p <= 100.0)) {
        for (const Setting &s : def.settings)
          if (s.name == "clip_percentile")
            return error(s.value->loc,
                         "clip_percentile must be in (0, 100], got " +
                             formatNumber(p));
      }
    }
    // Two clip rules would leave one silently unused.
    const Setting *percentile = nullptr, *sigmas = nullptr;
    for (const Setting &s : def.settings) {
      if (s.name == "clip_percentile")
        percentile = &s;
      if (s.name == "clip_sigmas")
        sigmas = &s;
    }
    if (percentile && sigmas)
      return error(sigmas->loc, "export class '" + def.name +
                                    "' sets clip_sigmas and clip_percentile, "
                                    "two clip rules: keep one");
    // The GPTQ-only settings, and clip_search's own percentiles.
    auto method = dict.getAs<mlir::StringAttr>("method");
    for (const Setting &s : def.settings) {
      if (s.name == "clip_search" && (percentile || sigmas))
        return error(s.loc, "export class '" + def.name +
                                "' sets clip_search and " +
                                (sigmas ? "clip_sigmas" : "clip_percentile") +
                                ", two clip rules: keep one");
      if ((s.name == "clip_search" || s.name == "damping") &&
          (!method || method.getValue() != "gptq") && options.warnUnused)
        diags.warning(s.loc, "export class '" + def.name + "': " + s.name +
                                 " has no effect: its method is not \"gptq\"");
    }
    builder.create<QuantOp>(mlirLoc(def.loc), def.name, v.s, dict);
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

void Emitter::checkUses(const Spec &spec) {
  auto warn = [&](Loc loc, const std::string &message) {
    if (options.warnUnused)
      diags.warning(loc, message);
  };
  auto valueOf = [&](const std::string &name) -> const Val * {
    auto it = globals.find(name);
    return it == globals.end() ? nullptr : &it->second;
  };
  auto flag = [&](const char *name) {
    const Val *v = valueOf(name);
    return v && v->kind == Val::Bool && v->b;
  };
  auto text = [&](const char *name) {
    const Val *v = valueOf(name);
    return v && v->kind == Val::Str ? v->s : std::string();
  };
  bool gptq = false, integer = false;
  module.walk([&](QuantOp q) {
    llvm::StringRef f = q.getFormat();
    integer |= f == "int8" || f == "int7" || f == "int6" || f == "int5";
    if (auto m = q.getSettings().getAs<mlir::StringAttr>("method"))
      gptq |= m.getValue() == "gptq";
  });
  // Why a fixed-section setting has no effect under the others; "" when it
  // has one.
  auto ineffective = [&](const SettingInfo &s) -> std::string {
    const std::string &n = s.name;
    if ((n == "swa_every" || n == "swa_start_frac") && !flag("swa_enabled"))
      return "swa_enabled is false";
    if (n == "swa_enabled" && s.value == "true" && flag("ema_enabled"))
      return "with ema_enabled the EMA is exported and the SWA average is "
             "never used (as in GL/PM/AR, reference §9.3)";
    if (n == "ema_decay" && !flag("ema_enabled"))
      return "ema_enabled is false";
    if ((n == "gptq_batches" || n == "gptq_calibration" ||
         n == "gptq_temperature") &&
        !gptq)
      return "no export class uses method \"gptq\"";
    if (n == "gptq_temperature" && text("gptq_calibration") != "self")
      return "gptq_calibration is not \"self\"";
    if ((n == "fit_margin_bytes" || n == "fit_rule") &&
        text("fit_class").empty())
      return "fit_class is empty";
    if (n.rfind("ttt_", 0) == 0 && n != "ttt_enabled" && !flag("ttt_enabled"))
      return "ttt_enabled is false";
    if (n.rfind("slot_", 0) == 0 && n != "slot_enabled" &&
        !flag("slot_enabled"))
      return "slot_enabled is false";
    if (n == "late_qat_threshold" && !integer)
      return "no export class is an integer format";
    if (n == "warmdown_iters") {
      const Val *f = valueOf("warmdown_frac");
      if (f && f->kind == Val::Float && f->f > 0)
        return "warmdown_frac sets the warm-down";
    }
    if (n == "warmdown_shape" && s.value != "\"linear\"") {
      const Val *w = valueOf("warmdown_iters"), *f = valueOf("warmdown_frac");
      if (w && w->kind == Val::Int && w->i <= 0 &&
          !(f && f->kind == Val::Float && f->f > 0))
        return "warmdown_iters and warmdown_frac are 0: there is no "
               "warm-down to shape";
    }
    // Late QAT and SWA start when the lr scale falls below their
    // threshold, which a floor at or above it never lets happen.
    if (n == "late_qat_threshold" || n == "swa_start_frac") {
      const Val *v = valueOf(n), *m = valueOf("min_lr");
      if (v && m && v->kind == Val::Float && m->kind == Val::Float &&
          v->f > 0 && m->f > 0 && m->f >= v->f)
        return "min_lr " + formatVal(*m) +
               " keeps the lr scale from falling below it";
    }
    if (n == "lqer_rank" || n == "lqer_group") {
      const Val *k = valueOf("lqer_top_k");
      if (k && k->kind == Val::Int && k->i <= 0)
        return "lqer_top_k is 0";
    }
    if (n == "switch_at" && text("switch_hparam").empty())
      return "switch_hparam is empty";
    if (n == "switch_at" || n == "switch_hparam") {
      const Val *v = valueOf(text("switch_hparam"));
      if (v && v->kind == Val::Bool && !v->b)
        return text("switch_hparam") + " is false, so the step never switches";
    }
    return "";
  };
  // Used: read by the program (the model, blocks, optimizers, classes,
  // asserts), consumed by the runtime (the fixed sections), or read by the
  // definition of something used.
  std::map<std::string, std::string> via;
  std::vector<std::string> work;
  for (const auto &[name, loc] : firstRead)
    work.push_back(name);
  for (const SettingInfo &s : settings)
    if (s.section != "hparams")
      work.push_back(s.name);
  std::set<std::string> used(work.begin(), work.end());
  while (!work.empty()) {
    std::string name = work.back();
    work.pop_back();
    for (const std::string &dep : readsOf[name])
      if (used.insert(dep).second) {
        via[dep] = name;
        work.push_back(dep);
      }
  }
  for (SettingInfo &s : settings) {
    if (s.section == "hparams") {
      auto read = firstRead.find(s.name);
      if (read != firstRead.end()) {
        s.use = "line " + std::to_string(read->second.line);
        continue;
      }
      if (used.count(s.name)) {
        s.use = "via " + via[s.name];
        continue;
      }
      s.use = "no effect: nothing reads it under these settings";
      warn(s.loc, "hparams." + s.name + " (" + s.origin +
                      ") has no effect: nothing in the spec reads "
                      "it under these settings");
      continue;
    }
    std::string why = ineffective(s);
    if (why.empty()) {
      s.use = "runtime";
      continue;
    }
    s.use = "no effect: " + why;
    if (s.origin != "default")
      warn(s.loc, s.section + "." + s.name + " (" + s.origin +
                      ") has no effect: " + why);
  }
  for (const Definition &d : spec.definitions)
    if (d.kind == Definition::Let && !used.count(d.name))
      warn(d.loc, "let " + d.name + " is never used");
  std::set<std::string> groups;
  for (const auto &[name, p] : params)
    groups.insert(p.info.group);
  for (const OptimizerDef &o : spec.optimizers)
    if (!groups.count(o.name))
      warn(o.loc, "optimizer group '" + o.name +
                      "' has no parameters under these settings: "
                      "its settings have no effect");
}

} // namespace golf::emit
