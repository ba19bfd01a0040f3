// SLOT (reference §10.5): per-window parameters fitted, on a frozen model,
// to the targets they then score. golfc runs it to reproduce PR #1319's
// number and says what it is: not a legal score.
#include "runtime/data.h"
#include "runtime/device_ops.h"
#include "runtime/train.h"

#include <cblas.h>

#include <cmath>
#include <string>

namespace golf::rt {

std::string slotCheck(const TrainPlan &plan) {
  const TrainSettings &s = plan.settings;
  if (s.slotSteps < 0 || s.slotBatchSeqs < 1)
    return "slot_steps must not be negative and slot_batch_seqs must be at "
           "least 1";
  if (!(s.slotLr >= 0 && s.slotLrMin >= 0 && s.slotWeightDecay >= 0 &&
        s.slotWarmStart >= 0 && s.slotWarmStart <= 1))
    return "slot_lr, slot_lr_min and slot_weight_decay must not be negative, "
           "and slot_warm_start must be in [0, 1]";
  for (const TrainParam &p : plan.params)
    if (p.name == plan.headWeight && p.shape.size() == 2)
      return "";
  return "SLOT needs the model's head, cross_entropy(softcap(linear(h, W))) "
         "with W a parameter [V, d]";
}

namespace {

/// torch.optim.AdamW's defaults (β = (0.9, 0.999), ε = 1e-8) on one tensor,
/// in float64, with its moments; `t` counts from 1.
struct AdamW {
  std::vector<double> m, v;
  void step(std::vector<double> &p, const std::vector<double> &g, int64_t t,
            double lr, double wd) {
    m.resize(p.size(), 0.0);
    v.resize(p.size(), 0.0);
    AdamSettings s;
    s.lr = lr;
    s.beta2 = 0.999;
    s.weightDecay = wd;
    adamStep(s, 1.0, t, p.data(), g.data(), m.data(), v.data(),
             (int64_t)p.size());
  }
};

/// One batch's scored rows: hidden states [rows, d], targets, windows.
struct Rows {
  std::vector<double> hidden;
  std::vector<int32_t> target;
  std::vector<int64_t> window;
};

/// The capped logits of every row, softcap(W(h + δ) + β), into `c`.
void logits(const Rows &r, const std::vector<double> &w, int64_t V, int64_t d,
            double cap, const std::vector<double> &delta,
            const std::vector<double> &bias, std::vector<double> &x,
            std::vector<double> &c) {
  const int64_t n = (int64_t)r.target.size();
  x.resize(n * d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < d; ++k)
      x[i * d + k] = r.hidden[i * d + k] + delta[r.window[i] * d + k];
  c.resize(n * V);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)V, (int)d,
              1.0, x.data(), (int)d, w.data(), (int)d, 0.0, c.data(), (int)V);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < V; ++j) {
      double z = c[i * V + j] + bias[r.window[i] * V + j];
      c[i * V + j] = cap > 0 ? cap * std::tanh(z / cap) : z;
    }
}

/// The negative log-likelihood of row i's target under logits c.
double nll(const std::vector<double> &c, int64_t V, int64_t i, int32_t t,
           std::vector<double> *p) {
  const double *z = c.data() + i * V;
  double top = z[0];
  for (int64_t j = 1; j < V; ++j)
    top = std::max(top, z[j]);
  double sum = 0;
  for (int64_t j = 0; j < V; ++j)
    sum += std::exp(z[j] - top);
  const double lse = top + std::log(sum);
  if (p)
    for (int64_t j = 0; j < V; ++j)
      (*p)[j] = std::exp(z[j] - lse);
  return lse - z[t];
}

} // namespace

