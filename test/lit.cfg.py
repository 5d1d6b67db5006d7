# -*- Python -*-
# lit configuration for attn: runs attention-opt / attention-run over .mlir
# files and checks their output with FileCheck.

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "attn"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attn_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

config.substitutions.append(("%examples", os.path.join(config.attn_src_root, "examples")))
config.environment["FILECHECK_OPTS"] = "--enable-var-scope"

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tools = ["attention-opt", "attention-run", "attn-jit-example"]
llvm_config.add_tool_substitutions(tools, [config.attn_tools_dir])

# Tests that execute specs on the fp64 reference (`REQUIRES: attention-run`)
# run only where the tool has been built.
if os.path.exists(os.path.join(config.attn_tools_dir, "attention-run")):
    config.available_features.add("attention-run")

# GPU tests need a CUDA driver and device; `REQUIRES: cuda-gpu` skips them
# visibly elsewhere.
if os.path.exists("/dev/nvidiactl") or os.environ.get("ATTN_FORCE_GPU_TESTS"):
    config.available_features.add("cuda-gpu")
