#include "runtime/settings.h"

#include "runtime/log.h"

namespace golf::rt {

const std::vector<SettingField> &settingFields() {
  using S = TrainSettings;
  constexpr bool run = true, fixed = false;
  auto i = [](const char *sec, const char *name, int64_t S::*m, bool runtime,
              double low = 0, double high = 1e18) {
    SettingField f{sec, name};
    f.integer = m;
    f.runtime = runtime;
    f.low = low;
    f.high = high;
    return f;
  };
  auto r = [](const char *sec, const char *name, double S::*m, bool runtime,
              double low = 0, double high = 1e18) {
    SettingField f{sec, name};
    f.real = m;
    f.runtime = runtime;
    f.low = low;
    f.high = high;
    return f;
  };
  auto b = [](const char *sec, const char *name, bool S::*m, bool runtime) {
    SettingField f{sec, name};
    f.flag = m;
    f.runtime = runtime;
    return f;
  };
  auto t = [](const char *sec, const char *name, std::string S::*m) {
    SettingField f{sec, name};
    f.text = m;
    return f;
  };
  static const std::vector<SettingField> table = {
      i("train", "train_seq_len", &S::trainSeqLen, fixed),
      i("train", "train_batch_tokens", &S::trainBatchTokens, fixed),
      i("train", "iterations", &S::iterations, run, 1),
      i("train", "warmup_steps", &S::warmupSteps, run),
      i("train", "warmdown_iters", &S::warmdownIters, run),
      t("train", "warmdown_shape", &S::warmdownShape),
      r("train", "warmdown_frac", &S::warmdownFrac, run, 0, 1),
      r("train", "min_lr", &S::minLr, run, 0, 1),
      r("train", "max_wallclock_seconds", &S::maxWallclockSeconds, run),
      r("train", "grad_clip_norm", &S::gradClipNorm, run),
      i("train", "grad_accum_steps", &S::gradAccumSteps, fixed),
      i("train", "seed", &S::seed, run),
      i("train", "val_loss_every", &S::valLossEvery, run),
      i("train", "train_log_every", &S::trainLogEvery, run),
      b("train", "ema_enabled", &S::emaEnabled, run),
      r("train", "ema_decay", &S::emaDecay, run, 0, 1),
      b("train", "swa_enabled", &S::swaEnabled, run),
      i("train", "swa_every", &S::swaEvery, run, 1),
      r("train", "swa_start_frac", &S::swaStartFrac, run, 0, 1),
      i("train", "checkpoint_every", &S::checkpointEvery, run),
      t("train", "switch_hparam", &S::switchHparam),
      r("train", "switch_at", &S::switchAt, run, 0, 1),
      b("eval", "ttt_enabled", &S::tttEnabled, run),
      i("eval", "ttt_chunk_tokens", &S::tttChunkTokens, fixed),
      i("eval", "ttt_epochs", &S::tttEpochs, run),
      i("eval", "ttt_batch_seqs", &S::tttBatchSeqs, fixed),
      r("eval", "ttt_lr", &S::tttLr, run),
      r("eval", "ttt_momentum", &S::tttMomentum, run, 0, 1),
      r("eval", "ttt_grad_clip", &S::tttGradClip, run),
      b("eval", "slot_enabled", &S::slotEnabled, fixed),
      i("eval", "slot_steps", &S::slotSteps, run),
      i("eval", "slot_batch_seqs", &S::slotBatchSeqs, run, 1),
      r("eval", "slot_lr", &S::slotLr, run),
      r("eval", "slot_lr_min", &S::slotLrMin, run),
      r("eval", "slot_weight_decay", &S::slotWeightDecay, run),
      r("eval", "slot_warm_start", &S::slotWarmStart, run, 0, 1),
  };
  return table;
}

std::string settingText(const TrainSettings &s, const SettingField &f) {
  if (f.integer)
    return std::to_string(s.*(f.integer));
  if (f.real)
    return format("%.17g", s.*(f.real));
  if (f.flag)
    return s.*(f.flag) ? "true" : "false";
  return s.*(f.text);
}

} // namespace golf::rt
