#!/usr/bin/env python3
"""attn's linear-family kernels against flash-linear-attention (fla), timed
side by side in one process on one GPU, with the same inputs (issue 4).

Our kernels are compiled and launched through libattn's C API (ctypes) on
torch tensors; fla's Triton kernels are called from its `fla/` source folder
(never committed here: bench/pack.sh copies it into .device/fla). Every
figure comes from the same process, inputs and timer
(triton.testing.do_bench, median), as in softmax_bench.py.

    PYTHONPATH=.device ATTN_LIB=.device/lib/libattn-c.so \\
        python3 .device/bench/linear_bench.py [--quick]

Cases, bf16, forward, B4 H16 D128, T = 4096 and 16384 (our spec <-> fla):
  linear      causal, normalize none        <-> chunk_linear_attn(normalize=False)
  simple_gla  + attn.decay gated(g)         <-> chunk_simple_gla(g=g)       g [B,T,H]
  retention   + exponential rates [1-2^(-5-h)]  <-> chunk_retention
  lightning   + exponential rates [exp(-0.5 h)] <-> chunk_lightning_attn(layer_idx=0, num_layers=12)
  gla         attn.score gate(gk)           <-> chunk_gla(g=gk)             gk [B,T,H,K]
  decode      simple_gla at T = 1 with the recurrent state in and out
                                            <-> fused_recurrent_simple_gla
  based       feature_map taylor2, normalize sum, q/k of 16 features, v of 64
                                            <-> fused_chunk_based(use_norm=True)
Layout: fla's own, BSHD ([B, T, H, D]) on both sides by default (`layout
bshd` in our specs; side inputs [B, T, H] and [B, T, H, K] as fla takes them).
`--layout bhsd` gives our kernels contiguous [B, H, T, D] copies instead
(fla keeps BSHD: it has no other layout).

Printed: ms (medians), tokens/s = B*T/time, the achieved fraction of HBM
bandwidth = bytes(q, k, v, o, gates[, states]) / time / 4.24 TB/s (the
H200's measured device copy rate, shared/baselines), ratios fla/ours (> 1:
we are faster), the relative error ours vs fla and of each against an fp64
reference (batch 0), cold compile times (ours: attnCompile with the caches
bypassed; fla: first call, Triton JIT and autotuning in a fresh
TRITON_CACHE_DIR), and the crossover table: the linear and retention specs
forced quadratic vs chunked (attn.plan) and unforced, across lengths.
Writes $OUT/linear_bench.json when OUT is set. Each case runs in its own
try: a spec that does not compile yet prints a FAILED row and the run goes
on. `--print-specs` prints our spec texts (no GPU, no torch needed).
"""
import argparse, json, math, os, sys, tempfile, time, traceback

HBM_BYTES_PER_S = 4.24e12  # device-to-device copy measured on the H200


# ---------------------------------------------------------------------------
# Specs (pure text: no torch needed, so `--print-specs` runs anywhere)
# ---------------------------------------------------------------------------

def retention_rates(H):
    """fla's chunk_retention: g_gamma_h = log(1 - 2^(-5-h)), h = 0..H-1."""
    return [1.0 - 2.0 ** (-5.0 - h) for h in range(H)]


LIGHTNING_LAYER, LIGHTNING_LAYERS = 0, 12


def lightning_rates(H, layer_idx=LIGHTNING_LAYER, num_layers=LIGHTNING_LAYERS):
    """fla's chunk_lightning_attn: g_gamma_h = -(8/H * (1 - layer_idx/num_layers)) * h
    (linear in h, head 0 undecayed), so the rate is exp(g_gamma_h)."""
    slope = 8.0 / H * (1.0 - layer_idx / num_layers)
    return [math.exp(-slope * h) for h in range(H)]


CASES = ("linear", "simple_gla", "retention", "lightning", "gla", "decode", "based", "linear_f32")

# Based's linear half (Arora et al. 2024): q and k projected to 16 features,
# v of 64 (fla's fused_chunk_based takes at most 16).
BASED_DK, BASED_DV = 16, 64


