// The training data a call of a compiled function takes, and GPTQ's
// calibration forward (reference §7.7): the Hessians of the quantized
// matrices' inputs, over training batches or sequences the model samples.
#pragma once

#include "runtime/bytes.h"
#include "runtime/comm/comm.h"
#include "runtime/data.h"
#include "runtime/train.h"

namespace golf::rt {

/// One call's tokens and targets: stepGroup micro-batches of `from`, sliced
/// exactly as train_gpt.py slices them for this rank, every id checked
/// (`source` names the data in an error), given to `into`.
bool takeBatches(const TrainPlan &plan, const Comm &comm, TokenStream &from,
                 const std::string &source, Runner &into, std::string &err);

/// GPTQ's input Hessians, summed in float64 over calibration_batches calls
/// of `f.calibrate`: on the first training batches, or with calibration
/// "self" on sequences `f.logits` samples from the tokenizer's BOS, with
/// `weights`. `summary` gets the log's line. Returns an error message.
std::string collectHessians(const TrainPlan &plan, TrainFunctions &f,
                            ParamBuffers &weights,
                            const std::vector<std::string> &trainFiles,
                            const std::string &trainGlob,
                            const ByteTable &bytes, const Comm &comm,
                            Hessians &hessians, std::string &summary);

} // namespace golf::rt
