"""The batched-sampling decoder graph: onnx/model_prefix.onnx.

When m candidates continue one prompt, every row of the standard graph (onnx/model.onnx) carries
its own copy of the prompt's KV cache in and out of each decode step. This graph takes the
prompt's cache once, with batch 1, and per row only the tokens generated so far:

inputs   input_ids [n, 1], position_ids [n, 1],
         prefix_key.L / prefix_value.L [1, kv_heads, P, head_dim]  (the prompt, shared),
         past_key.L / past_value.L     [n, kv_heads, S, head_dim]  (the generated part, S ≥ 0)
outputs  logits [n, 1, vocab],
         present_key.L / present_value.L [n, kv_heads, S + 1, head_dim]  (generated part + new)

Attention runs as two products, q·K_prefixᵀ (broadcast over the rows) and q·K_genᵀ, whose score
rows are concatenated for one softmax and split again for the products with V_prefix and V_gen,
so nothing of the prompt's cache is copied per row. One new token per row and no padding: every
row sees the whole prompt and all of its own generated tokens.

The graph holds no weights of its own: each initializer larger than EXTERNAL_MIN_BYTES is stored
as ONNX external data pointing at the identical bytes inside onnx/model.onnx (the torch exporter
writes the same folded weights for both graphs), so the two graphs share one copy on disk and
onnx/model.onnx stays an ordinary self-contained graph.
"""

import math

import torch
from torch import nn
import torch.nn.functional as F

from model import ToyLlama, repeat_kv, rope_tables

OPSET = 14
PREFIX_FILE = "model_prefix.onnx"
WEIGHTS_FILE = "model.onnx"  # the file whose bytes the prefix graph's external data points into
EXTERNAL_MIN_BYTES = 1024


def rotate_half_static(x: torch.Tensor, half: int) -> torch.Tensor:
    """model.rotate_half with the split point as a constant: no shape ops in the graph."""
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class PrefixDecoder(nn.Module):
    """One decode step of n rows that share a prompt cache (see the module docstring).

    Every reshape uses constants (-1 for the rows, 1 new token), so that the exported graph has
    few shape computations: a decode step of a small model is dominated by per-node overhead.
    """

    def __init__(self, model: ToyLlama):
        super().__init__()
        self.model = model

    def forward(self, input_ids, position_ids, *caches):
        layers = self.model.model.layers
        c = self.model.config
        h, kv, d = c.num_attention_heads, c.num_key_value_heads, c.head_dim
        cos, sin = rope_tables(c, position_ids)
        cos, sin = cos[:, None], sin[:, None]
        x = self.model.model.embed_tokens(input_ids)
        presents = []
        for i, layer in enumerate(layers):
            prefix_key, prefix_value, past_key, past_value = caches[4 * i: 4 * i + 4]
            attn = layer.self_attn
            hidden = layer.input_layernorm(x)
            q = attn.q_proj(hidden).reshape(-1, 1, h, d).transpose(1, 2)
            k = attn.k_proj(hidden).reshape(-1, 1, kv, d).transpose(1, 2)
            v = attn.v_proj(hidden).reshape(-1, 1, kv, d).transpose(1, 2)
            q = q * cos + rotate_half_static(q, d // 2) * sin
            k = k * cos + rotate_half_static(k, d // 2) * sin
            gen_key = torch.cat((past_key, k), dim=2)
            gen_value = torch.cat((past_value, v), dim=2)
            presents += [gen_key, gen_value]
            pk, pv, gk, gv = prefix_key, prefix_value, gen_key, gen_value
            if kv != h:
                pk, pv = repeat_kv(pk, h // kv), repeat_kv(pv, h // kv)
                gk, gv = repeat_kv(gk, h // kv), repeat_kv(gv, h // kv)
            q = q * (1.0 / math.sqrt(d))
            prefix_scores = torch.matmul(q, pk.transpose(2, 3))  # [n, h, 1, P], K broadcast
            gen_scores = torch.matmul(q, gk.transpose(2, 3))  # [n, h, 1, S + 1]
            probs = F.softmax(torch.cat((prefix_scores, gen_scores), dim=-1), dim=-1)
            prefix_length = prefix_key.shape[2]
            out = torch.matmul(probs[..., :prefix_length], pv) + torch.matmul(
                probs[..., prefix_length:], gv)
            out = out.transpose(1, 2).reshape(-1, 1, h * d)
            x = x + attn.o_proj(out)
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        x = self.model.model.norm(x)
        logits = F.linear(x, self.model.model.embed_tokens.weight)
        return (logits, *presents)


def cache_input_names(layers: int) -> list:
    names = []
    for i in range(layers):
        names += [f"prefix_key.{i}", f"prefix_value.{i}", f"past_key.{i}", f"past_value.{i}"]
    return names


def export_prefix_onnx(model: ToyLlama, onnx_folder: str) -> str:
    """Writes onnx_folder/model_prefix.onnx next to an existing onnx_folder/model.onnx."""
    import os

    import onnx

    c = model.config
    layers = c.num_hidden_layers
    n, prefix, past = 2, 5, 3
    caches = []
    for _ in range(layers):
        for length, batch in ((prefix, 1), (prefix, 1), (past, n), (past, n)):
            caches.append(torch.randn(batch, c.num_key_value_heads, length, c.head_dim))
    input_ids = torch.randint(4, c.vocab_size, (n, 1))
    position_ids = torch.full((n, 1), prefix + past, dtype=torch.long)
    input_names = ["input_ids", "position_ids", *cache_input_names(layers)]
    output_names = ["logits"]
    dynamic_axes = {"input_ids": {0: "batch_size"}, "position_ids": {0: "batch_size"},
                    "logits": {0: "batch_size"}}
    for i in range(layers):
        for kind in ("key", "value"):
            dynamic_axes[f"prefix_{kind}.{i}"] = {2: "prefix_length"}
            dynamic_axes[f"past_{kind}.{i}"] = {0: "batch_size", 2: "past_length"}
            output_names.append(f"present_{kind}.{i}")
            dynamic_axes[f"present_{kind}.{i}"] = {0: "batch_size", 2: "generated_length"}
    path = os.path.join(onnx_folder, PREFIX_FILE)
    model.eval()
    with torch.no_grad():
        torch.onnx.export(
            PrefixDecoder(model), (input_ids, position_ids, *caches), path,
            input_names=input_names, output_names=output_names, dynamic_axes=dynamic_axes,
            opset_version=OPSET, do_constant_folding=True,
        )
    share_weights(path, os.path.join(onnx_folder, WEIGHTS_FILE))
    onnx.checker.check_model(path)
    return path


def share_weights(graph_path: str, weights_path: str) -> None:
    """Points every large initializer of graph_path at the same bytes inside weights_path."""
    import os

    import onnx
    from onnx import TensorProto

    graph = onnx.load(graph_path)
    with open(weights_path, "rb") as f:
        weights = f.read()
    location = os.path.relpath(weights_path, os.path.dirname(graph_path))
    for tensor in graph.graph.initializer:
        data = tensor.raw_data
        if len(data) < EXTERNAL_MIN_BYTES:
            continue
        offset = weights.find(data)
        if offset < 0:
            raise SystemExit(f"{graph_path}: initializer {tensor.name} ({len(data)} bytes) is not "
                             f"in {weights_path}; export both graphs from the same weights")
        tensor.ClearField("raw_data")
        tensor.data_location = TensorProto.EXTERNAL
        for key, value in (("location", location), ("offset", str(offset)),
                           ("length", str(len(data)))):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, value
    with open(graph_path, "wb") as f:
        f.write(graph.SerializeToString())
