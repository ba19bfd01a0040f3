//===- FrontendTest.cpp - the front end's errors, exactly -----------------===//
//
// A table of bad specs, each with the exact first diagnostic it must give
// (position, message, source line and caret), plus recovery, overrides and
// a mutation fuzzer that must never crash the front end.
//
//===----------------------------------------------------------------------===//

#include "frontend/Frontend.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <random>
#include <sstream>

using namespace golf;

namespace {

/// A small valid spec; each bad case replaces one piece of it.
const char *kTiny = R"(hparams {
  vocab_size = 64
  model_dim = 32
  num_heads = 4
  num_kv_heads = 2
  lr = 0.05
}
let head_dim = model_dim // num_heads
optimizer adam_group adam {
  lr = lr
}
quant plain {
  format = "fp32"
}
block attn(x) {
  param c_q.weight [model_dim, model_dim] init=kaiming_uniform group=adam_group quant=plain
  param c_k.weight [num_kv_heads * head_dim, model_dim] init=kaiming_uniform group=adam_group quant=plain
  q = rope(rms_norm(reshape(linear(x, c_q.weight), [B, T, num_heads, head_dim])))
  k = rope(rms_norm(reshape(linear(x, c_k.weight), [B, T, num_kv_heads, head_dim])))
  y = causal_attention(q, k, k)
  return reshape(y, [B, T, model_dim])
}
model(tokens, targets) {
  param tok_emb.weight [vocab_size, model_dim] init=normal(0, 0.02) group=adam_group quant=plain
  x = rms_norm(embedding(tokens, tok_emb.weight))
  for i in range(2) {
    x = x + blocks.{i}: attn(x)
  }
  return cross_entropy(linear(x, tok_emb.weight), targets)
}
)";

struct Outcome {
  bool ok;
  std::string errors;
  CompileResult result;
  std::string earlyIR; // The early phase's module, printed.
};

Outcome compile(const std::string &source,
                std::vector<std::pair<std::string, std::string>> sets = {},
                std::map<std::string, std::string> env = {}) {
  std::string errors;
  llvm::raw_string_ostream os(errors);
  Diagnostics diags("spec.golf", source, os);
  CompileOptions options;
  options.sets = std::move(sets);
  options.getenv = [env](const char *name) -> const char * {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  mlir::MLIRContext context;
  Outcome out;
  out.ok = compileSpec(diags, options, context, out.result);
  os.flush();
  out.errors = errors;
  if (out.result.early) {
    llvm::raw_string_ostream ir(out.earlyIR);
    out.result.early->print(ir);
  }
  out.result.module = {}; // Destroyed before its context is.
  out.result.early = {};
  return out;
}

std::string replaced(std::string text, const std::string &from,
                     const std::string &to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "test bug: '" << from << "' not in kTiny";
  if (at != std::string::npos)
    text.replace(at, from.size(), to);
  return text;
}

std::string firstLines(const std::string &text, int n) {
  std::istringstream in(text);
  std::string line, out;
  for (int i = 0; i < n && std::getline(in, line); ++i)
    out += line + "\n";
  return out;
}

TEST(Frontend, TinySpecCompiles) {
  Outcome o = compile(kTiny);
  ASSERT_TRUE(o.ok) << o.errors;
  EXPECT_EQ(o.errors, "");
  ASSERT_EQ(o.result.params.size(), 5u);
  EXPECT_EQ(o.result.params[0].name, "tok_emb.weight");
  EXPECT_EQ(o.result.params[1].name, "blocks.0.c_q.weight");
  EXPECT_EQ(o.result.params[4].name, "blocks.1.c_k.weight");
  int64_t total = 0;
  for (const ParamInfo &p : o.result.params)
    total += p.count;
  EXPECT_EQ(total, 64 * 32 + 2 * (32 * 32 + 16 * 32));
}

struct BadCase {
  const char *name;
  std::string source;
  std::string expected; // The first diagnostic: three lines with a caret.
};

void PrintTo(const BadCase &c, std::ostream *os) { *os << c.name; }

class BadSpec : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadSpec, ReportsExactError) {
  const BadCase &c = GetParam();
  Outcome o = compile(c.source);
  EXPECT_FALSE(o.ok);
  int lines = 0;
  for (char ch : c.expected)
    lines += ch == '\n';
  EXPECT_EQ(firstLines(o.errors, lines), c.expected) << "all errors:\n"
                                                     << o.errors;
}

