// Runner: a compiled function bound by role to the training loop's tensors.
#include "runtime/backend/cpu/cpu_device.h"
#include "runtime/train.h"

#include <cstdio>
#include <cstdlib>

namespace golf::rt {

std::string Runner::bind(Executable *e, const TrainPlan &plan,
                         const std::vector<std::string> &wanted) {
  exe = e;
  argAt.clear();
  resultAt.clear();
  results.clear();
  views.clear();
  pointers.clear();
  if (!exe)
    return "";
  const Signature &sig = exe->signature();
  const size_t n = plan.params.size();
  for (const Slot &s : sig.args) {
    size_t at = SIZE_MAX;
    if (s.role.rfind("param:", 0) == 0) {
      for (size_t i = 0; i < n; ++i)
        if ("param:" + plan.params[i].name == s.role)
          at = i;
    } else if (s.role == "tokens") {
      at = n;
    } else if (s.role == "targets") {
      at = n + 1;
    } else if (s.role == "qat_enable") {
      at = n + 2;
    } else if (s.role.rfind("qat_clip:", 0) == 0) {
      for (size_t k = 0; k < plan.exports.qatParams.size(); ++k)
        if ("qat_clip:" + plan.exports.qatParams[k] == s.role)
          at = n + 3 + k;
    }
    if (at == SIZE_MAX)
      return exe->name() + " takes " + s.role + ", which the plan has no " +
             "place for";
    argAt.push_back(at);
  }

  results.resize(wanted.size());
  resultAt.assign(sig.results.size(), SIZE_MAX);
  for (size_t w = 0; w < wanted.size(); ++w) {
    int i = sig.result(wanted[w]);
    if (i < 0)
      return exe->name() + " does not return " + wanted[w];
    resultAt[i] = w;
    results[w] = tensorFor(sig.results[i]);
  }
  // A result the loop does not read still needs a buffer: one of its own.
  for (size_t i = 0; i < sig.results.size(); ++i)
    if (resultAt[i] == SIZE_MAX) {
      resultAt[i] = results.size();
      results.push_back(tensorFor(sig.results[i]));
    }
  views.resize(sig.args.size() + sig.results.size());
  for (Buffer &b : views)
    pointers.push_back(&b);
  return "";
}

const std::vector<Tensor> &Runner::operator()(std::vector<Tensor> &args) const {
  const Signature &sig = exe->signature();
  // Rebuilt only when a tensor's memory moved.
  auto refresh = [&](Buffer &view, Tensor &t) {
    if (view.data() != dataOf(t) || view.shape() != t.shape ||
        view.dtype() != dtypeOf(t))
      view = hostView(t);
  };

  for (size_t i = 0; i < argAt.size(); ++i) {
    if (argAt[i] >= args.size()) {
      std::fprintf(stderr, "internal error: %s: no tensor for %s\n",
                   exe->name().c_str(), sig.args[i].role.c_str());
      std::abort();
    }
    refresh(views[i], args[argAt[i]]);
  }
  for (size_t i = 0; i < resultAt.size(); ++i)
    refresh(views[argAt.size() + i], results[resultAt[i]]);
  std::string err = exe->run(pointers.data(), pointers.data() + argAt.size());
  if (!err.empty()) {
    std::fprintf(stderr, "internal error: %s\n", err.c_str());
    std::abort();
  }
  return results;
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
  return err;
}

} // namespace golf::rt
