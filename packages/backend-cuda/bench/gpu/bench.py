# PyTorch anchor for bench.mjs (same script run, same synthetic weights): a minimal DeBERTa-v1 sequence
# classification forward in plain torch (transformers need not be installed), the formulas of
# packages/model/src: embeddings (+ LayerNorm, mask), per layer in_proj -> per-head q|k|v, q/v biases,
# scale 1/sqrt(hs * (1 + #pos terms)), c2p/p2c by clamp(i - j + span, 0, 2 span - 1), masked softmax,
# output dense + LayerNorm(residual), FFN with erf GELU; ContextPooler (token 0, dense, GELU) + classifier.
# Checks its logits against ours (bench-logits.json) and times eager fp16 (and torch.compile if it runs) at
# the shapes plus float32 at 1x128. Writes $DEBERTA_BENCH_OUT/bench-torch.json.
import json, math, os, struct, sys, time
import torch

out_dir = os.environ.get("DEBERTA_BENCH_OUT", "/tmp/deberta-cuda-out")
work = os.environ.get("DEBERTA_GPU_WORK", "/tmp/deberta-cuda")
d = os.environ.get("DEBERTA_SYNTHETIC_DIR", os.path.join(work, "synthetic"))
report = {"torch": torch.__version__, "cases": [], "parity": {}, "errors": []}
save = lambda: json.dump(report, open(os.path.join(out_dir, "bench-torch.json"), "w"), indent=2)
cfg = json.load(open(os.path.join(d, "config.json")))

def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    types = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64}
    out = {}
    for k, v in header.items():
        if k == "__metadata__": continue
        a, b = v["data_offsets"]
        out[k] = torch.frombuffer(bytearray(raw[8 + n + a : 8 + n + b]), dtype=types[v["dtype"]]).reshape(v["shape"])
    return out

W0 = read_safetensors(os.path.join(d, "model.safetensors"))
H, nh, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
hs = H // nh
pos_types = [t for t in cfg.get("pos_att_type", "").split("|") if t]
max_rel = cfg.get("max_relative_positions", -1)
max_rel = cfg["max_position_embeddings"] if max_rel < 1 else max_rel
scale = math.sqrt(hs * (1 + len(pos_types)))
F = torch.nn.functional

def forward(W, ids, mask):
    B, L = ids.shape
    p = "deberta."
    x = W[p + "embeddings.word_embeddings.weight"][ids]
    if cfg.get("position_biased_input", True):
        x = x + W[p + "embeddings.position_embeddings.weight"][:L][None]
    x = F.layer_norm(x, (H,), W[p + "embeddings.LayerNorm.weight"], W[p + "embeddings.LayerNorm.bias"], eps)
    x = x * mask[:, :, None].to(x.dtype)
    span = min(L, max_rel)
    rel = W[p + "encoder.rel_embeddings.weight"][max_rel - span : max_rel + span]
    i = torch.arange(L, device=ids.device)
    delta = torch.clamp(i[:, None] - i[None, :] + span, 0, 2 * span - 1)  # [L, L]
    m2 = (mask[:, None, :, None] * mask[:, None, None, :]).bool()  # [B, 1, L, L]
    for l in range(cfg["num_hidden_layers"]):
        q_ = f"{p}encoder.layer.{l}."
        a = q_ + "attention.self."
        qkv = F.linear(x, W[a + "in_proj.weight"]).view(B, L, nh, 3 * hs).transpose(1, 2)
        q, k, v = qkv.chunk(3, dim=-1)
        q = (q + W[a + "q_bias"].view(nh, 1, hs)) / scale
        v = v + W[a + "v_bias"].view(nh, 1, hs)
        s = q @ k.transpose(-1, -2)
        if "c2p" in pos_types:
            pk = F.linear(rel, W[a + "pos_proj.weight"]).view(2 * span, nh, hs).transpose(0, 1)  # [nh, 2s, hs]
            c2p = q @ pk.transpose(-1, -2)  # [B, nh, L, 2s]
            s = s + torch.gather(c2p, -1, delta.expand(B, nh, L, L))
        if "p2c" in pos_types:
            pq = F.linear(rel, W[a + "pos_q_proj.weight"], W[a + "pos_q_proj.bias"]).view(2 * span, nh, hs).transpose(0, 1) / scale
            p2c = k @ pq.transpose(-1, -2)  # [B, nh, L(j), 2s]
            s = s + torch.gather(p2c, -1, delta.t().expand(B, nh, L, L)).transpose(-1, -2)  # k_j . pq[delta(i, j)]
        s = s.float().masked_fill(~m2, torch.finfo(torch.float32).min)
        prob = torch.softmax(s, -1).masked_fill(~m2, 0).to(x.dtype)
        ctx = (prob @ v).transpose(1, 2).reshape(B, L, H)
        o = q_ + "attention.output."
        x = F.layer_norm(F.linear(ctx, W[o + "dense.weight"], W[o + "dense.bias"]) + x, (H,), W[o + "LayerNorm.weight"], W[o + "LayerNorm.bias"], eps)
        h = F.gelu(F.linear(x, W[q_ + "intermediate.dense.weight"], W[q_ + "intermediate.dense.bias"]))
        x = F.layer_norm(F.linear(h, W[q_ + "output.dense.weight"], W[q_ + "output.dense.bias"]) + x, (H,), W[q_ + "output.LayerNorm.weight"], W[q_ + "output.LayerNorm.bias"], eps)
    pooled = F.gelu(F.linear(x[:, 0], W["pooler.dense.weight"], W["pooler.dense.bias"]))
    return F.linear(pooled, W["classifier.weight"], W["classifier.bias"]).float()

