#include "runtime/data.h"
#include "runtime/shards.h"

#include <glob.h>

#include <algorithm>

namespace golf::rt {

std::vector<std::string> matchFiles(const std::string &pattern,
                                    std::string &error) {
  std::vector<std::string> files;
  glob_t g{};
  int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
  if (rc == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i)
      files.push_back(g.gl_pathv[i]);
  globfree(&g);
  if (files.empty())
    error = pattern + ": no file matches";
  std::sort(files.begin(), files.end());
  return files;
}

bool TokenStream::load(size_t index, std::string &error) {
  Shard shard = readShard(files[index]);
  if (!shard.ok()) {
    error = shard.error;
    return false;
  }
  tokens = std::move(shard.tokens);
  file = index;
  pos = 0;
  loaded = true;
  return true;
}

bool TokenStream::take(int64_t n, std::vector<uint16_t> &out,
                       std::string &error) {
  if (files.empty()) {
    error = "no token shards";
    return false;
  }
  if (!loaded && !load(0, error))
    return false;
  int64_t emptyInARow = 0;
  while (n > 0) {
    int64_t avail = (int64_t)tokens.size() - pos;
    if (avail <= 0) {
      // Every shard empty would loop forever.
      if (++emptyInARow > (int64_t)files.size()) {
        error = "the token shards hold no tokens";
        return false;
      }
      if (!load((file + 1) % files.size(), error))
        return false;
      continue;
    }
    emptyInARow = 0;
    int64_t k = std::min(n, avail);
    out.insert(out.end(), tokens.begin() + pos, tokens.begin() + pos + k);
    pos += k;
    n -= k;
  }
  return true;
}

bool TokenStream::seek(int64_t shard, int64_t at, std::string &error) {
  if (shard < 0 || shard >= (int64_t)files.size()) {
    error = "the checkpoint's data position names shard " +
            std::to_string(shard) + " of " + std::to_string(files.size());
    return false;
  }
  if (!load((size_t)shard, error))
    return false;
  if (at < 0 || at > (int64_t)tokens.size()) {
    error = files[shard] + ": the checkpoint's data position " +
            std::to_string(at) + " is past its " +
            std::to_string(tokens.size()) + " tokens";
    return false;
  }
  pos = at;
  return true;
}

bool nextBatch(TokenStream &stream, int64_t globalTokens, int64_t seq,
               int64_t world, int64_t rank, int64_t accum, TokenBatch &batch,
               std::string &error) {
  const int64_t local = globalTokens / (world * accum);
  if (seq <= 0 || local <= 0 || local % seq != 0) {
    error = "train_batch_tokens " + std::to_string(globalTokens) + " over " +
            std::to_string(world) + " rank(s) and " + std::to_string(accum) +
            " accumulation step(s) gives " + std::to_string(local) +
            " tokens per micro-batch, not a positive multiple of "
            "train_seq_len " +
            std::to_string(seq);
    return false;
  }
  std::vector<uint16_t> chunk;
  if (!stream.take((local + 1) * world, chunk, error))
    return false;
  const int64_t start = rank * (local + 1);
  batch.rows = local / seq;
  batch.seq = seq;
  batch.inputs.assign(chunk.begin() + start, chunk.begin() + start + local);
  batch.targets.assign(chunk.begin() + start + 1,
                       chunk.begin() + start + local + 1);
  return true;
}

bool loadValidation(const std::vector<std::string> &files, int64_t seq,
                    std::vector<uint16_t> &tokens, std::string &error) {
  tokens.clear();
  for (const std::string &f : files) {
    Shard shard = readShard(f);
    if (!shard.ok()) {
      error = shard.error;
      return false;
    }
    tokens.insert(tokens.end(), shard.tokens.begin(), shard.tokens.end());
  }
  const int64_t usable =
      tokens.empty() ? 0 : ((int64_t)tokens.size() - 1) / seq * seq;
  if (usable <= 0) {
    error = "the validation shards hold " + std::to_string(tokens.size()) +
            " tokens, fewer than one sequence of " + std::to_string(seq) +
            " plus one";
    return false;
  }
  tokens.resize(usable + 1);
  return true;
}

std::vector<EvalWindow> evalWindows(int64_t targets, int64_t seq,
                                    int64_t stride) {
  std::vector<EvalWindow> windows;
  if (targets <= 0 || seq <= 0)
    return windows;
  if (stride <= 0 || stride >= seq) {
    for (int64_t start = 0; start < targets; start += seq)
      windows.push_back({start, std::min(seq, targets - start), 0});
    return windows;
  }
  const int64_t context = seq - stride;
  for (int64_t start = 0; start == 0 || start + context < targets;
       start += stride)
    windows.push_back(
        {start, std::min(seq, targets - start), start == 0 ? 0 : context});
  return windows;
}

} // namespace golf::rt
