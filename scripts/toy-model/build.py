"""Builds the embedded toy-arith model end to end with a fixed seed.

Run through `npm run build:toy-model`, which first dumps the task's splits to JSONL with the
project's own generator, then calls:
    /usr/bin/python3 scripts/toy-model/build.py --data .cache/toy-model/data \\
        --out public/models/toy-arith
(`npm run build:toy-model-misconception` builds the second embedded model the same way, with
`--misconception-share 0.3 --out public/models/toy-arith-misconception`.)
Steps: tokenizer → training → evaluation on the test split (the method's prompt, greedy and
15 samples at T = 1.1) → model folder (config, tokenizer, safetensors, ONNX) → checks with
onnxruntime-node (ONNX vs torch logits, with and without KV cache; the batched-sampling graph
vs torch and vs the standard graph) and transformers.js
(tokenizer and greedy generation agree with Python). Writes training_info.json with the figures.
"""

import argparse
import json
import os
import platform
import random
import sys
import time

import torch

sys.dont_write_bytecode = True  # no __pycache__ folders in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from data import HELD_OUT_TRAIN_ITEMS, block_text, fewshot_prompt, load_jsonl, loss_text, \
    misconceive  # noqa: E402
from evaluate import evaluate, format_result, generate  # noqa: E402
from export import run_node_check, write_model_folder, write_reference_cases  # noqa: E402
from export_prefix import check_prefix_graph  # noqa: E402
from model import ToyConfig, ToyLlama  # noqa: E402
from tokenizer import Tokenizer, train_bpe  # noqa: E402
from train import train  # noqa: E402

SEED = 1234
MISCONCEPTION_SEED = 99
ARCHITECTURE = dict(
    hidden_size=192,
    intermediate_size=512,
    num_hidden_layers=4,
    num_attention_heads=3,
    num_key_value_heads=3,
    max_position_embeddings=1024,
)
TRAINING = dict(steps=1000, batch_size=16, seq_len=384, peak_lr=3e-3, warmup=100)
BPE_MERGES = 1000  # an upper bound: merging stops once every word is a single token
EVAL_SAMPLES = 15
EVAL_TEMPERATURE = 1.1