def spec_text(case, H=16, D=128, layout="bshd", algorithm=None, rates_form="attr"):
    """Our spec for `case`. `algorithm` forces attn.plan ("chunked" or
    "quadratic"); `rates_form` is "attr" (rates [...] on attn.decay, heads
    static in the types) or "input" (a `decay_rates` tensor<?xf32> input)."""
    if case == "based":
        # phi(q).phi(k) = 1 + t + t^2/2 with t = q.k / sqrt(16), as fla's
        # 1 + s + s^2/2 with s = q.k * 16^-0.5; scale 1.0 (docs/semantics.md).
        qk = f"tensor<?x?x?x{BASED_DK}xbf16>"
        vo = f"tensor<?x?x?x{BASED_DV}xbf16>"
        return f"""func.func @based(%q: {qk}, %k: {qk}, %v: {vo}) -> {vo} {{
  %s = attn.score %q, %k scale 1.0 feature_map taylor2 layout {layout} : {qk}, {qk}
  %m = attn.mask %s, #attn.causal
  %w = attn.normalize %m sum
  %o = attn.aggregate %w, %v : {vo} -> {vo}
  return %o : {vo}
}}
"""
    scale = D ** -0.5  # fla's default scale, passed explicitly to both sides
    # linear_f32: the linear case on f32 q, k, v, o (our TF32 matrix ops;
    # fla's Triton dots take f32 as TF32 too).
    element = "f32" if case == "linear_f32" else "bf16"
    if case == "linear_f32":
        case = "linear"
    static_heads = case in ("retention", "lightning") and rates_form == "attr"
    if static_heads:
        dims = f"?x?x{H}x{D}" if layout == "bshd" else f"?x{H}x?x{D}"
    else:
        dims = f"?x?x?x{D}"
    T = f"tensor<{dims}x{element}>"
    st = f"tensor<?x?x{D}x{D}xf32>"
    args = [f"%q: {T}", f"%k: {T}", f"%v: {T}"]
    gate, decay, init, results = "", "", "", [T]
    src = "%m"
    if case in ("simple_gla", "decode"):
        args.append('%g: tensor<?x?x?xf32> {attn.name = "log_gates"}')
        decay = "  %d = attn.decay %m gated(%g : tensor<?x?x?xf32>)\n"
        src = "%d"
    elif case in ("retention", "lightning"):
        rates = retention_rates(H) if case == "retention" else lightning_rates(H)
        if rates_form == "attr":
            decay = "  %d = attn.decay %m exponential rates [" + ", ".join(repr(r) for r in rates) + "]\n"
        else:
            args.append('%r: tensor<?xf32> {attn.name = "decay_rates"}')
            decay = "  %d = attn.decay %m exponential(%r : tensor<?xf32>)\n"
        src = "%d"
    elif case == "gla":
        gt = f"tensor<?x?x?x{D}xf32>"
        args.append(f'%gk: {gt} {{attn.name = "gate"}}')
        gate = f" gate(%gk : {gt})"
    elif case != "linear":
        raise ValueError(case)
    if case == "decode":
        args.append(f'%h0: {st} {{attn.name = "initial_state"}}')
        init = f" initial_state(%h0 : {st})"
        results = [T, st]
    plan = f' {{attn.plan = {{algorithm = "{algorithm}"}}}}' if algorithm else ""
    agg_types = f"{T} -> {T}" + (f", state {st}" if case == "decode" else "")
    outs = "%o, %hn" if case == "decode" else "%o"
    ret_types = ", ".join(results)
    arg_sep = ",\n    "
    return f"""func.func @{case}({arg_sep.join(args)})
    -> ({ret_types}) {{
  %s = attn.score %q, %k scale {scale!r} layout {layout}{gate} : {T}, {T}
  %m = attn.mask %s, #attn.causal
{decay}  %w = attn.normalize {src} none
  {outs} = attn.aggregate %w, %v{init}{plan} : {agg_types}
  return {outs} : {ret_types}
}}
"""


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="T = 4096 only, a shorter crossover, fewer repetitions")
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of " + ",".join(CASES))
    p.add_argument("--lengths", default=None, help="main-table T list (default 4096,16384)")
    p.add_argument("--crossover-lengths", default=None, help="default 256,...,16384")
    p.add_argument("--no-crossover", action="store_true")
    p.add_argument("--no-fla", action="store_true")
    p.add_argument("--no-reference", action="store_true", help="skip the fp64 reference errors")
    p.add_argument("--layout", choices=("bshd", "bhsd"), default="bshd", help="our kernels' layout (fla: BSHD)")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--heads", type=int, default=16)
    p.add_argument("--head-dim", type=int, default=128)
    p.add_argument("--warm-triton-cache", action="store_true",
                   help="keep TRITON_CACHE_DIR as given (fla first calls are then not cold)")
    p.add_argument("--print-specs", action="store_true", help="print our spec texts and exit (no GPU needed)")
    return p.parse_args()


ARGS = parse_args()
if ARGS.print_specs:
    for c in CASES:
        print(f"// ---- {c}\n" + spec_text(c, ARGS.heads, ARGS.head_dim, ARGS.layout))
    for c in ("linear", "retention"):
        for a in ("chunked", "quadratic"):
            print(f"// ---- {c}, forced {a}\n" + spec_text(c, ARGS.heads, ARGS.head_dim, ARGS.layout, a))
    print("// ---- retention, rates as an input (fallback)\n"
          + spec_text("retention", ARGS.heads, ARGS.head_dim, ARGS.layout, rates_form="input"))
    sys.exit(0)

