#!/usr/bin/env python3
"""Trains a TLDsl pipeline with PyTorch DistributedDataParallel. Written by `tldsl export <pipeline> --target torchrun`.

    torchrun --nproc_per_node=8 train.py                      # one machine, 8 GPUs (or 8 CPU processes)
    torchrun --nnodes=2 --nproc_per_node=8 --rdzv_backend=c10d --rdzv_endpoint=HOST:29400 train.py   # two machines
    python3 train.py                                          # one process, no launcher
    torchrun --nproc_per_node=8 train.py --resume runs/<name>/<time>   # continue from the run's last checkpoint

Every process reads `pipeline.json` (the pipeline as TLDsl resolved it: model surgery, freeze rules, phases, rates,
the exact training/validation/test samples) and `weights.safetensors` (the initial weights TLDsl would train from)
beside this file. Rank 0 writes a run folder that `tldsl evaluate`, `tldsl predict` and `tldsl export` read: the
pipeline copy, labels.txt, plan.json, metrics.csv, checkpoints (model.safetensors + state.json each), summary.json
and the final weights as model.safetensors.

The global batch is the pipeline's `batch`, split across the processes, and DDP averages their gradients, so an
optimizer step sees the same samples and the same mean loss as in TLDsl. What differs with several processes:
BatchNorm layers that train compute their statistics per process (SyncBatchNorm needs CUDA), and a last batch of an
epoch with fewer samples than processes is left out.
"""

from __future__ import annotations

import sys

if sys.version_info < (3, 8):
    sys.stderr.write("error: this program needs Python 3.8 or later.\n")
    sys.exit(1)

try:
    import torch
    import torchvision  # noqa: F401  (the ResNet definitions)
except ImportError as missing:
    sys.stderr.write(
        f"error: {sys.executable} cannot import {missing.name or 'torch'}: install PyTorch and torchvision for it "
        "(Debian/Ubuntu: apt-get install python3-torch python3-torchvision; elsewhere: pip install torch torchvision), "
        "or run this program with a Python that has them.\n")
    sys.exit(1)

import argparse
import contextlib
import datetime
import json
import math
import os
import shutil
import time
import uuid
from typing import Any, Optional

import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import tldsl_support as support  # noqa: E402

CHECKPOINT_FILES = ("model.safetensors", "trainer.pt", "state.json")


# --------------------------------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------------------------------


class Processes:
    """The torch.distributed group torchrun describes in the environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
    MASTER_PORT); without it, one process and no group."""

    def __init__(self) -> None:
        self.distributed = "WORLD_SIZE" in os.environ and "RANK" in os.environ
        self.rank = int(os.environ.get("RANK", "0"))
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        cuda = torch.cuda.is_available()
        self.device = torch.device(f"cuda:{self.local_rank}") if cuda else torch.device("cpu")
        if cuda:
            torch.cuda.set_device(self.device)
        if self.distributed:
            dist.init_process_group(backend="nccl" if cuda else "gloo", init_method="env://")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def broadcast(self, value: Any) -> Any:
        """Rank 0's value, on every rank."""
        if not self.distributed:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def gather(self, value: Any) -> list[Any]:
        if not self.distributed:
            return [value]
        values: list[Any] = [None] * self.world
        dist.all_gather_object(values, value)
        return values

    def sum(self, values: list[float]) -> list[float]:
        if not self.distributed:
            return values
        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor)
        return tensor.tolist()

    def barrier(self) -> None:
        if self.distributed:
            dist.barrier()

    def close(self) -> None:
        if self.distributed:
            dist.destroy_process_group()


