"""Equivalence check for tpo-head (shared/bench/WORKLOADS.md): recomputes, in PyTorch, the TPO loss
and the LoRA/bias gradients of the problem `npm run bench -- tpo-head-check DIR` wrote, and compares
them with the addon's results for every device it ran on. The math is the anchor's
(shared/bench/anchors/torch_tpo_head.py), with our parameter layout (nn.Linear: weight [out, in]):

  logits = h W0ᵀ + b + (α/r)(h Aᵀ) Bᵀ ;  logp_step = Σ_d log_softmax(logits)[a]
  L = mean over pairs of −log σ(β[(Σ_w logp − Σ_w ref) − (Σ_l logp − Σ_l ref)])

computed in float64 (the bf16 features are exact there) on CUDA when present, else CPU. Prints one
JSON line per (H, device) and exits 1 if any relative error is over its tolerance.

  python3 bench/anchors/tpo_head_check.py DIR
"""
import json
import pathlib
import sys

import numpy as np
import torch
import torch.nn.functional as F

LOSS_TOL = 1e-4  # relative, on the loss
GRAD_TOL = 1e-3  # relative L2 error of each gradient


def load(d: pathlib.Path, name: str, dtype) -> np.ndarray:
    return np.fromfile(d / name, dtype=dtype)


def reference(d: pathlib.Path, index: dict, dev: str):
    spec = index["spec"]
    H, D, Bn, r = spec["inputDim"], spec["actionDims"], spec["bins"], spec["lora"]["rank"]
    scale = spec["lora"]["alpha"] / r
    S = index["steps"]
    f64 = torch.float64
    bits = torch.from_numpy(load(d, index["features"], np.int16).copy())
    h = bits.view(torch.bfloat16).to(dev).to(f64).reshape(S * D, H)
    tokens = torch.from_numpy(load(d, index["tokens"], np.int32).astype(np.int64)).to(dev)
    offsets = load(d, index["offsets"], np.int32)
    pairs = load(d, index["pairs"], np.int32).reshape(-1, 2)
    ref = torch.from_numpy(load(d, index["referencePerStep"], np.float32)).to(dev).to(f64)
    p = {k: torch.from_numpy(load(d, v, np.float32)).to(dev).to(f64) for k, v in index["parameters"].items()}
    W0 = p["proj.weight"].reshape(Bn, H)
    A = p["proj.lora_A"].reshape(r, H).clone().requires_grad_()
    Bm = p["proj.lora_B"].reshape(Bn, r).clone().requires_grad_()
    bias = p["proj.bias"].clone().requires_grad_()

    logits = h @ W0.T + bias + scale * (h @ A.T) @ Bm.T
    lp = F.log_softmax(logits, -1).gather(1, tokens.reshape(-1, 1)).reshape(S, D).sum(1)
    seg = torch.from_numpy(np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))).to(dev)
    n = len(offsets) - 1
    traj = torch.zeros(n, dtype=f64, device=dev).index_add_(0, seg, lp)
    traj_ref = torch.zeros(n, dtype=f64, device=dev).index_add_(0, seg, ref)
    reward = index["beta"] * (traj - traj_ref)
    w, l = torch.from_numpy(pairs[:, 0].astype(np.int64)), torch.from_numpy(pairs[:, 1].astype(np.int64))
    loss = -F.logsigmoid(reward[w.to(dev)] - reward[l.to(dev)]).mean()
    loss.backward()
    grads = {"proj.lora_A": A.grad, "proj.lora_B": Bm.grad, "proj.bias": bias.grad}
    return loss.item(), {k: g.flatten().cpu().numpy() for k, g in grads.items()}


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    torch.backends.cuda.matmul.allow_tf32 = False
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    failed = False
    for d in sorted(p for p in root.iterdir() if (p / "index.json").exists()):
        index = json.loads((d / "index.json").read_text())
        loss, grads = reference(d, index, dev)
        for name, result in index["results"].items():
            errors = {}
            for param, file in result["gradients"].items():
                ours = load(d, file, np.float32).astype(np.float64)
                theirs = grads[param]
                errors[param] = float(np.linalg.norm(ours - theirs) / max(np.linalg.norm(theirs), 1e-30))
            loss_error = abs(result["loss"] - loss) / max(abs(loss), 1e-30)
            ok = loss_error <= LOSS_TOL and all(e <= GRAD_TOL for e in errors.values())
            failed |= not ok
            print(json.dumps({
                "workload": "tpo-head-check", "H": index["spec"]["inputDim"], "ours": result["device"],
                "torch": f"{torch.__version__} float64 on {dev}", "loss": result["loss"], "torch_loss": loss,
                "loss_rel_error": loss_error, "grad_rel_l2_error": errors, "ok": ok,
            }), flush=True)
        if "cudaSkipped" in index:
            print(json.dumps({"workload": "tpo-head-check", "H": index["spec"]["inputDim"],
                              "cuda": "skipped", "reason": index["cudaSkipped"]}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
