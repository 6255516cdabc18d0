"""Trains the toy model from scratch with a fixed seed (CPU, one thread)."""

import math
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

from data import DocumentSampler
from evaluate import evaluate, format_result
from model import ToyConfig, ToyLlama


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def lr_at(step: int, steps: int, peak: float, warmup: int, floor: float) -> float:
    """Linear warm-up, then cosine decay to `floor * peak`."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def train(config: ToyConfig, tokenizer, train_items: list, exemplars: list, *, seed: int,
          steps: int, batch_size: int, seq_len: int, peak_lr: float, warmup: int = 100,
          shortcut_share: float = 0.0,
          weight_decay: float = 0.1, monitor_items=None, monitor_every: int = 0,
          on_monitor=None, log=print) -> ToyLlama:
    """Returns the trained model; logs loss and, every `monitor_every` steps, greedy accuracy."""
    set_seed(seed)
    torch.set_num_threads(1)
    model = ToyLlama(config)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=peak_lr, betas=(0.9, 0.95), eps=1e-8,
    )
    sampler = DocumentSampler(tokenizer, train_items, exemplars, seed=seed + 1,
                              shortcut_share=shortcut_share)
    params = sum(p.numel() for p in model.parameters())
    log(f"model: {params} parameters; {steps} steps of {batch_size} x {seq_len} tokens")
    start = time.time()
    cpu_start = time.process_time()
    running = None
    for step in range(steps):
        model.train()
        batch = torch.tensor([sampler.sequence(seq_len + 1) for _ in range(batch_size)])
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, steps, peak_lr, warmup, 0.1)
        logits, _ = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, config.vocab_size), batch[:, 1:].reshape(-1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
        if (step + 1) % 25 == 0 or step == 0:
            log(f"step {step + 1}/{steps} loss {running:.4f} "
                f"({time.time() - start:.0f}s wall, {time.process_time() - cpu_start:.0f}s cpu)")
        if monitor_items and monitor_every and (step + 1) % monitor_every == 0 and step + 1 < steps:
            result = evaluate(model, tokenizer, exemplars, monitor_items, samples=0, log=None)
            log(f"  monitor @ {step + 1}: {format_result(result)}")
            if on_monitor:
                on_monitor(step + 1, model)
    log(f"training took {time.time() - start:.0f}s wall, {time.process_time() - cpu_start:.0f}s cpu")
    model.eval()
    return model
