#include "tools/Driver.h"

#include "dialect/GolfSchema.h"
#include "runtime/settings.h"

using namespace golf;

namespace golf::driver {

std::string withCommas(int64_t n) {
  std::string digits = std::to_string(n), out;
  int k = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it, ++k) {
    if (k && k % 3 == 0 && *it != '-')
      out.insert(out.begin(), ',');
    out.insert(out.begin(), *it);
  }
  return out;
}

/// The settings in force, one a line: section.name, value, origin.
void printSettings(const CompileResult &r, llvm::raw_ostream &os) {
  size_t width = 0;
  for (const SettingInfo &s : r.settings)
    width = std::max(width, s.section.size() + 1 + s.name.size());
  for (const SettingInfo &s : r.settings) {
    std::string key = s.section + "." + s.name;
    os << "  " << key << std::string(width + 2 - key.size(), ' ') << s.value
       << std::string(s.value.size() < 14 ? 14 - s.value.size() : 1, ' ')
       << s.origin
       << std::string(s.origin.size() < 14 ? 14 - s.origin.size() : 1, ' ')
       << s.use << "\n";
  }
}

/// What an entropy coder leaves of an ideal code, per compressor: measured
/// on golfc's artifacts (docs/export.md).
double coderOverhead(const std::string &compressor) {
  return compressor == "lzma" ? 1.0 : compressor == "zstd" ? 1.0 : 1.01;
}

ArtifactEstimate estimateArtifact(const CompileResult &r,
                                  const rt::ExportPlan &policy,
                                  int64_t specBytes) {
  ArtifactEstimate e;
  double codeBytes = 0;
  // LQER's corrections, at most: on the lqer_top_k largest integer
  // matrices, Â's 2-bit and B̂'s 4-bit codes and B̂'s scales.
  std::vector<double> lqer;
  for (const ParamInfo &p : r.params) {
    const rt::QuantPolicy *q = nullptr;
    for (const auto &[name, c] : policy.classes)
      if (name == p.quant)
        q = &c;
    if (!q)
      continue;
    e.other += 2 + (int64_t)p.name.size() + 3 + 8 * (int64_t)p.shape.size();
    if (q->format == rt::QuantFormat::F32) {
      e.passthrough += 4 * p.count;
      continue;
    }
    if (q->format == rt::QuantFormat::F16) {
      e.passthrough += 2 * p.count;
      continue;
    }
    const int64_t rows = p.shape.size() >= 2 ? p.shape[0] : 1;
    const int64_t cols = rows ? p.count / rows : 0;
    // The trained spread is unknown: a scale floor is assumed not to bind,
    // which can only overestimate the bits.
    codeBytes += double(p.count) * rt::gaussianCodeBits(*q, cols, 0.0) / 8;
    e.scales += 2 * rows;
    if (p.shape.size() == 2)
      lqer.push_back(double(policy.lqerRank) * (2 * rows + 4 * cols) / 8 +
                     2.0 * std::ceil(double(policy.lqerRank * cols) /
                                     double(policy.lqerGroup)) +
                     5);
  }
  std::sort(lqer.rbegin(), lqer.rend());
  for (size_t i = 0; i < lqer.size() && (int64_t)i < policy.lqerTopK; ++i)
    codeBytes += lqer[i];
  e.codes = (int64_t)std::ceil(codeBytes * coderOverhead(policy.compressor));
  e.other += 40 + 12 + specBytes; // header, counts, the spec inside
  e.spec = specBytes;
  return e;
}

void printReport(const std::string &path, const CompileResult &r,
                 llvm::raw_ostream &os) {
  os << "spec: " << path
     << "\n\nsettings (value, origin, use: the line that first reads it, the "
        "runtime, or why it has no effect):\n";
  printSettings(r, os);

  os << "\nparameters:\n";
  size_t nameWidth = 4, shapeWidth = 5;
  for (const ParamInfo &p : r.params) {
    nameWidth = std::max(nameWidth, p.name.size());
    shapeWidth = std::max(shapeWidth, shapeText(p.shape).size());
  }
  auto row = [&](const std::string &name, const std::string &shape,
                 const std::string &count, const std::string &group,
                 const std::string &quant, const std::string &extra) {
    os << "  " << name << std::string(nameWidth + 2 - name.size(), ' ') << shape
       << std::string(shapeWidth + 2 - shape.size(), ' ')
       << std::string(count.size() < 11 ? 11 - count.size() : 0, ' ') << count
       << "  " << group
       << std::string(group.size() < 8 ? 8 - group.size() : 1, ' ') << quant
       << extra << "\n";
  };
  row("name", "shape", "count", "group", "quant", "");
  int64_t total = 0;
  std::map<std::string, std::pair<int64_t, int>> groups, quants;
  for (const ParamInfo &p : r.params) {
    row(p.name, shapeText(p.shape), withCommas(p.count), p.group, p.quant,
        p.uses > 1 ? "  (shared by " + std::to_string(p.uses) + " declarations)"
                   : "");
    total += p.count;
    groups[p.group].first += p.count;
    ++groups[p.group].second;
    quants[p.quant].first += p.count;
    ++quants[p.quant].second;
  }
  os << "\nby optimizer group:\n";
  for (const auto &[name, v] : groups)
    os << "  " << name << ": " << withCommas(v.first) << " in " << v.second
       << " tensors\n";
  os << "by export class:\n";
  for (const auto &[name, v] : quants)
    os << "  " << name << ": " << withCommas(v.first) << " in " << v.second
       << " tensors\n";
  os << "\ntotal: " << withCommas(total) << " parameters in " << r.params.size()
     << " tensors\n";
  if (r.early) {
    auto train = (*r.module)->getAttrOfType<mlir::DictionaryAttr>("golf.train");
    std::string name =
        train.getAs<mlir::StringAttr>("switch_hparam").getValue().str();
    os << "\nphases: " << name << " is false until "
       << llvm::format("%g", settingNumber(train, "switch_at", 0.5) * 100.0)
       << "% of the run, then true; both phases train these parameters, and "
          "evaluation runs it true (the early phase: golfc ir --set "
       << name << "=false)\n";
  }
}

