"""Fails when a file under runtime/ includes an MLIR or LLVM header: the
runtime executes the compiler's plan and never links the compiler."""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1])
bad = []
files = [p for p in root.rglob("*") if p.suffix in {".h", ".hpp", ".cpp", ".cc", ".cu", ".cuh"}]
for path in files:
    for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if re.match(r'\s*#\s*include\s*[<"](mlir|llvm|llvm-c)/', line):
            bad.append(f"{path}:{n}: {line.strip()}")
if not files:
    print(f"no sources under {root}")
    sys.exit(1)
if bad:
    print("runtime/ must not include MLIR or LLVM headers:")
    print("\n".join(bad))
    sys.exit(1)
print(f"checked {len(files)} runtime sources: no MLIR or LLVM includes")
