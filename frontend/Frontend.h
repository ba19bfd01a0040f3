//===- Frontend.h - from a spec to golf IR -----------------------*- C++
//-*-===//
//
// The front end parses a spec, resolves its settings (spec values, then
// environment variables named after them in upper case, then --set), runs
// the spec's compile-time program (loops, conditions, blocks) and emits one
// golf module: optimizer groups, export classes, parameters and @model.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_FRONTEND_FRONTEND_H
#define GOLF_FRONTEND_FRONTEND_H

#include "frontend/Diagnostics.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <functional>
#include <string>
#include <vector>

namespace golf {

struct CompileOptions {
  /// `--set name=value`, in command-line order (a later one wins).
  std::vector<std::pair<std::string, std::string>> sets;
  /// Reads an environment variable; nullptr skips the environment.
  std::function<const char *(const char *)> getenv;
  /// Element type of parameters and activations: f32 or f64.
  bool f64 = false;
  /// Warn about settings without effect (off when the settings are an
  /// artifact's, replayed: its user did not write them).
  bool warnUnused = true;
  /// Compile the early phase of a `switch_hparam` too (training needs it;
  /// scoring an artifact does not).
  bool phases = true;
};

/// A setting in force: its value as the spec would write it, where the
/// value came from ("spec", "default", "--set", "env NAME") and where it is
/// used ("line N" of its first read, "runtime", or "no effect: why").
struct SettingInfo {
  std::string name, section, value, origin;
  Loc loc;
  std::string use;
};

struct ParamInfo {
  std::string name;
  std::vector<int64_t> shape;
  std::string init, group, quant;
  int64_t count = 0; // Elements.
  int uses = 0;      // Declarations; above 1 the tensor is shared.
};

struct CompileResult {
  mlir::OwningOpRef<mlir::ModuleOp> module;
  /// With `train.switch_hparam` naming an hparam that is true: the module
  /// compiled with it false, which the step runs until `train.switch_at`.
  /// Its parameters are the module's (checked); unset otherwise.
  mlir::OwningOpRef<mlir::ModuleOp> early;
  std::vector<SettingInfo> settings;
  std::vector<ParamInfo> params;
};

/// Compiles the spec held by `diags` (its path and text), and its early
/// phase when it names a `switch_hparam`. On failure the errors are in
/// `diags` and false is returned; the module is then unset.
bool compileSpec(Diagnostics &diags, const CompileOptions &options,
                 mlir::MLIRContext &context, CompileResult &result);

/// Registers the dialects the front end emits.
void registerFrontendDialects(mlir::MLIRContext &context);

} // namespace golf

#endif // GOLF_FRONTEND_FRONTEND_H
