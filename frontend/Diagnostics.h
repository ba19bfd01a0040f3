//===- Diagnostics.h - spec errors with a caret ------------------*- C++
//-*-===//
//
// Every problem in a spec is reported as
//   path:line:col: error: message
//   <the source line>
//       ^
// and counted; the front end never aborts, asserts or throws on bad input.
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_FRONTEND_DIAGNOSTICS_H
#define GOLF_FRONTEND_DIAGNOSTICS_H

#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>

namespace golf {

/// A position in a spec: 1-based line and byte column. Line 0 means "no
/// position" (errors about the command line or the whole file).
struct Loc {
  uint32_t line = 0;
  uint32_t col = 0;
};

class Diagnostics {
public:
  Diagnostics(std::string path, std::string source, llvm::raw_ostream &os)
      : path(std::move(path)), source(std::move(source)), os(os) {}

  void error(Loc loc, const llvm::Twine &message);
  void note(Loc loc, const llvm::Twine &message);
  /// A problem that does not stop compilation (an ineffective setting).
  void warning(Loc loc, const llvm::Twine &message);

  unsigned errorCount() const { return errors; }
  bool hasErrors() const { return errors > 0; }
  /// True once so many errors were reported that more would be noise.
  bool tooMany() const { return errors >= kMaxErrors; }

  const std::string &getPath() const { return path; }
  const std::string &getSource() const { return source; }

  static constexpr unsigned kMaxErrors = 20;
  static constexpr size_t kMaxLine = 1000;

private:
  void report(Loc loc, const char *kind, const llvm::Twine &message);

  std::string path;
  std::string source;
  llvm::raw_ostream &os;
  unsigned errors = 0;
};

} // namespace golf

#endif // GOLF_FRONTEND_DIAGNOSTICS_H
