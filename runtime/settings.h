// The runtime's side of the settings table: every `train` and `eval` setting
// a training run consumes, once, with the field of TrainSettings that holds
// it and whether a built trainer may change it at run time (and within which
// range). Their names, types, defaults and documentation are the schema's
// (dialect/GolfSchema.cpp); tests/unit/SettingsTest.cpp checks every field
// against it, defaults included. The plan's JSON, the drivers' reading of a
// compiled spec and the run-time overrides all go through this table.
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
};

const std::vector<SettingField> &settingFields();

/// The value of `f` in `s`, as the configuration and JSON write it.
std::string settingText(const TrainSettings &s, const SettingField &f);

} // namespace golf::rt