std::vector<BadCase> badCases() {
  std::string t = kTiny;
  auto inModel = [&](const std::string &code) {
    return replaced(t, "  for i in range(2) {",
                    code + "\n  for i in range(2) {");
  };
  std::string powers = "2";
  for (int i = 0; i < 100000; ++i)
    powers += "**1";
  return {
      // Runaway compile-time work and memory.
      {"DoublingList",
       inModel("  l = range(1000)\n  for k in range(40) {\n    l = l + l\n  }"),
       "spec.golf:28:11: error: the spec does too much work at compile time "
       "(over 2000000 steps); is a loop unbounded?\n"},
      {"EmptyNestedLoops",
       inModel(
           "  l = range(100000)\n  for a in l {\n    for b in l {\n    }\n  }"),
       "spec.golf:28:5: error: the spec does too much work at compile time "
       "(over 2000000 steps); is a loop unbounded?\n"},
      // Names that must not be assigned or hidden.
      {"AssignDefaultSetting", inModel("  swa_every = 3"),
       "spec.golf:26:3: error: 'swa_every' is a setting or constant of the "
       "spec "
       "and cannot be assigned\n"},
      {"AssignB", inModel("  B = 7"),
       "spec.golf:26:3: error: 'B' is the batch dimension and cannot be "
       "assigned\n"},
      {"LoopOverSetting", inModel("  for model_dim in range(2) {\n  }"),
       "spec.golf:26:3: error: 'model_dim' is a setting or constant of the "
       "spec "
       "and cannot be assigned\n"},
      {"ParamHiddenBySetting",
       replaced(t, "  param c_q.weight",
                "  param lr [] init=ones group=adam_group quant=plain\n  param "
                "c_q.weight"),
       "spec.golf:16:3: error: parameter 'lr' would be hidden by the setting "
       "or "
       "constant of the same name; rename one\n"},
      {"ParamNamedModel", replaced(t, "param tok_emb.weight", "param model"),
       "spec.golf:24:3: error: 'model' is reserved and cannot name a "
       "parameter\n"},
      {"ForwardReferenceToSetting",
       t + "eval {\n  eval_seq_len = train_seq_len\n}\ntrain {\n  "
           "train_seq_len = 2048\n}\n",
       "spec.golf:32:18: error: unknown name 'train_seq_len'\n"},
      // The batch and sequence dimensions keep their identity.
      {"SwappedBT", replaced(t, "[B, T, model_dim])", "[T, B, model_dim])"),
       "spec.golf:21:21: error: a shape names B and T once each, B first: [B, "
       "T, ...]\n"},
      {"ReduceSequence", inModel("  z = x + mean(x, 1, keepdim=true)"),
       "spec.golf:26:11: error: reduction: dimension 1 of [?, ?, 32] is the "
       "batch or sequence dimension and cannot be reduced\n"},
      {"NoneBeforeBatch", inModel("  z = shift(x[None])"),
       "spec.golf:26:14: error: a subscript cannot add dimensions before the "
       "batch and sequence dimensions\n"},
      {"BroadcastRanks", inModel("  z = x + x[..., 0]"),
       "spec.golf:26:9: error: cannot broadcast [?, ?, 32] with [?, ?]: "
       "tensors "
       "with the batch and sequence dimensions must have the same rank\n"},
      {"HugeReshape",
       replaced(t, "[B, T, num_heads, head_dim])))\n  k",
                "[B, T, 4611686018427387905, 8])))\n  k"),
       "spec.golf:18:21: error: reshape from [?, ?, 32] to [?, ?, "
       "4611686018427387905, 8]: too many elements\n"},
      {"DuplicateBlockArgument",
       replaced(t, "block attn(x)", "block attn(x, x)"),
       "spec.golf:15:15: error: block 'attn' has two arguments named 'x'\n"},
      {"PowerChain", replaced(t, "model_dim // num_heads", powers),
       "spec.golf:8:614: error: expression is nested too deeply\n"},
      // Lexical errors.
      {"BadCharacter", replaced(t, "  vocab_size = 64", "  vocab_size = 64 $"),
       "spec.golf:2:19: error: unexpected character '$'\n"
       "  vocab_size = 64 $\n"
       "                  ^\n"},
      {"UnterminatedString", replaced(t, "\"fp32\"", "\"fp32"),
       "spec.golf:13:12: error: unterminated string\n"
       "  format = \"fp32\n"
       "           ^\n"},
      {"LetterAfterNumber", replaced(t, "= 64", "= 64k"),
       "spec.golf:2:18: error: unexpected letter after a number\n"
       "  vocab_size = 64k\n"
       "                 ^\n"},
      // Syntax errors.
      {"MissingAssign", replaced(t, "model_dim = 32", "model_dim 32"),
       "spec.golf:3:13: error: expected '=' after the setting name, found 32\n"
       "  model_dim 32\n"
       "            ^\n"},
      {"UnknownItem", replaced(t, "let head_dim", "lett head_dim"),
       "spec.golf:8:1: error: unknown item 'lett': expected a section "
       "(hparams, "
       "train, eval, export), 'let', 'assert', 'optimizer', 'quant', 'block' "
       "or "
       "'model'\n"},
      {"MissingExpression",
       replaced(t, "y = causal_attention(q, k, k)", "y = "),
       "spec.golf:20:7: error: expected an expression, found end of line\n"},
      {"UnclosedParen",
       replaced(t, "linear(x, tok_emb.weight), targets)",
                "linear(x, tok_emb.weight, targets)"),
       "spec.golf:30:1: error: expected ')' to close the arguments, found "
       "'}'\n"},
      {"ChainedComparison",
       replaced(t, "let head_dim = model_dim // num_heads",
                "let head_dim = 1 < 2 < 3"),
       "spec.golf:8:22: error: comparisons do not chain; use 'and'\n"},
      {"ReservedName", replaced(t, "lr = 0.05", "for = 0.05"),
       "spec.golf:6:3: error: 'for' is a reserved word and cannot name a "
       "setting\n"},
      {"AssignToExpression",
       replaced(t, "y = causal_attention(q, k, k)",
                "y.z = causal_attention(q, k, k)"),
       "spec.golf:20:7: error: only a plain name can be assigned to\n"},
      {"TwoModels", t + "model(a, b) {\n  return a\n}\n",
       "spec.golf:31:1: error: a spec has one model; the first is at line "
       "23\n"},
      {"NoModel", t.substr(0, t.find("model(tokens")),
       "spec.golf: error: the spec has no 'model(tokens, targets) { ... }'\n"},
      {"ModelArity", replaced(t, "model(tokens, targets)", "model(tokens)"),
       "spec.golf:23:1: error: the model takes two inputs, the tokens and the "
       "targets: model(tokens, targets)\n"},
      // Settings.
      {"UnknownTrainSetting", t + "train {\n  iteratons = 5\n}\n",
       "spec.golf:32:3: error: unknown train setting 'iteratons'; did you mean "
       "'iterations'?\n"
       "  iteratons = 5\n"
       "  ^\n"},
      {"SettingInWrongSection", replaced(t, "lr = 0.05", "iterations = 5"),
       "spec.golf:6:3: error: 'iterations' is a setting of section 'train'; "
       "define it there\n"},
      {"SettingWrongKind", t + "train {\n  iterations = \"many\"\n}\n",
       "spec.golf:32:16: error: 'iterations' must be integer, got a string\n"},
      {"BadCompressor", t + "export {\n  compressor = \"gzip\"\n}\n",
       "spec.golf:32:16: error: 'compressor' must be one of zlib, zstd, lzma, "
       "got \"gzip\"\n"},
      {"DuplicateSetting",
       replaced(t, "  lr = 0.05", "  lr = 0.05\n  lr = 0.1"),
       "spec.golf:7:3: error: 'lr' is already defined\n"
       "  lr = 0.1\n"
       "  ^\n"
       "spec.golf:6:3: note: first defined here\n"},
      {"AssertionFails",
       replaced(t, "let head_dim",
                "assert num_heads % 3 == 0, \"three heads\"\nlet head_dim"),
       "spec.golf:8:1: error: assertion failed: three heads\n"},
      {"UseBeforeDefinition",
       replaced(t, "  vocab_size = 64", "  vocab_size = model_dim * 2"),
       "spec.golf:2:16: error: unknown name 'model_dim'\n"},
      // Optimizers and export classes.
      {"UnknownOptimizerKind",
       replaced(t, "adam_group adam", "adam_group adamw"),
       "spec.golf:9:22: error: unknown optimizer kind 'adamw' (expected muon "
       "or "
       "adam); did you mean 'adam'?\n"},
      {"UnknownOptimizerSetting",
       replaced(t, "  lr = lr\n", "  lr = lr\n  betta1 = 0.9\n"),
       "spec.golf:11:3: error: unknown adam setting 'betta1'; did you mean "
       "'beta1'?\n"},
      {"MissingLr", replaced(t, "  lr = lr\n", "  beta1 = 0.9\n"),
       "spec.golf:9:11: error: adam setting 'lr' is required\n"},
      {"BadQuantFormat", replaced(t, "\"fp32\"", "\"int4\""),
       "spec.golf:13:12: error: format must be one of \"fp32\", \"fp16\", "
       "\"int8\", "
       "\"int7\", \"int6\", \"int5\", got \"int4\"; did you mean \"int8\"?\n"},
      // Parameters.
      {"UnknownGroup",
       replaced(t, "init=normal(0, 0.02) group=adam_group",
                "init=normal(0, 0.02) group=adam_grop"),
       "spec.golf:24:75: error: unknown optimizer group 'adam_grop'; did you "
       "mean 'adam_group'?\n"},
      {"UnknownQuant",
       replaced(t, "group=adam_group quant=plain\n  x =",
                "group=adam_group quant=plane\n  x ="),
       "spec.golf:24:92: error: unknown export class 'plane'; did you mean "
       "'plain'?\n"},
      {"UnknownInit",
       replaced(t, "init=normal(0, 0.02)", "init=gaussian(0, 0.02)"),
       "spec.golf:24:53: error: unknown initializer 'gaussian'\n"},
      {"InitArity",
       replaced(t, "init=normal(0, 0.02)", "init=normal(0, 0.02, 3)"),
       "spec.golf:24:53: error: initializer 'normal' takes 1 to 2 argument(s), "
       "got 3\n"},
      {"ZeroDimension",
       replaced(t, "[vocab_size, model_dim]", "[vocab_size, 0]"),
       "spec.golf:24:37: error: parameter 'tok_emb.weight' has a dimension of "
       "size 0; sizes must be positive\n"},
      {"FloatDimension",
       replaced(t, "[vocab_size, model_dim]", "[vocab_size, model_dim / 2]"),
       "spec.golf:24:47: error: a shape dimension must be an integer, got 16.0 "
       "(use // for integer division)\n"},
      {"MissingAttribute", replaced(t, " quant=plain\n  x =", "\n  x ="),
       "spec.golf:24:3: error: parameter 'tok_emb.weight' needs quant=...\n"},
      {"RedeclaredDifferently",
       replaced(t, "  return cross_entropy",
                "  param tok_emb.weight [vocab_size, 16] init=zeros "
                "group=adam_group quant=plain\n  return cross_entropy"),
       "spec.golf:29:3: error: parameter 'tok_emb.weight' is declared again "
       "differently; a shared parameter must be declared identically\n"},
      // Names and calls.
      {"UnknownName",
       replaced(t, "rms_norm(embedding(tokens, tok_emb.weight))",
                "rms_norm(embedding(tokns, tok_emb.weight))"),
       "spec.golf:25:26: error: unknown name 'tokns'; did you mean "
       "'tokens'?\n"},
      {"UnknownParameter",
       replaced(t, "linear(x, c_q.weight)", "linear(x, c_v.weight)"),
       "spec.golf:18:39: error: unknown name 'c_v.weight' (no parameter "
       "'blocks.0.c_v.weight'); did you mean 'c_k.weight'?\n"},
      {"UnknownFunction",
       replaced(t, "rms_norm(embedding", "rmsnorm(embedding"),
       "spec.golf:25:7: error: unknown function 'rmsnorm'; did you mean "
       "'rms_norm'?\n"},
      {"BlockArity",
       replaced(t, "blocks.{i}: attn(x)", "blocks.{i}: attn(x, x)"),
       "spec.golf:27:33: error: block 'attn' takes 1 argument(s)\n"},
      {"BuiltinKeyword",
       replaced(t, "causal_attention(q, k, k)",
                "causal_attention(q, k, k, scal=1.0)"),
       "spec.golf:20:33: error: causal_attention() has no argument 'scal'\n"},
      // Shapes.
      {"UnknownTopLevelParameter",
       replaced(t, "linear(x, tok_emb.weight), targets",
                "linear(x, c.weight), targets"),
       "spec.golf:29:34: error: unknown name 'c.weight' (no parameter "
       "'c.weight')\n"},
      {"LinearFeatures",
       replaced(t, "[model_dim, model_dim] init", "[model_dim, 16] init"),
       "spec.golf:18:29: error: linear: input [?, ?, 32] has 32 features but "
       "the "
       "weight [32, 16] expects 16\n"
       "  q = rope(rms_norm(reshape(linear(x, c_q.weight), [B, T, num_heads, "
       "head_dim])))\n"
       "                            ^\n"},
      {"ReshapeCount",
       replaced(t, "[B, T, num_heads, head_dim])))", "[B, T, num_heads, 6])))"),
       "spec.golf:18:21: error: reshape from [?, ?, 32] to [?, ?, 4, 6] "
       "changes "
       "the number of elements (32 vs 24 per batch and sequence position)\n"},
      {"HeadsNotMultiple", replaced(t, "num_kv_heads = 2", "num_kv_heads = 3"),
       "spec.golf:20:7: error: causal_attention: 4 query heads are not a "
       "multiple of 3 KV heads\n"},
      {"OddRopeDims",
       replaced(t, "q = rope(rms_norm(", "q = rope(dims=3, x=rms_norm("),
       "spec.golf:18:7: error: rope rotates pairs of dimensions: dims must be "
       "even and positive, got 3\n"},
      {"Broadcast", replaced(t, "x = x + blocks", "x = tokens + blocks"),
       "spec.golf:27:16: error: '+' mixes a float tensor and an integer "
       "tensor\n"},
      {"BroadcastShapes",
       replaced(t, "x = x + blocks.{i}: attn(x)", "x = x + tok_emb.weight"),
       "spec.golf:27:11: error: cannot broadcast [?, ?, 32] with [64, 32]\n"},
      {"SliceSequence",
       replaced(t, "return reshape(y, [B, T, model_dim])",
                "return reshape(y[:, 0:2], [B, T, model_dim])"),
       "spec.golf:21:23: error: the batch and sequence dimensions cannot be "
       "sliced (use shift)\n"},
      {"IndexOutOfRange",
       replaced(t, "x = x + blocks", "x = x + tok_emb.weight[64] + blocks"),
       "spec.golf:27:28: error: index 64 is out of range for dimension 0 of "
       "size 64\n"},
      {"DimInArithmetic",
       replaced(t, "[B, T, model_dim])", "[B * 2, T, model_dim])"),
       "spec.golf:21:24: error: B and T are the batch and sequence dimensions; "
       "they have no value at compile time and may only appear in a reshape's "
       "shape\n"},
      {"TensorCondition",
       replaced(t, "for i in range(2) {", "if x {\n  }\n  for i in range(2) {"),
       "spec.golf:26:6: error: an 'if' condition must be a boolean, not a "
       "tensor "
       "(conditions are decided at compile time; use where())\n"},
      // Compile-time arithmetic.
      {"DivisionByZero",
       replaced(t, "model_dim // num_heads", "model_dim // 0"),
       "spec.golf:8:26: error: integer division by zero\n"},
      {"Overflow",
       replaced(t, "model_dim // num_heads", "9223372036854775807 + 1"),
       "spec.golf:8:36: error: integer overflow in '+'\n"},
      {"HugeLiteral",
       replaced(t, "model_dim // num_heads", "99999999999999999999"),
       "spec.golf:8:16: error: integer 99999999999999999999 is too large\n"},
      {"PopEmpty",
       replaced(t, "  for i in range(2) {",
                "  s = stack()\n  z = pop(s)\n  for i in range(2) {"),
       "spec.golf:27:7: error: pop() from an empty stack\n"},
      {"RunawayLoop",
       replaced(t, "for i in range(2)", "for i in range(100000000)"),
       "spec.golf:26:12: error: the spec does too much work at compile time "
       "(over 2000000 steps); is a loop unbounded?\n"},
      {"ModelReturnsTensor",
       replaced(t, "return cross_entropy(linear(x, tok_emb.weight), targets)",
                "return x"),
       "spec.golf:23:1: error: the model must return its loss, a scalar float "
       "tensor; it returned a tensor of shape [?, ?, 32]\n"},
      {"AttentionStartsShape",
       replaced(t, "y = causal_attention(q, k, k)",
                "y = causal_attention(q, k, k, starts=x)"),
       "spec.golf:20:40: error: causal_attention(): starts must be [B, T] of "
       "q's [B, T, H, D], got [?, ?, 32]\n"},
      {"AttentionSegmentWithoutStarts",
       replaced(t, "y = causal_attention(q, k, k)",
                "y = causal_attention(q, k, k, segment=8)"),
       "spec.golf:20:41: error: causal_attention(): segment needs starts\n"},
      {"ClipSearchAndPercentile",
       replaced(t, "  format = \"fp32\"\n",
                "  format = \"int6\"\n  method = \"gptq\"\n  clip_search = "
                "true\n  clip_percentile = 99.9\n"),
       "spec.golf:15:3: error: export class 'plain' sets clip_search and "
       "clip_percentile, two clip rules: keep one\n"},
      {"SwitchNotAnHparam", t + "train {\n  switch_hparam = \"loop\"\n}\n",
       "spec.golf:32:3: error: switch_hparam names 'loop', which is not an "
       "hparam of the spec\n"},
      {"SwitchNotBoolean", t + "train {\n  switch_hparam = \"lr\"\n}\n",
       "spec.golf:32:3: error: switch_hparam names 'lr' = 0.05: the switched "
       "hparam must be a boolean\n"},
      {"SwitchAtOutOfRange",
       replaced(replaced(t, "  lr = 0.05\n", "  lr = 0.05\n  looping = true\n"),
                "range(2)", "range(2 if looping else 2)") +
           "train {\n  switch_hparam = \"looping\"\n  switch_at = 1.0\n}\n",
       "spec.golf:34:3: error: switch_at 1.0 must lie strictly between 0 and 1 "
       "(the fraction of the run at which looping turns true)\n"},
      {"SwitchChangesAnOptimizer",
       replaced(replaced(t, "  lr = 0.05\n", "  lr = 0.05\n  looping = true\n"),
                "  lr = lr\n", "  lr = lr if looping else 0.01\n") +
           "train {\n  switch_hparam = \"looping\"\n}\n",
       "spec.golf:33:3: error: with looping = false the optimizer groups or "
       "export classes differ: the early phase may change the model only\n"},
      {"SwitchChangesParameters",
       replaced(replaced(t, "  lr = 0.05\n", "  lr = 0.05\n  looping = true\n"),
                "range(2)", "range(2 if looping else 1)") +
           "train {\n  switch_hparam = \"looping\"\n}\n",
       "spec.golf:33:3: error: with looping = false the model does not declare "
       "'blocks.1.c_q.weight': both phases train the same parameters (size "
       "them for the late phase)\n"},
      {"FocalGamma",
       replaced(t, "tok_emb.weight), targets)",
                "tok_emb.weight), targets, focal_gamma=-1.0)"),
       "spec.golf:29:72: error: cross_entropy(): focal_gamma must be in [0, "
       "100]\n"},
  };
}

