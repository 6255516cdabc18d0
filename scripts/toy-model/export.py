"""Writes the model folder transformers.js loads, and checks the ONNX graph against torch.

Folder layout (as for any Hugging Face ONNX Llama): config.json, generation_config.json,
tokenizer.json, tokenizer_config.json, special_tokens_map.json, onnx/model.onnx (fp32, opset 14,
KV cache: inputs input_ids, attention_mask, position_ids, past_key_values.{i}.key/value
[batch, kv_heads, past, head_dim]; outputs logits, present.{i}.key/value),
onnx/model_prefix.onnx (the batched-sampling graph that shares model.onnx's weights, see
prefix_decoder.py), and model.safetensors (the same weights under Hugging Face
LlamaForCausalLM names).
"""

import json
import os
import subprocess

import torch
from torch import nn

from model import ToyLlama, hf_state_dict, save_safetensors
from prefix_decoder import export_prefix_onnx
from tokenizer import BOS_ID, EOS_ID, PAD_ID, Tokenizer

OPSET = 14
MAX_ABS_DIFF = 1e-4


class OnnxWrapper(nn.Module):
    """Flat inputs/outputs for torch.onnx.export."""

    def __init__(self, model: ToyLlama):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        logits, presents = self.model(input_ids, attention_mask, position_ids, past)
        flat = [t for kv in presents for t in kv]
        return (logits, *flat)


def hf_config(model: ToyLlama) -> dict:
    c = model.config
    return {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": c.hidden_size,
        "intermediate_size": c.intermediate_size,
        "num_hidden_layers": c.num_hidden_layers,
        "num_attention_heads": c.num_attention_heads,
        "num_key_value_heads": c.num_key_value_heads,
        "head_dim": c.head_dim,
        "vocab_size": c.vocab_size,
        "max_position_embeddings": c.max_position_embeddings,
        "rms_norm_eps": c.rms_norm_eps,
        "rope_theta": c.rope_theta,
        "hidden_act": "silu",
        "tie_word_embeddings": True,
        "bos_token_id": BOS_ID,
        "eos_token_id": EOS_ID,
        "pad_token_id": PAD_ID,
        "attention_bias": False,
        "mlp_bias": False,
        "initializer_range": 0.02,
        "torch_dtype": "float32",
        "use_cache": True,
    }


def export_onnx(model: ToyLlama, path: str) -> None:
    c = model.config
    layers = c.num_hidden_layers
    b, past_len, t = 2, 3, 4
    past = []
    for _ in range(layers):
        past.append(torch.randn(b, c.num_key_value_heads, past_len, c.head_dim))
        past.append(torch.randn(b, c.num_key_value_heads, past_len, c.head_dim))
    input_ids = torch.randint(4, c.vocab_size, (b, t))
    attention_mask = torch.ones(b, past_len + t, dtype=torch.long)
    position_ids = torch.arange(past_len, past_len + t).expand(b, t).contiguous()
    input_names = ["input_ids", "attention_mask", "position_ids"]
    output_names = ["logits"]
    dynamic_axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i in range(layers):
        for kind in ("key", "value"):
            name_in, name_out = f"past_key_values.{i}.{kind}", f"present.{i}.{kind}"
            input_names.append(name_in)
            output_names.append(name_out)
            dynamic_axes[name_in] = {0: "batch_size", 2: "past_sequence_length"}
            dynamic_axes[name_out] = {0: "batch_size", 2: "total_sequence_length"}
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            OnnxWrapper(model), (input_ids, attention_mask, position_ids, *past), path,
            input_names=input_names, output_names=output_names, dynamic_axes=dynamic_axes,
            opset_version=OPSET, do_constant_folding=True,
        )
    import onnx

    onnx.checker.check_model(onnx.load(path))


def write_reference_cases(model: ToyLlama, tokenizer: Tokenizer, texts: list, path: str) -> None:
    """Inputs and torch logits for the Node onnxruntime check (full pass + KV-cache steps)."""
    cases = []
    with torch.no_grad():
        for text in texts:
            ids = tokenizer.encode(text)
            logits, _ = model(torch.tensor([ids]))
            cases.append({"text": text, "ids": ids, "logits": logits[0].tolist()})
        # A left-padded batch of two, as transformers.js builds for batched generation.
        a, b = tokenizer.encode(texts[0]), tokenizer.encode(texts[1])
        width = max(len(a), len(b))
        rows = [[PAD_ID] * (width - len(x)) + x for x in (a, b)]
        mask = [[0] * (width - len(x)) + [1] * len(x) for x in (a, b)]
        # transformers.js: position_ids = cumsum(mask) - 1, and 1 on padding.
        positions = [[1] * (width - len(x)) + list(range(len(x))) for x in (a, b)]
        logits, _ = model(torch.tensor(rows), torch.tensor(mask), torch.tensor(positions))
        padded = {"ids": rows, "mask": mask, "positions": positions, "logits": logits.tolist()}
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"cases": cases, "padded": padded, "maxAbsDiff": MAX_ABS_DIFF}, f)


def write_model_folder(model: ToyLlama, tokenizer: Tokenizer, folder: str, metadata: dict) -> None:
    os.makedirs(folder, exist_ok=True)
    c = model.config
    with open(f"{folder}/config.json", "w", encoding="utf-8") as f:
        json.dump(hf_config(model), f, indent=2)
        f.write("\n")
    with open(f"{folder}/generation_config.json", "w", encoding="utf-8") as f:
        json.dump({"bos_token_id": BOS_ID, "eos_token_id": EOS_ID, "pad_token_id": PAD_ID,
                   "max_length": c.max_position_embeddings}, f, indent=2)
        f.write("\n")
    tokenizer.save(folder, c.max_position_embeddings)
    save_safetensors(hf_state_dict(model), f"{folder}/model.safetensors", metadata)
    export_onnx(model, f"{folder}/onnx/model.onnx")
    export_prefix_onnx(model, f"{folder}/onnx")


def run_node_check(script: str, *args: str) -> str:
    """Runs a TypeScript check script with tsx from the repository root; raises if it fails."""
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    tsx = os.path.join(root, "node_modules", ".bin", "tsx")
    proc = subprocess.run([tsx, script, *args], cwd=root, capture_output=True, text=True)
    print(proc.stdout, end="")
    if proc.returncode != 0:
        print(proc.stderr)
        raise SystemExit(f"{script} failed (exit {proc.returncode})")
    return proc.stdout