/// The report's artifact section; false when the artifact cannot fit: the
/// estimate is over the budget, is not merely an upper bound, and no
/// fit_class is named to make it fit.
bool printEstimate(const CompileResult &r, int64_t specBytes,
                   llvm::raw_ostream &os) {
  rt::ExportPlan policy = exportPolicy(*r.module);
  ArtifactEstimate e = estimateArtifact(r, policy, specBytes);
  bool floored = false;
  for (const auto &[name, q] : policy.classes)
    floored |= q.scaleFloor > 0 && rt::quantRange(q.format) > 0;
  os << "\nartifact estimate (" << policy.compressor << " level "
     << policy.level << "):\n"
     << "  codes        " << withCommas(e.codes) << " bytes\n"
     << "  scales       " << withCommas(e.scales) << " bytes\n"
     << "  pass-through " << withCommas(e.passthrough) << " bytes\n"
     << "  other        " << withCommas(e.other) << " bytes (header, names, "
     << "the spec inside)\n"
     << "  + the spec   " << withCommas(e.spec) << " bytes\n"
     << "  counted      " << withCommas(e.total()) << " of "
     << withCommas(policy.budgetBytes) << " bytes: ";
  const bool fits = e.total() <= policy.budgetBytes;
  if (fits)
    os << "fits, " << withCommas(policy.budgetBytes - e.total())
       << " bytes to spare\n";
  else
    os << "over by " << withCommas(e.total() - policy.budgetBytes) << "\n";
  if (floored)
    os << "  (an upper bound: a scale floor binds on rows whose clip is below "
          "range x floor, which only training decides; assumed not to)\n";
  if (!fits && !policy.fitClass.empty())
    os << "note: over the budget, the export makes class '" << policy.fitClass
       << "' smaller (fit_rule \"" << policy.fitRule
       << "\") as little as makes the artifact fit (export.fit_class)\n";
  else if (!fits && floored)
    os << "warning: the artifact may not fit the budget: the estimate is only "
          "an upper bound; export.fit_class makes the export fit by "
          "construction\n";
  return fits || floored || !policy.fitClass.empty();
}

/// `text` for a cell of a markdown table: `|` escaped.
static std::string escapeBars(const std::string &text) {
  std::string out;
  for (char c : text)
    out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

/// `golfc settings [--markdown]`: every setting of the train, eval and
/// export sections, from dialect/Settings.def (the table of docs/dsl.md is
/// this command's --markdown output).
int runSettings(int argc, char **argv) {
  bool markdown = false;
  for (int i = 2; i < argc; ++i) {
    if (std::string(argv[i]) != "--markdown")
      return usage(llvm::Twine("settings: unknown option '") + argv[i] + "'");
    markdown = true;
  }
  if (markdown)
    llvm::outs() << "| setting | kind | default | unit | at run time | "
                    "meaning |\n|---|---|---|---|---|---|\n";
  for (const std::string &section : sectionNames())
    for (const SettingSpec &s : *sectionSchema(section)) {
      std::string key = section + "." + s.name;
      const char *when = rt::changeableAtRunTime(s.name) ? "yes" : "no";
      if (markdown) {
        llvm::outs() << "| `" << key << "` | " << valueKindName(s.kind) << " | "
                     << s.defaultValue << " | " << s.unit << " | " << when
                     << " | " << escapeBars(s.help) << " |\n";
        continue;
      }
      llvm::outs() << llvm::left_justify(key, 32) << " "
                   << llvm::left_justify(valueKindName(s.kind), 8) << " "
                   << llvm::left_justify(s.defaultValue, 10) << " "
                   << llvm::left_justify(s.unit, 12) << " "
                   << (*when == 'y' ? "run time" : "fixed   ") << " " << s.help
                   << "\n";
    }
  return 0;
}

} // namespace golf::driver