INSTANTIATE_TEST_SUITE_P(Table, BadSpec, ::testing::ValuesIn(badCases()),
                         [](const ::testing::TestParamInfo<BadCase> &info) {
                           return std::string(info.param.name);
                         });

// GPTQ's settings in a class of another method are warned about.
TEST(Frontend, GptqSettingsWithoutGptqAreWarnedAbout) {
  Outcome o = compile(replaced(kTiny, "  format = \"fp32\"\n",
                               "  format = \"int6\"\n  damping = 0.02\n"));
  ASSERT_TRUE(o.ok) << o.errors;
  EXPECT_NE(o.errors.find("spec.golf:14:3: warning: export class 'plain': "
                          "damping has no effect: its method is not \"gptq\""),
            std::string::npos)
      << o.errors;
}

// A floor on the lr scale at or above SWA's threshold: SWA never starts.
TEST(Frontend, AFloorAboveAThresholdIsWarnedAbout) {
  Outcome o = compile(kTiny + std::string("train {\n  swa_enabled = true\n  "
                                          "swa_start_frac = 0.1\n  min_lr = "
                                          "0.2\n}\n"));
  ASSERT_TRUE(o.ok) << o.errors;
  EXPECT_NE(o.errors.find("spec.golf:33:3: warning: train.swa_start_frac "
                          "(spec) has no effect: min_lr 0.2 keeps the lr "
                          "scale from falling below it"),
            std::string::npos)
      << o.errors;
}