def mean_loss(model, tokenizer: Tokenizer, items: list) -> float:
    """Mean over items of the per-text mean token NLL of the method's loss text (§5)."""
    losses = []
    with torch.no_grad():
        for item in items:
            ids = tokenizer.encode(loss_text(item["question"], item["rationale"]))[:400]
            logits, _ = model(torch.tensor([ids]))
            nll = torch.nn.functional.cross_entropy(logits[0, :-1], torch.tensor(ids[1:]))
            losses.append(nll.item())
    return sum(losses) / len(losses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="folder with train/validation/test/exemplars .jsonl")
    parser.add_argument("--out", required=True, help="model folder to write (…/models/toy-arith)")
    parser.add_argument("--work", default=".cache/toy-model", help="scratch folder")
    parser.add_argument("--eval-items", type=int, default=200, help="test questions to evaluate")
    parser.add_argument("--steps", type=int, default=TRAINING["steps"],
                        help="training steps (the shipped model: 1000)")
    parser.add_argument("--shortcut-share", type=float, default=0.0,
                        help="share of training items written in the one-line style of "
                             "data.shortcut_rationale (an experiment; the shipped model uses 0)")
    parser.add_argument("--misconception-share", type=float, default=0.0,
                        help="chance that a taking-away step of a training item adds instead "
                             "(data.misconceive; toy-arith-misconception uses 0.3, toy-arith 0)")
    parser.add_argument("--model-id", default=None,
                        help="the id written to training_info.json (default: the --out folder's name)")
    parser.add_argument("--resume", action="store_true",
                        help="reuse the trained weights in --work instead of training again")
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.work, exist_ok=True)
    log = lambda message: print(message, flush=True)  # noqa: E731
    started = time.time()
    cpu_started = time.process_time()

    train_all = load_jsonl(f"{args.data}/train.jsonl")
    validation = load_jsonl(f"{args.data}/validation.jsonl")
    test = load_jsonl(f"{args.data}/test.jsonl")
    exemplars = load_jsonl(f"{args.data}/exemplars.jsonl")
    train_items = train_all[HELD_OUT_TRAIN_ITEMS:]
    if args.misconception_share:
        rng = random.Random(MISCONCEPTION_SEED)
        train_items = [misconceive(it, rng, args.misconception_share) for it in train_items]
    log(f"data: {len(train_items)} training items (train[{HELD_OUT_TRAIN_ITEMS}:]), "
        f"{len(validation)} validation, {len(test)} test")

    corpus = [block_text(x) for x in train_items] + [block_text(e) for e in exemplars] * 100
    tokenizer = Tokenizer.from_word_merges(train_bpe(corpus, BPE_MERGES))
    log(f"tokenizer: {tokenizer.vocab_size} tokens ({len(tokenizer.merges)} merges)")

    config = ToyConfig(vocab_size=tokenizer.vocab_size, **ARCHITECTURE)
    training = {**TRAINING, "steps": args.steps}
    if args.shortcut_share:
        training["shortcut_share"] = args.shortcut_share
    checkpoint = f"{args.work}/model.pt"
    if args.resume:
        model = ToyLlama(config)
        saved = torch.load(checkpoint)
        model.load_state_dict(saved["state_dict"])
        model.eval()
        train_cpu, train_wall = saved["cpu_seconds"], saved["wall_seconds"]
        log(f"reusing {checkpoint}")
    else:
        train_cpu = time.process_time()
        train_wall = time.time()
        model = train(config, tokenizer, train_items, exemplars, seed=SEED, **training,
                      monitor_items=validation, monitor_every=250, log=log)
        train_cpu = time.process_time() - train_cpu
        train_wall = time.time() - train_wall
        torch.save({"state_dict": model.state_dict(), "cpu_seconds": train_cpu,
                    "wall_seconds": train_wall}, checkpoint)

    log(f"evaluating on {args.eval_items} test questions ({EVAL_SAMPLES} samples at T={EVAL_TEMPERATURE})")
    result = evaluate(model, tokenizer, exemplars, test[: args.eval_items], samples=EVAL_SAMPLES,
                      temperature=EVAL_TEMPERATURE, seed=SEED, log=log)
    log(f"test: {format_result(result)}")
    result["validation_mean_loss"] = mean_loss(model, tokenizer, validation)

    metadata = {"format": "pt", "seed": SEED, "source": "scripts/toy-model/build.py"}
    write_model_folder(model, tokenizer, args.out, metadata)
    log(f"wrote {args.out}")

    # Cross-checks in Node: raw onnxruntime logits, then transformers.js end to end.
    texts = [
        fewshot_prompt(exemplars, test[0]["question"]) + test[0]["rationale"],
        "Q: " + test[1]["question"] + "\nA: </s>" + test[1]["rationale"],
        "Hello, world! Ünïcödé & 3.14 </s> tail",
    ]
    ref_path = f"{args.work}/onnx-reference.json"
    write_reference_cases(model, tokenizer, texts, ref_path)
    onnx_out = run_node_check("scripts/toy-model/check-onnx.ts", args.out, ref_path)
    onnx_diff = json.loads(onnx_out.strip().splitlines()[-1])["onnxMaxAbsDiff"]
    prefix_diff = check_prefix_graph(model, args.out, args.work)

    stop_ids = tokenizer.encode("\nQ", add_bos=False)
    greedy_cases = []
    for item in test[:2]:
        prompt = fewshot_prompt(exemplars, item["question"])
        completion = generate(model, tokenizer.encode(prompt), 1, 0.0, 200,
                              torch.Generator().manual_seed(0), stop_ids)[0]
        greedy_cases.append({"prompt": prompt, "completionIds": completion})
    tok_texts = [block_text(x) for x in test[:100]] + texts + [
        fewshot_prompt(exemplars, x["question"]) for x in validation[:5]]
    js_path = f"{args.work}/transformersjs-reference.json"
    with open(js_path, "w", encoding="utf-8") as f:
        json.dump({"texts": tok_texts, "ids": [tokenizer.encode(t) for t in tok_texts],
                   "greedy": greedy_cases}, f)
    run_node_check("scripts/toy-model/check-transformersjs.ts",
                   os.path.dirname(os.path.abspath(args.out)), os.path.basename(args.out), js_path)

    sizes = {}
    for root, _, files in os.walk(args.out):
        for name in files:
            path = os.path.join(root, name)
            sizes[os.path.relpath(path, args.out)] = os.path.getsize(path)
    info = {
        "model_id": args.model_id or os.path.basename(os.path.normpath(args.out)),
        "seed": SEED,
        "architecture": {**ARCHITECTURE, "vocab_size": tokenizer.vocab_size,
                         "parameters": sum(p.numel() for p in model.parameters())},
        "training": {**training, "train_items": len(train_items),
                     **({"misconception_share": args.misconception_share}
                        if args.misconception_share else {}),
                     "held_out_train_items": HELD_OUT_TRAIN_ITEMS,
                     "cpu_seconds": round(train_cpu), "wall_seconds": round(train_wall),
                     "threads": 1, "torch": torch.__version__, "python": platform.python_version()},
        "evaluation": {**{k: v for k, v in result.items() if k != "examples"},
                       "split": "test", "greedy_examples": result["examples"]},
        "onnx_vs_torch_max_abs_diff": onnx_diff,
        "prefix_graph_max_abs_diff": {"vs_torch": prefix_diff["prefixVsTorch"],
                                      "vs_model_onnx": prefix_diff["prefixVsOnnx"]},
        "file_sizes": sizes,
    }
    with open(f"{args.out}/training_info.json", "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    log(json.dumps(info, indent=2))
    log(f"done in {time.time() - started:.0f}s wall, {time.process_time() - cpu_started:.0f}s cpu")


if __name__ == "__main__":
    main()