def inputs(B, L, dev):
    i = torch.arange(B * L, dtype=torch.int64)
    ids = 1000 + (i * 7919 + 13) % 29000
    ids = ids.view(B, L).clone()
    ids[:, 0] = 1
    return ids.to(dev), torch.ones(B, L, dtype=torch.int64, device=dev)

dev = "cuda"
types = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
weights = {k: {n: t.to(dev, t_) for n, t in W0.items()} for k, t_ in types.items()}
torch.backends.cuda.matmul.allow_tf32 = False
# Parity: float32 torch on CUDA vs our logits per dtype (max abs difference, argmax agreement).
with torch.no_grad():
    ref = forward(weights["float32"], *inputs(2, 128, dev)).cpu()
    report["reference_logits"] = ref.tolist()
    try:
        ours = json.load(open(os.path.join(out_dir, "bench-logits.json")))
        for dt, o in ours.items():
            t = torch.tensor(o["data"]).view(o["shape"])
            report["parity"][dt] = {"maxAbs": float((t - ref).abs().max()), "argmaxSame": bool((t.argmax(-1) == ref.argmax(-1)).all())}
    except Exception as e:
        report["errors"].append(f"parity: {e}")
    save()

def bench(fn, B, L, budget=4.0):
    ids, mask = inputs(B, L, dev)
    with torch.no_grad():
        for _ in range(3): fn(ids, mask).cpu()
        times, start = [], time.perf_counter()
        while len(times) < 5 or (time.perf_counter() - start < budget and len(times) < 200):
            t = time.perf_counter(); fn(ids, mask).cpu(); times.append((time.perf_counter() - t) * 1000)
    times.sort()
    ms = times[len(times) // 2]
    return {"msMedian": round(ms, 3), "msMin": round(times[0], 3), "runs": len(times), "sequencesPerSecond": round(B * 1000 / ms)}

plan = [("float16", 1, 128), ("float16", 32, 128), ("float16", 128, 128), ("float16", 32, 512), ("bfloat16", 1, 128), ("bfloat16", 128, 128), ("float32", 1, 128)]
for dt, B, L in plan:
    Wd = weights[dt]
    entry = {"dtype": dt, "batch": B, "length": L}
    try:
        entry["eager"] = bench(lambda i, m: forward(Wd, i, m), B, L)
    except Exception as e:
        entry["eager"] = {"error": str(e)[:300]}
    report["cases"].append(entry)
    print(f"torch {dt} {B}x{L}: eager {entry['eager']}", file=sys.stderr)
    save()
if os.environ.get("DEBERTA_BENCH_COMPILE", "1") == "1":
    try:
        compiled = torch.compile(lambda i, m: forward(weights["float16"], i, m))
        for dt, B, L in plan[:4]:
            e = next(c for c in report["cases"] if (c["dtype"], c["batch"], c["length"]) == (dt, B, L))
            e["compiled"] = bench(compiled, B, L)
            print(f"torch {dt} {B}x{L}: compiled {e['compiled']}", file=sys.stderr)
            save()
    except Exception as e:
        report["errors"].append(f"torch.compile: {str(e)[:300]}")
save()
print("BENCH-TORCH: " + "; ".join(f"{c['dtype']} {c['batch']}x{c['length']} {c['eager'].get('msMedian')} ms" for c in report["cases"]))
