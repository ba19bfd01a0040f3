# lit configuration of golfc's tests: one folder per component.
import os

import lit.formats

config.name = "golfc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".golf", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.excludes = ["lit.cfg.py", "lit.site.cfg.py.in", "Inputs"]

config.substitutions.append(("%golf_src", config.golf_source_dir))
# The reference checks use Debian's python3 with python3-torch.
config.substitutions.append(("%python", "/usr/bin/python3"))
config.environment["PATH"] = os.pathsep.join(
    [config.golf_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")]
)
# Specs read settings from upper-cased environment variables; keep the
# developer's environment out of the tests.
for name in list(config.environment):
    if name not in ("PATH", "HOME", "TMPDIR", "TMP", "TEMP", "LANG", "LC_ALL"):
        del config.environment[name]