// A switch_hparam compiles the spec a second time with the hparam false:
// the early phase, whose parameters are the spec's.
TEST(Frontend, SwitchCompilesTheEarlyPhase) {
  std::string t =
      replaced(kTiny, "  lr = 0.05\n", "  lr = 0.05\n  looping = true\n");
  t = replaced(t, "  return cross_entropy",
               "  if looping {\n    x = x + blocks.{1}: attn(x)\n  }\n"
               "  return cross_entropy") +
      "train {\n  switch_hparam = \"looping\"\n  switch_at = 0.35\n}\n";
  Outcome o = compile(t);
  ASSERT_TRUE(o.ok) << o.errors;
  EXPECT_EQ(o.errors, "");
  // Only the early phase's model skips the repeated block: one attention
  // op fewer.
  auto count = [](const std::string &ir) {
    int n = 0;
    for (size_t at = ir.find("golf.causal_attention"); at != std::string::npos;
         at = ir.find("golf.causal_attention", at + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(count(o.earlyIR), 2);
  // The hparam set false: no early phase, and both settings say so.
  Outcome off = compile(t, {{"looping", "false"}});
  ASSERT_TRUE(off.ok) << off.errors;
  EXPECT_EQ(off.earlyIR, "");
  EXPECT_NE(off.errors.find("warning: train.switch_hparam (spec) has no "
                            "effect: looping is false, so the step never "
                            "switches"),
            std::string::npos)
      << off.errors;
  EXPECT_NE(off.errors.find("warning: train.switch_at (spec) has no effect"),
            std::string::npos)
      << off.errors;
  // switch_at without a switch_hparam.
  Outcome lone =
      compile(kTiny + std::string("train {\n  switch_at = 0.3\n}\n"));
  EXPECT_NE(lone.errors.find("spec.golf:32:3: warning: train.switch_at (spec) "
                             "has no effect: switch_hparam is empty"),
            std::string::npos)
      << lone.errors;
}

TEST(Frontend, RecursionIsAnError) {
  std::string t = replaced(kTiny, "x = x + blocks.{i}: attn(x)", "x = r(x)");
  Outcome o = compile(t + "block r(x) {\n  return r(x)\n}\n");
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.errors.find("error: block 'r' calls itself (through r); blocks "
                          "cannot be recursive"),
            std::string::npos)
      << o.errors;
  // A recursion that would stop is refused all the same.
  std::string countdown =
      "block f(n) {\n  return (f(n - 1) if n > 0 else 0) + 1\n}\n";
  Outcome c = compile(
      replaced(kTiny, "x = x + blocks.{i}: attn(x)", "z = f(3)") + countdown);
  EXPECT_NE(c.errors.find("block 'f' calls itself (through f)"),
            std::string::npos)
      << c.errors;
  // Deep expressions inside nested blocks share one depth budget.
  std::string ones;
  for (int i = 0; i < 990; ++i)
    ones += " + 1";
  std::string defs;
  for (int b = 0; b < 10; ++b)
    defs += "block g" + std::to_string(b) + "(x) {\n  return " +
            (b ? "g" + std::to_string(b - 1) + "(x)" : std::string("x")) +
            ones + "\n}\n";
  Outcome d = compile(
      replaced(kTiny, "x = x + blocks.{i}: attn(x)", "z = g9(1)") + defs);
  EXPECT_NE(d.errors.find(
                "blocks and expressions nest too deeply (over 3000 levels)"),
            std::string::npos)
      << d.errors.substr(0, 300);
}

TEST(Frontend, RecoversAndReportsEverySyntaxError) {
  std::string t = replaced(kTiny, "model_dim = 32", "model_dim 32");
  t = replaced(t, "y = causal_attention(q, k, k)",
               "y = causal_attention(q, k, k))");
  t = replaced(t, "x = rms_norm(", "x = = rms_norm(");
  Outcome o = compile(t);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.errors.find(
                "spec.golf:3:13: error: expected '=' after the setting name"),
            std::string::npos)
      << o.errors;
  EXPECT_NE(
      o.errors.find("spec.golf:20:32: error: expected end of line, found ')'"),
      std::string::npos)
      << o.errors;
  EXPECT_NE(
      o.errors.find("spec.golf:25:7: error: expected an expression, found '='"),
      std::string::npos)
      << o.errors;
}

TEST(Frontend, StopsAfterTooManyErrors) {
  std::string t;
  for (int i = 0; i < 50; ++i)
    t += "$\n";
  Outcome o = compile(t);
  EXPECT_FALSE(o.ok);
  size_t count = 0;
  for (size_t at = o.errors.find(": error: "); at != std::string::npos;
       at = o.errors.find(": error: ", at + 1))
    ++count;
  EXPECT_LE(count, Diagnostics::kMaxErrors + 1);
}

TEST(Frontend, HostileNestingIsAnErrorNotACrash) {
  auto errorsOf = [](const std::string &expr) {
    return compile(replaced(kTiny, "model_dim // num_heads", expr)).errors;
  };
  std::string chain = "1";
  for (int i = 0; i < 200000; ++i)
    chain += "+1";
  EXPECT_NE(errorsOf(chain).find("expression is too long or too deeply nested "
                                 "(over 1000 levels)"),
            std::string::npos);
  std::string parens(100000, '(');
  EXPECT_NE(errorsOf(parens + "1" + std::string(100000, ')'))
                .find("expression is nested too deeply"),
            std::string::npos);
  std::string minus(100000, '-');
  EXPECT_NE(errorsOf(minus + "1").find("expression is nested too deeply"),
            std::string::npos);
  std::string calls;
  for (int i = 0; i < 300; ++i)
    calls += "max(1, ";
  calls += chain.substr(0, 1800) + std::string(300, ')');
  EXPECT_NE(errorsOf(calls).find("error: "), std::string::npos);
  std::string elses = "  if true {\n  }";
  for (int i = 0; i < 100000; ++i)
    elses += " else if true {\n  }";
  Outcome o = compile(replaced(kTiny, "  for i in range(2) {",
                               elses + "\n  for i in range(2) {"));
  EXPECT_NE(o.errors.find("too many 'else if' in a row"), std::string::npos)
      << o.errors.substr(0, 500);
  std::string indexes = "[1]";
  for (int i = 0; i < 100000; ++i)
    indexes += "[0]";
  EXPECT_NE(errorsOf(indexes).find("error: "), std::string::npos);
}

TEST(Frontend, EchoedLinesArePrintable) {
  Outcome o =
      compile(std::string("hparams {\n  x = 1 \x01\x7f \xe2\x9c\x93 $\n}\n"));
  EXPECT_EQ(firstLines(o.errors, 3),
            "spec.golf:2:9: error: unexpected byte 0x01\n"
            "  x = 1 ?? \xe2\x9c\x93 $\n"
            "        ^\n");
  // A UTF-8 character is one error, and after it the caret still lines up:
  // byte column 16 is the 14th character.
  EXPECT_NE(o.errors.find("spec.golf:2:12: error: unexpected character "
                          "'\xe2\x9c\x93'\n"),
            std::string::npos)
      << o.errors;
  EXPECT_NE(o.errors.find("spec.golf:2:16: error: unexpected character '$'\n"
                          "  x = 1 ?? \xe2\x9c\x93 $\n"
                          "             ^\n"),
            std::string::npos)
      << o.errors;
}

TEST(Frontend, NamesAndSlicesBehaveAsDocumented) {
  // Integer segments of a parameter's name.
  Outcome o = compile(replaced(
      kTiny, "  x = rms_norm(embedding",
      "  param emb.0.1.weight [2] init=zeros group=adam_group quant=plain\n"
      "  x = rms_norm(embedding"));
  ASSERT_TRUE(o.ok) << o.errors;
  EXPECT_EQ(o.result.params[1].name, "emb.0.1.weight");
  // Slices clamp as NumPy's do; None for an optional argument is its default.
  Outcome s = compile(replaced(kTiny, "    x = x + blocks.{i}: attn(x)",
                               "    x = x + blocks.{i}: attn(x)\n"
                               "    z = rms_norm(x[..., -40:], eps=None)"));
  EXPECT_TRUE(s.ok) << s.errors;
  // The defaults of settings the spec leaves out are visible everywhere.
  Outcome d =
      compile(std::string(kTiny) + "eval {\n  eval_seq_len = iterations\n}\n");
  ASSERT_TRUE(d.ok) << d.errors;
}

// Every unary op of the dialect is a function of numbers too, by the op's
// own `evaluate`; on integers abs and neg stay integers (range takes them).
// silu(0.5) is PyTorch's F.silu in float64; both sides are a few correctly
// rounded operations (exp, add, divide or multiply), so within 6 ulps of
// 0.31 (3.3e-16).
TEST(Frontend, UnaryOpsApplyToNumbers) {
  Outcome o = compile(replaced(
      kTiny, "let head_dim",
      "assert abs(silu(0.5) - 0.3112296656009273) < 3.3e-16, \"silu\"\n"
      "assert tanh(0.0) == 0.0 and exp(0) == 1.0, \"tanh, exp\"\n"
      "assert len(range(neg(-3))) == 3 and len(range(abs(-2))) == 2, "
      "\"integers\"\n"
      "let head_dim"));
  EXPECT_TRUE(o.ok) << o.errors;
  Outcome bad =
      compile(replaced(kTiny, "let head_dim", "let z = log(0)\nlet head_dim"));
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.errors.find("error: log(0.0) is not a finite number"),
            std::string::npos)
      << bad.errors;
}

