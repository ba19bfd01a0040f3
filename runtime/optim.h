// The optimizers of the training runtime: Muon for matrices, Adam(W) for the
// rest, as the challenge's train_gpt.py runs them (reference §4). Which
// parameter goes to which group, with which lr, is the spec's business; these
// functions update one tensor given its group's settings and the schedule's
// lr scale. Float32 for training, float64 for checking against PyTorch.
#pragma once

#include <cstdint>
#include <vector>

namespace golf::rt {

struct AdamSettings {
  double lr = 0; // before the schedule
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weightDecay = 0; // decoupled (AdamW), scaled by the scheduled lr
};

/// One Adam(W) step of `n` values, as torch.optim.AdamW computes it:
/// w ← w·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
/// w ← w − (lr / (1−β1ᵗ))·m / (√v / √(1−β2ᵗ) + ε), with lr = settings.lr ·
/// lrScale and t ≥ 1 the step number.
template <typename T>
void adamStep(const AdamSettings &s, double lrScale, int64_t t, T *w,
              const T *g, T *m, T *v, int64_t n);

struct MuonSettings {
  double lr = 0;          // before the schedule
  double momentum = 0.95; // after the warm-up
  bool nesterov = true;
  int64_t backendSteps = 5;
  double momentumWarmupStart = 0.85;
  int64_t momentumWarmupSteps = 500;
  double weightDecay = 0; // decoupled, scaled by the scheduled lr
  /// MuonEq-R (§4.4): each row of the update divided by max(‖row‖, 1e-7)
  /// after Nesterov, before Newton–Schulz.
  bool rowNormalize = false;
  /// Newton–Schulz with the Polar Express coefficients (§4.5).
  bool polarExpress = false;
};

/// The momentum at step t (0-based): linear from momentumWarmupStart to
/// momentum over momentumWarmupSteps steps, then constant.
double muonMomentum(const MuonSettings &s, int64_t t);

/// X ← NS₅(X): the quintic Newton–Schulz iteration with (a, b, c) =
/// (3.4445, −4.7750, 2.0315) on X/(‖X‖_F + 1e-7), on the wide orientation
/// (transposed when rows > cols), `steps` times. Its result is close to the
/// orthogonal factor of X's polar decomposition. Computed in T (the records
/// run it in bfloat16 on GPUs). With `polarExpress`, iteration i uses the
/// i-th Polar Express tuple (§4.5; steps ≤ 5).
template <typename T>
void newtonSchulz(T *x, int64_t rows, int64_t cols, int64_t steps,
                  std::vector<T> &scratch, bool polarExpress = false);

/// One Muon step of a rows×cols matrix (row-major): buf ← μ·buf + g; the
/// update is g + μ·buf (Nesterov) or buf, its rows normalized with
/// rowNormalize (MuonEq-R), orthogonalized by newtonSchulz and
/// scaled by √max(1, rows/cols); w ← w·(1 − lr·wd) − lr·update, with lr =
/// settings.lr · lrScale and μ = muonMomentum(settings, t).
template <typename T>
void muonStep(const MuonSettings &s, double lrScale, int64_t t, T *w,
              const T *g, T *buf, int64_t rows, int64_t cols,
              std::vector<T> &scratch);

} // namespace golf::rt
