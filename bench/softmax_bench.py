#!/usr/bin/env python3
"""attn's softmax-family kernels against the peers a user would pick instead,
timed side by side in one process on one GPU: torch SDPA (FlashAttention-2 and
cuDNN backends) and FlexAttention, with the same masks and score modifiers.

Our kernels are compiled and launched through libattn's C API (ctypes) on
torch tensors, so every figure comes from the same process, the same inputs
and the same timer (triton.testing.do_bench, median).

    ATTN_LIB=.device/lib/libattn-c.so python3 bench/softmax_bench.py

Prints one table (ms, TFLOP/s = dense FLOPs x density, ratios) and the
compile times (ours cold / cached, Flex first call); writes $OUT/softmax.json.

ATTN_PLANS="{warps = 4 : i64, matrix_ops = \"warp\"};{block_n = 128 : i64}"
also times our kernel under each of these `attn.plan` overrides and prints
them in a second table, next to the default plan's time.
ATTN_CASES="causal,document4_causal" times only the cases named.
"""
import ctypes, json, math, os, sys, time

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from triton.testing import do_bench

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attn_ctypes  # noqa: E402

dev = "cuda"
torch.manual_seed(0)
B, H, S, D = (int(x) for x in os.environ.get("SHAPE", "4,16,4096,128").split(","))
rows, out = [], {}


def bench(fn):
    return do_bench(fn, warmup=25, rep=100, return_mode="median")


def dense_flops(causal_density=1.0):
    return 4 * B * H * S * S * D * causal_density


def spec(body_mask="", modifier="", extra_args=""):
    """A bf16 softmax spec; `body_mask` defines %m (or nothing: no mask)."""
    t = f"tensor<?x?x?x{D}xbf16>"
    last = "%m" if body_mask else ("%c" if modifier else "%s")
    return f"""
func.func @bench(%q: {t}, %k: {t}, %v: {t}{extra_args}) -> {t} {{
  %s = attn.score %q, %k : {t}, {t}
  {modifier}
  {body_mask}
  %w = attn.normalize {last} softmax
  %o = attn.aggregate %w, %v : {t} -> {t}
  return %o : {t}
}}"""


CASES = [c.strip() for c in os.environ.get("ATTN_CASES", "").split(",") if c.strip()]
PLANS = [p.strip() for p in os.environ.get("ATTN_PLANS", "").split(";") if p.strip()]


def with_plan(text, plan):
    """`text` with `attn.plan = plan` on its aggregate."""
    return text.replace("attn.aggregate %w, %v :",
                        f"attn.aggregate %w, %v {{attn.plan = {plan}}} :")


def density(pred):
    """Fraction of visible (i, j) pairs, exactly, from a sampled grid."""
    i = torch.arange(S, device=dev).view(-1, 1)
    j = torch.arange(S, device=dev).view(1, -1)
    return pred(i, j).float().mean().item()


