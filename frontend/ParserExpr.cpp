//===- ParserExpr.cpp - parser of the golf DSL: expressions ---------------===//
//
// By precedence, loosest first: or, and, not, comparisons, ^, + -, * / %,
// unary minus, **, then subscripts, calls and primaries (docs/dsl.md).
//
//===----------------------------------------------------------------------===//

#include "frontend/ParserImpl.h"

using namespace golf;

namespace golf::parse {

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

} // namespace golf::parse
