//===- ParserImpl.h - the parser, private to the front end -----*- C++ -*-===//
//
// The recursive-descent parser of the golf DSL (docs/dsl.md has the
// grammar), shared by Parser.cpp (items and statements) and ParserExpr.cpp
// (expressions). Not part of the front end's interface (Parser.h).
//
//===----------------------------------------------------------------------===//

#ifndef GOLF_FRONTEND_PARSERIMPL_H
#define GOLF_FRONTEND_PARSERIMPL_H

#include "frontend/Parser.h"

#include <set>

namespace golf::parse {

/// Words that cannot name a variable, setting or block.
inline const std::set<std::string> kReserved = {
    "and",   "or",    "not",       "if",     "else",   "for",    "in",
    "true",  "false", "None",      "return", "param",  "assert", "let",
    "block", "model", "optimizer", "quant",  "hparams"};

class Parser {
public:
  Parser(std::vector<Token> tokens, Diagnostics &diags)
      : toks(std::move(tokens)), diags(diags) {
    // Block names are known up front, so `scope: block(...)` can be told
    // from a slice `a:b(...)` wherever the block is defined.
    for (size_t i = 0; i + 1 < toks.size(); ++i)
      if (toks[i].kind == Tok::Ident && toks[i].text == "block" &&
          toks[i + 1].kind == Tok::Ident)
        blockNames.insert(toks[i + 1].text);
  }

  Spec parse();

private:
  // Token access.
  const Token &peek(size_t ahead = 0) const {
    size_t i = std::min(pos + ahead, toks.size() - 1);
    return toks[i];
  }
  bool at(Tok kind) const { return peek().kind == kind; }
  bool atWord(const char *word) const {
    return at(Tok::Ident) && peek().text == word;
  }
  Token take() {
    Token t = peek();
    if (pos < toks.size() - 1)
      ++pos;
    return t;
  }
  bool accept(Tok kind) {
    if (!at(kind))
      return false;
    take();
    return true;
  }
  bool expect(Tok kind, const char *context) {
    if (accept(kind))
      return true;
    fail(peek().loc, std::string("expected ") + describe(kind) + " " + context +
                         ", found " + found());
    return false;
  }
  std::string found() const {
    const Token &t = peek();
    if (t.kind == Tok::Ident)
      return "'" + t.text + "'";
    if (t.kind == Tok::Int || t.kind == Tok::Float)
      return t.text;
    return describe(t.kind);
  }
  void fail(Loc loc, const std::string &message) {
    // A bad token was reported by the lexer; saying more would be noise.
    if (at(Tok::Error))
      return;
    diags.error(loc, message);
  }
  void skipNewlines() {
    while (accept(Tok::Newline)) {
    }
  }
  bool endOfStatement() {
    if (at(Tok::Newline) || at(Tok::RBrace) || at(Tok::Eof)) {
      accept(Tok::Newline);
      return true;
    }
    fail(peek().loc, "expected end of line, found " + found());
    return false;
  }
  /// Skips the rest of a bad statement: up to the end of its line, or to the
  /// `}` that closes the enclosing body (left for the caller), stepping over
  /// nested braces.
  void synchronize() {
    int depth = 0;
    while (!at(Tok::Eof)) {
      if (at(Tok::LBrace))
        ++depth;
      else if (at(Tok::RBrace)) {
        if (depth == 0)
          return;
        --depth;
        if (depth == 0) {
          take();
          accept(Tok::Newline);
          return;
        }
      } else if (at(Tok::Newline) && depth == 0) {
        take();
        return;
      }
      take();
    }
  }
  bool checkName(const Token &t, const char *what) {
    if (kReserved.count(t.text)) {
      fail(t.loc,
           "'" + t.text + "' is a reserved word and cannot name " + what);
      return false;
    }
    return true;
  }

  // Items.
  void parseItem(Spec &spec);
  bool parseSettings(std::vector<Setting> &out, const char *context);
  bool parseBody(StmtList &body);
  StmtPtr parseStatement();
  StmtPtr parseIf(Loc loc);
  bool parsePath(std::vector<PathSegment> &path, const char *context);

  // Expressions.
  ExprPtr parseExpr();
  ExprPtr parseOr();
  ExprPtr parseAnd();
  ExprPtr parseNot();
  ExprPtr parseCompare();
  ExprPtr parseXor();
  ExprPtr parseAdd();
  ExprPtr parseMul();
  ExprPtr parseUnary();
  ExprPtr parsePower();
  ExprPtr parsePostfix();
  ExprPtr parsePrimary();
  bool parseArgs(std::vector<Arg> &args);
  ExprPtr parseSubscript();
  ExprPtr binary(Tok op, std::string name, ExprPtr lhs, ExprPtr rhs, Loc loc) {
    auto e = std::make_unique<Expr>(Expr::Binary, loc);
    e->op = op;
    e->opName = std::move(name);
    e->depth = 1 + std::max(lhs->depth, rhs->depth);
    e->items.push_back(std::move(lhs));
    e->items.push_back(std::move(rhs));
    return bounded(std::move(e));
  }
  /// Evaluating and destroying trees recurses; a chain like 1+1+...+1 of
  /// a million terms must be an error, not a stack overflow.
  ExprPtr bounded(ExprPtr e) {
    if (e->depth <= kMaxDepth)
      return e;
    fail(e->loc, "expression is too long or too deeply nested (over " +
                     std::to_string(kMaxDepth) + " levels)");
    // Freed iteratively: the tree may be deeper than the stack allows.
    std::vector<ExprPtr> pending;
    pending.push_back(std::move(e));
    while (!pending.empty()) {
      ExprPtr node = std::move(pending.back());
      pending.pop_back();
      for (ExprPtr &child : node->items)
        if (child)
          pending.push_back(std::move(child));
    }
    return nullptr;
  }
  static constexpr int kMaxDepth = 1000;

  std::vector<Token> toks;
  size_t pos = 0;
  Diagnostics &diags;
  std::set<std::string> blockNames;
  int nesting = 0; // Guards against stack exhaustion on hostile input.
};

inline constexpr int kMaxNesting = 200;

} // namespace golf::parse

#endif // GOLF_FRONTEND_PARSERIMPL_H