# fla's first calls must compile from nothing: a fresh Triton cache, set
# before triton is imported.
if not ARGS.warm_triton_cache:
    os.environ["TRITON_CACHE_DIR"] = tempfile.mkdtemp(prefix="linear-bench-triton-")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from triton.testing import do_bench  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attn_ctypes  # noqa: E402

dev = "cuda"
B, H, D = ARGS.batch, ARGS.heads, ARGS.head_dim
SCALE = D ** -0.5
LAYOUT = ARGS.layout
QUICK = ARGS.quick
LENGTHS = [int(x) for x in ARGS.lengths.split(",")] if ARGS.lengths else ([4096] if QUICK else [4096, 16384])
XLENGTHS = ([int(x) for x in ARGS.crossover_lengths.split(",")] if ARGS.crossover_lengths
            else ([256, 1024, 4096] if QUICK else [256, 512, 1024, 2048, 4096, 8192, 16384]))
SELECTED = [c for c in ARGS.cases.split(",") if c]
TOL = 2e-2
FLA_NAMES = {
    "linear": "chunk_linear_attn(normalize=False)",
    "simple_gla": "chunk_simple_gla(g)",
    "retention": "chunk_retention",
    "lightning": f"chunk_lightning_attn(layer_idx={LIGHTNING_LAYER}, num_layers={LIGHTNING_LAYERS})",
    "gla": "chunk_gla(gk)",
    "decode": "fused_recurrent_simple_gla(g, h0), T=1",
    "based": f"fused_chunk_based(use_norm=True), Dk {BASED_DK} Dv {BASED_DV}",
    "linear_f32": "chunk_linear_attn(normalize=False), f32 q/k/v",
}


def bench(fn):
    if QUICK:
        return do_bench(fn, warmup=10, rep=40, return_mode="median")
    return do_bench(fn, warmup=25, rep=100, return_mode="median")


def short(e):
    s = str(e).strip().splitlines()
    s = " ".join(x.strip() for x in s if x.strip())
    return (type(e).__name__ + ": " + s)[:300]


def rel_err(a, b):
    a, b = a.float(), b.float()
    return ((a - b).norm() / b.norm().clamp_min(1e-30)).item()


# ---------------------------------------------------------------------------
# Our side: compile, marshal, launch
# ---------------------------------------------------------------------------

class Ours:
    def __init__(self, lib):
        self.lib = lib
        self.kernels = {}  # (case, algorithm) -> (kernel, form)
        self.failed = {}  # (case, algorithm) -> the compile error (not retried)
        self.compile_rows = {}

    def compile(self, case, algorithm=None):
        """Compiles once per spec (dims are dynamic), cold then cached;
        records the times. Retention/lightning fall back to rates as an
        input if the attribute form does not compile."""
        key = (case, algorithm)
        if key in self.kernels:
            return self.kernels[key]
        if key in self.failed:
            raise self.failed[key]
        forms = ["attr", "input"] if case in ("retention", "lightning") else ["attr"]
        err = None
        for form in forms:
            text = spec_text(case, H, D, LAYOUT, algorithm, form)
            try:
                t0 = time.time()
                kern = self.lib.compile(text, cache=False)
                cold = time.time() - t0
                jit_ms = kern.compile_ms
                self.lib.compile(text, cache=True)  # fills the caches
                t0 = time.time()
                self.lib.compile(text, cache=True)
                cached = time.time() - t0
            except Exception as e:  # try the next form; report the first error
                err = err or e
                how = f" (rates {form})" if len(forms) > 1 else ""
                print(f"  compile {case}{'/' + algorithm if algorithm else ''}{how} failed: {short(e)}", flush=True)
                continue
            name = case + (f"[{algorithm}]" if algorithm else "")
            self.compile_rows[name] = {"case": case, "algorithm": algorithm, "rates_form": form,
                                       "cold_s": cold, "jit_ms": jit_ms, "cached_ms": cached * 1e3}
            self.kernels[key] = (kern, form)
            return self.kernels[key]
        self.failed[key] = err
        raise err

    def launcher(self, kern, tensors, states=None):
        """A no-argument launch of `kern`, marshalled once. The recurrent
        states go among the tensors under their roles ("initial_state",
        "final_state"): the C API takes them so (include/attn-c/JIT.h), and
        attn_ctypes' prepare() passes any name through (its launch() also
        takes them as keywords, but not together with a prepared list)."""
        if states:
            tensors = {**tensors, **states}
        prepared = kern.prepare(tensors)
        return lambda: kern.launch(tensors, prepared)


def algorithm_of(kern):
    """The algorithm the kernel runs, from its KernelInfo (attn_ctypes'
    Kernel.info, where the library has attnKernelGetInfoJSON), else None."""
    info = getattr(kern, "info", None)
    return info.get("algorithm") if isinstance(info, dict) else None


