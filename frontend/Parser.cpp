//===- Parser.cpp - parser of the golf DSL: items and statements ----------===//
//
// Recursive descent over the token list; docs/dsl.md has the grammar. The
// expressions are in ParserExpr.cpp.
//
//===----------------------------------------------------------------------===//

#include "frontend/ParserImpl.h"

using namespace golf;

namespace golf::parse {

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

} // namespace golf::parse

Spec golf::parseSpec(Diagnostics &diags) {
  parse::Parser parser(lex(diags.getSource(), diags), diags);
  return parser.parse();
}
