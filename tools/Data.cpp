#include "tools/Driver.h"

using namespace golf;

namespace golf::driver {

/// `golfc data FILE --out DIR [--vocab N | --tokenizer MODEL]
/// [--val-docs N]`: documents to the challenge's shards, training a BPE
/// tokenizer first with --vocab.
int runData(int argc, char **argv) {
  std::string input, out, tokenizer;
  int64_t vocab = 0, valDocs = -1;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string &into) {
      if (i + 1 >= argc)
        return false;
      into = argv[++i];
      return true;
    };
    auto number = [&](int64_t &into, int64_t lo, int64_t hi) {
      std::string v;
      long long n;
      if (!value(v) || llvm::StringRef(v).getAsInteger(10, n) || n < lo ||
          n > hi)
        return false;
      into = n;
      return true;
    };
    bool ok = true;
    if (arg == "--out" || arg == "-o")
      ok = value(out);
    else if (arg == "--tokenizer")
      ok = value(tokenizer);
    else if (arg == "--vocab")
      ok = number(vocab, 260, 65536);
    else if (arg == "--val-docs")
      ok = number(valDocs, 0, INT64_MAX);
    else if (!arg.empty() && arg[0] == '-')
      return usage("unknown option '" + arg + "'");
    else if (input.empty())
      input = arg;
    else
      return usage("more than one input given");
    if (!ok)
      return usage(arg + (arg == "--vocab" ? " takes a vocabulary size in "
                                             "[260, 65536]"
                                           : " needs a valid value"));
  }
  if (input.empty() || out.empty() || (vocab == 0) == tokenizer.empty())
    return usage("data needs FILE, --out DIR and one of --vocab N or "
                 "--tokenizer MODEL");
  std::vector<std::string> docs;
  std::string error;
  if (!rt::readDocuments(input, docs, error)) {
    llvm::errs() << error << "\n";
    return 1;
  }
  if (valDocs < 0)
    valDocs = std::max<int64_t>(1, (int64_t)docs.size() / 20);
  if (valDocs >= (int64_t)docs.size()) {
    llvm::errs() << input << ": " << docs.size() << " documents, not more "
                 << "than the " << valDocs << " for validation\n";
    return 1;
  }
  if (std::error_code ec = llvm::sys::fs::create_directories(out)) {
    llvm::errs() << out << ": " << ec.message() << "\n";
    return 1;
  }
  if (vocab) {
    tokenizer = out + "/tokenizer.model";
    if (!rt::trainTokenizer(docs, vocab, out + "/tokenizer", error)) {
      llvm::errs() << "golfc: error: " << error << "\n";
      return 1;
    }
    llvm::outs() << "trained " << tokenizer << " (BPE, " << vocab
                 << " pieces)\n";
  }
  rt::ShardCounts counts;
  if (!rt::writeTokenShards(docs, tokenizer, valDocs, out, 100000000, counts,
                            error)) {
    llvm::errs() << error << "\n";
    return 1;
  }
  llvm::outs() << "val: " << counts.valDocs << " documents, "
               << counts.valTokens << " tokens in " << counts.valShards
               << " shard(s)\ntrain: " << counts.trainDocs << " documents, "
               << counts.trainTokens << " tokens in " << counts.trainShards
               << " shard(s)\n";
  return 0;
}

} // namespace golf::driver
