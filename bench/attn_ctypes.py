"""ctypes binding of libattn-c (include/attn-c/JIT.h) for PyTorch tensors:
compile an attn spec and launch it on torch CUDA tensors, on torch's current
stream.

    lib = Library("libattn-c.so")
    kern = lib.compile(spec_text)
    kern.launch({"q": q, "k": k, "v": v, "o": o})          # softmax family
    # A kernel with recurrent states (kern.info["initial_state"],
    # ["final_state"]): f32 [B, Hq, F, Dv] dense; in place is allowed.
    s = kern.new_state(q, v)                               # zeros
    kern.launch({"q": q, "k": k, "v": v, "o": o},
                initial_state=s, final_state=s)
"""
import ctypes
import json

import torch

_DTYPES = {torch.float16: b"f16", torch.bfloat16: b"bf16", torch.float32: b"f32",
           torch.int32: b"i32", torch.int64: b"i64", torch.int8: b"i8",
           torch.uint8: b"u8", torch.bool: b"u8"}


class _Tensor(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("data", ctypes.c_void_p),
                ("dtype", ctypes.c_char_p), ("rank", ctypes.c_int32),
                ("sizes", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64))]


class Kernel:
    def __init__(self, lib, handle):
        self._lib, self._h = lib, handle
        self.compile_ms = lib.attnKernelGetCompileTimeMs(handle)
        self.from_cache = bool(lib.attnKernelIsFromCache(handle))
        self._keep = None
        # The kernel's launch contract (KernelInfo JSON, ABI v6); {} from a
        # library older than attnKernelGetInfoJSON.
        text = lib.attnKernelGetInfoJSON(handle) if hasattr(lib, "attnKernelGetInfoJSON") else b""
        self.info = json.loads(text.decode()) if text else {}

    def new_state(self, q, v):
        """A zero f32 state [B, Hq, F, Dv] for q [B, Hq, Nq, Dk] (BHSD) or
        [B, Nq, Hq, Dk] (BSHD) and v."""
        heads = q.shape[2] if self.info.get("layout") == "bshd" else q.shape[1]
        f = self.info.get("feature_dim") or q.shape[3]
        return torch.zeros(q.shape[0], heads, f, v.shape[3], dtype=torch.float32,
                           device=q.device)

    def prepare(self, tensors):
        """Marshals `tensors` (name -> torch tensor) once; returns the args."""
        arr = (_Tensor * len(tensors))()
        keep = []
        for slot, (name, t) in zip(arr, tensors.items()):
            sizes = (ctypes.c_int64 * t.dim())(*t.shape)
            strides = (ctypes.c_int64 * t.dim())(*t.stride())
            keep += [sizes, strides, name.encode()]
            slot.name, slot.data, slot.dtype = keep[-1], t.data_ptr(), _DTYPES[t.dtype]
            slot.rank, slot.sizes, slot.strides = t.dim(), sizes, strides
        return arr, keep

    def launch(self, tensors, prepared=None, initial_state=None, final_state=None):
        """Launches on `tensors` (name -> torch tensor: q, k, v, o, lse,
        initial_state, final_state, side inputs by name); the states may also
        be given as keywords (the same tensor for both: in place)."""
        states = {name: t for name, t in (("initial_state", initial_state),
                                          ("final_state", final_state)) if t is not None}
        if states:
            if prepared:
                raise ValueError("pass the states in `tensors` to prepare()")
            tensors = {**tensors, **states}
        arr, keep = prepared or self.prepare(tensors)
        stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)
        if self._lib.attnLaunch(self._h, arr, len(arr), stream) != 0:
            raise RuntimeError(self._lib.attnGetLastError().decode())

    def __del__(self):
        if self._h:
            self._lib.attnDestroy(self._h)


class Library:
    def __init__(self, path):
        lib = ctypes.CDLL(path)
        lib.attnGetLastError.restype = ctypes.c_char_p
        lib.attnCompile.restype = ctypes.c_void_p
        lib.attnCompile.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int32]
        lib.attnKernelGetCompileTimeMs.restype = ctypes.c_double
        lib.attnKernelGetCompileTimeMs.argtypes = [ctypes.c_void_p]
        lib.attnKernelIsFromCache.argtypes = [ctypes.c_void_p]
        if hasattr(lib, "attnKernelGetInfoJSON"):
            lib.attnKernelGetInfoJSON.restype = ctypes.c_char_p
            lib.attnKernelGetInfoJSON.argtypes = [ctypes.c_void_p]
        lib.attnLaunch.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32, ctypes.c_void_p]
        lib.attnDestroy.argtypes = [ctypes.c_void_p]
        self._lib = lib

    def compile(self, spec_text, chip=None, cache=True):
        h = self._lib.attnCompile(spec_text.encode(), chip.encode() if chip else None, int(cache))
        if not h:
            raise RuntimeError(self._lib.attnGetLastError().decode())
        return Kernel(self._lib, h)
