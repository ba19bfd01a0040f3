// The runtime's side of the settings table: the rows of dialect/Settings.def
// that a training run consumes (GOLF_RUN_SETTING), each with the field of
// TrainSettings that holds it and whether a built trainer may change it at
// run time (and within which range). tests/unit/SettingsTest.cpp checks each
// field's type and default against the row's. The plan's JSON, the drivers'
// reading of a compiled spec and the run-time overrides all go through this
// table.
#pragma once

#include "runtime/train.h"

#include <string>
#include <vector>

namespace golf::rt {

struct SettingField {
  const char *section, *name;
  // Exactly one of these names the field.
  int64_t TrainSettings::*integer = nullptr;
  double TrainSettings::*real = nullptr;
  bool TrainSettings::*flag = nullptr;
  std::string TrainSettings::*text = nullptr;
  /// A built trainer may change it (--set, NAME=value): it changes no
  /// compiled shape or constant. Numbers must lie in [low, high].
  bool runtime = false;
  double low = 0, high = 1e18;

  /// Calls `fn` on the field of `s` (a TrainSettings, const or not).
  template <typename S, typename Fn> void apply(S &s, Fn &&fn) const {
    if (integer)
      fn(s.*integer);
    else if (real)
      fn(s.*real);
    else if (flag)
      fn(s.*flag);
    else
      fn(s.*text);
  }
};

const std::vector<SettingField> &settingFields();

/// An export setting (a GOLF_EXPORT_SETTING row of dialect/Settings.def):
/// the field of ExportPlan that carries it, under the setting's name, from
/// the compiled spec to the plan's JSON and back.
struct ExportField {
  const char *name;
  // Exactly one of these names the field.
  int64_t ExportPlan::*integer = nullptr;
  double ExportPlan::*real = nullptr;
  std::string ExportPlan::*text = nullptr;

  /// Calls `fn` on the field of `e` (an ExportPlan, const or not).
  template <typename E, typename Fn> void apply(E &e, Fn &&fn) const {
    if (integer)
      fn(e.*integer);
    else if (real)
      fn(e.*real);
    else
      fn(e.*text);
  }
};

const std::vector<ExportField> &exportFields();

/// Whether a built trainer may change the setting `name` (bare, without its
/// section) at run time: --set, or NAME=value in the environment.
bool changeableAtRunTime(const std::string &name);

/// The value of `f` in `s`, as the configuration and JSON write it.
std::string settingText(const TrainSettings &s, const SettingField &f);

} // namespace golf::rt
