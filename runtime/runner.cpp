// Runner: a compiled function bound by role to the training loop's buffers.
#include "runtime/train.h"

#include <cstdio>
#include <cstdlib>

namespace golf::rt {

std::string Runner::bind(Executable *e, const TrainPlan &plan,
                         const std::vector<std::string> &wanted) {
  exe = e;
  argFrom.clear();
  own.clear();
  resultAt.clear();
  into.clear();
  pointers.clear();
  tokens_ = Buffer();
  targets_ = Buffer();
  if (!exe)
    return "";
  const Signature &sig = exe->signature();
  Device &device = exe->device();
  const size_t n = plan.params.size();
  for (const Slot &s : sig.args) {
    Source from{Source::None, 0};
    if (s.role.rfind("param:", 0) == 0) {
      for (size_t i = 0; i < n; ++i)
        if ("param:" + plan.params[i].name == s.role)
          from = {Source::Param, i};
    } else if (s.role == "tokens" || s.role == "targets") {
      Buffer &b = s.role == "tokens" ? tokens_ : targets_;
      if (s.dtype != DType::i32 || s.shape.size() != 2)
        return exe->name() + " takes " + s.role + " as " + nameOf(s.dtype) +
               shapeText(s.shape) + ", not a matrix of token ids";
      b = device.zeros(DType::i32, s.shape);
      from = {s.role == "tokens" ? Source::Tokens : Source::Targets, 0};
    } else if (s.role == "qat_enable") {
      from = {Source::QatEnable, 0};
    } else if (s.role.rfind("qat_clip:", 0) == 0) {
      for (size_t k = 0; k < plan.exports.qatParams.size(); ++k)
        if ("qat_clip:" + plan.exports.qatParams[k] == s.role)
          from = {Source::QatClip, k};
    }
    if (from.kind == Source::None)
      return exe->name() + " takes " + s.role + ", which the plan has no " +
             "place for";
    argFrom.push_back(from);
  }
  if (tokens_ && targets_ && tokens_.shape() != targets_.shape())
    return exe->name() + " takes tokens and targets of different shapes";

  resultAt.assign(sig.results.size(), SIZE_MAX);
  for (size_t w = 0; w < wanted.size(); ++w) {
    int i = sig.result(wanted[w]);
    if (i < 0)
      return exe->name() + " does not return " + wanted[w];
    resultAt[i] = w;
  }
  // A result the loop does not read still needs a buffer: one of its own.
  size_t count = wanted.size();
  for (size_t &at : resultAt)
    if (at == SIZE_MAX)
      at = count++;
  own.resize(count);
  into.assign(count, nullptr);
  for (size_t i = 0; i < sig.results.size(); ++i) {
    own[resultAt[i]] =
        device.allocate(sig.results[i].dtype, sig.results[i].shape);
    into[resultAt[i]] = &own[resultAt[i]];
  }
  pointers.assign(sig.args.size() + sig.results.size(), nullptr);
  return "";
}

int64_t Runner::rows() const { return tokens_ ? tokens_.shape()[0] : 0; }
int64_t Runner::seq() const { return tokens_ ? tokens_.shape()[1] : 0; }

void Runner::setInputs(const int32_t *tokens, const int32_t *targets) {
  if (!tokens_ || !targets_)
    bufferMisuse("given token ids by a function that takes none");
  exe->device().copyIn(tokens_, tokens);
  exe->device().copyIn(targets_, targets);
}

void Runner::resultInto(size_t k, Buffer &b) { into[k] = &b; }

const Buffer &Runner::result(size_t k) const { return *into[k]; }

void Runner::operator()(ParamBuffers &weights, QatInputs *qat) {
  const Signature &sig = exe->signature();
  for (size_t i = 0; i < argFrom.size(); ++i) {
    const Source &from = argFrom[i];
    Buffer *b = nullptr;
    switch (from.kind) {
    case Source::Param:
      b = from.index < weights.size() ? &weights[from.index] : nullptr;
      break;
    case Source::Tokens:
      b = &tokens_;
      break;
    case Source::Targets:
      b = &targets_;
      break;
    case Source::QatEnable:
      b = qat ? &qat->enable : nullptr;
      break;
    case Source::QatClip:
      b = qat && from.index < qat->clips.size() ? &qat->clips[from.index]
                                                : nullptr;
      break;
    case Source::None:
      break;
    }
    if (!b) {
      std::fprintf(stderr, "internal error: %s: no buffer for %s\n",
                   exe->name().c_str(), sig.args[i].role.c_str());
      std::abort();
    }
    pointers[i] = b;
  }
  for (size_t i = 0; i < resultAt.size(); ++i)
    pointers[argFrom.size() + i] = into[resultAt[i]];
  std::string err = exe->run(pointers.data(), pointers.data() + argFrom.size());
  if (!err.empty()) {
    std::fprintf(stderr, "internal error: %s\n", err.c_str());
    std::abort();
  }
}

std::string bindFunctions(const TrainPlan &plan, const TrainExecutables &exes,
                          TrainFunctions &f) {
  std::vector<std::string> grads = {"loss"}, hessians = {"loss"};
  for (const TrainParam &p : plan.params)
    grads.push_back("grad:" + p.name);
  for (const std::string &name : plan.exports.hessianParams)
    hessians.push_back("hessian:" + name);
  std::string err = f.step.bind(exes.step, plan, grads);
  if (err.empty())
    err = f.stepEarly.bind(exes.stepEarly, plan, grads);
  if (err.empty())
    err = f.ttt.bind(exes.ttt, plan, grads);
  if (err.empty())
    err = f.eval.bind(exes.eval, plan, {"losses"});
  if (err.empty())
    err = f.calibrate.bind(exes.calibrate, plan, hessians);
  if (err.empty())
    err = f.logits.bind(exes.logits, plan, {"logits"});
  if (err.empty())
    err = f.hidden.bind(exes.hidden, plan, {"hidden"});
  // One device runs the whole training.
  Executable *all[] = {exes.step, exes.eval,      exes.calibrate, exes.logits,
                       exes.ttt,  exes.stepEarly, exes.hidden};
  for (Executable *e : all)
    if (err.empty() && e && exes.eval && &e->device() != &exes.eval->device())
      err = e->name() + " runs on " + e->device().name() + ", the evaluation " +
            "on " + exes.eval->device().name();
  return err;
}

} // namespace golf::rt
