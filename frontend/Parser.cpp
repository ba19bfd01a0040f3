//===- Parser.cpp - parser of the golf DSL --------------------------------===//
//
// Recursive descent over the token list; docs/dsl.md has the grammar.
//
//===----------------------------------------------------------------------===//

#include "frontend/Parser.h"

#include <set>

using namespace golf;

namespace {

/// Words that cannot name a variable, setting or block.
const std::set<std::string> kReserved = {
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

constexpr int kMaxNesting = 200;

Spec Parser::parse() {
  Spec spec;
  skipNewlines();
  while (!at(Tok::Eof) && !diags.tooMany()) {
    size_t before = pos;
    parseItem(spec);
    if (pos == before) // Never loop without progress.
      take();
    skipNewlines();
  }
  if (!spec.hasModel && !diags.hasErrors())
    diags.error({}, "the spec has no 'model(tokens, targets) { ... }'");
  return spec;
}

bool Parser::parseSettings(std::vector<Setting> &out, const char *context) {
  if (!expect(Tok::LBrace, context))
    return false;
  skipNewlines();
  while (!at(Tok::RBrace) && !at(Tok::Eof) && !diags.tooMany()) {
    Token name = peek();
    if (!at(Tok::Ident)) {
      fail(name.loc, std::string("expected a setting name ") + context +
                         ", found " + found());
      synchronize();
      skipNewlines();
      continue;
    }
    take();
    if (!checkName(name, "a setting") ||
        !expect(Tok::Assign, "after the setting name")) {
      synchronize();
      skipNewlines();
      continue;
    }
    ExprPtr value = parseExpr();
    if (!value || !endOfStatement()) {
      synchronize();
      skipNewlines();
      continue;
    }
    out.push_back({name.text, std::move(value), name.loc});
    skipNewlines();
  }
  return expect(Tok::RBrace,
                std::string("to close the settings ").append(context).c_str());
}

void Parser::parseItem(Spec &spec) {
  Token head = peek();
  if (!at(Tok::Ident)) {
    fail(head.loc, "expected a section, 'let', 'assert', 'optimizer', 'quant', "
                   "'block' or 'model', found " +
                       found());
    synchronize();
    return;
  }
  const std::string &w = head.text;
  if (w == "hparams" || w == "train" || w == "eval" || w == "export") {
    take();
    std::vector<Setting> settings;
    parseSettings(settings, ("of section '" + w + "'").c_str());
    for (Setting &s : settings)
      spec.definitions.push_back(
          {Definition::Setting, w, s.name, std::move(s.value), "", s.loc});
    return;
  }
  if (w == "let") {
    take();
    Token name = peek();
    if (!expect(Tok::Ident, "after 'let'") || !checkName(name, "a constant") ||
        !expect(Tok::Assign, "after the constant's name")) {
      synchronize();
      return;
    }
    ExprPtr value = parseExpr();
    if (!value || !endOfStatement()) {
      synchronize();
      return;
    }
    spec.definitions.push_back(
        {Definition::Let, "", name.text, std::move(value), "", name.loc});
    return;
  }
  if (w == "assert") {
    StmtPtr s = parseStatement();
    if (s)
      spec.definitions.push_back({Definition::Assert, "", "",
                                  std::move(s->value), s->message, s->loc});
    return;
  }
  if (w == "optimizer") {
    take();
    OptimizerDef def;
    Token name = peek();
    if (!expect(Tok::Ident, "naming the optimizer group") ||
        !checkName(name, "an optimizer group")) {
      synchronize();
      return;
    }
    Token kind = peek();
    if (!expect(Tok::Ident, "giving the optimizer kind (muon or adam)")) {
      synchronize();
      return;
    }
    def.name = name.text;
    def.loc = name.loc;
    def.kind = kind.text;
    def.kindLoc = kind.loc;
    if (!parseSettings(def.settings, "of the optimizer")) {
      synchronize();
      return;
    }
    spec.optimizers.push_back(std::move(def));
    return;
  }
  if (w == "quant") {
    take();
    QuantDef def;
    Token name = peek();
    if (!expect(Tok::Ident, "naming the export class") ||
        !checkName(name, "an export class")) {
      synchronize();
      return;
    }
    def.name = name.text;
    def.loc = name.loc;
    if (!parseSettings(def.settings, "of the export class")) {
      synchronize();
      return;
    }
    spec.quants.push_back(std::move(def));
    return;
  }
  if (w == "block") {
    take();
    BlockDef def;
    Token name = peek();
    if (!expect(Tok::Ident, "naming the block") ||
        !checkName(name, "a block")) {
      synchronize();
      return;
    }
    def.name = name.text;
    def.loc = name.loc;
    if (!expect(Tok::LParen, "after the block's name")) {
      synchronize();
      return;
    }
    while (!at(Tok::RParen)) {
      Token p = peek();
      if (!expect(Tok::Ident, "naming a block argument") ||
          !checkName(p, "an argument")) {
        synchronize();
        return;
      }
      if (std::find(def.params.begin(), def.params.end(), p.text) !=
          def.params.end()) {
        fail(p.loc, "block '" + def.name + "' has two arguments named '" +
                        p.text + "'");
        synchronize();
        return;
      }
      def.params.push_back(p.text);
      def.paramLocs.push_back(p.loc);
      if (!accept(Tok::Comma))
        break;
    }
    if (!expect(Tok::RParen, "to close the block's arguments") ||
        !parseBody(def.body)) {
      synchronize();
      return;
    }
    spec.blocks.push_back(std::move(def));
    return;
  }
  if (w == "model") {
    take();
    if (spec.hasModel) {
      fail(head.loc, "a spec has one model; the first is at line " +
                         std::to_string(spec.modelLoc.line));
      synchronize();
      return;
    }
    spec.hasModel = true;
    spec.modelLoc = head.loc;
    if (!expect(Tok::LParen, "after 'model'")) {
      synchronize();
      return;
    }
    while (!at(Tok::RParen)) {
      Token p = peek();
      if (!expect(Tok::Ident, "naming a model input") ||
          !checkName(p, "an input")) {
        synchronize();
        return;
      }
      spec.modelParams.push_back(p.text);
      if (!accept(Tok::Comma))
        break;
    }
    if (!expect(Tok::RParen, "to close the model's inputs")) {
      synchronize();
      return;
    }
    if (spec.modelParams.size() != 2)
      fail(head.loc, "the model takes two inputs, the tokens and the targets: "
                     "model(tokens, targets)");
    if (!parseBody(spec.modelBody))
      synchronize();
    return;
  }
  fail(head.loc,
       "unknown item '" + w +
           "': expected a section (hparams, train, eval, export), "
           "'let', 'assert', 'optimizer', 'quant', 'block' or 'model'");
  synchronize();
}

bool Parser::parseBody(StmtList &body) {
  if (!expect(Tok::LBrace, "to open the body"))
    return false;
  if (++nesting > kMaxNesting) {
    fail(peek().loc, "bodies are nested too deeply");
    return false;
  }
  skipNewlines();
  while (!at(Tok::RBrace) && !at(Tok::Eof) && !diags.tooMany()) {
    size_t before = pos;
    StmtPtr s = parseStatement();
    if (s)
      body.push_back(std::move(s));
    else
      synchronize();
    if (pos == before)
      take();
    skipNewlines();
  }
  --nesting;
  return expect(Tok::RBrace, "to close the body");
}

bool Parser::parsePath(std::vector<PathSegment> &path, const char *context) {
  do {
    Token t = peek();
    if (at(Tok::Ident) || at(Tok::Int)) {
      take();
      path.push_back({t.text, nullptr, t.loc});
    } else if (accept(Tok::LBrace)) {
      ExprPtr e = parseExpr();
      if (!e || !expect(Tok::RBrace, "to close the interpolation"))
        return false;
      path.push_back({"", std::move(e), t.loc});
    } else {
      fail(t.loc, std::string("expected a name, an integer or '{expr}' ") +
                      context + ", found " + found());
      return false;
    }
  } while (accept(Tok::Dot));
  return true;
}

StmtPtr Parser::parseStatement() {
  Token head = peek();
  if (atWord("param")) {
    take();
    auto s = std::make_unique<Stmt>(Stmt::Param, head.loc);
    if (!parsePath(s->path, "in the parameter's name") ||
        !expect(Tok::LBracket, "to open the parameter's shape"))
      return nullptr;
    while (!at(Tok::RBracket)) {
      ExprPtr e = parseExpr();
      if (!e)
        return nullptr;
      s->shape.push_back(std::move(e));
      if (!accept(Tok::Comma))
        break;
    }
    if (!expect(Tok::RBracket, "to close the parameter's shape"))
      return nullptr;
    while (at(Tok::Ident)) {
      Token key = take();
      if (!expect(Tok::Assign, "after the parameter attribute's name"))
        return nullptr;
      ExprPtr value = parsePostfix();
      if (!value)
        return nullptr;
      s->attrs.push_back({key.text, std::move(value), key.loc});
    }
    return endOfStatement() ? std::move(s) : nullptr;
  }
  if (atWord("for")) {
    take();
    auto s = std::make_unique<Stmt>(Stmt::For, head.loc);
    Token var = peek();
    if (!expect(Tok::Ident, "naming the loop variable") ||
        !checkName(var, "a loop variable"))
      return nullptr;
    s->name = var.text;
    if (!atWord("in")) {
      fail(peek().loc,
           "expected 'in' after the loop variable, found " + found());
      return nullptr;
    }
    take();
    s->value = parseExpr();
    if (!s->value || !parseBody(s->body))
      return nullptr;
    return endOfStatement() ? std::move(s) : nullptr;
  }
  if (atWord("if")) {
    take();
    StmtPtr s = parseIf(head.loc);
    if (!s)
      return nullptr;
    return endOfStatement() ? std::move(s) : nullptr;
  }
  if (atWord("return")) {
    take();
    auto s = std::make_unique<Stmt>(Stmt::Return, head.loc);
    s->value = parseExpr();
    if (!s->value)
      return nullptr;
    return endOfStatement() ? std::move(s) : nullptr;
  }
  if (atWord("assert")) {
    take();
    auto s = std::make_unique<Stmt>(Stmt::Assert, head.loc);
    s->value = parseExpr();
    if (!s->value || !expect(Tok::Comma, "after the asserted condition"))
      return nullptr;
    Token msg = peek();
    if (!expect(Tok::String, "giving the assertion's message"))
      return nullptr;
    s->message = msg.text;
    return endOfStatement() ? std::move(s) : nullptr;
  }
  if (at(Tok::Ident) && peek(1).kind == Tok::Assign) {
    Token name = take();
    take();
    if (!checkName(name, "a variable"))
      return nullptr;
    auto s = std::make_unique<Stmt>(Stmt::Assign, name.loc);
    s->name = name.text;
    s->value = parseExpr();
    if (!s->value)
      return nullptr;
    return endOfStatement() ? std::move(s) : nullptr;
  }
  auto s = std::make_unique<Stmt>(Stmt::Expr, head.loc);
  s->value = parseExpr();
  if (!s->value)
    return nullptr;
  if (at(Tok::Assign)) {
    fail(peek().loc, "only a plain name can be assigned to");
    return nullptr;
  }
  return endOfStatement() ? std::move(s) : nullptr;
}

StmtPtr Parser::parseIf(Loc loc) {
  if (nesting >= kMaxNesting) {
    fail(loc, "too many 'else if' in a row");
    return nullptr;
  }
  auto s = std::make_unique<Stmt>(Stmt::If, loc);
  s->value = parseExpr();
  if (!s->value || !parseBody(s->body))
    return nullptr;
  if (atWord("else")) {
    take();
    if (atWord("if")) {
      Token t = take();
      ++nesting;
      StmtPtr nested = parseIf(t.loc);
      --nesting;
      if (!nested)
        return nullptr;
      s->orelse.push_back(std::move(nested));
    } else if (!parseBody(s->orelse)) {
      return nullptr;
    }
  }
  return s;
}

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

ExprPtr Parser::parseExpr() {
  if (++nesting > kMaxNesting) {
    fail(peek().loc, "expression is nested too deeply");
    --nesting;
    return nullptr;
  }
  ExprPtr e = parseOr();
  if (e && atWord("if")) {
    Loc loc = take().loc;
    ExprPtr cond = parseOr();
    if (!cond) {
      --nesting;
      return nullptr;
    }
    if (!atWord("else")) {
      fail(peek().loc,
           "expected 'else' in the conditional expression, found " + found());
      --nesting;
      return nullptr;
    }
    take();
    ExprPtr other = parseExpr();
    if (!other) {
      --nesting;
      return nullptr;
    }
    auto c = std::make_unique<Expr>(Expr::Cond, loc);
    c->depth = 1 + std::max({e->depth, cond->depth, other->depth});
    c->items.push_back(std::move(e));
    c->items.push_back(std::move(cond));
    c->items.push_back(std::move(other));
    e = bounded(std::move(c));
  }
  --nesting;
  return e;
}

ExprPtr Parser::parseOr() {
  ExprPtr lhs = parseAnd();
  while (lhs && atWord("or")) {
    Loc loc = take().loc;
    ExprPtr rhs = parseAnd();
    if (!rhs)
      return nullptr;
    lhs = binary(Tok::Ident, "or", std::move(lhs), std::move(rhs), loc);
  }
  return lhs;
}

ExprPtr Parser::parseAnd() {
  ExprPtr lhs = parseNot();
  while (lhs && atWord("and")) {
    Loc loc = take().loc;
    ExprPtr rhs = parseNot();
    if (!rhs)
      return nullptr;
    lhs = binary(Tok::Ident, "and", std::move(lhs), std::move(rhs), loc);
  }
  return lhs;
}

ExprPtr Parser::parseNot() {
  if (atWord("not")) {
    Loc loc = take().loc;
    if (++nesting > kMaxNesting) {
      fail(loc, "expression is nested too deeply");
      --nesting;
      return nullptr;
    }
    ExprPtr operand = parseNot();
    --nesting;
    if (!operand)
      return nullptr;
    auto e = std::make_unique<Expr>(Expr::Unary, loc);
    e->opName = "not";
    e->depth = operand->depth + 1;
    e->items.push_back(std::move(operand));
    return e;
  }
  return parseCompare();
}

ExprPtr Parser::parseCompare() {
  ExprPtr lhs = parseXor();
  if (!lhs)
    return nullptr;
  switch (peek().kind) {
  case Tok::Eq:
  case Tok::Ne:
  case Tok::Lt:
  case Tok::Le:
  case Tok::Gt:
  case Tok::Ge: {
    Token op = take();
    ExprPtr rhs = parseXor();
    if (!rhs)
      return nullptr;
    switch (peek().kind) {
    case Tok::Eq:
    case Tok::Ne:
    case Tok::Lt:
    case Tok::Le:
    case Tok::Gt:
    case Tok::Ge:
      fail(peek().loc, "comparisons do not chain; use 'and'");
      return nullptr;
    default:
      break;
    }
    return binary(op.kind, op.text, std::move(lhs), std::move(rhs), op.loc);
  }
  default:
    return lhs;
  }
}

ExprPtr Parser::parseXor() {
  ExprPtr lhs = parseAdd();
  while (lhs && at(Tok::Caret)) {
    Token op = take();
    ExprPtr rhs = parseAdd();
    if (!rhs)
      return nullptr;
    lhs = binary(op.kind, op.text, std::move(lhs), std::move(rhs), op.loc);
  }
  return lhs;
}

ExprPtr Parser::parseAdd() {
  ExprPtr lhs = parseMul();
  while (lhs && (at(Tok::Plus) || at(Tok::Minus))) {
    Token op = take();
    ExprPtr rhs = parseMul();
    if (!rhs)
      return nullptr;
    lhs = binary(op.kind, op.text, std::move(lhs), std::move(rhs), op.loc);
  }
  return lhs;
}

ExprPtr Parser::parseMul() {
  ExprPtr lhs = parseUnary();
  while (lhs && (at(Tok::Star) || at(Tok::Slash) || at(Tok::SlashSlash) ||
                 at(Tok::Percent))) {
    Token op = take();
    ExprPtr rhs = parseUnary();
    if (!rhs)
      return nullptr;
    lhs = binary(op.kind, op.text, std::move(lhs), std::move(rhs), op.loc);
  }
  return lhs;
}

ExprPtr Parser::parseUnary() {
  if (at(Tok::Minus) || at(Tok::Plus)) {
    Token op = take();
    if (++nesting > kMaxNesting) {
      fail(op.loc, "expression is nested too deeply");
      --nesting;
      return nullptr;
    }
    ExprPtr operand = parseUnary();
    --nesting;
    if (!operand)
      return nullptr;
    if (op.kind == Tok::Plus)
      return operand;
    auto e = std::make_unique<Expr>(Expr::Unary, op.loc);
    e->opName = "-";
    e->depth = operand->depth + 1;
    e->items.push_back(std::move(operand));
    return e;
  }
  return parsePower();
}

ExprPtr Parser::parsePower() {
  ExprPtr base = parsePostfix();
  if (base && at(Tok::StarStar)) {
    Token op = take();
    if (++nesting > kMaxNesting) {
      fail(op.loc, "expression is nested too deeply");
      --nesting;
      return nullptr;
    }
    ExprPtr exponent = parseUnary();
    --nesting;
    if (!exponent)
      return nullptr;
    return binary(op.kind, op.text, std::move(base), std::move(exponent),
                  op.loc);
  }
  return base;
}

bool Parser::parseArgs(std::vector<Arg> &args) {
  // The '(' is consumed.
  while (!at(Tok::RParen)) {
    Arg arg;
    arg.loc = peek().loc;
    if (at(Tok::Ident) && peek(1).kind == Tok::Assign) {
      arg.keyword = take().text;
      take();
    }
    arg.value = parseExpr();
    if (!arg.value)
      return false;
    args.push_back(std::move(arg));
    if (!accept(Tok::Comma))
      break;
  }
  return expect(Tok::RParen, "to close the arguments");
}

ExprPtr Parser::parseSubscript() {
  Loc loc = peek().loc;
  ExprPtr start;
  if (!at(Tok::Colon)) {
    start = parseExpr();
    if (!start)
      return nullptr;
    if (!at(Tok::Colon))
      return start;
  }
  take(); // ':'
  ExprPtr end;
  if (!at(Tok::Comma) && !at(Tok::RBracket)) {
    end = parseExpr();
    if (!end)
      return nullptr;
  }
  auto e = std::make_unique<Expr>(Expr::Slice, loc);
  e->depth = 1 + std::max(start ? start->depth : 0, end ? end->depth : 0);
  e->items.push_back(std::move(start));
  e->items.push_back(std::move(end));
  return e;
}

ExprPtr Parser::parsePostfix() {
  ExprPtr e = parsePrimary();
  while (e) {
    if (at(Tok::LParen)) {
      Loc loc = take().loc;
      if (e->kind != Expr::Path || e->segments.size() != 1 ||
          e->segments[0].expr) {
        fail(loc, "only a built-in function or a block can be called");
        return nullptr;
      }
      auto call = std::make_unique<Expr>(Expr::Call, e->loc);
      call->text = e->segments[0].name;
      if (!parseArgs(call->args))
        return nullptr;
      for (const Arg &arg : call->args)
        call->depth = std::max(call->depth, arg.value->depth + 1);
      e = bounded(std::move(call));
    } else if (at(Tok::LBracket)) {
      Loc loc = take().loc;
      auto index = std::make_unique<Expr>(Expr::Index, loc);
      index->items.push_back(std::move(e));
      while (!at(Tok::RBracket)) {
        ExprPtr sub = parseSubscript();
        if (!sub)
          return nullptr;
        index->items.push_back(std::move(sub));
        if (!accept(Tok::Comma))
          break;
      }
      if (!expect(Tok::RBracket, "to close the subscript"))
        return nullptr;
      if (index->items.size() == 1) {
        fail(loc, "empty subscript");
        return nullptr;
      }
      for (const ExprPtr &item : index->items)
        index->depth = std::max(index->depth, item->depth + 1);
      e = bounded(std::move(index));
    } else {
      break;
    }
  }
  return e;
}

ExprPtr Parser::parsePrimary() {
  Token t = peek();
  switch (t.kind) {
  case Tok::Int:
  case Tok::Float:
  case Tok::String: {
    take();
    auto e = std::make_unique<Expr>(t.kind == Tok::Int     ? Expr::Int
                                    : t.kind == Tok::Float ? Expr::Float
                                                           : Expr::String,
                                    t.loc);
    e->text = t.text;
    return e;
  }
  case Tok::Ellipsis:
    take();
    return std::make_unique<Expr>(Expr::Ellipsis, t.loc);
  case Tok::LParen: {
    take();
    ExprPtr e = parseExpr();
    if (!e || !expect(Tok::RParen, "to close the parenthesis"))
      return nullptr;
    return e;
  }
  case Tok::LBracket: {
    take();
    auto e = std::make_unique<Expr>(Expr::List, t.loc);
    while (!at(Tok::RBracket)) {
      ExprPtr item = parseExpr();
      if (!item)
        return nullptr;
      e->items.push_back(std::move(item));
      if (!accept(Tok::Comma))
        break;
    }
    if (!expect(Tok::RBracket, "to close the list"))
      return nullptr;
    for (const ExprPtr &item : e->items)
      e->depth = std::max(e->depth, item->depth + 1);
    return bounded(std::move(e));
  }
  case Tok::Ident: {
    if (t.text == "true" || t.text == "false") {
      take();
      auto e = std::make_unique<Expr>(Expr::Bool, t.loc);
      e->flag = t.text == "true";
      return e;
    }
    if (t.text == "None") {
      take();
      return std::make_unique<Expr>(Expr::None, t.loc);
    }
    if (kReserved.count(t.text)) {
      fail(t.loc, "expected an expression, found '" + t.text + "'");
      return nullptr;
    }
    auto e = std::make_unique<Expr>(Expr::Path, t.loc);
    if (!parsePath(e->segments, "in the name"))
      return nullptr;
    for (const PathSegment &seg : e->segments)
      if (seg.expr)
        e->depth = std::max(e->depth, seg.expr->depth + 1);
    // `path: block(args)` calls a block with `path` added to the scope of
    // the parameters it declares.
    if (at(Tok::Colon) && peek(1).kind == Tok::Ident &&
        peek(2).kind == Tok::LParen && blockNames.count(peek(1).text)) {
      take();
      Token callee = take();
      take();
      auto call = std::make_unique<Expr>(Expr::Call, callee.loc);
      call->text = callee.text;
      call->scope = std::move(e->segments);
      if (!parseArgs(call->args))
        return nullptr;
      for (const Arg &arg : call->args)
        call->depth = std::max(call->depth, arg.value->depth + 1);
      return bounded(std::move(call));
    }
    return e;
  }
  default:
    fail(t.loc, "expected an expression, found " + found());
    return nullptr;
  }
}

} // namespace

Spec golf::parseSpec(Diagnostics &diags) {
  Parser parser(lex(diags.getSource(), diags), diags);
  return parser.parse();
}
