"""Adds the batched-sampling graph (onnx/model_prefix.onnx) to a model folder, without training.

    /usr/bin/python3 scripts/toy-model/export_prefix.py --model public/models/toy-arith

Loads the weights from the folder's model.safetensors, exports the prefix graph next to the
folder's onnx/model.onnx (sharing its weights, see prefix_decoder.py), checks its logits with
onnxruntime-node against the torch model and against onnx/model.onnx (check-prefix.ts), and
records the check and the file sizes in training_info.json. No other file of the folder changes;
the same weights always give the same bytes. `npm run build:toy-model` does the same after
training (write_model_folder exports both graphs).
"""

import argparse
import json
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ folders in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from export import MAX_ABS_DIFF, run_node_check  # noqa: E402
from model import ToyLlama, load_model  # noqa: E402
from prefix_decoder import export_prefix_onnx  # noqa: E402

SEED = 1234
# (prompt length, rows, steps): a short and a few-shot-sized prompt.
REFERENCE_SHAPES = ((12, 3, 4), (260, 5, 6))


def write_prefix_reference(model: ToyLlama, path: str) -> None:
    """Random prompts continued by random tokens per row, with the torch model's logits."""
    generator = torch.Generator().manual_seed(SEED)
    vocab = model.config.vocab_size
    cases = []
    with torch.no_grad():
        for prompt_length, rows, steps in REFERENCE_SHAPES:
            prompt = [model.config.bos_token_id] + torch.randint(
                4, vocab, (prompt_length - 1,), generator=generator).tolist()
            continuations = torch.randint(4, vocab, (rows, steps), generator=generator)
            full = torch.cat((torch.tensor([prompt]).expand(rows, -1), continuations), dim=1)
            logits, _ = model(full)
            cases.append({"prompt": prompt, "rows": continuations.tolist(),
                          "logits": logits[:, prompt_length:].tolist()})
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"cases": cases, "maxAbsDiff": MAX_ABS_DIFF}, f)


def check_prefix_graph(model: ToyLlama, folder: str, work: str) -> dict:
    """Runs check-prefix.ts on the folder; returns its largest differences."""
    os.makedirs(work, exist_ok=True)
    reference = os.path.join(work, "prefix-reference.json")
    write_prefix_reference(model, reference)
    out = run_node_check("scripts/toy-model/check-prefix.ts", folder, reference)
    return json.loads(out.strip().splitlines()[-1])


def record(folder: str, checks: dict) -> None:
    """Writes the prefix graph's check and the current file sizes into training_info.json."""
    path = os.path.join(folder, "training_info.json")
    with open(path, encoding="utf-8") as f:
        info = json.load(f)
    info["prefix_graph_max_abs_diff"] = {"vs_torch": checks["prefixVsTorch"],
                                         "vs_model_onnx": checks["prefixVsOnnx"]}
    sizes = {}
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            file = os.path.join(root, name)
            if name != "training_info.json":
                sizes[os.path.relpath(file, folder)] = os.path.getsize(file)
    # Files already listed keep their place; new ones come after them.
    listed = [name for name in info.get("file_sizes", {}) if name in sizes]
    info["file_sizes"] = {name: sizes[name] for name in listed + sorted(set(sizes) - set(listed))}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="model folder (…/models/toy-arith)")
    parser.add_argument("--work", default=".cache/toy-model", help="scratch folder")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(SEED)  # the export traces with random example inputs
    model = load_model(args.model)
    path = export_prefix_onnx(model, os.path.join(args.model, "onnx"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")
    checks = check_prefix_graph(model, args.model, args.work)
    record(args.model, checks)


if __name__ == "__main__":
    main()
