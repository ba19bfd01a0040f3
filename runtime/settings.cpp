#include "runtime/settings.h"

#include "runtime/log.h"

#include <type_traits>

namespace golf::rt {

const std::vector<SettingField> &settingFields() {
  using S = TrainSettings;
  constexpr bool run = true, fixed = false;
  // One row: the member's type says which field of SettingField names it.
  auto row = [](const char *sec, const char *name, auto S::*member,
                bool runtime = false, double low = 0, double high = 1e18) {
    SettingField f{sec, name};
    using T = std::remove_reference_t<decltype(S().*member)>;
    if constexpr (std::is_same_v<T, int64_t>)
      f.integer = member;
    else if constexpr (std::is_same_v<T, double>)
      f.real = member;
    else if constexpr (std::is_same_v<T, bool>)
      f.flag = member;
    else
      f.text = member;
    f.runtime = runtime;
    f.low = low;
    f.high = high;
    return f;
  };
  static const std::vector<SettingField> table = {
      row("train", "train_seq_len", &S::trainSeqLen, fixed),
      row("train", "train_batch_tokens", &S::trainBatchTokens, fixed),
      row("train", "iterations", &S::iterations, run, 1),
      row("train", "warmup_steps", &S::warmupSteps, run),
      row("train", "warmdown_iters", &S::warmdownIters, run),
      row("train", "warmdown_shape", &S::warmdownShape),
      row("train", "warmdown_frac", &S::warmdownFrac, run, 0, 1),
      row("train", "min_lr", &S::minLr, run, 0, 1),
      row("train", "max_wallclock_seconds", &S::maxWallclockSeconds, run),
      row("train", "grad_clip_norm", &S::gradClipNorm, run),
      row("train", "grad_accum_steps", &S::gradAccumSteps, fixed),
      row("train", "seed", &S::seed, run),
      row("train", "val_loss_every", &S::valLossEvery, run),
      row("train", "train_log_every", &S::trainLogEvery, run),
      row("train", "ema_enabled", &S::emaEnabled, run),
      row("train", "ema_decay", &S::emaDecay, run, 0, 1),
      row("train", "swa_enabled", &S::swaEnabled, run),
      row("train", "swa_every", &S::swaEvery, run, 1),
      row("train", "swa_start_frac", &S::swaStartFrac, run, 0, 1),
      row("train", "checkpoint_every", &S::checkpointEvery, run),
      row("train", "switch_hparam", &S::switchHparam),
      row("train", "switch_at", &S::switchAt, run, 0, 1),
      row("eval", "ttt_enabled", &S::tttEnabled, run),
      row("eval", "ttt_chunk_tokens", &S::tttChunkTokens, fixed),
      row("eval", "ttt_epochs", &S::tttEpochs, run),
      row("eval", "ttt_batch_seqs", &S::tttBatchSeqs, fixed),
      row("eval", "ttt_lr", &S::tttLr, run),
      row("eval", "ttt_momentum", &S::tttMomentum, run, 0, 1),
      row("eval", "ttt_grad_clip", &S::tttGradClip, run),
      row("eval", "slot_enabled", &S::slotEnabled, fixed),
      row("eval", "slot_steps", &S::slotSteps, run),
      row("eval", "slot_batch_seqs", &S::slotBatchSeqs, run, 1),
      row("eval", "slot_lr", &S::slotLr, run),
      row("eval", "slot_lr_min", &S::slotLrMin, run),
      row("eval", "slot_weight_decay", &S::slotWeightDecay, run),
      row("eval", "slot_warm_start", &S::slotWarmStart, run, 0, 1),
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
