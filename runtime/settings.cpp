#include "runtime/settings.h"

#include "runtime/log.h"

#include <type_traits>

namespace golf::rt {

const std::vector<SettingField> &settingFields() {
  using S = TrainSettings;
  constexpr bool run = true, fixed = false;
  // One row: the member's type says which field of SettingField names it.
  auto row = [](const char *sec, const char *name, auto S::*member,
                bool runtime = false, double low = 0, double high = 1e18) {
    SettingField f{sec, name};
    using T = std::remove_reference_t<decltype(S().*member)>;
    if constexpr (std::is_same_v<T, int64_t>)
      f.integer = member;
    else if constexpr (std::is_same_v<T, double>)
      f.real = member;
    else if constexpr (std::is_same_v<T, bool>)
      f.flag = member;
    else
      f.text = member;
    f.runtime = runtime;
    f.low = low;
    f.high = high;
    return f;
  };
  // The rows of dialect/Settings.def that the runtime consumes.
  static const std::vector<SettingField> table = {
#define GOLF_RUN_SETTING(SECTION, NAME, KIND, DEFAULT, UNIT, CHOICES, HELP,    \
                         FIELD, CHANGE, LOW, HIGH)                             \
  row(#SECTION, #NAME, &S::FIELD, CHANGE, LOW, HIGH),
#include "dialect/Settings.def"
  };
  return table;
}

const std::vector<ExportField> &exportFields() {
  using E = ExportPlan;
  auto row = [](const char *name, auto E::*member) {
    ExportField f{name};
    using T = std::remove_reference_t<decltype(E().*member)>;
    if constexpr (std::is_same_v<T, int64_t>)
      f.integer = member;
    else if constexpr (std::is_same_v<T, double>)
      f.real = member;
    else
      f.text = member;
    return f;
  };
  static const std::vector<ExportField> table = {
#define GOLF_EXPORT_SETTING(SECTION, NAME, KIND, DEFAULT, UNIT, CHOICES, HELP, \
                            FIELD)                                             \
  row(#NAME, &E::FIELD),
#include "dialect/Settings.def"
  };
  return table;
}

bool changeableAtRunTime(const std::string &name) {
  if (name == "eval_stride") // The plan's, checked against eval_seq_len.
    return true;
  for (const SettingField &f : settingFields())
    if (f.runtime && name == f.name)
      return true;
  return false;
}

std::string settingText(const TrainSettings &s, const SettingField &f) {
  if (f.integer)
    return std::to_string(s.*(f.integer));
  if (f.real)
    return format("%.17g", s.*(f.real));
  if (f.flag)
    return s.*(f.flag) ? "true" : "false";
  return s.*(f.text);
}

} // namespace golf::rt