def main():
    lib = attn_ctypes.Library(os.environ.get("ATTN_LIB", ".device/lib/libattn-c.so"))
    q, k, v = [torch.randn(B, H, S, D, device=dev, dtype=torch.bfloat16) for _ in range(3)]
    docs = (torch.arange(S, device=dev) // (S // 4)).to(torch.int32)
    doc_ids = docs.view(1, S).expand(B, S).contiguous()
    slopes = torch.exp2(-8.0 * torch.arange(1, H + 1, device=dev) / H).float()

    causal = lambda i, j: j <= i
    swa = lambda i, j: (j <= i) & (i - j < 1024)
    docm = lambda i, j: (docs[i.view(-1)].view(-1, 1) == docs[j.view(-1)].view(1, -1)) & (j <= i)
    cases = [
        ("full", spec(), {}, None, None, 1.0),
        ("causal", spec("%m = attn.mask %s, #attn.causal"), {}, "causal", None, None),
        ("sliding1024_causal",
         spec("%m = attn.mask %s, #attn.and<[#attn.causal, #attn.window<1023, 0>]>"), {}, "swa", None, None),
        ("document4_causal",
         spec("%m = attn.mask %s, #attn.and<[#attn.causal, #attn.document<input = 0>]>(%ids : tensor<?x?xi32>)",
              extra_args=", %ids: tensor<?x?xi32>"), {"ids": doc_ids}, "doc", None, None),
        # The same mask with the document length known when compiling: the
        # tile classes are static, so this row shows what the device-side
        # classification of document ids costs.
        ("blockdiag4_causal",
         spec(f"%m = attn.mask %s, #attn.and<[#attn.causal, #attn.block_diagonal<{S // 4}>]>"),
         {}, "doc", None, None),
        ("alibi_causal",
         spec("%m = attn.mask %c, #attn.causal",
              modifier="""%c = attn.modify %s (%slopes : tensor<?xf32>) {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index, %sl: tensor<?xf32>):
    %m = tensor.extract %sl[%h] : tensor<?xf32>
    %d = arith.subi %j, %i : index
    %di = arith.index_cast %d : index to i64
    %df = arith.sitofp %di : i64 to f32
    %b2 = arith.mulf %m, %df : f32
    %y = arith.addf %x, %b2 : f32
    attn.yield %y : f32
  }""", extra_args=", %slopes: tensor<?xf32>"), {"input0": slopes}, "causal", "alibi", None),
        ("softcap30_causal",
         spec("%m = attn.mask %c, #attn.causal",
              modifier="""%c = attn.modify %s {
  ^bb0(%x: f32, %b: index, %h: index, %i: index, %j: index):
    %cap = arith.constant 30.0 : f32
    %d = arith.divf %x, %cap : f32
    %t = math.tanh %d : f32
    %y = arith.mulf %t, %cap : f32
    attn.yield %y : f32
  }"""), {}, "causal", "softcap", None),
    ]
    preds = {"causal": causal, "swa": swa, "doc": docm}
    if CASES:
        cases = [c for c in cases if c[0] in CASES]

    # Peers first need their imports; Flex compiles per case.
    try:
        from torch.nn.attention.flex_attention import create_block_mask, flex_attention
        flex = torch.compile(flex_attention, dynamic=False)
    except Exception as e:  # pragma: no cover
        flex = None
        print("FlexAttention unavailable:", e)

    def causal_m(b, h, qi, ki): return qi >= ki
    def swa_m(b, h, qi, ki): return (qi >= ki) & (qi - ki < 1024)
    def doc_m(b, h, qi, ki): return (docs[qi] == docs[ki]) & (qi >= ki)
    def alibi(score, b, h, qi, ki): return score + slopes[h] * (ki - qi)
    def softcap(score, b, h, qi, ki): return 30.0 * torch.tanh(score / 30.0)
    flex_masks = {"causal": causal_m, "swa": swa_m, "doc": doc_m}
    flex_mods = {"alibi": alibi, "softcap": softcap}

    compile_rows = []
    for name, text, extras, mask, mod, dens in cases:
        if dens is None:
            dens = density(preds[mask])
        flops = dense_flops(dens)
        r = {"case": name, "density": dens}
        # ours (side inputs take the reference's names: `attn.name` or the role name; argN still works)
        print(f"[{name}] compiling and timing attn", flush=True)
        o = torch.empty_like(q)
        t0 = time.time()
        kern = lib.compile(text, cache=False)
        cold = time.time() - t0
        lib.compile(text, cache=True)  # fills the caches
        t0 = time.time()
        lib.compile(text, cache=True)
        cached = time.time() - t0
        tensors = {"q": q, "k": k, "v": v, "o": o, **extras}
        prepared = kern.prepare(tensors)
        kern.launch(tensors, prepared)
        torch.cuda.synchronize()
        r["attn_ms"] = bench(lambda: kern.launch(tensors, prepared))
        compile_rows.append((name, cold, kern.compile_ms, cached))
        for plan in PLANS:
            variant = lib.compile(with_plan(text, plan), cache=False)
            ov = torch.empty_like(q)
            tv = {**tensors, "o": ov}
            pv = variant.prepare(tv)
            variant.launch(tv, pv)
            torch.cuda.synchronize()
            err = ((ov.float() - o.float()).norm() / o.float().norm()).item()
            r.setdefault("plans", {})[plan] = {
                "ms": bench(lambda: variant.launch(tv, pv)), "rel_diff": err}
        # peers, and the error of our output against theirs
        if mask in (None, "causal") and mod is None:
            for be in (SDPBackend.FLASH_ATTENTION, SDPBackend.CUDNN_ATTENTION):
                try:
                    with sdpa_kernel([be]):
                        ref = F.scaled_dot_product_attention(q, k, v, is_causal=(mask == "causal"))
                        r[be.name] = bench(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=(mask == "causal")))
                    if be == SDPBackend.FLASH_ATTENTION:
                        err = ((o.float() - ref.float()).norm() / ref.float().norm()).item()
                        r["rel_err_vs_FA2"] = err
                except Exception as e:
                    r[be.name] = None
                    print(name, be.name, "failed:", repr(e)[:200])
        if flex is not None:
            print(f"[{name}] timing FlexAttention", flush=True)
            try:
                bm = create_block_mask(flex_masks[mask], None, None, S, S, device=dev) if mask else None
                sm = flex_mods.get(mod)
                t0 = time.time(); ref = flex(q, k, v, score_mod=sm, block_mask=bm); torch.cuda.synchronize()
                r["flex_first_call_s"] = time.time() - t0
                r["flex"] = bench(lambda: flex(q, k, v, score_mod=sm, block_mask=bm))
                err = ((o.float() - ref.float()).norm() / ref.float().norm()).item()
                r["rel_err_vs_flex"] = err
            except Exception as e:
                r["flex"] = None
                print(name, "flex failed:", repr(e)[:200])
        r["tflops"] = flops / r["attn_ms"] / 1e9
        rows.append(r)
        out[name] = r
        print(json.dumps(r), flush=True)

    print()
    print(f"softmax forward, bf16, B{B} H{H} S{S} D{D} ({torch.cuda.get_device_name()}); ms are medians")
    hdr = f"{'case':22s} {'density':>7s} {'attn ms':>8s} {'TFLOP/s':>8s} {'FA2 ms':>8s} {'cuDNN ms':>8s} {'Flex ms':>8s} {'vs FA2':>7s} {'vs cuDNN':>8s} {'vs Flex':>7s} {'err':>8s}"
    print(hdr)
    for r in rows:
        def f(x): return f"{x:8.3f}" if x else f"{'-':>8s}"
        def ratio(peer):
            return f"{r[peer] / r['attn_ms']:7.2f}x" if r.get(peer) else f"{'-':>8s}"
        err = r.get("rel_err_vs_FA2", r.get("rel_err_vs_flex", float('nan')))
        print(f"{r['case']:22s} {r['density']:7.3f} {r['attn_ms']:8.3f} {r['tflops']:8.1f} "
              f"{f(r.get('FLASH_ATTENTION'))} {f(r.get('CUDNN_ATTENTION'))} {f(r.get('flex'))} "
              f"{ratio('FLASH_ATTENTION')} {ratio('CUDNN_ATTENTION')} {ratio('flex')} {err:8.1e}")
    print("(ratios are peer time / attn time: > 1 means attn is faster)")
    if PLANS:
        print()
        print("attn under attn.plan overrides (ms; rel. difference to the default plan's output)")
        for r in rows:
            cells = "  ".join(f"{p}: {v['ms']:.3f} ({v['rel_diff']:.1e})"
                              for p, v in r.get("plans", {}).items())
            print(f"{r['case']:22s} default {r['attn_ms']:.3f}  {cells}")
    print()
    print(f"{'compile':22s} {'cold s':>8s} {'jit ms':>8s} {'cached ms':>10s} {'Flex first call s':>18s}")
    for name, cold, jit_ms, cached in compile_rows:
        print(f"{name:22s} {cold:8.3f} {jit_ms:8.1f} {cached * 1e3:10.3f} {out[name].get('flex_first_call_s', float('nan')):18.2f}")
    if os.environ.get("OUT"):
        json.dump(out, open(os.path.join(os.environ["OUT"], "softmax.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