Score validateSlot(const TrainPlan &plan, TrainFunctions &f,
                   ParamBuffers &weights, const std::vector<uint16_t> &val,
                   int64_t stride, const ByteTable &bytes) {
  const TrainSettings &s = plan.settings;
  const int64_t seq = plan.evalSeqLen, batch = f.hidden.rows();
  int64_t head = -1;
  for (size_t i = 0; i < plan.params.size(); ++i)
    if (plan.params[i].name == plan.headWeight)
      head = (int64_t)i;
  const int64_t V = plan.params[head].shape[0], d = plan.params[head].shape[1];
  // The fit runs on the host in float64, on the hidden states the device's
  // frozen model returns.
  std::vector<float> staging;
  const float *headWeight = readOnHost(weights[head], staging);
  const std::vector<double> w(headWeight, headWeight + V * d);
  const double cap = plan.headSoftcap;
  const std::vector<EvalWindow> windows =
      evalWindows((int64_t)val.size() - 1, seq, stride);

  std::vector<int32_t> inputs, targets;
  Score score;
  double lossSum = 0;
  std::vector<double> delta, bias, prevDelta, prevBias, x, c, p(V);
  size_t prevCount = 0;
  for (size_t first = 0; first < windows.size();
       first += (size_t)s.slotBatchSeqs) {
    const size_t count =
        std::min(windows.size() - first, (size_t)s.slotBatchSeqs);
    // The frozen model's hidden states at the scored positions.
    Rows r;
    for (size_t done = 0; done < count; done += (size_t)batch) {
      const size_t calls = std::min(count - done, (size_t)batch);
      inputs.assign(batch * seq, 0);
      targets.assign(batch * seq, 0);
      for (size_t k = 0; k < calls; ++k) {
        const EvalWindow &win = windows[first + done + k];
        for (int64_t i = 0; i < win.length; ++i) {
          inputs[k * seq + i] = val[win.start + i];
          targets[k * seq + i] = val[win.start + i + 1];
        }
      }
      f.hidden.setInputs(inputs.data(), targets.data());
      f.hidden(weights);
      const float *hidden = readOnHost(f.hidden.result(0), staging);
      for (size_t k = 0; k < calls; ++k) {
        const EvalWindow &win = windows[first + done + k];
        for (int64_t i = win.scoredFrom; i < win.length; ++i) {
          const float *h = hidden + (k * seq + i) * d;
          r.hidden.insert(r.hidden.end(), h, h + d);
          r.target.push_back(targets[k * seq + i]);
          r.window.push_back((int64_t)(done + k));
        }
        score.bytes +=
            countBytes(bytes, inputs.data() + k * seq + win.scoredFrom,
                       targets.data() + k * seq + win.scoredFrom,
                       win.length - win.scoredFrom);
      }
    }
    const int64_t n = (int64_t)r.target.size();
    // δ and β: warm-started from the previous batch when it was as large.
    delta.assign(count * d, 0.0);
    bias.assign(count * V, 0.0);
    if (count == prevCount) {
      for (size_t i = 0; i < delta.size(); ++i)
        delta[i] = s.slotWarmStart * prevDelta[i];
      for (size_t i = 0; i < bias.size(); ++i)
        bias[i] = s.slotWarmStart * prevBias[i];
    }
    AdamW adamDelta, adamBias;
    std::vector<double> gDelta, gBias, gz(n * V), gx(n * d);
    for (int64_t k = 0; k < s.slotSteps; ++k) {
      const double lr =
          s.slotLrMin +
          0.5 * (s.slotLr - s.slotLrMin) *
              (1 + std::cos(M_PI * (double)k / (double)s.slotSteps));
      logits(r, w, V, d, cap, delta, bias, x, c);
      // d(mean NLL)/dz: (softmax − onehot)/n through the cap's tanh.
      gDelta.assign(count * d, 0.0);
      gBias.assign(count * V, 0.0);
      for (int64_t i = 0; i < n; ++i) {
        nll(c, V, i, r.target[i], &p);
        for (int64_t j = 0; j < V; ++j) {
          double g = (p[j] - (j == r.target[i] ? 1.0 : 0.0)) / (double)n;
          if (cap > 0) {
            const double t = c[i * V + j] / cap;
            g *= 1 - t * t;
          }
          gz[i * V + j] = g;
          gBias[r.window[i] * V + j] += g;
        }
      }
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)d,
                  (int)V, 1.0, gz.data(), (int)V, w.data(), (int)d, 0.0,
                  gx.data(), (int)d);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < d; ++j)
          gDelta[r.window[i] * d + j] += gx[i * d + j];
      adamDelta.step(delta, gDelta, k + 1, lr, s.slotWeightDecay);
      adamBias.step(bias, gBias, k + 1, lr, s.slotWeightDecay);
    }
    // Score the same targets with the fitted δ and β.
    logits(r, w, V, d, cap, delta, bias, x, c);
    for (int64_t i = 0; i < n; ++i)
      lossSum += nll(c, V, i, r.target[i], nullptr);
    score.tokens += n;
    prevDelta = delta;
    prevBias = bias;
    prevCount = count;
  }
  score.loss = score.tokens ? lossSum / (double)score.tokens : 0.0;
  score.bpb = bitsPerByte(score.loss, score.tokens, score.bytes);
  return score;
}

} // namespace golf::rt