TEST(Frontend, OverridesFollowTheChallengesHabit) {
  // The spec's value, then the environment variable, then --set.
  Outcome spec = compile(kTiny);
  Outcome env = compile(kTiny, {}, {{"MODEL_DIM", "64"}});
  Outcome set = compile(kTiny, {{"model_dim", "48"}}, {{"MODEL_DIM", "64"}});
  ASSERT_TRUE(spec.ok && env.ok && set.ok) << env.errors << set.errors;
  auto setting = [](const Outcome &o, const std::string &name) {
    for (const SettingInfo &s : o.result.settings)
      if (s.name == name)
        return s.value + " " + s.origin;
    return std::string("missing");
  };
  EXPECT_EQ(setting(spec, "model_dim"), "32 spec");
  EXPECT_EQ(setting(env, "model_dim"), "64 env MODEL_DIM");
  EXPECT_EQ(setting(set, "model_dim"), "48 --set");
  EXPECT_EQ(set.result.params[0].shape, (std::vector<int64_t>{64, 48}));
  // Settings the spec does not name keep their documented default, and can
  // be set too.
  Outcome iters = compile(kTiny, {{"iterations", "7"}});
  ASSERT_TRUE(iters.ok);
  EXPECT_EQ(setting(iters, "iterations"), "7 --set");
  EXPECT_EQ(setting(spec, "iterations"), "20000 default");
  // Floats accept integers; booleans accept the challenge's 0/1.
  Outcome flags = compile(kTiny, {{"lr", "1"}, {"ema_enabled", "1"}});
  ASSERT_TRUE(flags.ok) << flags.errors;
  EXPECT_EQ(setting(flags, "lr"), "1.0 --set");
  EXPECT_EQ(setting(flags, "ema_enabled"), "true --set");
}

