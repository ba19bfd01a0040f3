// The Executable seam: compiled code with the signature the compiler gave
// it. Every argument and result has a role by name (`param:tok_emb.weight`,
// `tokens`, `targets`, `qat_enable`, `qat_clip:NAME`; results `loss`,
// `grad:NAME`, `losses`, `hessian:NAME`, `logits`, `hidden`), a dtype and a
// shape. It runs on buffers its caller owns: results are written in place,
// with no allocation, copy or free of the caller's per call. Plain C++.
#pragma once

#include "runtime/device.h"

#include <functional>
#include <string>
#include <vector>

namespace golf::rt {

struct Slot {
  std::string role;
  DType dtype = DType::f32;
  std::vector<int64_t> shape;
};

struct Signature {
  std::vector<Slot> args, results;

  /// The position of the argument or result of `role`, or -1.
  int arg(const std::string &role) const;
  int result(const std::string &role) const;
  /// As JSON (an object with "args" and "results"), and back; fromJson
  /// returns an error message, empty on success.
  std::string toJson() const;
  std::string fromJson(const std::string &text);
};

/// What a backend loads. For the CPU: the entry behind MLIR's packed C
/// interface, `entry(void **args)`, args[i] pointing to the descriptor
/// pointer of the i-th argument, then of each result (results are output
/// arguments, golf-results-to-outputs).
struct ExecutableImage {
  std::string name;
  Signature signature;
  std::function<void(void **)> packed;
};

class Executable {
public:
  virtual ~Executable() = default;
  const std::string &name() const { return name_; }
  const Signature &signature() const { return signature_; }
  /// The device it runs on, where its buffers must be.
  Device &device() const { return *device_; }
  /// Runs on `args` and `results` (signature order, every one on this
  /// executable's device, of its slot's dtype and shape; results distinct
  /// from each other and from the arguments). Returns an error message when
  /// they are not, empty on success.
  virtual std::string run(Buffer *const *args, Buffer *const *results) = 0;

protected:
  std::string check(Buffer *const *args, Buffer *const *results,
                    const Device &device) const;
  std::string name_;
  Signature signature_;
  Device *device_ = nullptr;
};

/// One executable's buffers, bound by role once and reused for every call.
class Call {
public:
  explicit Call(Executable *exe = nullptr);
  Executable *executable() const { return exe; }
  /// Binds the argument or result of `role`; false when there is none.
  bool arg(const std::string &role, Buffer &b);
  bool result(const std::string &role, Buffer &b);
  /// Binds every `param:NAME` argument to the buffer of NAME.
  void params(const std::vector<std::string> &names,
              std::vector<Buffer> &buffers);
  /// The roles left unbound ("" when none).
  std::string unbound() const;
  /// Runs; a failure is a bug of the runtime's and aborts with its message.
  void run();

private:
  Executable *exe;
  std::vector<Buffer *> args, results;
};

} // namespace golf::rt
