#include "runtime/train.h"

#include "runtime/averaging.h"
#include "runtime/calibration.h"
#include "runtime/checkpoint.h"
#include "runtime/evaluation.h"
#include "runtime/log.h"

#include "runtime/artifact.h"
#include "runtime/bytes.h"
#include "runtime/data.h"
#include "runtime/file.h"
#include "runtime/init.h"
#include "runtime/safetensors.h"
#include "runtime/schedule.h"

#include <nlohmann/json.hpp>

#include "runtime/png.h"

#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include <unistd.h>

namespace golf::rt {

int train(const TrainPlan &plan, const TrainExecutables &executables,
          Comm &comm, const TrainOptions &options) {
  using Clock = std::chrono::steady_clock;
  const TrainSettings &s = plan.settings;
  // The compiled functions, bound by role; what the settings ask of them,
  // before anything runs.
  TrainFunctions f;
  std::string why = bindFunctions(plan, executables, f);
  if (why.empty() && !f.step)
    why = "the training has no compiled step";
  if (why.empty() && !f.eval)
    why = "the training has no compiled evaluation";
  if (why.empty() && s.tttEnabled)
    why = f.ttt ? tttCheck(plan)
                : "this binary has no TTT step: build it with ttt_enabled=true";
  if (why.empty() && s.slotEnabled)
    why = f.hidden ? slotCheck(plan)
                   : "this binary has no SLOT evaluation: build it with "
                     "slot_enabled=true";
  if (why.empty() && !s.switchHparam.empty() && !f.stepEarly)
    why = "switch_hparam " + s.switchHparam + " needs the early step";
  if (!why.empty()) {
    std::fprintf(stderr, "error: %s\n", why.c_str());
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(options.outDir, ec);
  if (ec) {
    std::fprintf(stderr, "%s: %s\n", options.outDir.c_str(),
                 ec.message().c_str());
    return 1;
  }
  Log log(options.outDir + "/train.log", options.resume);
  if (!log.ok()) {
    std::fprintf(stderr, "%s/train.log: cannot write\n",
                 options.outDir.c_str());
    return 1;
  }
  // The run's record: spec, resolved configuration, revision.
  log.line("spec: " + plan.specPath);
  log.line(plan.specText);
  log.line("config:\n" + plan.config);
  log.line("revision: " + plan.revision);

  std::string error;
  std::vector<std::string> trainFiles = matchFiles(options.trainGlob, error);
  std::vector<std::string> valFiles;
  if (error.empty())
    valFiles = matchFiles(options.valGlob, error);
  ByteTable bytes;
  std::vector<uint16_t> val;
  if (error.empty())
    loadByteTable(options.tokenizer, plan.tokenLimit, bytes, error);
  if (error.empty())
    loadValidation(valFiles, plan.evalSeqLen, val, error);
  if (error.empty())
    for (size_t i = 0; i < val.size(); ++i)
      if (val[i] >= plan.tokenLimit) {
        error = options.valGlob + ": token " + std::to_string(val[i]) +
                " is not below the model's " + std::to_string(plan.tokenLimit) +
                " token ids";
        break;
      }
  if (!error.empty()) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  log.line("device: " + executables.eval->device().name() +
           format(" ranks:%d", comm.world()));
  log.line(format("train_shards:%zu val_tokens:%zu micro_batch:%lld "
                  "accum_steps:%lld micro_batches_per_call:%lld",
                  trainFiles.size(), val.size() - 1, (long long)plan.microBatch,
                  (long long)plan.accumSteps, (long long)plan.stepGroup));
  if (s.warmupSteps > 0)
    log.line(format("warmup_steps:%lld has no effect on the CPU: there are "
                    "no kernels to prime",
                    (long long)s.warmupSteps));

  // Everything the loop keeps lives on the device the functions run on.
  Device &device = executables.eval->device();
  DeviceOps &ops = device.ops();

  // Parameters, initialized in order from one generator on the host.
  std::map<std::string, const TrainGroup *> groups;
  for (const TrainGroup &g : plan.groups)
    groups[g.name] = &g;
  Random random((uint64_t)s.seed);
  ParamBuffers weights;
  std::vector<std::vector<int64_t>> shapes;
  for (const TrainParam &p : plan.params) {
    std::vector<float> values;
    std::string err = initialize(p.init, p.initArgs, p.shape, random, values);
    if (!groups.count(p.group))
      err = "no optimizer group '" + p.group + "'";
    else if (groups[p.group]->kind == "muon" && p.shape.size() != 2)
      err = "the muon group '" + p.group + "' takes matrices only";
    if (!err.empty()) {
      std::fprintf(stderr, "error: parameter %s: %s\n", p.name.c_str(),
                   err.c_str());
      return 1;
    }
    weights.push_back(device.allocate(DType::f32, p.shape));
    device.copyIn(weights.back(), values.data());
    shapes.push_back(p.shape);
  }
  const size_t nParams = plan.params.size();
  auto takeCall = [&](TokenStream &from, Runner &into, std::string &err) {
    return takeBatches(plan, comm, from, options.trainGlob, into, err);
  };
  // Late QAT's inputs: the switch, then each covered parameter's row clips
  // (its class's percentile of each row's |w|, from the current weights).
  struct QatParam {
    size_t index;
    QuantPolicy policy;
  };
  std::vector<QatParam> qat;
  for (const std::string &name : plan.exports.qatParams)
    for (size_t i = 0; i < nParams; ++i)
      if (plan.params[i].name == name)
        for (const auto &[cls, policy] : plan.exports.classes)
          if (cls == plan.params[i].quant)
            qat.push_back({i, policy});
  if (qat.size() != plan.exports.qatParams.size()) {
    std::fprintf(stderr, "error: the plan's QAT parameters are not all "
                         "parameters of an export class\n");
    return 1;
  }
  bool qatOn = false;
  QatInputs qatInputs;
  if (!qat.empty()) {
    qatInputs.enable = device.zeros(DType::f32, {});
    for (const QatParam &q : qat)
      qatInputs.clips.push_back(
          device.zeros(DType::f32, {plan.params[q.index].shape[0], 1}));
  }

  // Optimizer state: the first moment (Muon's momentum), and Adam's second.
  ParamBuffers first = zerosLike(device, shapes), second;
  for (size_t i = 0; i < nParams; ++i)
    second.push_back(groups[plan.params[i].group]->kind == "adam"
                         ? device.zeros(DType::f32, shapes[i])
                         : Buffer());
  std::unique_ptr<Ema> ema;
  if (s.emaEnabled)
    ema = std::make_unique<Ema>(s.emaDecay, weights);
  Swa swa(s.swaEnabled ? s.swaEvery : 0, s.swaStartFrac);

  TokenStream stream(trainFiles);
  Schedule schedule{s.iterations,          s.warmdownIters,
                    s.maxWallclockSeconds, s.warmdownShape == "sqrt",
                    s.warmdownFrac,        s.minLr};
  double trainMs = 0;
  int64_t step = 0;
  const std::string checkpoint = options.outDir + "/checkpoint.safetensors";
  std::vector<std::pair<double, double>> trainCurve, valCurve;
  RunState state{&weights, &first,      &second,  ema.get(),
                 &swa,     &trainCurve, &valCurve};
  if (options.resume) {
    std::string err = loadCheckpoint(checkpoint, plan, state);
    if (err.empty() && !stream.seek(state.data.first, state.data.second, err))
      err = options.trainGlob + ": " + err;
    if (!err.empty()) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 1;
    }
    step = state.step;
    trainMs = state.trainMs;
    log.line(format("resumed at step %lld (train_time %.0fms) from %s",
                    (long long)step, trainMs, checkpoint.c_str()));
  }
  auto save = [&]() {
    state.step = step;
    state.trainMs = trainMs;
    state.data = stream.position();
    std::string err = saveCheckpoint(checkpoint, plan, state);
    if (!err.empty())
      std::fprintf(stderr, "%s\n", err.c_str());
    return err.empty();
  };
  const int64_t firstStep = step;
  bool early = !s.switchHparam.empty();

  // The gradients of a step, averaged over its calls and over the ranks.
  // A step of one call writes them in place; with more, each call's are
  // added to them.
  const int64_t calls = plan.accumSteps / plan.stepGroup;
  ParamBuffers grads = zerosLike(device, shapes);
  if (calls == 1)
    for (Runner *r : {&f.step, &f.stepEarly})
      if (*r)
        for (size_t i = 0; i < nParams; ++i)
          r->resultInto(i + 1, grads[i]);
  Validation last;
  // Validation time does not count as training time. It reads the weights
  // where they are.
  auto validateNow = [&](int64_t stride) {
    return validate(f, weights, val, stride, bytes);
  };
  auto runValidation = [&](int64_t at) {
    last = validateNow(/*stride=*/0);
    valCurve.push_back({(double)at, last.loss});
    log.line(format("step:%lld/%lld val_loss:%.4f val_bpb:%.4f "
                    "train_time:%.0fms step_avg:%.2fms",
                    (long long)at, (long long)s.iterations, last.loss, last.bpb,
                    trainMs, at ? trainMs / (double)at : 0.0));
  };

  std::vector<float> hostWeights, hostClips; // late QAT's, on the host
  while (!scheduleDone(schedule, step, trainMs)) {
    if (s.valLossEvery > 0 && step % s.valLossEvery == 0 && step > 0)
      runValidation(step);
    auto t0 = Clock::now();
    const double scale = lrScale(schedule, step, trainMs);
    if (!qat.empty() && !qatOn && scale < plan.exports.lateQatThreshold) {
      // Once on, it stays on (the lr scale never rises again, so a resumed
      // run turns it on at its first step too).
      qatOn = true;
      const float one = 1.0f;
      device.copyIn(qatInputs.enable, &one);
      // Numbered as the step lines are: it applies from this step on.
      log.line(format("late_qat:enabled step:%lld lr_scale:%.4f",
                      (long long)step + 1, scale));
    }
    // The phase switch: the early step until switch_at of the run, then the
    // spec's own for good (the fraction never falls, so a resumed run
    // switches at its first step too).
    if (early && trainingFraction(schedule, step, trainMs) >= s.switchAt) {
      early = false;
      log.line(format("switch:%s=true step:%lld frac:%.4f",
                      s.switchHparam.c_str(), (long long)step + 1,
                      trainingFraction(schedule, step, trainMs)));
    }
    // The clips are computed on the host, from the weights as it reads them.
    if (qatOn)
      for (size_t k = 0; k < qat.size(); ++k) {
        const Buffer &w = weights[qat[k].index];
        const int64_t r = w.shape()[0], c = w.elements() / r;
        std::vector<double> rows =
            policyClips(readOnHost(w, hostWeights), r, c, qat[k].policy);
        hostClips.assign(rows.begin(), rows.end());
        device.copyIn(qatInputs.clips[k], hostClips.data());
      }
    double loss = 0;
    if (calls > 1)
      for (Buffer &g : grads)
        device.fillZero(g);
    // Micro-batches are sliced exactly as train_gpt.py slices them, and
    // stepGroup of them go through the step in one call: the mean loss over
    // equal micro-batches is the mean of their means.
    Runner &run = early ? f.stepEarly : f.step;
    for (int64_t call = 0; call < calls; ++call) {
      if (!takeCall(stream, run, error)) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
      }
      run(weights, qat.empty() ? nullptr : &qatInputs);
      loss += (double)readScalar(run.result(0)) / (double)calls;
      if (calls > 1)
        for (size_t i = 0; i < nParams; ++i)
          ops.axpy(grads[i], 1.0f / (float)calls, run.result(i + 1));
    }
    // Every rank's mean gradient, averaged over the ranks.
    if (comm.world() > 1)
      for (Buffer &g : grads) {
        comm.allReduceSum(g);
        ops.scale(g, 1.0f / (float)comm.world());
      }
    if (s.gradClipNorm > 0) {
      const double norm = std::sqrt(ops.sumSquares(grads));
      if (norm > s.gradClipNorm)
        for (Buffer &g : grads)
          ops.scale(g, (float)(s.gradClipNorm / (norm + 1e-6)));
    }
    for (size_t i = 0; i < nParams; ++i) {
      const TrainGroup &g = *groups[plan.params[i].group];
      if (g.kind == "muon")
        ops.muonStep(g.muon, scale, step, weights[i], grads[i], first[i]);
      else
        ops.adamStep(g.adam, scale, step + 1, weights[i], grads[i], first[i],
                     second[i]);
    }
    ++step;
    if (ema)
      ema->update(weights);
    if (s.swaEnabled && swa.observe(step, scale, weights) && swa.count() == 1)
      log.line(format("swa:start step:%lld", (long long)step));
    trainMs +=
        std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!std::isfinite(loss)) {
      log.line(format("step:%lld/%lld train_loss:%f: the loss is not finite, "
                      "stopping",
                      (long long)step, (long long)s.iterations, loss));
      return 1;
    }
    trainCurve.push_back({(double)step, loss});
    log.progress(step, s.iterations, loss, trainMs / (double)step);
    if (s.checkpointEvery > 0 && step % s.checkpointEvery == 0 &&
        !scheduleDone(schedule, step, trainMs) && !save())
      return 1;
    if (options.maxSteps > 0 && step - firstStep >= options.maxSteps &&
        !scheduleDone(schedule, step, trainMs)) {
      if (!save())
        return 1;
      log.line(format("stopped after %lld steps at step %lld: continue "
                      "with --resume",
                      (long long)(step - firstStep), (long long)step));
      return 0;
    }
    if (s.trainLogEvery > 0 && (step <= 10 || step % s.trainLogEvery == 0 ||
                                scheduleDone(schedule, step, trainMs)))
      log.line(format("step:%lld/%lld train_loss:%.4f train_time:%.0fms "
                      "step_avg:%.2fms",
                      (long long)step, (long long)s.iterations, loss, trainMs,
                      trainMs / (double)step));
  }

  // The weights exported: EMA, else SWA with two snapshots or more, else
  // the last ones.
  std::string exported = "raw";
  if (ema) {
    copyInto(weights, ema->weights());
    exported = "ema";
  } else if (s.swaEnabled && swa.count() >= 2) {
    swa.averageInto(weights);
    exported = format("swa (%lld snapshots)", (long long)swa.count());
  }
  log.line("weights: " + exported);
  runValidation(step);
  // The score: sliding windows when the spec asks for them.
  Validation score = last;
  const bool sliding = plan.evalStride > 0 && plan.evalStride < plan.evalSeqLen;
  if (sliding) {
    auto t0 = Clock::now();
    score = validateNow(plan.evalStride);
    log.line(format(
        "sliding_window stride:%lld val_loss:%.4f val_bpb:%.4f "
        "eval_time:%.0fms",
        (long long)plan.evalStride, score.loss, score.bpb,
        std::chrono::duration<double, std::milli>(Clock::now() - t0).count()));
  }

  // Score-first TTT (reference §10.2) of the current weights, on a copy.
  Score ttt;
  auto runTtt = [&](double bpb, const char *of) {
    auto t0 = Clock::now();
    ParamBuffers copy = copyOf(weights);
    ttt = validateTtt(plan, f, copy, val, sliding ? plan.evalStride : 0, bytes);
    log.line(format(
        "final_ttt val_loss:%.8f val_bpb:%.8f (score-first: "
        "chunks of %lld, %lld epochs, lr %g; the %s without it "
        "%.8f, %+.4f) eval_time:%.0fms",
        ttt.loss, ttt.bpb, (long long)s.tttChunkTokens, (long long)s.tttEpochs,
        s.tttLr, of, bpb, ttt.bpb - bpb,
        std::chrono::duration<double, std::milli>(Clock::now() - t0).count()));
  };

  // SLOT (reference §10.5) of the current weights, which it does not
  // change: labelled, not a score.
  Score slot;
  auto runSlot = [&](double bpb, const char *of) {
    auto t0 = Clock::now();
    slot = validateSlot(plan, f, weights, val, sliding ? plan.evalStride : 0,
                        bytes);
    log.line(format(
        "final_slot val_loss:%.8f val_bpb:%.8f (SLOT, NOT a legal score: "
        "fitted to the targets it scores; %lld steps, lr %g to %g, batches "
        "of %lld windows; the %s without it %.8f, %+.4f) eval_time:%.0fms",
        slot.loss, slot.bpb, (long long)s.slotSteps, s.slotLr, s.slotLrMin,
        (long long)s.slotBatchSeqs, of, bpb, slot.bpb - bpb,
        std::chrono::duration<double, std::milli>(Clock::now() - t0).count()));
  };

  // The trained weights on the host, read once, for the export and the
  // final weights' file.
  std::vector<std::vector<float>> trained;
  auto trainedOf = [&] {
    if (trained.empty())
      for (const Buffer &w : weights) {
        trained.emplace_back((size_t)w.elements());
        device.copyOut(trained.back().data(), w);
      }
    std::vector<const std::vector<float> *> out;
    for (const std::vector<float> &t : trained)
      out.push_back(&t);
    return out;
  };
  // An artifact's dequantized weights in place of the weights.
  auto setWeights = [&](const Artifact &from) {
    for (size_t i = 0; i < nParams; ++i) {
      std::vector<float> v = dequantize(from.tensors[i]);
      if ((int64_t)v.size() != weights[i].elements()) {
        std::fprintf(stderr,
                     "internal error: the artifact's %s has %zu "
                     "values\n",
                     plan.params[i].name.c_str(), v.size());
        std::abort();
      }
      device.copyIn(weights[i], v.data());
    }
  };

  // The artifact (§7): quantized, compressed and within the budget before
  // anything is written as final, then read back and scored as the
  // challenge scores it.
  ExportResult artifact;
  Validation roundTrip;
  double unfittedBpb = 0; // when fitting: the unfitted artifact's round trip
  const bool exporting = !plan.exports.classes.empty();
  if (exporting) {
    // GPTQ's input Hessians, from a forward over the first training
    // batches (reference §7.7), in float64.
    Hessians hessians;
    if (!plan.exports.hessianParams.empty()) {
      std::string summary;
      error = collectHessians(plan, f, weights, trainFiles, options.trainGlob,
                              bytes, comm, hessians, summary);
      if (!error.empty()) {
        std::fprintf(stderr, "%s\n", error.c_str());
        return 1;
      }
      log.line(summary);
    }
    std::string err = exportArtifact(plan, trainedOf(), hessians, artifact);
    Artifact back;
    if (err.empty())
      err = decodeArtifact(artifact.bytes, "the artifact", back);
    if (!err.empty()) {
      std::fprintf(stderr, "error: %s\n", err.c_str());
      return 1;
    }
    if (!artifact.lqerDetail.empty())
      log.line(format("lqer: rank %lld corrections, error norms: %s",
                      (long long)plan.exports.lqerRank,
                      artifact.lqerDetail.c_str()));
    if (artifact.fitBeforeBytes > 0)
      log.line(format(
          "fit: the %lld bytes counted were over %lld (budget "
          "%lld, margin %lld): class '%s' %s",
          (long long)artifact.fitBeforeBytes,
          (long long)(plan.exports.budgetBytes - plan.exports.fitMarginBytes),
          (long long)plan.exports.budgetBytes,
          (long long)plan.exports.fitMarginBytes, plan.exports.fitClass.c_str(),
          artifact.fitDetail.c_str()));
    log.line(format("artifact: %zu bytes (%s level %d, %s codes) + spec %zu "
                    "bytes = %lld bytes counted of %lld",
                    artifact.bytes.size(), plan.exports.compressor.c_str(),
                    (int)plan.exports.level,
                    artifact.packed ? "bit-packed" : "byte",
                    plan.specText.size(), (long long)artifact.countedBytes,
                    (long long)plan.exports.budgetBytes));
    log.line("artifact_sha256: " + artifactHash(artifact.bytes));
    if (artifact.countedBytes > plan.exports.budgetBytes) {
      const std::string msg = format(
          "error: the artifact is %lld bytes counted, over the budget of "
          "%lld: nothing is written as final",
          (long long)artifact.countedBytes,
          (long long)plan.exports.budgetBytes);
      log.line(msg);
      std::fprintf(stderr, "%s\n", msg.c_str());
      return 1;
    }
    setWeights(back);
    // What fitting cost: the round trip of the artifact the class's policy
    // made, over the budget, against the fitted one's.
    Validation unfitted;
    if (artifact.fitBeforeBytes > 0) {
      Artifact over;
      err =
          decodeArtifact(artifact.unfittedBytes, "the unfitted artifact", over);
      if (!err.empty()) {
        std::fprintf(stderr, "error: %s\n", err.c_str());
        return 1;
      }
      setWeights(over);
      unfitted = validateNow(sliding ? plan.evalStride : 0);
      unfittedBpb = unfitted.bpb;
      setWeights(back);
    }
    roundTrip = validateNow(sliding ? plan.evalStride : 0);
    log.line(format("final_roundtrip val_loss:%.8f val_bpb:%.8f "
                    "(unquantized val_bpb:%.8f, %+.4f)",
                    roundTrip.loss, roundTrip.bpb, score.bpb,
                    roundTrip.bpb - score.bpb));
    if (artifact.fitBeforeBytes > 0)
      log.line(format("fit_cost: %+.4f val_bpb (the round trip %.8f fitted, "
                      "%.8f as the policy made it, over the budget)",
                      roundTrip.bpb - unfitted.bpb, roundTrip.bpb,
                      unfitted.bpb));
    err = writeAtomically(options.outDir + "/artifact.bin",
                          {{artifact.bytes.data(), artifact.bytes.size()}});
    if (!err.empty()) {
      std::fprintf(stderr, "%s\n", err.c_str());
      return 1;
    }
    // TTT adapts the model the artifact restores, as the records do (the
    // artifact is already written: TTT is long at full size).
    if (s.slotEnabled)
      runSlot(roundTrip.bpb, "round trip");
    if (s.tttEnabled)
      runTtt(roundTrip.bpb, "round trip");
    // The trained weights again.
    for (size_t i = 0; i < nParams; ++i)
      device.copyIn(weights[i], trained[i].data());
  }

  if (s.slotEnabled && !exporting)
    runSlot(score.bpb, "score");
  if (s.tttEnabled && !exporting)
    runTtt(score.bpb, "score");

  std::vector<std::pair<std::string, SafeTensor>> tensors;
  const std::vector<const std::vector<float> *> host = trainedOf();
  for (size_t i = 0; i < nParams; ++i)
    tensors.push_back(
        {plan.params[i].name,
         fromDoubles(plan.params[i].shape,
                     std::vector<double>(host[i]->begin(), host[i]->end()),
                     false)});
  std::string err =
      writeSafetensors(options.outDir + "/final.safetensors", tensors);
  if (!err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  nlohmann::json summary = {
      {"val_loss", score.loss},
      {"val_bpb", score.bpb},
      {"steps", step},
      {"tokens", step * s.trainBatchTokens},
      {"train_time_ms", trainMs},
      {"weights", exported},
      {"val_tokens", score.tokens},
      {"val_bytes", score.bytes},
      {"eval_stride", sliding ? plan.evalStride : 0},
  };
  if (exporting) {
    summary["artifact_bytes"] = artifact.bytes.size();
    summary["artifact_sha256"] = artifactHash(artifact.bytes);
    summary["counted_bytes"] = artifact.countedBytes;
    summary["budget_bytes"] = plan.exports.budgetBytes;
    summary["roundtrip_val_loss"] = roundTrip.loss;
    summary["roundtrip_val_bpb"] = roundTrip.bpb;
    if (artifact.fitBeforeBytes > 0)
      summary["fit"] = {{"class", plan.exports.fitClass},
                        {"rule", plan.exports.fitRule},
                        {plan.exports.fitRule == "coarsen" ? "step_scale"
                         : plan.exports.fitRule == "bits"  ? "bits_fewer"
                                                           : "prune_percentile",
                         artifact.fitAmount},
                        {"detail", artifact.fitDetail},
                        {"roundtrip_val_bpb_unfitted", unfittedBpb},
                        {"cost_bpb", roundTrip.bpb - unfittedBpb},
                        {"counted_bytes_before", artifact.fitBeforeBytes}};
  }
  if (s.tttEnabled) {
    summary["ttt_val_loss"] = ttt.loss;
    summary["ttt_val_bpb"] = ttt.bpb;
  }
  if (s.slotEnabled) { // Never the score: SLOT fits the targets it scores.
    summary["slot_val_loss"] = slot.loss;
    summary["slot_val_bpb"] = slot.bpb;
    summary["slot_legal"] = false;
  }
  if (sliding) { // The non-overlapping windows' numbers, for comparison.
    summary["val_loss_windows"] = last.loss;
    summary["val_bpb_windows"] = last.bpb;
  }
  const std::string summaryText = summary.dump(2) + "\n";
  err = writeAtomically(options.outDir + "/summary.json",
                        {{summaryText.data(), summaryText.size()}});
  if (!err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  err = writeLossCurve(options.outDir + "/loss.png", trainCurve, valCurve);
  if (!err.empty()) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  log.line(format("final val_loss:%.8f val_bpb:%.8f", score.loss, score.bpb));
  return 0;
}

} // namespace golf::rt
