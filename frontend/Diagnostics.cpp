//===- Diagnostics.cpp - spec errors with a caret -------------------------===//

#include "frontend/Diagnostics.h"

using namespace golf;

void Diagnostics::report(Loc loc, const char *kind,
                         const llvm::Twine &message) {
  if (loc.line == 0) {
    os << path << ": " << kind << ": " << message << "\n";
    return;
  }
  os << path << ":" << loc.line << ":" << loc.col << ": " << kind << ": "
     << message << "\n";
  // The source line, then a caret under the column (tabs kept so the caret
  // lines up in a terminal).
  size_t begin = 0;
  for (uint32_t l = 1; l < loc.line && begin != std::string::npos; ++l) {
    begin = source.find('\n', begin);
    if (begin != std::string::npos)
      ++begin;
  }
  if (begin == std::string::npos || begin > source.size())
    return;
  size_t end = source.find('\n', begin);
  std::string line = source.substr(
      begin, end == std::string::npos ? std::string::npos : end - begin);
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  if (line.size() > kMaxLine)
    return; // A line this long is not worth echoing.
  // Control bytes (a binary file given as a spec) print as '?'; the caret
  // counts characters, not the continuation bytes of UTF-8.
  std::string caret;
  for (uint32_t c = 1; c <= line.size(); ++c) {
    unsigned char b = (unsigned char)line[c - 1];
    bool continuation = (b & 0xC0) == 0x80;
    if ((b < 0x20 && b != '\t') || b == 0x7F)
      line[c - 1] = '?';
    if (c < loc.col && !continuation)
      caret += b == '\t' ? '\t' : ' ';
  }
  os << line << "\n" << caret << "^\n";
}

void Diagnostics::error(Loc loc, const llvm::Twine &message) {
  ++errors;
  if (errors < kMaxErrors)
    report(loc, "error", message);
  else if (errors == kMaxErrors)
    report({}, "error", "too many errors; stopping");
}

void Diagnostics::warning(Loc loc, const llvm::Twine &message) {
  if (errors < kMaxErrors)
    report(loc, "warning", message);
}

void Diagnostics::note(Loc loc, const llvm::Twine &message) {
  if (errors < kMaxErrors)
    report(loc, "note", message);
}
