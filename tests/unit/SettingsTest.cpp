// The runtime's settings table against the schema: the same settings, of
// the same types, with the same defaults; and the plan's JSON refuses a
// plan without one of them.
#include "runtime/settings.h"
#include "dialect/GolfSchema.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <set>

namespace {

using namespace golf;
using namespace golf::rt;

TEST(Settings, TableMatchesTheSchema) {
  const TrainSettings defaults;
  std::set<std::string> covered;
  for (const SettingField &f : settingFields()) {
    SCOPED_TRACE(std::string(f.section) + "." + f.name);
    const std::vector<SettingSpec> *schema = sectionSchema(f.section);
    ASSERT_NE(schema, nullptr);
    const SettingSpec *spec = findSetting(*schema, f.name);
    ASSERT_NE(spec, nullptr) << "not in the schema";
    ASSERT_NE(spec->defaultValue, nullptr);
    covered.insert(std::string(f.section) + "." + f.name);
    const std::string d = spec->defaultValue;
    EXPECT_EQ((int)!!f.integer + !!f.real + !!f.flag + !!f.text, 1);
    if (f.integer) {
      EXPECT_EQ(spec->kind, ValueKind::Int);
      EXPECT_EQ(defaults.*(f.integer), std::strtoll(d.c_str(), nullptr, 10));
    } else if (f.real) {
      EXPECT_EQ(spec->kind, ValueKind::Float);
      EXPECT_EQ(defaults.*(f.real), std::strtod(d.c_str(), nullptr));
    } else if (f.flag) {
      EXPECT_EQ(spec->kind, ValueKind::Bool);
      EXPECT_EQ(defaults.*(f.flag), d == "true");
    } else {
      EXPECT_EQ(spec->kind, ValueKind::String);
      EXPECT_EQ("\"" + defaults.*(f.text) + "\"", d);
    }
  }
  // The export section: every setting, in ExportPlan, with its default.
  const ExportPlan exportDefaults;
  for (const ExportField &f : exportFields()) {
    SCOPED_TRACE(std::string("export.") + f.name);
    const SettingSpec *spec = findSetting(*sectionSchema("export"), f.name);
    ASSERT_NE(spec, nullptr) << "not in the schema";
    const std::string d = spec->defaultValue;
    EXPECT_EQ((int)!!f.integer + !!f.real + !!f.text, 1);
    if (f.integer) {
      EXPECT_EQ(spec->kind, ValueKind::Int);
      EXPECT_EQ(exportDefaults.*(f.integer),
                std::strtoll(d.c_str(), nullptr, 10));
    } else if (f.real) {
      EXPECT_EQ(spec->kind, ValueKind::Float);
      EXPECT_EQ(exportDefaults.*(f.real), std::strtod(d.c_str(), nullptr));
    } else {
      EXPECT_EQ(spec->kind, ValueKind::String);
      EXPECT_EQ("\"" + exportDefaults.*(f.text) + "\"", d);
    }
    covered.insert(std::string("export.") + f.name);
  }
  EXPECT_EQ(exportFields().size(), sectionSchema("export")->size());
  // Every other setting of the two sections is a field of the plan itself.
  const std::set<std::string> planFields = {
      "eval.eval_seq_len", "eval.eval_stride", "eval.val_batch_size"};
  for (const char *section : {"train", "eval"})
    for (const SettingSpec &s : *sectionSchema(section)) {
      std::string key = std::string(section) + "." + s.name;
      EXPECT_TRUE(covered.count(key) || planFields.count(key))
          << key << " is in the schema but not in the runtime's table";
    }
}

TEST(Settings, PlanJsonRoundTripsAndRefusesAMissingSetting) {
  TrainPlan plan;
  plan.params.push_back({"w", {2, 2}, "zeros", {}, "g", ""});
  TrainGroup group;
  group.name = "g";
  group.kind = "adam";
  plan.groups.push_back(group);
  plan.settings.iterations = 77;
  plan.settings.warmdownShape = "sqrt";
  plan.settings.tttLr = 0.125;
  plan.settings.emaEnabled = true;
  TrainPlan back;
  ASSERT_EQ(back.fromJson(plan.toJson()), "");
  EXPECT_EQ(back.settings.iterations, 77);
  EXPECT_EQ(back.settings.warmdownShape, "sqrt");
  EXPECT_EQ(back.settings.tttLr, 0.125);
  EXPECT_TRUE(back.settings.emaEnabled);

  std::string json = plan.toJson();
  const std::string key = "\"swa_every\":";
  size_t at = json.find(key);
  ASSERT_NE(at, std::string::npos);
  std::string broken = json;
  broken.replace(at, key.size(), "\"swa_evry\":");
  std::string err = back.fromJson(broken);
  EXPECT_NE(err.find("has no setting train.swa_every"), std::string::npos)
      << err;
  broken = json;
  broken.replace(at, key.size(), "\"swa_every\":\"x\",\"_\":");
  err = back.fromJson(broken);
  EXPECT_NE(err.find("malformed setting train.swa_every"), std::string::npos)
      << err;
}

// Every other key of the plan is required too, at every level: the plan
// itself, a parameter, the export, an export class, a group's settings.
TEST(Settings, PlanJsonRefusesAnyMissingOrMistypedKey) {
  TrainPlan plan;
  plan.params.push_back({"w", {2, 2}, "zeros", {}, "g", "q"});
  TrainGroup group;
  group.name = "g";
  group.kind = "muon";
  plan.groups.push_back(group);
  plan.exports.classes.push_back({"q", QuantPolicy()});
  plan.microBatch = 3;
  const std::string json = plan.toJson();
  TrainPlan back;
  ASSERT_EQ(back.fromJson(json), "");
  EXPECT_EQ(back.microBatch, 3);
  ASSERT_EQ(back.exports.classes.size(), 1u);
  EXPECT_EQ(back.params[0].shape, (std::vector<int64_t>{2, 2}));
  for (const char *key :
       {"\"micro_batch\":", "\"shape\":", "\"compressor\":",
        "\"clip_percentile\":", "\"backend_steps\":", "\"revision\":"}) {
    size_t at = json.find(key);
    ASSERT_NE(at, std::string::npos) << key;
    std::string name = std::string(key).substr(1, strlen(key) - 3);
    std::string broken = json;
    broken.replace(at, strlen(key), "\"renamed\":");
    std::string err = back.fromJson(broken);
    EXPECT_NE(err.find("has no '" + name + "'"), std::string::npos) << err;
    broken = json;
    broken.replace(at, strlen(key), std::string(key) + "{},\"old\":");
    err = back.fromJson(broken);
    EXPECT_NE(err.find("has a malformed '" + name + "'"), std::string::npos)
        << err;
  }
}

// The nested lists and objects, and an export format this runtime lacks.
TEST(Settings, PlanJsonRefusesMalformedListsAndFormats) {
  TrainPlan plan;
  plan.exports.classes.push_back({"q", QuantPolicy()});
  const std::string json = plan.toJson();
  TrainPlan back;
  ASSERT_EQ(back.fromJson(json), "");
  struct Case {
    const char *from, *to, *error;
  } cases[] = {
      {"\"classes\":[", "\"classes\":{},\"old\":[",
       "has a malformed 'classes' (a list)"},
      {"\"export\":{", "\"export\":[],\"old\":{",
       "has a malformed 'export' (an object)"},
      {"\"export\":{", "\"renamed\":{", "has no 'export' (an object)"},
      {"\"format\":\"fp32\"", "\"format\":\"fp99\"",
       "unknown export format 'fp99'"},
  };
  for (const Case &c : cases) {
    std::string broken = json;
    size_t at = broken.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    broken.replace(at, strlen(c.from), c.to);
    std::string err = back.fromJson(broken);
    EXPECT_NE(err.find(c.error), std::string::npos) << c.from << ": " << err;
  }
}

} // namespace
