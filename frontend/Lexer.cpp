//===- Lexer.cpp - tokens of the golf DSL ---------------------------------===//

#include "frontend/Lexer.h"

#include "llvm/ADT/StringExtras.h"

#include <cctype>

using namespace golf;

const char *golf::describe(Tok kind) {
  switch (kind) {
  case Tok::Eof:
    return "end of file";
  case Tok::Newline:
    return "end of line";
  case Tok::Ident:
    return "a name";
  case Tok::Int:
    return "an integer";
  case Tok::Float:
    return "a number";
  case Tok::String:
    return "a string";
  case Tok::LParen:
    return "'('";
  case Tok::RParen:
    return "')'";
  case Tok::LBracket:
    return "'['";
  case Tok::RBracket:
    return "']'";
  case Tok::LBrace:
    return "'{'";
  case Tok::RBrace:
    return "'}'";
  case Tok::Comma:
    return "','";
  case Tok::Colon:
    return "':'";
  case Tok::Dot:
    return "'.'";
  case Tok::Ellipsis:
    return "'...'";
  case Tok::Assign:
    return "'='";
  case Tok::Eq:
    return "'=='";
  case Tok::Ne:
    return "'!='";
  case Tok::Lt:
    return "'<'";
  case Tok::Le:
    return "'<='";
  case Tok::Gt:
    return "'>'";
  case Tok::Ge:
    return "'>='";
  case Tok::Plus:
    return "'+'";
  case Tok::Minus:
    return "'-'";
  case Tok::Star:
    return "'*'";
  case Tok::Slash:
    return "'/'";
  case Tok::SlashSlash:
    return "'//'";
  case Tok::Percent:
    return "'%'";
  case Tok::StarStar:
    return "'**'";
  case Tok::Caret:
    return "'^'";
  case Tok::Error:
    return "an invalid character";
  }
  return "?";
}