def side_inputs(case, form, x):
    """Our side inputs of `case`, by the names the specs give them."""
    t = {}
    if case in ("simple_gla", "decode"):
        t["log_gates"] = to_ours(x["g"]).contiguous()
    if case == "gla":
        t["gate"] = to_ours(x["gk"]).contiguous()
    if case in ("retention", "lightning") and form == "input":
        rates = retention_rates(H) if case == "retention" else lightning_rates(H)
        t["decay_rates"] = torch.tensor(rates, device=dev, dtype=torch.float32)
    return t


def to_ours(x):
    """BSHD -> our layout: [B,T,H,...] stays, or becomes a contiguous [B,H,T,...]."""
    if LAYOUT == "bshd" or x is None:
        return x
    return x.transpose(1, 2).contiguous()


def from_ours(x):
    return x if LAYOUT == "bshd" else x.transpose(1, 2)


# ---------------------------------------------------------------------------
# fp64 reference (batch 0): chunked recurrence, exact up to fp64 rounding
# ---------------------------------------------------------------------------

def reference(q, k, v, scale, kind, gates=None, h0=None, C=64):
    """q, k, v [T, H, D] (BSHD, one batch). kind: "none"; "head" (gates =
    per-head log-rate [H]); "token" (gates [T, H]); "channel" (gates
    [T, H, K]). h0 [H, K, V]. Returns o [T, H, V] and S_N [H, K, V] in fp64,
    with fla's (and our semantics.md §7) conventions:
    o_i = scale * (sum_{j<=i} <q_i, k_j * exp(G_i - G_j)> v_j + (q_i * exp(G_i)) S_0)."""
    f64 = torch.float64
    q, k, v = (x.to(f64).transpose(0, 1) for x in (q, k, v))  # [H, T, D]
    Hh, T, K = q.shape
    V = v.shape[-1]
    if kind == "none":
        g = torch.zeros(Hh, T, 1, dtype=f64, device=q.device)
    elif kind == "head":
        g = gates.to(f64).view(Hh, 1, 1).expand(Hh, T, 1)
    elif kind == "token":
        g = gates.to(f64).transpose(0, 1).unsqueeze(-1)
    elif kind == "channel":
        g = gates.to(f64).transpose(0, 1)
    else:
        raise ValueError(kind)
    S = h0.to(f64).clone() if h0 is not None else torch.zeros(Hh, K, V, dtype=f64, device=q.device)
    o = torch.empty(Hh, T, V, dtype=f64, device=q.device)
    for t0 in range(0, T, C):
        t1 = min(T, t0 + C)
        c = t1 - t0
        qc, kc, vc = q[:, t0:t1], k[:, t0:t1], v[:, t0:t1]
        G = g[:, t0:t1].cumsum(1)  # relative to position t0 - 1: [H, c, 1 or K]
        oc = scale * (qc * G.exp()) @ S
        diff = G[:, :, None, :] - G[:, None, :, :]  # [H, c, c, 1 or K]
        causal = torch.ones(c, c, dtype=torch.bool, device=q.device).tril()
        diff = diff.masked_fill(~causal[None, :, :, None], float("-inf"))
        if diff.shape[-1] == 1:
            A = scale * (qc @ kc.transpose(1, 2)) * diff[..., 0].exp()
        else:
            A = scale * torch.einsum("hid,hjd,hijd->hij", qc, kc, diff.exp())
        o[:, t0:t1] = oc + A @ vc
        last = G[:, -1:, :]  # [H, 1, 1 or K]
        S = last.transpose(1, 2).exp() * S + (kc * (last - G).exp()).transpose(1, 2) @ vc
    return o.transpose(0, 1), S


# ---------------------------------------------------------------------------
# fla
# ---------------------------------------------------------------------------

def import_fla():
    if ARGS.no_fla:
        return None
    try:
        import fla.ops as fo
        print("fla:", os.path.dirname(fo.__file__), flush=True)
        return fo
    except Exception as e:
        traceback.print_exc()
        print("fla unavailable:", short(e), flush=True)
        return None


def fla_call(fo, case, x):
    """The fla call of `case` on inputs `x` (BSHD), returning (o, final state or None)."""
    q, k, v = x["q"], x["k"], x["v"]
    if case == "linear":
        return lambda: fo.chunk_linear_attn(q, k, v, scale=SCALE, normalize=False)
    if case == "linear_f32":
        return lambda: fo.chunk_linear_attn(x["q32"], x["k32"], x["v32"], scale=SCALE,
                                            normalize=False)
    if case == "simple_gla":
        return lambda: fo.chunk_simple_gla(q, k, v, g=x["g"], scale=SCALE)
    if case == "retention":
        return lambda: fo.chunk_retention(q, k, v, scale=SCALE)
    if case == "lightning":
        return lambda: fo.chunk_lightning_attn(q, k, v, layer_idx=LIGHTNING_LAYER,
                                               num_layers=LIGHTNING_LAYERS, scale=SCALE)
    if case == "gla":
        return lambda: fo.chunk_gla(q, k, v, g=x["gk"], scale=SCALE)
    if case == "decode":
        return lambda: fo.fused_recurrent_simple_gla(q, k, v, g=x["g"], scale=SCALE,
                                                     initial_state=x["h0"], output_final_state=True)
    if case == "based":
        return lambda: (fo.fused_chunk_based(x["qb"], x["kb"], x["vb"], use_norm=True), None)
    raise ValueError(case)


