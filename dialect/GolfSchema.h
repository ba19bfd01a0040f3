//===- GolfSchema.h - the settings golfc knows -------------------*- C++
//-*-===//
//
// The single list of every setting with a fixed meaning: the `train`, `eval`
// and `export` sections of a spec (dialect/Settings.def's rows), the keys of
// each optimizer kind and of each export format. The front end checks specs
// against it (with "did you mean" suggestions), the dialect verifiers check IR
// against it, and `golfc report` prints it. Plain C++: the runtime may include
// it.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_DIALECT_GOLFSCHEMA_H
#define GOLF_DIALECT_GOLFSCHEMA_H

#include <string>
#include <vector>

namespace golf {

enum class ValueKind { Int, Float, Bool, String };
const char *valueKindName(ValueKind kind);

struct SettingSpec {
  const char *name;
  ValueKind kind;
  const char *defaultValue; // In spec syntax; nullptr when required.
  const char *help;
  std::vector<std::string> choices; // Allowed strings, empty when free.
  const char *unit = "";            // "tokens", "steps", "s"; "" when none.
};

/// The settings of section `train`, `eval` or `export`; nullptr otherwise.
const std::vector<SettingSpec> *sectionSchema(const std::string &section);
/// The keys of an optimizer kind (`muon`, `adam`); nullptr when unknown.
const std::vector<SettingSpec> *optimizerSchema(const std::string &kind);
/// The keys of an export format (`fp32`, `fp16`, `int8`, `int7`, `int6`,
/// `int5`).
const std::vector<SettingSpec> *quantSchema(const std::string &format);
const std::vector<std::string> &optimizerKinds();
const std::vector<std::string> &quantFormats();
const std::vector<std::string> &sectionNames();
const SettingSpec *findSetting(const std::vector<SettingSpec> &schema,
                               const std::string &name);

/// The shortest decimal that reads back as `v`, written as Python writes
/// floats: "600.0", "0.005", "1e-08".
std::string formatNumber(double v);

/// The candidate closest to `word` by edit distance, or "" when none is close
/// enough to be a plausible misspelling.
std::string closestMatch(const std::string &word,
                         const std::vector<std::string> &candidates);

} // namespace golf

#endif // GOLF_DIALECT_GOLFSCHEMA_H
