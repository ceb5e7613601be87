#!/usr/bin/python3
"""PyTorch CPU on the same encoder shapes, for `make bench` (bench/run.sh).

    OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=N OPENBLAS_NUM_THREADS=N \
        /usr/bin/python3 bench/torch-encoder.py --shape bert-base --batch 8 --seq 128 \
        --threads N --seconds S [--bf16]

Runs the reference BERT of scripts/encoder_reference.py (the Hugging Face
BertModel computation with torch.nn modules: separate Q, K, V projections,
additive attention mask, erf GELU) under torch.inference_mode() on batches
of the given size, all sequences of the given length (no padding), and
prints tokens/s, per wall-clock second and per CPU second of the process
(all its threads; scaled to N threads, as bench-encoder does).  torch.set_num_threads(N); the environment above pins
PyTorch's OpenMP pool and the OpenBLAS it calls to N threads too, and
OMP_WAIT_POLICY=PASSIVE is torch 1.13's best stock setting on a shared
machine.  --bf16 runs the same under torch.autocast("cpu",
dtype=torch.bfloat16), PyTorch's stock reduced-precision mode (the
linear layers' products in bfloat16 through oneDNN), for comparison with
litmine's precision bf16; it also prints the max abs difference of the
last hidden states from the f32 pass (this model's LayerNorm weights are
random too, so its values are ~50x smaller than bench-encoder's: compare
errors relative to the largest value printed beside them).  Needs Debian's python3-torch (run
with /usr/bin/python3).
"""

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import encoder_reference as ref  # noqa: E402

SHAPES = {"bert-base": (12, 768, 12, 3072), "minilm-l6": (6, 384, 12, 1536)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="bert-base", choices=sorted(SHAPES))
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--bf16", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    layers, hidden, heads, inter = SHAPES[args.shape]
    cfg = {"model_type": "bert", "hidden_size": hidden, "num_hidden_layers": layers,
           "num_attention_heads": heads, "intermediate_size": inter, "hidden_act": "gelu",
           "max_position_embeddings": 512, "type_vocab_size": 2, "vocab_size": 30522,
           "layer_norm_eps": 1e-12}
    model = ref.Model(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.02)
    ids = torch.randint(5, 30522, (args.batch, args.seq))
    mask = torch.ones((args.batch, args.seq), dtype=torch.long)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16)
    note = ""
    with torch.inference_mode(), autocast:
        if args.bf16:
            with torch.autocast("cpu", enabled=False):
                ref32 = model(ids, mask)
            low = model(ids, mask)
            first = lambda out: out[0] if isinstance(out, tuple) else out
            diff = (first(low).float() - first(ref32)).abs().max().item()
            note = ", bf16 autocast: max abs error %.3g, largest |value| %.3g" % (
                diff, first(ref32).abs().max().item())
        model(ids, mask)   # warm-up
        tokens, t0, c0 = 0, time.perf_counter(), time.process_time()
        while True:
            model(ids, mask)
            tokens += args.batch * args.seq
            elapsed = time.perf_counter() - t0
            if elapsed >= args.seconds:
                break
        cpu = time.process_time() - c0
    print("torch   %-9s batch %dx%d, %d thread%s: %8.1f tokens/s, %8.1f per CPU-s  (torch %s%s)" % (
        args.shape, args.batch, args.seq, args.threads, "s" if args.threads > 1 else "",
        tokens / elapsed, tokens / cpu * args.threads, torch.__version__, note))


if __name__ == "__main__":
    main()