# ---------------------------------------------------------------------------
# Inputs, bytes, reference kinds
# ---------------------------------------------------------------------------

def make_inputs(T, with_gk=True, decode=False):
    """Random q, k, v ~ N(0, 1) bf16 [B, T, H, D]; log-gates logsigmoid(N(0, 1))
    [B, T, H] f32; GLA's per-channel log-gates logsigmoid(N(0, 1)) / 16
    [B, T, H, K] f32 (GLA's gate_logit_normalizer, as shared/baselines);
    for decode, a state h0 [B, H, K, V] f32 of a previous prefix."""
    x = {n: torch.randn(B, T, H, D, device=dev, dtype=torch.bfloat16) for n in ("q", "k", "v")}
    x["g"] = F.logsigmoid(torch.randn(B, T, H, device=dev, dtype=torch.float32))
    if with_gk:
        x["gk"] = F.logsigmoid(torch.randn(B, T, H, D, device=dev, dtype=torch.float32)) / 16
    if decode:
        x["h0"] = torch.randn(B, H, D, D, device=dev, dtype=torch.float32)
    if "linear_f32" in SELECTED and not decode:
        for n in ("q", "k", "v"):
            x[n + "32"] = x[n].float()
    if "based" in SELECTED and not decode:
        for n, d in (("qb", BASED_DK), ("kb", BASED_DK), ("vb", BASED_DV)):
            x[n] = torch.randn(B, T, H, d, device=dev, dtype=torch.bfloat16)
    return x


def io_bytes(case, T):
    if case == "based":
        return B * T * H * 2 * (2 * BASED_DK + 2 * BASED_DV)
    n = B * T * H * D * (4 if case == "linear_f32" else 2)  # one q/k/v/o tensor
    b = 4 * n  # q, k, v, o
    if case in ("simple_gla", "decode"):
        b += B * T * H * 4
    if case == "gla":
        b += B * T * H * D * 4
    if case == "decode":
        b += 2 * B * H * D * D * 4  # state in and out
    return b


def ref_kind(case, x):
    if case in ("linear", "linear_f32"):
        return "none", None
    if case in ("simple_gla", "decode"):
        return "token", x["g"][0]
    if case == "retention":
        return "head", torch.tensor(retention_rates(H), device=dev, dtype=torch.float64).log()
    if case == "lightning":
        return "head", torch.tensor(lightning_rates(H), device=dev, dtype=torch.float64).log()
    if case == "gla":
        return "channel", x["gk"][0]
    raise ValueError(f"no fp64 reference here for {case} (its errors are against fla)")


# ---------------------------------------------------------------------------
# The main table
# ---------------------------------------------------------------------------

