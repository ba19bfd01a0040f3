// A training run as the runtime runs it, from the plan the compiler hands
// over: initialization, the challenge's data order and slicing, gradient
// accumulation and clipping, Muon and Adam groups, the lr schedule, EMA or
// SWA, periodic and final validation (val_loss, val_bpb), the run directory.
#pragma once

#include "runtime/bytes.h"
#include "runtime/comm/comm.h"
#include "runtime/device_ops.h"
#include "runtime/executable.h"
#include "runtime/optim.h"
#include "runtime/quant.h"
#include "runtime/step.h"

#include <functional>
#include <string>
#include <vector>

namespace golf::rt {

struct TrainParam {
  std::string name;
  std::vector<int64_t> shape;
  std::string init;
  std::vector<double> initArgs;
  std::string group;
  std::string quant; // export class
};

/// The spec's `export` section and export classes, resolved.
struct ExportPlan {
  std::string compressor = "zlib";
  int64_t level = 9;
  int64_t budgetBytes = 16000000;
  std::vector<std::pair<std::string, QuantPolicy>> classes;
  /// GPTQ: the parameters whose input Hessians the calibration forward
  /// returns (in its order), and how many training batches it runs.
  std::vector<std::string> hessianParams;
  int64_t calibrationBatches = 16;
  /// Where the calibration sequences come from: "train" (the first
  /// training batches) or "self" (sampled from the trained model at
  /// `temperature`, each from the tokenizer's BOS).
  std::string calibration = "train";
  double temperature = 0.8;
  /// Fit by construction: when the artifact would exceed the budget minus
  /// the margin, the smallest weights of this class are pruned, as few as
  /// make it fit ("" : never).
  std::string fitClass;
  int64_t fitMarginBytes = 0;
  /// How the fit class is made smaller: "prune" its smallest weights,
  /// "coarsen" its grid, or "bits": store it one integer format narrower.
  std::string fitRule = "prune";
  /// Late QAT: the step's fake quantization turns on when the lr scale
  /// first falls below the threshold (0: never). `qatParams` are the
  /// parameters it covers, whose clips the step takes after the targets
  /// (after `qat_enable`), in this order.
  double lateQatThreshold = 0;
  std::vector<std::string> qatParams;
  /// LQER (§7.8): the lqerTopK integer matrices of largest quantization
  /// error get a rank-lqerRank correction, B̂ in groups of lqerGroup.
  int64_t lqerTopK = 0, lqerRank = 4, lqerGroup = 64;
};

struct TrainGroup {
  std::string name, kind; // kind: muon or adam
  MuonSettings muon;
  AdamSettings adam;
};

/// The `train` and `eval` settings of the spec, resolved: each field is a
/// GOLF_RUN_SETTING row of dialect/Settings.def, which names it with the
/// setting's name, kind, default and doc (a test keeps the defaults here
/// equal to the rows').
struct TrainSettings {
  int64_t trainSeqLen = 1024, trainBatchTokens = 524288, iterations = 20000,
          warmupSteps = 20, warmdownIters = 1200, seed = 1337,
          valLossEvery = 1000, trainLogEvery = 200, swaEvery = 50,
          gradAccumSteps = 0, checkpointEvery = 100;
  double maxWallclockSeconds = 600, gradClipNorm = 0, emaDecay = 0.997,
         swaStartFrac = 0.5;
  bool emaEnabled = false, swaEnabled = false;
  std::string warmdownShape = "linear"; // or "sqrt" (Schedule::sqrtShape)
  double warmdownFrac = 0, minLr = 0;   // Schedule's
  /// Score-first test-time training of the final score (reference §10.2;
  /// the `eval` section's ttt_* settings, docs/training.md).
  bool tttEnabled = false;
  int64_t tttChunkTokens = 32768, tttEpochs = 3, tttBatchSeqs = 32;
  double tttLr = 0.002, tttMomentum = 0.9, tttGradClip = 1.0;
  /// SLOT (reference §10.5; the `eval` section's slot_* settings): not a
  /// legal score, reported beside the score.
  bool slotEnabled = false;
  int64_t slotSteps = 64, slotBatchSeqs = 32;
  double slotLr = 0.01, slotLrMin = 0.001, slotWeightDecay = 0.01,
         slotWarmStart = 0.85;
  /// A phase switch: until `switchAt` of the run (trainingFraction) the
  /// step is the early one, compiled with this hparam false ("" : none).
  std::string switchHparam;
  double switchAt = 0.5;
};

struct TrainPlan {
  std::vector<TrainParam> params; // in the compiled functions' order
  std::vector<TrainGroup> groups;
  TrainSettings settings;
  int64_t microBatch = 1;    // sequences per micro-step (train_gpt.py's)
  int64_t stepGroup = 1;     // micro-steps per call of the step
  int64_t accumSteps = 1;    // calls per optimizer step
  int64_t tokenLimit = 0;    // token ids must be below it
  int64_t classes = 0;       // the logits' last dimension
  int64_t evalSeqLen = 1024; // tokens per validation window
  int64_t evalBatch = 1;     // windows per call of the evaluation
  int64_t evalStride = 0;    // final evaluation's sliding stride (0: none)
  /// The head SLOT applies to the hidden state `hidden` returns: the
  /// parameter W [V, d] of cross_entropy(softcap(linear(h, W), cap)), and
  /// the cap (0: no softcap).
  std::string headWeight;
  double headSoftcap = 0;
  ExportPlan exports;
  std::string specPath, specText, config, revision;

