#include "runtime/executable.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>

namespace golf::rt {

namespace {

int find(const std::vector<Slot> &slots, const std::string &role) {
  for (size_t i = 0; i < slots.size(); ++i)
    if (slots[i].role == role)
      return (int)i;
  return -1;
}

nlohmann::json slotsJson(const std::vector<Slot> &slots) {
  nlohmann::json a = nlohmann::json::array();
  for (const Slot &s : slots)
    a.push_back(
        {{"role", s.role}, {"dtype", nameOf(s.dtype)}, {"shape", s.shape}});
  return a;
}

std::string slotsFromJson(const nlohmann::json &j, const char *what,
                          std::vector<Slot> &slots) {
  if (!j.contains(what) || !j[what].is_array())
    return std::string("a signature without ") + what;
  for (const nlohmann::json &s : j[what]) {
    Slot slot;
    if (!s.is_object() || !s.contains("role") || !s["role"].is_string() ||
        !s.contains("dtype") || !s["dtype"].is_string() ||
        !parseDType(s["dtype"].get<std::string>(), slot.dtype) ||
        !s.contains("shape") || !s["shape"].is_array())
      return std::string("a signature with a malformed entry in ") + what;
    slot.role = s["role"].get<std::string>();
    for (const nlohmann::json &d : s["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 0)
        return "a signature with a malformed shape for " + slot.role;
      slot.shape.push_back(d.get<int64_t>());
    }
    slots.push_back(std::move(slot));
  }
  return "";
}

} // namespace

int Signature::arg(const std::string &role) const { return find(args, role); }
int Signature::result(const std::string &role) const {
  return find(results, role);
}

std::string Signature::toJson() const {
  return nlohmann::json{{"args", slotsJson(args)},
                        {"results", slotsJson(results)}}
      .dump();
}

std::string Signature::fromJson(const std::string &text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return "a signature that is not a JSON object";
  args.clear();
  results.clear();
  std::string err = slotsFromJson(j, "args", args);
  return err.empty() ? slotsFromJson(j, "results", results) : err;
}

std::string Executable::check(Buffer *const *args, Buffer *const *results,
                              const Device &device) const {
  const size_t na = signature_.args.size(), nr = signature_.results.size();
  for (size_t i = 0; i < na + nr; ++i) {
    const Buffer *b = i < na ? args[i] : results[i - na];
    const Slot &s = i < na ? signature_.args[i] : signature_.results[i - na];
    std::string what =
        name_ + ": " + (i < na ? "argument " : "result ") + s.role + " ";
    if (!b || !*b)
      return what + "has no buffer";
    if (b->device() != &device)
      return what + "is on " + b->device()->name() + ", not " + device.name();
    if (b->dtype() != s.dtype || b->shape() != s.shape)
      return what + "is " + nameOf(b->dtype()) + shapeText(b->shape()) +
             ", the code takes " + nameOf(s.dtype) + shapeText(s.shape);
  }
  // Results are written while arguments are read: none may overlap another.
  for (size_t r = 0; r < nr; ++r) {
    const char *begin = (const char *)results[r]->data();
    const char *end = begin + results[r]->bytes();
    for (size_t i = 0; i < na + nr; ++i) {
      if (i == na + r)
        continue;
      const Buffer *b = i < na ? args[i] : results[i - na];
      const char *bb = (const char *)b->data(), *be = bb + b->bytes();
      if (bb < end && begin < be)
        return name_ + ": result " + signature_.results[r].role + " overlaps " +
               (i < na ? signature_.args[i].role
                       : signature_.results[i - na].role);
    }
  }
  return "";
}

Call::Call(Executable *exe) : exe(exe) {
  if (exe) {
    args.assign(exe->signature().args.size(), nullptr);
    results.assign(exe->signature().results.size(), nullptr);
  }
}

bool Call::arg(const std::string &role, Buffer &b) {
  int i = exe ? exe->signature().arg(role) : -1;
  if (i >= 0)
    args[i] = &b;
  return i >= 0;
}

bool Call::result(const std::string &role, Buffer &b) {
  int i = exe ? exe->signature().result(role) : -1;
  if (i >= 0)
    results[i] = &b;
  return i >= 0;
}

void Call::params(const std::vector<std::string> &names,
                  std::vector<Buffer> &buffers) {
  for (size_t i = 0; i < names.size(); ++i)
    arg("param:" + names[i], buffers[i]);
}

std::string Call::unbound() const {
  std::string missing;
  if (!exe)
    return "no executable";
  for (size_t i = 0; i < args.size(); ++i)
    if (!args[i])
      missing += (missing.empty() ? "" : ", ") + exe->signature().args[i].role;
  for (size_t i = 0; i < results.size(); ++i)
    if (!results[i])
      missing +=
          (missing.empty() ? "" : ", ") + exe->signature().results[i].role;
  return missing;
}

void Call::run() {
  std::string err = exe->run(args.data(), results.data());
  if (!err.empty()) {
    std::fprintf(stderr, "internal error: %s\n", err.c_str());
    std::abort();
  }
}

} // namespace golf::rt
