#include "runtime/corpus.h"
#include "runtime/shards.h"

#include <nlohmann/json.hpp>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace golf::rt {

bool readDocuments(const std::string &path, std::vector<std::string> &docs,
                   std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read";
    return false;
  }
  docs.clear();
  const bool jsonl =
      path.size() >= 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
  std::string line, doc;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (jsonl) {
      if (line.find_first_not_of(" \t\r") == std::string::npos)
        continue;
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("text") ||
          !j["text"].is_string()) {
        error = path + ":" + std::to_string(number) +
                ": not a JSON object with a \"text\" string";
        return false;
      }
      docs.push_back(j["text"].get<std::string>());
      continue;
    }
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      if (!doc.empty())
        docs.push_back(doc);
      doc.clear();
      continue;
    }
    doc += doc.empty() ? line : "\n" + line;
  }
  if (!doc.empty())
    docs.push_back(doc);
  if (docs.empty()) {
    error = path + ": no documents";
    return false;
  }
  return true;
}

bool trainTokenizer(const std::vector<std::string> &docs, int64_t vocabSize,
                    const std::string &prefix, std::string &error) {
  // SentencePiece reads sentences a line each.
  const std::string input = prefix + ".corpus.tmp";
  {
    std::ofstream out(input, std::ios::binary);
    for (const std::string &d : docs) {
      std::istringstream lines(d);
      std::string l;
      while (std::getline(lines, l))
        if (!l.empty())
          out << l << "\n";
    }
    if (!out.good()) {
      error = input + ": cannot write";
      return false;
    }
  }
  auto status = sentencepiece::SentencePieceTrainer::Train(
      "--input=" + input + " --model_prefix=" + prefix +
      " --model_type=bpe --vocab_size=" + std::to_string(vocabSize) +
      " --byte_fallback=true --split_digits=true"
      " --normalization_rule_name=nmt_nfkc --add_dummy_prefix=false"
      " --pad_id=0 --bos_id=1 --eos_id=2 --unk_id=3"
      " --character_coverage=0.9995 --max_sentence_length=16384"
      " --minloglevel=2");
  std::remove(input.c_str());
  if (!status.ok()) {
    error = "training the tokenizer: " + std::string(status.message());
    return false;
  }
  return true;
}

bool writeTokenShards(const std::vector<std::string> &docs,
                      const std::string &model, int64_t valDocs,
                      const std::string &outDir, int64_t shardTokens,
                      ShardCounts &counts, std::string &error) {
  sentencepiece::SentencePieceProcessor sp;
  auto status = sp.Load(model);
  if (!status.ok()) {
    error = model + ": not a SentencePiece model (" +
            std::string(status.message()) + ")";
    return false;
  }
  if (sp.GetPieceSize() > 65536) {
    error = model + ": " + std::to_string(sp.GetPieceSize()) +
            " pieces do not fit the shards' 16-bit ids";
    return false;
  }
  if (sp.bos_id() != 1) {
    error = model + ": BOS is id " + std::to_string(sp.bos_id()) +
            ", the challenge's is 1";
    return false;
  }
  std::error_code ec;
  std::filesystem::create_directories(outDir, ec);
  if (ec) {
    error = outDir + ": " + ec.message();
    return false;
  }
  counts = {};
  std::vector<uint16_t> buffer;
  auto flush = [&](bool val) {
    int64_t &n = val ? counts.valShards : counts.trainShards;
    char name[32];
    std::snprintf(name, sizeof name, "%s_%06lld.bin", val ? "val" : "train",
                  (long long)n);
    ++n;
    std::string err = writeShard(outDir + "/" + name, buffer);
    buffer.clear();
    if (!err.empty())
      error = err;
    return err.empty();
  };
  for (size_t i = 0; i < docs.size(); ++i) {
    const bool val = (int64_t)i < valDocs;
    std::vector<int> ids;
    status = sp.Encode(docs[i], &ids);
    if (!status.ok()) {
      error = "document " + std::to_string(i) + ": " +
              std::string(status.message());
      return false;
    }
    buffer.push_back(1);
    buffer.insert(buffer.end(), ids.begin(), ids.end());
    (val ? counts.valDocs : counts.trainDocs) += 1;
    (val ? counts.valTokens : counts.trainTokens) += 1 + (int64_t)ids.size();
    const bool lastOfSplit = (int64_t)i + 1 == valDocs || i + 1 == docs.size();
    if (((int64_t)buffer.size() >= shardTokens || lastOfSplit) &&
        !buffer.empty() && !flush(val))
      return false;
  }
  return true;
}

} // namespace golf::rt
