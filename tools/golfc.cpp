//===- golfc.cpp - the golfc driver ---------------------------------------===//
//
//   golfc ir SPEC [--emit=STAGE] [--set name=value]... [-o FILE]
//   golfc report SPEC [--set name=value]...
//
// Exit status: 0 on success, 1 when the spec (or a setting) is wrong, 2 when
// the command line is.
//
//===----------------------------------------------------------------------===//

#include "frontend/Frontend.h"
#include "passes/Passes.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <map>

using namespace golf;

namespace {

const char *kUsage = R"(usage: golfc COMMAND SPEC [options]

commands:
  ir SPEC       print the golf IR of a stage
  report SPEC   print the settings in force and every parameter with its count

options:
  --set name=value   override a setting (repeatable; wins over the
                     environment variable NAME, which wins over the spec)
  --no-env           ignore environment variables
  --emit=STAGE       ir: parsed (default) or specialized (B and T fixed)
  --batch N          ir --emit=specialized: sequences per batch (default 1)
  --seq N            ir --emit=specialized: tokens per sequence
                     (default: train_seq_len)
  --dtype f32|f64    element type of parameters and activations (default f32)
  --loc              ir: print each op's position in the spec
  -o FILE            write the output to FILE instead of standard output
)";

int usage(const llvm::Twine &message) {
  llvm::errs() << "golfc: error: " << message << "\n" << kUsage;
  return 2;
}

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

std::string shapeText(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void printReport(const std::string &path, const CompileResult &r,
                 llvm::raw_ostream &os) {
  os << "spec: " << path << "\n\nsettings (value, origin):\n";
  size_t width = 0;
  for (const SettingInfo &s : r.settings)
    width = std::max(width, s.section.size() + 1 + s.name.size());
  for (const SettingInfo &s : r.settings) {
    std::string key = s.section + "." + s.name;
    os << "  " << key << std::string(width + 2 - key.size(), ' ') << s.value
       << std::string(s.value.size() < 14 ? 14 - s.value.size() : 1, ' ')
       << s.origin << "\n";
  }

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
}

/// Writes `text` to `path` through a temporary file and a rename, so a
/// reader never sees half a file.
bool writeAtomically(const std::string &path, const std::string &text) {
  std::string tmp = path + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec) {
      llvm::errs() << "golfc: error: cannot write '" << tmp
                   << "': " << ec.message() << "\n";
      return false;
    }
    os << text;
    os.close();
    if (os.has_error()) {
      llvm::errs() << "golfc: error: cannot write '" << tmp << "'\n";
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      return false;
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::errs() << "golfc: error: cannot write '" << path
                 << "': " << ec.message() << "\n";
    llvm::sys::fs::remove(tmp);
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    return usage("no command");
  std::string command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    llvm::outs() << kUsage;
    return 0;
  }
  if (command != "ir" && command != "report")
    return usage("unknown command '" + command + "'");

  std::string specPath, emit = "parsed", outPath;
  CompileOptions options;
  options.getenv = [](const char *name) { return std::getenv(name); };
  int64_t batch = 1, seq = 0;
  bool printLocations = false;
  for (int i = 2; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    auto value = [&](llvm::StringRef flag, std::string &out) {
      if (arg.consume_front(flag)) {
        if (arg.consume_front("=")) {
          out = arg.str();
          return true;
        }
        if (arg.empty() && i + 1 < argc) {
          out = argv[++i];
          return true;
        }
        out.clear();
        return true;
      }
      return false;
    };
    std::string v;
    if (value("--set", v)) {
      size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0)
        return usage("--set takes name=value, got '" + v + "'");
      options.sets.push_back({v.substr(0, eq), v.substr(eq + 1)});
    } else if (arg == "--loc") {
      printLocations = true;
    } else if (arg == "--no-env") {
      options.getenv = nullptr;
    } else if (value("--emit", v)) {
      emit = v;
      if (emit != "parsed" && emit != "specialized")
        return usage("unknown stage '" + emit +
                     "' (stages: parsed, specialized)");
    } else if (value("--batch", v) || value("--seq", v)) {
      bool isBatch = llvm::StringRef(argv[i]).starts_with("--batch") ||
                     (i > 0 && llvm::StringRef(argv[i - 1]) == "--batch");
      long long n;
      if (llvm::StringRef(v).getAsInteger(10, n) || n <= 0)
        return usage("--batch and --seq take a positive integer, got '" + v +
                     "'");
      (isBatch ? batch : seq) = n;
    } else if (value("--dtype", v)) {
      if (v != "f32" && v != "f64")
        return usage("--dtype is f32 or f64, got '" + v + "'");
      options.f64 = v == "f64";
    } else if (value("-o", v)) {
      if (v.empty())
        return usage("-o needs a file name");
      outPath = v;
    } else if (arg.starts_with("-") && arg != "-") {
      return usage("unknown option '" + arg.str() + "'");
    } else if (specPath.empty()) {
      specPath = arg.str();
    } else {
      return usage("more than one spec given ('" + specPath + "', '" +
                   arg.str() + "')");
    }
  }
  if (specPath.empty())
    return usage("no spec given");

  auto buffer = specPath == "-" ? llvm::MemoryBuffer::getSTDIN()
                                : llvm::MemoryBuffer::getFile(specPath);
  if (!buffer) {
    llvm::errs() << specPath << ": error: cannot read the spec: "
                 << buffer.getError().message() << "\n";
    return 1;
  }
  Diagnostics diags(specPath == "-" ? "<stdin>" : specPath,
                    (*buffer)->getBuffer().str(), llvm::errs());
  mlir::MLIRContext context;
  context.printOpOnDiagnostic(false);
  CompileResult result;
  if (!compileSpec(diags, options, context, result))
    return 1;

  std::string text;
  llvm::raw_string_ostream os(text);
  if (command == "report") {
    printReport(specPath, result, os);
  } else {
    if (emit == "specialized") {
      if (seq == 0)
        if (auto train =
                result.module->getOperation()
                    ->getAttrOfType<mlir::DictionaryAttr>("golf.train"))
          if (auto s = train.getAs<mlir::IntegerAttr>("train_seq_len"))
            seq = s.getInt();
      mlir::PassManager pm(&context);
      pm.addPass(createGolfSpecializeShapes({batch, seq}));
      // Errors of the pass point into the spec (the ops carry its
      // positions); print them in the spec's format.
      mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &d) {
        Loc loc;
        if (auto fl = mlir::dyn_cast<mlir::FileLineColLoc>(d.getLocation()))
          loc = {fl.getLine(), fl.getColumn()};
        diags.error(loc, d.str());
        return mlir::success();
      });
      if (mlir::failed(pm.run(*result.module)))
        return 1;
    }
    mlir::OpPrintingFlags flags;
    if (printLocations)
      flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/true);
    result.module->print(os, flags);
    os << "\n";
  }
  os.flush();
  if (outPath.empty()) {
    llvm::outs() << text;
    llvm::outs().flush();
    return 0;
  }
  return writeAtomically(outPath, text) ? 0 : 1;
}
