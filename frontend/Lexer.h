//===- Lexer.h - tokens of the golf DSL --------------------------*- C++
//-*-===//

#ifndef GOLF_FRONTEND_LEXER_H
#define GOLF_FRONTEND_LEXER_H

#include "frontend/Diagnostics.h"

#include <string>
#include <vector>

namespace golf {

enum class Tok {
  Eof,
  Newline,
  Ident,
  Int,
  Float,
  String,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Dot,
  Ellipsis,
  Assign,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Plus,
  Minus,
  Star,
  Slash,
  SlashSlash,
  Percent,
  StarStar,
  Caret,
  Error,
};

/// How a token kind reads in an error message: "')'", "a name", ...
const char *describe(Tok kind);

struct Token {
  Tok kind = Tok::Eof;
  std::string text; // Identifier name, string contents, number spelling.
  Loc loc;
};

/// Splits a spec into tokens. Newlines separate statements except inside
/// parentheses and brackets; `#` starts a comment. Bad characters become
/// Error tokens after a diagnostic, so the parser can go on.
std::vector<Token> lex(const std::string &source, Diagnostics &diags);

} // namespace golf

#endif // GOLF_FRONTEND_LEXER_H