std::vector<Token> golf::lex(const std::string &src, Diagnostics &diags) {
  std::vector<Token> out;
  size_t i = 0;
  uint32_t line = 1, col = 1;
  int depth = 0; // Open ( and [: newlines inside them do not end statements.

  auto advance = [&](size_t n) {
    for (size_t k = 0; k < n && i < src.size(); ++k, ++i) {
      if (src[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
  };
  auto push = [&](Tok kind, std::string text, Loc loc) {
    out.push_back({kind, std::move(text), loc});
  };

  while (i < src.size()) {
    char c = src[i];
    Loc loc{line, col};
    if (c == '\n') {
      if (depth == 0 && !out.empty() && out.back().kind != Tok::Newline)
        push(Tok::Newline, "", loc);
      advance(1);
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      advance(1);
      continue;
    }
    if (c == '#') {
      while (i < src.size() && src[i] != '\n')
        advance(1);
      continue;
    }
    if (std::isalpha((unsigned char)c) || c == '_') {
      size_t j = i;
      while (j < src.size() &&
             (std::isalnum((unsigned char)src[j]) || src[j] == '_'))
        ++j;
      push(Tok::Ident, src.substr(i, j - i), loc);
      advance(j - i);
      continue;
    }
    if (std::isdigit((unsigned char)c)) {
      size_t j = i;
      bool isFloat = false;
      while (j < src.size() &&
             (std::isdigit((unsigned char)src[j]) || src[j] == '_'))
        ++j;
      // A '.' followed by a digit continues the number, except in a path:
      // after a '.', "emb.0.1.weight" has the segments 0 and 1.
      bool inPath = !out.empty() && out.back().kind == Tok::Dot;
      if (!inPath && j + 1 < src.size() && src[j] == '.' &&
          std::isdigit((unsigned char)src[j + 1])) {
        isFloat = true;
        ++j;
        while (j < src.size() && std::isdigit((unsigned char)src[j]))
          ++j;
      }
      if (!inPath && j < src.size() && (src[j] == 'e' || src[j] == 'E')) {
        size_t k = j + 1;
        if (k < src.size() && (src[k] == '+' || src[k] == '-'))
          ++k;
        if (k < src.size() && std::isdigit((unsigned char)src[k])) {
          isFloat = true;
          j = k;
          while (j < src.size() && std::isdigit((unsigned char)src[j]))
            ++j;
        }
      }
      std::string text;
      for (size_t k = i; k < j; ++k)
        if (src[k] != '_')
          text += src[k];
      push(isFloat ? Tok::Float : Tok::Int, text, loc);
      advance(j - i);
      if (i < src.size() &&
          (std::isalpha((unsigned char)src[i]) || src[i] == '_')) {
        diags.error({line, col}, "unexpected letter after a number");
        out.back().kind = Tok::Error;
      }
      continue;
    }
    if (c == '"') {
      std::string text;
      size_t j = i + 1;
      bool closed = false;
      while (j < src.size() && src[j] != '\n') {
        if (src[j] == '"') {
          closed = true;
          break;
        }
        if (src[j] == '\\' && j + 1 < src.size() &&
            (src[j + 1] == '"' || src[j + 1] == '\\')) {
          text += src[j + 1];
          j += 2;
          continue;
        }
        text += src[j++];
      }
      if (!closed) {
        diags.error(loc, "unterminated string");
        push(Tok::Error, "", loc);
        advance(j - i);
        continue;
      }
      push(Tok::String, text, loc);
      advance(j + 1 - i);
      continue;
    }

    auto two = [&](const char *s) {
      return i + 1 < src.size() && src[i] == s[0] && src[i + 1] == s[1];
    };
    Tok kind = Tok::Error;
    size_t len = 1;
    if (i + 2 < src.size() && src.compare(i, 3, "...") == 0) {
      kind = Tok::Ellipsis;
      len = 3;
    } else if (two("==")) {
      kind = Tok::Eq, len = 2;
    } else if (two("!=")) {
      kind = Tok::Ne, len = 2;
    } else if (two("<=")) {
      kind = Tok::Le, len = 2;
    } else if (two(">=")) {
      kind = Tok::Ge, len = 2;
    } else if (two("//")) {
      kind = Tok::SlashSlash, len = 2;
    } else if (two("**")) {
      kind = Tok::StarStar, len = 2;
    } else {
      switch (c) {
      case '(':
        kind = Tok::LParen;
        ++depth;
        break;
      case ')':
        kind = Tok::RParen;
        depth = depth > 0 ? depth - 1 : 0;
        break;
      case '[':
        kind = Tok::LBracket;
        ++depth;
        break;
      case ']':
        kind = Tok::RBracket;
        depth = depth > 0 ? depth - 1 : 0;
        break;
      case '{':
        kind = Tok::LBrace;
        break;
      case '}':
        kind = Tok::RBrace;
        break;
      case ',':
        kind = Tok::Comma;
        break;
      case ':':
        kind = Tok::Colon;
        break;
      case '.':
        kind = Tok::Dot;
        break;
      case '=':
        kind = Tok::Assign;
        break;
      case '<':
        kind = Tok::Lt;
        break;
      case '>':
        kind = Tok::Gt;
        break;
      case '+':
        kind = Tok::Plus;
        break;
      case '-':
        kind = Tok::Minus;
        break;
      case '*':
        kind = Tok::Star;
        break;
      case '/':
        kind = Tok::Slash;
        break;
      case '%':
        kind = Tok::Percent;
        break;
      case '^':
        kind = Tok::Caret;
        break;
      default:
        break;
      }
    }
    if (kind == Tok::Error) {
      unsigned char u = (unsigned char)c;
      // A UTF-8 character outside a comment or string is one error.
      size_t seq = u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : u >= 0xC0 ? 2 : 1;
      bool utf8 = seq > 1 && i + seq <= src.size();
      for (size_t k = 1; utf8 && k < seq; ++k)
        utf8 = ((unsigned char)src[i + k] & 0xC0) == 0x80;
      if (utf8) {
        diags.error(loc, "unexpected character '" + src.substr(i, seq) + "'");
        push(Tok::Error, "", loc);
        advance(seq);
        continue;
      }
      if (std::isprint(u))
        diags.error(loc, llvm::Twine("unexpected character '") +
                             llvm::Twine(c) + "'");
      else
        diags.error(loc, "unexpected byte 0x" + llvm::utohexstr(u, false, 2));
      push(Tok::Error, "", loc);
      advance(1);
      continue;
    }
    push(kind, src.substr(i, len), loc);
    advance(len);
  }
  if (!out.empty() && out.back().kind != Tok::Newline)
    out.push_back({Tok::Newline, "", {line, col}});
  out.push_back({Tok::Eof, "", {line, col}});
  return out;
}