def run_case(ours, fo, case, T, x, fla_first):
    r = {"case": case, "T": T, "B": B, "H": H, "D": D, "layout": LAYOUT, "fla_op": FLA_NAMES[case],
         "bytes": io_bytes(case, T)}
    decode = case == "decode"
    # ours
    o_ours = hn_ours = None
    if ours is None:
        r["ours_error"] = "libattn-c unavailable"
    else:
        try:
            print(f"[{case} T={T}] attn", flush=True)
            kern, form = ours.compile(case)
            r["rates_form"] = form if case in ("retention", "lightning") else None
            r["algorithm"] = algorithm_of(kern)
            names = {"based": ("qb", "kb", "vb"),
                     "linear_f32": ("q32", "k32", "v32")}.get(case, ("q", "k", "v"))
            oq = {n: to_ours(x[m]) for n, m in zip(("q", "k", "v"), names)}
            o = torch.empty_like(oq["v"])
            tensors = {"q": oq["q"], "k": oq["k"], "v": oq["v"], "o": o, **side_inputs(case, form, x)}
            states = None
            if decode:
                hn = torch.empty(B, H, D, D, device=dev, dtype=torch.float32)
                states = {"initial_state": x["h0"], "final_state": hn}
            fn = ours.launcher(kern, tensors, states)
            fn()
            torch.cuda.synchronize()
            o_ours = from_ours(o)
            hn_ours = states["final_state"] if decode else None
            r["ours_ms"] = bench(fn)
        except Exception as e:
            r["ours_error"] = short(e)
            print(f"  FAILED (attn): {r['ours_error']}", flush=True)
    # fla
    o_fla = hn_fla = None
    if fo is None:
        r["fla_error"] = "fla unavailable" if not ARGS.no_fla else "skipped (--no-fla)"
    else:
        try:
            print(f"[{case} T={T}] fla {FLA_NAMES[case]}", flush=True)
            fn = fla_call(fo, case, x)
            t0 = time.time()
            o_fla, hn_fla = fn()
            torch.cuda.synchronize()
            first = time.time() - t0
            if case not in fla_first:
                fla_first[case] = first
            r["fla_first_call_s"] = first
            r["fla_ms"] = bench(fn)
        except Exception as e:
            r["fla_error"] = short(e)
            print(f"  FAILED (fla): {r['fla_error']}", flush=True)
    # errors
    if o_ours is not None and o_fla is not None:
        r["err_vs_fla"] = rel_err(o_ours, o_fla)
        if decode and hn_fla is not None:
            r["state_err_vs_fla"] = rel_err(hn_ours, hn_fla)
    if not ARGS.no_reference and (o_ours is not None or o_fla is not None):
        try:
            kind, gates = ref_kind(case, x)
            ref_o, ref_s = reference(x["q"][0], x["k"][0], x["v"][0], SCALE, kind, gates,
                                     x["h0"][0] if decode else None)
            if o_ours is not None:
                r["err_ours_ref"] = rel_err(o_ours[0].double(), ref_o)
                if decode:
                    r["state_err_ours_ref"] = rel_err(hn_ours[0].double(), ref_s)
            if o_fla is not None:
                r["err_fla_ref"] = rel_err(o_fla[0].double(), ref_o)
                if decode and hn_fla is not None:
                    r["state_err_fla_ref"] = rel_err(hn_fla[0].double(), ref_s)
            del ref_o, ref_s
        except Exception as e:
            r["ref_error"] = short(e)
            print(f"  reference failed: {r['ref_error']}", flush=True)
    for side in ("ours", "fla"):
        ms = r.get(side + "_ms")
        if ms:
            r[side + "_Mtok_s"] = B * T / ms / 1e3
            r[side + "_hbm_frac"] = r["bytes"] / (ms * 1e-3) / HBM_BYTES_PER_S
    if r.get("ours_ms") and r.get("fla_ms"):
        r["fla_over_ours"] = r["fla_ms"] / r["ours_ms"]
    # ok: attn agrees with fla; "ref": not with fla but with the fp64
    # reference (then fla is the one off); BAD: neither.
    vs_fla = [e for e in (r.get("err_vs_fla"), r.get("state_err_vs_fla")) if e is not None]
    vs_ref = [e for e in (r.get("err_ours_ref"), r.get("state_err_ours_ref")) if e is not None]
    if vs_fla and all(e < TOL for e in vs_fla):
        r["ok"] = "ok"
    elif vs_ref and all(e < TOL for e in vs_ref):
        r["ok"] = "ref"
    elif vs_fla or vs_ref:
        r["ok"] = "BAD"
    else:
        r["ok"] = None
    print(json.dumps(r), flush=True)
    return r


def fmt(x, w=8, p=3):
    return f"{x:{w}.{p}f}" if isinstance(x, (int, float)) and x is not None and math.isfinite(x) else f"{'-':>{w}s}"


def fmte(x, w=8):
    return f"{x:{w}.1e}" if isinstance(x, (int, float)) and x is not None else f"{'-':>{w}s}"


def print_main(rows):
    print()
    print(f"linear family, forward, bf16, B{B} H{H} D{D}, ours {LAYOUT.upper()}, fla BSHD "
          f"({torch.cuda.get_device_name()}); ms are medians; HBM = bytes(q,k,v,o,gates[,states]) / t / 4.24 TB/s")
    hdr = (f"{'case':11s} {'T':>6s} {'alg':>5s} {'attn ms':>8s} {'fla ms':>8s} {'fla/attn':>8s} {'attn Mtok/s':>11s} "
           f"{'fla Mtok/s':>10s} {'attn HBM':>8s} {'fla HBM':>8s} {'err':>8s} {'ok':>4s} {'attn/ref':>8s} {'fla/ref':>8s}")
    print(hdr)
    for r in rows:
        ratio = f"{r['fla_over_ours']:7.2f}x" if r.get("fla_over_ours") else f"{'-':>8s}"
        ok = r.get("ok") or "-"
        alg = {"chunked": "chunk", "quadratic": "quad"}.get(r.get("algorithm"), "-")
        print(f"{r['case']:11s} {r['T']:6d} {alg:>5s} {fmt(r.get('ours_ms'))} {fmt(r.get('fla_ms'))} {ratio} "
              f"{fmt(r.get('ours_Mtok_s'), 11, 1)} {fmt(r.get('fla_Mtok_s'), 10, 1)} "
              f"{fmt(r.get('ours_hbm_frac'), 8, 2)} {fmt(r.get('fla_hbm_frac'), 8, 2)} "
              f"{fmte(r.get('err_vs_fla'))} {ok:>4s} {fmte(r.get('err_ours_ref'))} {fmte(r.get('err_fla_ref'))}")
        if r.get("case") == "decode" and (r.get("state_err_vs_fla") is not None or r.get("state_err_ours_ref") is not None):
            print(f"{'  (state)':11s} {'':6s} {'':5s} {'':8s} {'':8s} {'':8s} {'':11s} {'':10s} {'':8s} {'':8s} "
                  f"{fmte(r.get('state_err_vs_fla'))} {'':4s} {fmte(r.get('state_err_ours_ref'))} "
                  f"{fmte(r.get('state_err_fla_ref'))}")
        for side, label in (("ours", "attn"), ("fla", "fla")):
            if r.get(side + "_error"):
                print(f"{'':11s} {'':6s} FAILED ({label}): {r[side + '_error']}")
    print("(alg: the algorithm of our kernel (KernelInfo); fla/attn = fla time / attn time: > 1 means attn is faster; err = ||attn - fla|| / ||fla|| over all of o;"
          f" ok: err < {TOL:g}; ref: attn within {TOL:g} of the fp64 reference but not of fla; attn/ref, fla/ref:"
          " errors against an fp64 reference on batch 0)")