TEST(Frontend, BadOverridesAreErrors) {
  EXPECT_EQ(compile(kTiny, {{"model_dm", "64"}}).errors,
            "spec.golf: error: --set model_dm=64: unknown setting 'model_dm'; "
            "did you mean 'model_dim'?\n");
  EXPECT_EQ(compile(kTiny, {{"model_dim", "big"}}).errors,
            "spec.golf: error: --set model_dim=big: expected integer for "
            "'model_dim'\n");
  EXPECT_EQ(
      compile(kTiny, {{"head_dim", "4"}}).errors,
      "spec.golf: error: --set head_dim=4: 'head_dim' is derived with 'let' "
      "and cannot be set; set the settings it is computed from\n");
  EXPECT_EQ(compile(kTiny, {}, {{"NUM_HEADS", "four"}}).errors,
            "spec.golf: error: environment variable NUM_HEADS='four' is not "
            "integer (setting 'num_heads')\n");
  EXPECT_EQ(
      compile(kTiny, {{"compressor", "gzip"}}).errors,
      "spec.golf: error: 'compressor' must be one of zlib, zstd, lzma, got "
      "\"gzip\"\n");
}

/// Mutations of the baseline spec (byte flips, deletions, insertions,
/// duplicated and dropped lines) must give a clean result or clean errors:
/// never a crash, and never a failure without a message.
TEST(Frontend, MutatedSpecsNeverCrash) {
  std::ifstream in(std::string(GOLF_SOURCE_DIR) + "/models/baseline.golf");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string base = buffer.str();
  ASSERT_FALSE(base.empty());
  std::mt19937 rng(20240520);
  const std::string alphabet = "{}[]()=:,.+-*/%^<>#\"_ \n\t0123456789abcxyzBT";
  int failures = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s = base;
    int edits = 1 + rng() % 4;
    for (int e = 0; e < edits && !s.empty(); ++e) {
      size_t at = rng() % s.size();
      switch (rng() % 5) {
      case 0:
        s[at] = alphabet[rng() % alphabet.size()];
        break;
      case 1:
        s.erase(at, 1 + rng() % 8);
        break;
      case 2:
        s.insert(at, 1, alphabet[rng() % alphabet.size()]);
        break;
      case 3:
        s[at] = (char)(rng() % 256);
        break;
      case 4: {
        size_t end = s.find('\n', at);
        size_t begin = s.rfind('\n', at);
        begin = begin == std::string::npos ? 0 : begin;
        s.insert(begin,
                 s.substr(begin, end == std::string::npos ? 0 : end - begin));
        break;
      }
      }
    }
    Outcome o = compile(s);
    if (!o.ok) {
      ++failures;
      ASSERT_NE(o.errors.find("error: "), std::string::npos)
          << "failed without a message on:\n"
          << s;
      ASSERT_EQ(o.errors.find("internal error"), std::string::npos)
          << o.errors << "\non:\n"
          << s;
    }
  }
  EXPECT_GT(failures, 2000); // The mutations do break specs.
}

} // namespace