class EpochBatchSampler(DistributedSampler):
    """This process's share of each global batch of an epoch, in TLDsl's order for that epoch (a pure function of the
    seed and the epoch): global batch b holds positions order[b*batch : (b+1)*batch] of the training split, and rank r
    takes its r-th contiguous slice. Yields lists of (position, epoch) keys for SplitDataset."""

    def __init__(self, dataset: support.SplitDataset, processes: Processes, seed: int, batch: int, batches: int) -> None:
        super().__init__(dataset, num_replicas=processes.world, rank=processes.rank, shuffle=False, seed=seed)
        self.global_batch = batch
        self.batches = batches
        self.first = 0
        self.order: list[int] = []

    def set_position(self, epoch: int, first_batch: int) -> None:
        self.set_epoch(epoch)
        self.first = first_batch
        self.order = support.epoch_order(len(self.dataset), self.seed, epoch)

    def global_positions(self, batch: int) -> list[int]:
        return self.order[batch * self.global_batch: min((batch + 1) * self.global_batch, len(self.order))]

    def __iter__(self):  # type: ignore[override]
        for b in range(self.first, self.batches):
            positions = self.global_positions(b)
            m = len(positions)
            share = positions[self.rank * m // self.num_replicas:(self.rank + 1) * m // self.num_replicas]
            yield [(p, self.epoch) for p in share]

    def __len__(self) -> int:
        return self.batches - self.first


# --------------------------------------------------------------------------------------------------------------------
# Run folder and checkpoints (the layout TLDsl reads)
# --------------------------------------------------------------------------------------------------------------------


def write_text(path: str, text: str) -> None:
    temp = f"{path}.tmp-{uuid.uuid4().hex}"
    with open(temp, "w", encoding="utf-8", newline="\n") as stream:
        stream.write(text)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temp, path)