def print_compile(ours, fla_first, crossover=False):
    """The compile times: of the main cases (with fla's first calls) or of
    the crossover's forced and unforced specs."""
    print()
    print(f"{'compile' + (' (crossover specs)' if crossover else ''):40s} {'attn cold s':>11s} {'jit ms':>8s} "
          f"{'cached ms':>10s} {'fla first call s':>17s}")
    rows = ours.compile_rows if ours else {}
    if crossover:
        names = [n for n, cr in rows.items() if cr["algorithm"] or n in ("linear", "retention")]
    else:
        names = [c for c in SELECTED]
    for n in names:
        cr = rows.get(n) or {}
        label = n + (" (rates as an input)" if cr.get("rates_form") == "input" else "")
        ff = None if crossover else fla_first.get(n)
        print(f"{label:40s} {fmt(cr.get('cold_s'), 11)} {fmt(cr.get('jit_ms'), 8, 1)} {fmt(cr.get('cached_ms'), 10)} "
              f"{fmt(ff, 17, 2)}")
    if not crossover:
        print("(attn cold: attnCompile with both caches bypassed, wall time, once per spec (dims are dynamic); "
              "jit ms: the JIT's own figure; fla first call: Triton JIT + autotuning in a fresh TRITON_CACHE_DIR, "
              "in the order above; fla's linear, retention and lightning all run chunk_simple_gla's kernels, so "
              "the first of them pays for most of their compiles)")


# ---------------------------------------------------------------------------
# Crossover: forced quadratic vs forced chunked vs automatic
# ---------------------------------------------------------------------------

