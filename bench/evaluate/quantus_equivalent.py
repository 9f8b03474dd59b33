#!/usr/bin/python3
"""What Quantus (main 85bc29d, v0.6.0) does for PixelFlipping and FaithfulnessCorrelation, re-implemented step for step
on the same torch module that bench/evaluate/make_models.py exported to ONNX, on CPU with torch.set_num_threads(2),
timing the whole process. Quantus itself cannot be installed here (no PyPI mirror); README.md says why this is
faithful and which Quantus code paths each step follows.

Usage:
  /usr/bin/python3 bench/evaluate/quantus_equivalent.py METRIC MODEL [--cache DIR] [--features-in-step F]
      [--nr-runs R] [--subset-size S] [--max-steps T] [--batch-size B] [--json OUT.json] [--scores OUT.npy]

METRIC: pixel_flipping | faithfulness_correlation. MODEL: resnet18 | smallcnn (bench_models.MODELS).
--max-steps T runs only the first T perturbation steps (pixel_flipping) or runs (faithfulness_correlation) of every
batch and extrapolates: Quantus's cost is one model call over the batch per step, each step costing the same (the
same batch of rows through the same network, plus the same O(B*d) copy and change check), so
  total = setup + (time of the T steps) / T * (all steps) + the unperturbed prediction.
Without --max-steps every step runs and the time is measured, not extrapolated.
The JSON has: seconds (measured or extrapolated whole process), measured_seconds, setup_seconds (interpreter start
to data ready: imports, model load, inputs), per_step_seconds, cpu_seconds (user + system CPU of the process, after
the same extrapolation: on a shared machine the steadier figure), steps, steps_run, samples, samples_per_second,
extrapolated (bool), and the scores' mean when all steps ran.
"""
import time

T_START = time.perf_counter()  # before importing torch: `import torch` (~1 s) is part of what the Python side costs
C_START = time.process_time()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_models  # noqa: E402


class TorchModel:
    """quantus.helpers.model.pytorch_model.PyTorchModel.predict: numpy in, torch.Tensor on the device, forward under
    torch.no_grad() with an optional softmax (the model wrapped with nn.Softmax(dim=-1) when softmax=True), numpy out;
    shape_input reshapes the flat perturbed array back to N x C x H x W."""

    def __init__(self, module):
        self.module = module

    def predict(self, x, softmax):
        with torch.no_grad():
            y = self.module(torch.Tensor(x))
            if softmax:
                y = torch.nn.functional.softmax(y, dim=-1)
        return y.cpu().numpy()

    @staticmethod
    def shape_input(x, shape):
        return x.reshape(shape)


def normalise_by_max(a):
    """quantus.functions.normalise_func.normalise_by_max, applied per sample (Sightline's fix of defect 4: Quantus
    divides by the max over the whole call). The cost is the same one pass."""
    flat = a.reshape(a.shape[0], -1)
    m = np.abs(flat).max(axis=1, keepdims=True)
    m[m == 0] = 1
    return (flat / m).reshape(a.shape)


def preprocess(x, a):
    """Metric.general_preprocess: channel-first x (N,C,H,W); a expanded to (N,1,H,W); normalise (default True);
    abs (False for both metrics). d counts features after broadcasting a to x's shape (C*H*W)."""
    a = a.reshape(a.shape[0], 1, *a.shape[-2:])
    a = normalise_by_max(a)
    return np.ascontiguousarray(np.broadcast_to(a, x.shape)).reshape(x.shape[0], -1)


def black_baseline(x_flat):
    """perturb_baseline='black': Quantus's calculate_baseline gives the per-sample min(x)."""
    return x_flat.min(axis=1)


def warn_perturbation_caused_no_change(x, x_perturbed):
    """quantus.helpers.warn.warn_perturbation_caused_no_change: a full comparison of the batch on every step."""
    if (x == x_perturbed).all():
        print("warning: perturbation caused no change", file=sys.stderr)


def pixel_flipping(model, x, y, a, fis, max_steps, timer):
    """PixelFlipping.evaluate_batch (softmax=True, perturb_baseline='black'): a_indices = argsort(-a) per sample;
    for each of ceil(d / fis) steps the next fis features of every sample are set to the baseline (cumulatively, in
    place: batch_baseline_replacement_by_indices), and the whole batch is predicted: one model call per step."""
    n, d = a.shape
    if d % fis != 0:
        raise SystemExit(f"features_in_step {fis} must divide d = {d} (Quantus asserts it)")
    a_indices = np.argsort(-a, axis=1)
    steps = math.ceil(d / fis)
    run = steps if max_steps is None else min(steps, max_steps)
    x_flat = x.reshape(n, -1)
    x_perturbed = x_flat.copy()
    baseline = black_baseline(x_flat)
    preds = np.zeros((n, run), dtype=np.float64)
    rows = np.arange(n)[:, None]
    timer["loop_start"], timer["cpu_start"] = time.perf_counter(), time.process_time()
    for step in range(run):
        ix = a_indices[:, fis * step: fis * (step + 1)]
        x_perturbed[rows, ix] = baseline[:, None]
        warn_perturbation_caused_no_change(x_flat, x_perturbed)
        x_input = TorchModel.shape_input(x_perturbed, x.shape)
        preds[:, step] = model.predict(x_input, softmax=True)[np.arange(n), y]
    timer["loop_end"], timer["cpu_end"] = time.perf_counter(), time.process_time()
    return preds, steps, run