def new_run_folder(root: str, name: str) -> str:
    parent = os.path.join(root, name)
    os.makedirs(parent, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    for n in range(1, 10_000):
        candidate = os.path.join(parent, stamp if n == 1 else f"{stamp}-{n}")
        os.makedirs(candidate, exist_ok=True)
        try:
            with open(os.path.join(candidate, ".run"), "x"):
                return os.path.abspath(candidate)
        except FileExistsError:
            continue
    raise RuntimeError(f"{parent}: no free run folder name")


def start_run(run: str, config: dict[str, Any]) -> None:
    """The files TLDsl reads from a run before any checkpoint: the pipeline's text and where it came from (relative
    data paths resolve against it), the classes in output order, and the training settings."""
    shutil.copyfile(os.path.join(HERE, "pipeline.tl.yaml"), os.path.join(run, "pipeline.tl.yaml"))
    write_text(os.path.join(run, "source.txt"), f"{config['pipeline_path']}\nsha256 {config['pipeline_sha256']}\n")
    write_text(os.path.join(run, "labels.txt"), "".join(label + "\n" for label in config["labels"]))
    write_text(os.path.join(run, "plan.json"), json.dumps(config["plan_record"], indent=2, sort_keys=True) + "\n")
    write_text(os.path.join(run, "program.txt"),
               f"trained by the torchrun program exported by tldsl ({config['format']}), torch {torch.__version__}\n")


def checkpoint_name(state: dict[str, Any]) -> str:
    return f"epoch-{state['Epoch']:04d}-step-{state['Step']:08d}"


def is_checkpoint_name(name: str) -> bool:
    return bool(name) and not name.startswith(".") and not any(c in name for c in "/\\:")


def pointer(run: str, which: str) -> Optional[str]:
    path = os.path.join(run, "checkpoints", which)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as stream:
        name = stream.read().strip()
    folder = os.path.join(run, "checkpoints", name)
    return folder if is_checkpoint_name(name) and os.path.isdir(folder) else None


def save_checkpoint(run: str, model: nn.Module, optimizer: torch.optim.Optimizer, state: dict[str, Any],
                    rng_states: list[Any]) -> str:
    """Writes a checkpoint into a temporary folder and renames it into place, then points `last` at it. A folder of
    the same name (the same step) only gets its state.json replaced."""
    folder = os.path.join(run, "checkpoints")
    os.makedirs(folder, exist_ok=True)
    name = checkpoint_name(state)
    final = os.path.join(folder, name)
    if os.path.isdir(final) and any(not os.path.exists(os.path.join(final, f)) for f in CHECKPOINT_FILES):
        os.replace(final, os.path.join(folder, f".tmp-stale-{name}-{uuid.uuid4().hex}"))
    if os.path.isdir(final):
        write_text(os.path.join(final, "state.json"), json.dumps(state, indent=2) + "\n")
    else:
        temp = os.path.join(folder, f".tmp-{name}-{uuid.uuid4().hex}")
        os.makedirs(temp)
        support.save_safetensors(model.state_dict(), os.path.join(temp, "model.safetensors"))
        torch.save({"optimizer": optimizer.state_dict(), "rng": rng_states, "state": state}, os.path.join(temp, "trainer.pt"))
        write_text(os.path.join(temp, "state.json"), json.dumps(state, indent=2) + "\n")
        os.replace(temp, final)
    write_text(os.path.join(folder, "last"), name)
    return name


def prune(run: str, keep: str) -> None:
    folder = os.path.join(run, "checkpoints")
    for entry in os.listdir(folder):
        if entry.startswith(".tmp-"):
            shutil.rmtree(os.path.join(folder, entry), ignore_errors=True)
    if keep == "all":
        return
    protect = {pointer(run, "last"), pointer(run, "best")}
    for entry in sorted(os.listdir(folder)):
        path = os.path.join(folder, entry)
        if os.path.isdir(path) and not entry.startswith(".") and path not in protect:
            doomed = os.path.join(folder, f".tmp-pruned-{entry}-{uuid.uuid4().hex}")
            os.replace(path, doomed)
            shutil.rmtree(doomed)


METRIC_COLUMNS = ("epoch,phase,step,learning_rate,train_loss,train_accuracy,valid_loss,valid_accuracy,valid_top5,"
                  "valid_macro_f1,seconds,feature_cache_seconds")


def append_metrics(run: str, row: list[Any]) -> None:
    path = os.path.join(run, "metrics.csv")
    new = not os.path.exists(path) or os.path.getsize(path) == 0
    with open(path, "a", encoding="utf-8", newline="\n") as stream:
        if new:
            stream.write(METRIC_COLUMNS + "\n")
        stream.write(",".join(support.csv_field(v) if isinstance(v, str) else support.format_number(v) for v in row) + "\n")
        stream.flush()
        os.fsync(stream.fileno())


def truncate_metrics(run: str, epoch: int) -> None:
    """Drops the rows of epochs after the checkpoint a resume continues from."""
    path = os.path.join(run, "metrics.csv")
    if not os.path.exists(path):
        return
    with open(path, encoding="utf-8") as stream:
        lines = stream.read().splitlines()
    kept = lines[:1] + [line for line in lines[1:] if line and int(line.split(",", 1)[0]) <= epoch]
    write_text(path, "".join(line + "\n" for line in kept))


# --------------------------------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------------------------------


def new_state() -> dict[str, Any]:
    """TLDsl's TrainingState, under its own property names (TLDsl reads state.json)."""
    return {"Phase": 0, "EpochInPhase": 0, "Epoch": 0, "BatchInEpoch": 0, "Step": 0, "PhaseStep": 0,
            "EpochLossSum": 0.0, "EpochCorrect": 0, "EpochSeen": 0, "Best": None, "BadEpochs": 0,
            "BestCheckpoint": None, "Finished": False, "StopReason": None}


def make_optimizer(spec: dict[str, Any], parameters: list[tuple[str, nn.Parameter]]) -> torch.optim.Optimizer:
    """One parameter group per trained parameter (each phase sets each one's rate); weight decay only on weights of
    two or more dimensions, as TLDsl."""
    kind = spec["kind"]
    groups = [{"params": [p], "lr": spec["lr"], "weight_decay": 0.0 if p.dim() <= 1 else spec["weight_decay"]}
              for _, p in parameters]
    if kind == "sgd":
        return torch.optim.SGD(groups, lr=spec["lr"], momentum=spec["momentum"], nesterov=spec["nesterov"], dampening=0)
    if kind == "adam":
        return torch.optim.Adam(groups, lr=spec["lr"], betas=(spec["beta1"], spec["beta2"]), eps=spec["eps"])
    if kind == "adamw":
        return torch.optim.AdamW(groups, lr=spec["lr"], betas=(spec["beta1"], spec["beta2"]), eps=spec["eps"])
    raise ValueError(f"optimizer '{kind}' is not one this program knows")


class Trainer:
    """TLDsl's Trainer, phase by phase, over DistributedDataParallel."""

    def __init__(self, config: dict[str, Any], processes: Processes, run: str, workers: int) -> None:
        self.config = config
        self.p = processes
        self.run = run
        self.workers = workers
        self.train_spec = config["train"]
        self.seed: int = self.train_spec["seed"]
        self.labels: list[str] = config["labels"]
        pixel_shift = None
        if config["input"].get("pixel_shift"):
            pixel_shift = support.load_safetensors(os.path.join(HERE, "preprocess.safetensors"))["pixel_shift"]
        data = config["data"]
        self.train_pre = support.Preprocessor(config["input"], data["augment"], pixel_shift)
        self.eval_pre = support.Preprocessor(config["input"], [], pixel_shift)
        self.train_split = support.Split(data["train"])
        self.valid_split = support.Split(data["valid"]) if data.get("valid") else None
        self.test_split = support.Split(data["test"]) if data.get("test") else None

        self.model = support.TransferModel(config["model"])
        self.model.load_state_dict(support.load_safetensors(os.path.join(HERE, "weights.safetensors")), strict=True)
        for rule in config["model"]["freeze"]:
            self.model.freeze(rule["modules"], rule["batchnorm"])
        self.model.to(processes.device)
        named = dict(self.model.named_parameters())
        self.trained: list[str] = self.train_spec["trained_parameters"]
        self.optimizer = make_optimizer(self.train_spec["optimizer"], [(n, named[n]) for n in self.trained])
        weights_list = self.train_spec["class_weights"]
        self.class_weights = torch.tensor(weights_list, dtype=torch.float32, device=processes.device) if weights_list else None
        self.net: nn.Module = self.model
        self.last_validation: Optional[dict[str, Any]] = None

    # -- the run ---------------------------------------------------------------------------------------------------

    def fit(self, resume: Optional[str]) -> dict[str, Any]:
        phases = self.train_spec["phases"]
        state = new_state()
        if resume is not None:
            state = self._resume(resume)
        else:
            torch.manual_seed(self.seed)
        resuming = resume is not None
        p = state["Phase"]
        while p < len(phases) and not state["Finished"]:
            phase = phases[p]
            resuming_here, resuming = resuming, False
            if not resuming_here:
                self._apply_trainability(phase)
                state.update(Phase=p, EpochInPhase=0, PhaseStep=0, BatchInEpoch=0)
            state = self._run_phase(phase, state)
            if not state["Finished"] and p + 1 < len(phases):
                state.update(Phase=p + 1, EpochInPhase=0, PhaseStep=0)
            p += 1
        state["Finished"] = True
        state["StopReason"] = state["StopReason"] or "all phases completed"
        self._checkpoint(state)
        return state

    def _resume(self, run: str) -> dict[str, Any]:
        folder = pointer(run, "last")
        if folder is None or any(not os.path.exists(os.path.join(folder, f)) for f in CHECKPOINT_FILES):
            raise SystemExit(f"error: {run}: cannot resume: checkpoints/last does not name a whole checkpoint "
                             f"(each holds {', '.join(CHECKPOINT_FILES)}); start a new run.")
        with open(os.path.join(run, "plan.json"), encoding="utf-8") as stream:
            if json.load(stream) != self.config["plan_record"]:
                raise SystemExit(f"error: {run}: the run was started with other training settings (plan.json) than "
                                 "this program's pipeline.json; resume it with the program that started it.")
        saved = torch.load(os.path.join(folder, "trainer.pt"), map_location="cpu")
        state = saved["state"]
        self.model.load_state_dict(support.load_safetensors(os.path.join(folder, "model.safetensors")), strict=True)
        phases = self.train_spec["phases"]
        for p in range(0, min(state["Phase"], len(phases) - 1) + 1):
            self._apply_trainability(phases[p])
        self.optimizer.load_state_dict(saved["optimizer"])
        rng = saved["rng"]
        cpu, cuda = rng[self.p.rank] if len(rng) == self.p.world else rng[0]
        torch.set_rng_state(cpu)
        if cuda is not None and self.p.device.type == "cuda":
            torch.cuda.set_rng_state(cuda, self.p.device)
        if self.p.main:
            truncate_metrics(run, state["Epoch"])
            print(f"resumed from {folder}: phase {state['Phase'] + 1}, epoch {state['Epoch']}, step {state['Step']}", flush=True)
        return state

    def _apply_trainability(self, phase: dict[str, Any]) -> None:
        if phase["unfreeze"]:
            self.model.unfreeze(phase["unfreeze"])
        if phase["freeze"]:
            self.model.freeze(phase["freeze"], "eval")
        # DDP learns which parameters train when it wraps the model: wrap again after every change.
        if self.p.distributed:
            self.net = self.model  # drop the previous wrapper (and its gradient hooks) first
            device_ids = [self.p.device.index] if self.p.device.type == "cuda" else None
            self.net = DistributedDataParallel(self.model, device_ids=device_ids)

    def _run_phase(self, phase: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        base_rates = [phase["rates"][name] for name in self.trained]
        n = len(self.train_split)
        batch = min(self.train_spec["batch"], n)
        batches = (n + batch - 1) // batch
        if batches > 1 and n % batch == 1:
            batches -= 1  # a last batch of one sample would break BatchNorm in the head
        if batches > 1 and n % batch != 0 and n % batch < self.p.world:
            batches -= 1  # every process needs at least one sample of the last batch
        accumulate = min(self.train_spec["accumulate"], batches)
        steps_per_epoch = (batches + accumulate - 1) // accumulate
        total_steps = steps_per_epoch * phase["epochs"]
        dataset = support.SplitDataset(self.train_split, self.train_pre, train=True, seed=self.seed)
        sampler = EpochBatchSampler(dataset, self.p, self.seed, batch, batches)
        loader = DataLoader(dataset, batch_sampler=sampler, num_workers=self.workers)
        if self.p.main:
            print(f"phase '{phase['name']}': {phase['epochs']} epochs, {batches} batches of {batch} "
                  f"over {self.p.world} process(es), {steps_per_epoch} steps per epoch", flush=True)

        for e in range(state["EpochInPhase"], phase["epochs"]):
            started = time.time()
            sampler.set_position(state["Epoch"], state["BatchInEpoch"])
            self.model.train()
            for b, (x, y) in enumerate(loader, start=state["BatchInEpoch"]):
                window_start = b // accumulate * accumulate
                window_end = min(window_start + accumulate, batches)
                window_weight = self._window_weight(sampler, window_start, window_end)
                x, y = x.to(self.p.device), y.to(self.p.device)
                sync = b + 1 == window_end
                no_sync = self.net.no_sync() if isinstance(self.net, DistributedDataParallel) and not sync else contextlib.nullcontext()
                with no_sync:
                    logits = self.net(x)
                    per_sample = F.cross_entropy(logits, y, weight=self.class_weights, reduction="none",
                                                 label_smoothing=self.train_spec["label_smoothing"])
                    total = per_sample.sum()
                    loss_sum, correct, count = self.p.sum([float(total.item()),
                                                           float(logits.argmax(1).eq(y).sum().item()), float(len(y))])
                    if not math.isfinite(loss_sum):
                        raise SystemExit(f"error: the training loss became {loss_sum} in phase '{phase['name']}', epoch "
                                         f"{state['Epoch'] + 1}, batch {b + 1}. Lower the learning rate or clip gradients.")
                    # DDP averages the processes' gradients: scale by their number so the step sees the global mean.
                    (total / window_weight * self.p.world).backward()
                state["BatchInEpoch"] = b + 1
                state["EpochLossSum"] += loss_sum
                state["EpochCorrect"] += int(correct)
                state["EpochSeen"] += int(count)
                if sync:
                    factor = support.schedule_factor(phase["schedule"], state["PhaseStep"], total_steps, steps_per_epoch)
                    for group, rate in zip(self.optimizer.param_groups, base_rates):
                        group["lr"] = rate * factor
                    clip = self.train_spec["clip_grad_norm"]
                    if clip is not None:
                        nn.utils.clip_grad_norm_([p for p in self.model.parameters() if p.requires_grad], clip)
                    self.optimizer.step()
                    self.optimizer.zero_grad(set_to_none=True)
                    state["Step"] += 1
                    state["PhaseStep"] += 1

            validation = self._evaluate(self.valid_split) if self.valid_split is not None and self.p.main else None
            self.last_validation = validation or self.last_validation
            seen = max(1, state["EpochSeen"])
            record = {
                "epoch": state["Epoch"] + 1, "phase": phase["name"], "step": state["Step"],
                "learning_rate": self.optimizer.param_groups[-1]["lr"],
                "train_loss": state["EpochLossSum"] / seen, "train_accuracy": state["EpochCorrect"] / seen,
                "valid_loss": validation["loss"] if validation else None,
                "valid_accuracy": validation["accuracy"] if validation else None,
                "valid_top5": validation["top5"] if validation else None,
                "valid_macro_f1": validation["macro_f1"] if validation else None,
                "seconds": time.time() - started,
            }
            if self.p.main:
                append_metrics(self.run, [record["epoch"], record["phase"], record["step"], record["learning_rate"],
                                          record["train_loss"], record["train_accuracy"], record["valid_loss"],
                                          record["valid_accuracy"], record["valid_top5"], record["valid_macro_f1"],
                                          record["seconds"], None])
                print(f"epoch {record['epoch']} ({phase['name']}): train loss {record['train_loss']:.4f}, accuracy "
                      f"{record['train_accuracy']:.4f}" + (f"; valid accuracy {record['valid_accuracy']:.4f}" if validation else ""),
                      flush=True)
            state.update(Epoch=state["Epoch"] + 1, EpochInPhase=e + 1, BatchInEpoch=0, EpochLossSum=0.0, EpochCorrect=0, EpochSeen=0)
            # Rank 0 saw the validation: its decisions (improved, stop) are everyone's.
            state, improved, stop_early = self.p.broadcast(self._monitor(state, record) if self.p.main else None)
            last_epoch_of_run = stop_early or (e + 1 == phase["epochs"] and state["Phase"] + 1 == len(self.train_spec["phases"]))
            every = max(1, self.config["train"]["checkpoint"]["every_epochs"])
            if improved or last_epoch_of_run or state["Epoch"] % every == 0:
                name = self._checkpoint(state, best=improved)
                if improved:
                    state["BestCheckpoint"] = name
            if stop_early:
                state.update(Finished=True, StopReason="early stopping")
                if self.p.main:
                    print(f"early stopping: {self.train_spec['monitored_metric']} did not improve for "
                          f"{self.train_spec['early_stopping']['patience']} epochs (best {state['Best']:.4g})", flush=True)
                break
        return state

    def _window_weight(self, sampler: EpochBatchSampler, window_start: int, window_end: int) -> float:
        """The samples of the accumulation window (or the sum of their class weights): every process divides its loss
        sum by the same global figure."""
        positions = [p for b in range(window_start, window_end) for p in sampler.global_positions(b)]
        if self.class_weights is None:
            return float(len(positions))
        weights = self.train_spec["class_weights"]
        return float(sum(weights[self.train_split.label(p)] for p in positions))

    def _monitor(self, state: dict[str, Any], record: dict[str, Any]) -> tuple[dict[str, Any], bool, bool]:
        spec = self.train_spec
        metric = spec["monitored_metric"]
        early = spec["early_stopping"]
        maximize = early["maximize"] if early else not metric.endswith("loss")
        min_delta = early["min_delta"] if early else 0.0
        value = {
            "valid.accuracy": record["valid_accuracy"], "valid.loss": record["valid_loss"],
            "valid.macro_f1": record["valid_macro_f1"], "valid.top5": record["valid_top5"],
            "train.accuracy": record["train_accuracy"],
        }.get(metric, record["train_loss"])
        best = state["Best"]
        improved = value is not None and (best is None or (value > best + min_delta if maximize else value < best - min_delta))
        state = dict(state)
        if improved:
            state.update(Best=value, BadEpochs=0)
        else:
            state["BadEpochs"] += 1
        stop_early = early is not None and state["BadEpochs"] >= early["patience"]
        return state, improved, stop_early

    def _checkpoint(self, state: dict[str, Any], best: bool = False) -> str:
        """Rank 0 writes the checkpoint (with every rank's random state, for an exact resume); all ranks wait for it."""
        cuda = torch.cuda.get_rng_state(self.p.device) if self.p.device.type == "cuda" else None
        rng_states = self.p.gather((torch.get_rng_state(), cuda))
        name = checkpoint_name(state)
        if self.p.main:
            save_checkpoint(self.run, self.model, self.optimizer, state, rng_states)
            if best:
                write_text(os.path.join(self.run, "checkpoints", "best"), name)
            prune(self.run, self.train_spec["checkpoint"]["keep"])
        self.p.barrier()
        return name

    # -- evaluation ------------------------------------------------------------------------------------------------

    def _evaluate(self, split: support.Split, keep_logits: bool = False) -> dict[str, Any]:
        """TLDsl's Evaluator: eval mode, no gradients, batches of the pipeline's size, loss without weights."""
        was_training = self.model.training
        self.model.eval()
        dataset = support.SplitDataset(split, self.eval_pre, train=False, seed=self.seed)
        chunks = [[(p, 0) for p in chunk] for chunk in support.iter_chunks(range(len(split)), self.train_spec["batch"])]
        loader = DataLoader(dataset, batch_sampler=chunks, num_workers=self.workers)
        logits_all: list[Tensor] = []
        targets: list[int] = []
        loss_sum = 0.0
        try:
            with torch.no_grad():
                for x, y in loader:
                    x, y = x.to(self.p.device), y.to(self.p.device)
                    logits = self.model(x)
                    loss_sum += float(F.cross_entropy(logits, y, reduction="sum").item())
                    logits_all.append(logits.float().cpu())
                    targets.extend(int(t) for t in y.cpu())
        finally:
            self.model.train(was_training)
        logits = torch.cat(logits_all) if logits_all else torch.empty(0, len(self.labels))
        metrics = support.classification_metrics(targets, F.softmax(logits, 1), self.labels,
                                                  loss_sum / len(split) if len(split) else None)
        if keep_logits:
            metrics["logits"] = logits
        return metrics

    def finish(self, state: dict[str, Any], seconds: float) -> None:
        """Rank 0: the best checkpoint's weights are the run's model; evaluate them on the test split, write the
        summary, the test predictions and model.safetensors."""
        best = pointer(self.run, "best") or pointer(self.run, "last")
        if best is not None:
            self.model.load_state_dict(support.load_safetensors(os.path.join(best, "model.safetensors")), strict=True)
        support.save_safetensors(self.model.state_dict(), os.path.join(self.run, "model.safetensors"))
        test = self._evaluate(self.test_split, keep_logits=True) if self.test_split is not None else None
        if test is not None:
            logits = test.pop("logits")
            rows = ["index,target,predicted," + ",".join(f"logit_{c}" for c in range(len(self.labels)))]
            for i in range(len(self.test_split)):
                row = logits[i].tolist()
                rows.append(f"{self.test_split.index(i)},{self.test_split.label(i)},{int(logits[i].argmax())}," +
                            ",".join(repr(v) for v in row))
            write_text(os.path.join(self.run, "test-predictions.csv"), "\n".join(rows) + "\n")
        best_epoch = None
        if state["BestCheckpoint"]:
            best_epoch = int(state["BestCheckpoint"].split("-")[1])
        summary = {
            "pipeline": self.config["name"], "epochs": state["Epoch"], "steps": state["Step"],
            "stop_reason": state["StopReason"] or "", "seconds": seconds, "best_epoch": best_epoch,
            "monitored_metric": self.train_spec["summary_metric"], "best_value": state["Best"],
            "validation": self.last_validation, "test": test,
        }
        write_text(os.path.join(self.run, "summary.json"), json.dumps(summary, indent=2) + "\n")
        shown = test or self.last_validation
        if shown is not None:
            print(f"{'test' if test else 'valid'} accuracy {shown['accuracy']:.4f} ({shown['count']} images)", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Train the exported TLDsl pipeline with DistributedDataParallel.")
    parser.add_argument("--run-dir", help="the new run folder (default: runs/<pipeline name>/<UTC time>)")
    parser.add_argument("--runs", default="runs", help="where new run folders go (default: runs)")
    parser.add_argument("--resume", metavar="RUN", help="continue the run in RUN from its last checkpoint")
    parser.add_argument("--workers", type=int, default=None, help="data loader processes per rank (default: 0 on CPU, 4 on CUDA)")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads per process (default: PyTorch's)")
    args = parser.parse_args(argv)

    with open(os.path.join(HERE, "pipeline.json"), encoding="utf-8") as stream:
        config = json.load(stream)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    processes = Processes()
    try:
        started = time.time()
        if args.resume is not None:
            run = os.path.abspath(args.resume)
        elif processes.main:
            if args.run_dir:
                os.makedirs(args.run_dir, exist_ok=False)
                open(os.path.join(args.run_dir, ".run"), "x").close()
                run = os.path.abspath(args.run_dir)
            else:
                run = new_run_folder(args.runs, config["name"])
            start_run(run, config)
        else:
            run = ""
        run = processes.broadcast(run)
        workers = args.workers if args.workers is not None else (4 if processes.device.type == "cuda" else 0)
        trainer = Trainer(config, processes, run, workers)
        state = trainer.fit(args.resume)
        if processes.main:
            trainer.finish(state, time.time() - started)
            print(f"run: {run}", flush=True)
        processes.barrier()
        return 0
    finally:
        processes.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