def run_crossover(ours, fo):
    rows = []
    for case in ("linear", "retention"):
        kerns = {}
        for alg in ("chunked", "quadratic", None):
            try:
                kerns[alg] = ours.compile(case, alg)
            except Exception as e:
                kerns[alg] = e
        for T in XLENGTHS:
            r = {"case": case, "T": T}
            print(f"[crossover {case} T={T}]", flush=True)
            try:
                x = {n: torch.randn(B, T, H, D, device=dev, dtype=torch.bfloat16) for n in ("q", "k", "v")}
            except Exception as e:
                r["error"] = short(e)
                rows.append(r)
                continue
            outs = {}
            for alg, key in (("chunked", "chunked"), ("quadratic", "quadratic"), (None, "auto")):
                if isinstance(kerns[alg], Exception):
                    r[key + "_error"] = short(kerns[alg])
                    continue
                kern, form = kerns[alg]
                try:
                    oq = {n: to_ours(x[n]) for n in ("q", "k", "v")}
                    o = torch.empty_like(oq["v"])
                    fn = ours.launcher(kern, {**oq, "o": o, **side_inputs(case, form, x)})
                    fn()
                    torch.cuda.synchronize()
                    outs[key] = o
                    r[key + "_ms"] = bench(fn)
                except Exception as e:
                    r[key + "_error"] = short(e)
            if fo is not None:
                try:
                    fn = fla_call(fo, case, x)
                    fn()
                    r["fla_ms"] = bench(fn)
                except Exception as e:
                    r["fla_error"] = short(e)
            if "chunked" in outs and "quadratic" in outs:
                r["err_chunked_vs_quadratic"] = rel_err(outs["chunked"], outs["quadratic"])
            if r.get("chunked_ms") and r.get("quadratic_ms"):
                r["faster"] = "chunked" if r["chunked_ms"] < r["quadratic_ms"] else "quadratic"
            auto_alg = None if isinstance(kerns[None], Exception) else algorithm_of(kerns[None][0])
            if auto_alg:
                r["auto_picks"] = auto_alg
            elif "auto" in outs:
                same = [k for k in ("chunked", "quadratic") if k in outs and torch.equal(outs["auto"], outs[k])]
                if len(same) == 1:
                    r["auto_picks"] = same[0]
                else:
                    timed = [k for k in ("chunked", "quadratic") if r.get(k + "_ms")]
                    if timed and r.get("auto_ms"):
                        best = min(timed, key=lambda k: abs(r[k + "_ms"] - r["auto_ms"]))
                        r["auto_picks"] = best + "?"  # by timing only
            rows.append(r)
            print(json.dumps(r), flush=True)
            del x, outs
            torch.cuda.empty_cache()
    print()
    print(f"crossover, causal, bf16, B{B} H{H} D{D}, {LAYOUT.upper()}: the same spec forced quadratic vs chunked "
          f"(attn.plan), and unforced (auto)")
    print(f"{'case':10s} {'T':>6s} {'quad ms':>8s} {'chunk ms':>8s} {'faster':>9s} {'auto ms':>8s} {'auto picks':>10s} "
          f"{'fla ms':>8s} {'q-c err':>8s}")
    for r in rows:
        print(f"{r['case']:10s} {r['T']:6d} {fmt(r.get('quadratic_ms'))} {fmt(r.get('chunked_ms'))} "
              f"{r.get('faster', '-'):>9s} {fmt(r.get('auto_ms'))} {r.get('auto_picks', '-'):>10s} "
              f"{fmt(r.get('fla_ms'))} {fmte(r.get('err_chunked_vs_quadratic'))}")
        for key in ("quadratic", "chunked", "auto", "fla"):
            if r.get(key + "_error"):
                print(f"{'':10s} {'':6s} FAILED ({key}): {r[key + '_error']}")
        if r.get("error"):
            print(f"{'':10s} {'':6s} FAILED: {r['error']}")
    print("(auto picks: the unforced kernel's algorithm from its KernelInfo; with a library without "
          "attnKernelGetInfoJSON, the forced variant whose output is bit-identical to the unforced one's, "
          "or with a trailing ? the one nearest in time)")
    return rows


def main():
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, triton {__import__('triton').__version__}, "
          f"TRITON_CACHE_DIR={os.environ.get('TRITON_CACHE_DIR')}", flush=True)
    try:
        lib = attn_ctypes.Library(os.environ.get("ATTN_LIB", ".device/lib/libattn-c.so"))
        ours = Ours(lib)
    except Exception as e:
        print("libattn-c unavailable:", short(e), flush=True)
        ours = None
    fo = import_fla()
    out = {"config": {"B": B, "H": H, "D": D, "layout": LAYOUT, "lengths": LENGTHS,
                      "crossover_lengths": XLENGTHS, "quick": QUICK, "hbm_bytes_per_s": HBM_BYTES_PER_S,
                      "retention_rates": retention_rates(H), "lightning_rates": lightning_rates(H),
                      "device": torch.cuda.get_device_name()}}
    rows, fla_first = [], {}
    with torch.no_grad():
        for T in LENGTHS:
            try:
                x = make_inputs(T, with_gk="gla" in SELECTED)
            except Exception as e:
                print(f"inputs at T={T} failed: {short(e)}", flush=True)
                continue
            for case in SELECTED:
                if case == "decode":
                    continue
                try:
                    rows.append(run_case(ours, fo, case, T, x, fla_first))
                except Exception as e:  # never stop the run
                    traceback.print_exc()
                    rows.append({"case": case, "T": T, "ours_error": "FAILED: " + short(e)})
                torch.cuda.empty_cache()
            del x
            torch.cuda.empty_cache()
        if "decode" in SELECTED:
            try:
                x = make_inputs(1, with_gk=False, decode=True)
                rows.append(run_case(ours, fo, "decode", 1, x, fla_first))
            except Exception as e:
                traceback.print_exc()
                rows.append({"case": "decode", "T": 1, "ours_error": "FAILED: " + short(e)})
        print_main(rows)
        if ours is not None:
            print_compile(ours, fla_first)
        out["rows"] = rows
        out["compile"] = {"attn": ours.compile_rows if ours else {}, "fla_first_call_s": fla_first}
        if os.environ.get("OUT"):  # save before the crossover, in case it dies
            json.dump(out, open(os.path.join(os.environ["OUT"], "linear_bench.json"), "w"), indent=1)
        if not ARGS.no_crossover and ours is not None:
            try:
                out["crossover"] = run_crossover(ours, fo)
            except Exception as e:
                traceback.print_exc()
                print("crossover FAILED:", short(e))
            print_compile(ours, fla_first, crossover=True)
            out["compile"]["attn"] = ours.compile_rows
    if os.environ.get("OUT"):
        json.dump(out, open(os.path.join(os.environ["OUT"], "linear_bench.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