  std::string toJson() const;
  /// Reads a plan; returns an error message, empty on success.
  std::string fromJson(const std::string &text);
};

/// Changes a setting of a built trainer at run time: the schedule,
/// logging, clipping, seed, averaging, checkpoints and the sliding stride,
/// which change no compiled shape or constant. `name` is `iterations` or
/// `train.iterations`; `origin` goes into the logged configuration. Returns
/// an error message (an unknown setting, one compiled into the binary, a
/// bad value), empty on success.
std::string overrideSetting(TrainPlan &plan, const std::string &name,
                            const std::string &value,
                            const std::string &origin);

/// The overrides of a built trainer: NAME=value in the environment for
/// every setting of the configuration (as golfc reads them; one compiled in
/// must keep its compiled value), then each `--set name=value` in order.
/// `warnings`, when given, gets one line per override that has no effect
/// under the settings in force (an SWA interval with SWA off, say).
std::string applyOverrides(TrainPlan &plan,
                           const std::vector<std::string> &sets,
                           const char *(*getenv)(const char *),
                           std::vector<std::string> *warnings = nullptr);

/// The compiled functions of a training, loaded on a device: `step` takes
/// the parameters, the tokens and the targets ([microBatch · stepGroup, seq]
/// each), with late QAT `qat_enable` and each `qat_clip:NAME`, and returns
/// the `loss` and each `grad:NAME`; `eval` takes the parameters, tokens and
/// targets ([evalBatch, evalSeqLen] each) and returns the `losses` of every
/// position. `calibrate` (when the plan has Hessian parameters) takes what
/// `step` takes, without QAT, and returns the `loss` and each
/// `hessian:NAME`, XᵀX of the parameter's input. `logits` (for
/// self-generated calibration) takes what `calibrate` takes and returns the
/// `logits` [rows, seq, V]. `ttt` (for score-first TTT) is the step compiled
/// for tttRows(plan) sequences of eval_seq_len, without late QAT. `hidden`
/// (for SLOT) takes what `eval` takes and returns the `hidden` state the head
/// maps to logits, [evalBatch, evalSeqLen, d]. `stepEarly` (with a
/// switch_hparam) is `step` compiled with the hparam false: the step until
/// switch_at. Null: not built.
struct TrainExecutables {
  Executable *step = nullptr, *eval = nullptr, *calibrate = nullptr,
             *logits = nullptr, *ttt = nullptr, *stepEarly = nullptr,
             *hidden = nullptr;
};

/// Late QAT's inputs of the step, on the device: the switch (f32 [], 0 or
/// 1) and each covered parameter's row clips (f32 [rows, 1]), in the plan's
/// qatParams order.
struct QatInputs {
  Buffer enable;
  ParamBuffers clips;
};

/// One compiled function as the training loop calls it, on the device its
/// executable runs on. Its `param:NAME` arguments bind to the weights a call
/// is given (plan order), `qat_enable` and each `qat_clip:NAME` to the call's
/// QatInputs; its tokens and targets are buffers of its own, of its
/// signature's shape. Its results are bound by role, in the order the loop
/// asks for them, to buffers of its own or to the caller's (resultInto). A
/// call allocates, copies and frees nothing but the token ids it is given.
class Runner {
public:
  Runner() = default;
  Runner(const Runner &) = delete;
  Runner &operator=(const Runner &) = delete;
  /// Binds `exe` (null: no function). The error names a role of `exe` that
  /// has no place in the layout, or a result asked for that it lacks.
  std::string bind(Executable *exe, const TrainPlan &plan,
                   const std::vector<std::string> &results);
  explicit operator bool() const { return exe != nullptr; }
  Executable *executable() const { return exe; }
  /// The shape of its tokens and targets ([rows, seq]; 0 without).
  int64_t rows() const;
  int64_t seq() const;
  /// Copies rows·seq token ids each from the host into its tokens and
  /// targets.
  void setInputs(const int32_t *tokens, const int32_t *targets);
  /// From now on, the result asked for at `k` is written into `into` (of its
  /// dtype and shape, on its device) instead of a buffer of its own.
  void resultInto(size_t k, Buffer &into);
  /// Runs on `weights` (plan order) and, when it takes them, late QAT's
  /// inputs; the results stay valid until the next call.
  void operator()(ParamBuffers &weights, QatInputs *qat = nullptr);
  /// The result asked for at `k`.
  const Buffer &result(size_t k) const;

private:
  struct Source {
    enum Kind { None, Param, Tokens, Targets, QatEnable, QatClip } kind;
    size_t index;
  };
  Executable *exe = nullptr;
  std::vector<Source> argFrom;  // where each signature argument comes from
  std::vector<size_t> resultAt; // the result of each signature result
  Buffer tokens_, targets_;
  ParamBuffers own;               // a buffer per result
  std::vector<Buffer *> into;     // where each result is written
  std::vector<Buffer *> pointers; // arguments, then results, of a call
};

/// The functions of a training, bound (Runner::bind) for the loop.
struct TrainFunctions {
  Runner step, eval, calibrate, logits, ttt, stepEarly, hidden;
};
/// Binds every executable there is; returns an error message.
std::string bindFunctions(const TrainPlan &plan, const TrainExecutables &exes,
                          TrainFunctions &f);

/// val_loss and val_bpb of `weights` (plan order) on the validation
/// shards, over evalWindows(stride) (0: non-overlapping windows); with the
/// plan's ttt_enabled, the score-first TTT score (validateTtt), which needs
/// `f.ttt`. With slot_enabled and `slot`, SLOT's number (validateSlot, not
/// a score) goes to `*slot`; it needs `f.hidden`.
struct Score {
  double loss = 0, bpb = 0;
  int64_t tokens = 0, bytes = 0;
};
std::string evaluate(const TrainPlan &plan, const TrainExecutables &exes,
                     std::vector<std::vector<float>> weights,
                     const std::string &valGlob, const std::string &tokenizer,
                     int64_t stride, Score &score, Score *slot = nullptr);

/// Score-first test-time training (reference §10.2), the evaluation option
/// of the `eval` section: the validation targets are cut into chunks of
/// ttt_chunk_tokens; each sliding window (evalWindows(stride)) belongs to the
/// chunk of its first scored target. Chunk by chunk, its windows are scored
/// with the current weights, and then, unless it is the last chunk, the
/// weights are trained on the chunk's sequences of train_seq_len (targets
/// inside the chunk): ttt_epochs passes, SGD with momentum in batches of
/// ttt_batch_seqs, global-norm clip, lr ttt_lr·½(1 + cos(π·c/(C − 1))). So
/// every target is scored by weights trained only on earlier chunks. The
/// sequences are eval_seq_len long, through `f.ttt`.
/// `weights` are trained in place.
Score validateTtt(const TrainPlan &plan, TrainFunctions &f,
                  ParamBuffers &weights, const std::vector<uint16_t> &val,
                  int64_t stride, const ByteTable &bytes);
/// SLOT (reference §10.5, PR #1319's eval_val_sliding_slot): the sliding
/// windows (evalWindows(stride)) in batches of slot_batch_seqs. For each
/// batch the frozen model's hidden states come from `f.hidden`; each window
/// gets a shift δ [d] of its hidden states and a logit bias β [V], which
/// slot_steps AdamW steps (β = (0.9, 0.999), ε = 1e-8, decoupled weight
/// decay, lr slot_lr_min + ½(slot_lr − slot_lr_min)(1 + cos(πk/steps)) at
/// step k) fit to the batch's mean loss over its scored targets; those
/// targets are then scored with the fitted δ and β. A batch as large as
/// the previous one starts from slot_warm_start times its δ and β. Since
/// it fits the targets it scores, it is NOT a legal score (§10.5). The head
/// is the plan's: softcap(linear(h + δ, W) + β), in float64.
Score validateSlot(const TrainPlan &plan, TrainFunctions &f,
                   ParamBuffers &weights, const std::vector<uint16_t> &val,
                   int64_t stride, const ByteTable &bytes);
/// Why the plan's SLOT settings cannot run, or "".
std::string slotCheck(const TrainPlan &plan);
/// Why the plan's TTT settings cannot run, or "".
std::string tttCheck(const TrainPlan &plan);
/// Sequences of eval_seq_len per call of TTT's step: the largest divisor of
/// gcd(batch, sequences per chunk) that keeps a call within 16384 tokens, so
/// every SGD batch is a whole number of equal calls. It depends on the
/// `eval` settings only, so a trainer and `golfc eval` compute alike.
int64_t tttRows(const TrainPlan &plan);

/// The artifact of trained weights ([param i] in plan order): each
/// quantized by its export class, encoded with the export's compressor in
/// whichever code layout compresses smaller. `settings` keeps the resolved
/// `hparams` and `eval` settings, which rebuild the model from the spec.
struct ExportResult {
  std::string bytes;
  bool packed = false;
  int64_t countedBytes = 0; // the artifact plus the spec's text
  /// When fitting pruned: the counted size before, and the percentile.
  int64_t fitBeforeBytes = 0;
  double fitAmount = 0;  // the rule's percentile, step scale or bits
  std::string fitDetail; // what the fit did, for the log
  /// When fitting: the artifact as the class's policy made it, over the
  /// budget, whose round trip shows what the fit cost.
  std::string unfittedBytes;
  /// LQER: each corrected matrix with its error norm before and after.
  std::string lqerDetail;
};
/// `hessians` holds, for method gptq, each parameter's summed XᵀX.
using Hessians = std::vector<std::pair<std::string, std::vector<double>>>;
std::string
exportArtifact(const TrainPlan &plan,
               const std::vector<const std::vector<float> *> &weights,
               const Hessians &hessians, ExportResult &result);

/// The `hparams` and `eval` lines of a resolved configuration as
/// `name=value` lines (what an artifact keeps to rebuild its model).
std::string modelSettings(const std::string &config);

struct TrainOptions {
  std::string trainGlob, valGlob, tokenizer, outDir;
  /// Continue the run in outDir from its checkpoint.
  bool resume = false;
  /// Stop after this many steps of this invocation (0: no limit), as if
  /// interrupted: the state is checkpointed and --resume continues it.
  int64_t maxSteps = 0;
};

/// Runs the training; returns the process's exit status (errors are
/// printed as "file: reason" or "error: reason"). Every checkpoint_every
/// steps, and when stopped by maxSteps, the whole state — weights,
/// optimizer moments, EMA, SWA sums, step, training time, data position —
/// goes to outDir/checkpoint.safetensors, so that a resumed run ends with
/// the same bytes as an uninterrupted one (with the iteration schedule; a
/// wall-clock schedule depends on timing). Everything the loop keeps —
/// weights, gradients, moments, averages — lives on the device the
/// executables run on; the host sees the token ids, the losses and what is
/// exported. The ranks of `comm` each train on their share of every batch.
int train(const TrainPlan &plan, const TrainExecutables &executables,
          Comm &comm, const TrainOptions &options);

} // namespace golf::rt