def faithfulness_correlation(model, x, y, a, nr_runs, subset_size, max_steps, seed, timer):
    """FaithfulnessCorrelation.evaluate_batch (softmax=False, perturb_baseline='black', similarity pearson): predict
    x once; then for each of nr_runs runs draw, per sample, subset_size of the d features without replacement
    (np.random.choice(d, subset_size, replace=False): a permutation of d per sample per run), replace them by the
    baseline in a fresh copy of x, predict the whole batch (one model call per run), and keep y(x) - y(x_perturbed)
    and the attribution sum over the subset; the score is the per-sample Pearson correlation over the runs."""
    n, d = a.shape
    if subset_size > d:
        raise SystemExit(f"subset_size {subset_size} exceeds d = {d}")
    np.random.seed(seed)
    run = nr_runs if max_steps is None else min(nr_runs, max_steps)
    x_flat = x.reshape(n, -1)
    baseline = black_baseline(x_flat)
    rows = np.arange(n)
    y_pred = model.predict(TorchModel.shape_input(x_flat, x.shape), softmax=False)[rows, y]
    pred_deltas, att_sums = [], []
    timer["loop_start"], timer["cpu_start"] = time.perf_counter(), time.process_time()
    for _ in range(run):
        a_ix = np.stack([np.random.choice(d, subset_size, replace=False) for _ in range(n)])
        x_perturbed = x_flat.copy()
        x_perturbed[rows[:, None], a_ix] = baseline[:, None]
        warn_perturbation_caused_no_change(x_flat, x_perturbed)
        y_perturb = model.predict(TorchModel.shape_input(x_perturbed, x.shape), softmax=False)[rows, y]
        pred_deltas.append(y_pred - y_perturb)
        att_sums.append(a[rows[:, None], a_ix].sum(axis=-1))
    timer["loop_end"], timer["cpu_end"] = time.perf_counter(), time.process_time()
    pd_, at = np.stack(pred_deltas, axis=1), np.stack(att_sums, axis=1)
    pd_c, at_c = pd_ - pd_.mean(1, keepdims=True), at - at.mean(1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (pd_c * at_c).sum(1) / np.sqrt((pd_c ** 2).sum(1) * (at_c ** 2).sum(1))
    return r, nr_runs, run


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("metric", choices=["pixel_flipping", "faithfulness_correlation"])
    p.add_argument("model", choices=sorted(bench_models.MODELS))
    p.add_argument("--cache", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".cache"))
    p.add_argument("--features-in-step", type=int, default=1)
    p.add_argument("--nr-runs", type=int, default=100)
    p.add_argument("--subset-size", type=int, default=224)
    p.add_argument("--max-steps", type=int, default=None, help="run only this many steps/runs per batch and extrapolate")
    p.add_argument("--batch-size", type=int, default=64, help="Quantus's batch_size (default 64)")
    p.add_argument("--samples", type=int, default=None, help="score only the first N samples")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--json", default=None)
    p.add_argument("--scores", default=None)
    args = p.parse_args()
    torch.set_num_threads(2)
    model = TorchModel(bench_models.load(args.model, args.cache))
    x = np.load(f"{args.cache}/{args.model}.x.npy")
    a = np.load(f"{args.cache}/{args.model}.saliency.npy")
    # Quantus's y_batch; without --labels `sightline evaluate` explains the predicted class, which these are.
    y = np.load(f"{args.cache}/{args.model}.targets.npy")
    if args.samples:
        x, a, y = x[:args.samples], a[:args.samples], y[:args.samples]
    n = len(x)
    t_ready = time.perf_counter()
    setup = t_ready - T_START
    loop, other, steps, steps_run, scores = 0.0, 0.0, 0, 0, []
    cpu_loop = 0.0
    for s in range(0, n, args.batch_size):
        xb, ab, yb = x[s:s + args.batch_size], a[s:s + args.batch_size], y[s:s + args.batch_size]
        t0 = time.perf_counter()
        timer = {}
        af = preprocess(xb, ab)
        if args.metric == "pixel_flipping":
            out, steps, steps_run = pixel_flipping(model, xb, yb, af, args.features_in_step, args.max_steps, timer)
            scores.append(out.mean(axis=1))  # Sightline writes the curve's mean
        else:
            out, steps, steps_run = faithfulness_correlation(model, xb, yb, af, args.nr_runs, args.subset_size,
                                                             args.max_steps, args.seed, timer)
            scores.append(out)
        t1 = time.perf_counter()
        loop += timer["loop_end"] - timer["loop_start"]
        cpu_loop += timer["cpu_end"] - timer["cpu_start"]
        other += (t1 - t0) - (timer["loop_end"] - timer["loop_start"])
    measured = time.perf_counter() - T_START
    cpu_measured = time.process_time() - C_START
    batches = math.ceil(n / args.batch_size)
    per_step = loop / max(1, steps_run) / math.ceil(n / args.batch_size)
    extrapolated = steps_run < steps
    total = setup + other + per_step * steps * batches if extrapolated else measured
    cpu_total = cpu_measured + cpu_loop / max(1, steps_run) * (steps - steps_run)
    result = {
        "metric": args.metric, "model": args.model, "samples": n, "batch_size": args.batch_size,
        "features_in_step": args.features_in_step if args.metric == "pixel_flipping" else None,
        "nr_runs": args.nr_runs if args.metric == "faithfulness_correlation" else None,
        "steps": steps, "steps_run": steps_run, "model_calls": steps * math.ceil(n / args.batch_size)
        + (math.ceil(n / args.batch_size) if args.metric == "faithfulness_correlation" else 0),
        "setup_seconds": setup, "per_step_seconds": per_step, "measured_seconds": measured,
        "seconds": total, "extrapolated": extrapolated,
        "cpu_seconds": cpu_total, "measured_cpu_seconds": cpu_measured, "samples_per_second": n / total,
        "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
    }
    if not extrapolated:
        sc = np.concatenate(scores)
        result["score_mean"] = float(np.nanmean(sc))
        if args.scores:
            np.save(args.scores, sc)
    text = json.dumps(result, indent=1)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
