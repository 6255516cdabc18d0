"""Command line: python3 -m trainer --port 8765 --token T --allow-origin http://localhost:4173"""

import argparse
import os
import secrets
import signal
import sys
import threading
from urllib.parse import urlsplit

import torch

from . import PROTOCOL_VERSION, TRAINER_VERSION
from .registry import Registry
from .runner import Runner
from .server import TrainerConfig, TrainerServer
from .store import Store
from .toy_code import DEFAULT_TOY_MODELS


def origin(value: str) -> str:
    """An exact origin: scheme://host[:port], nothing else (no wildcard, no path)."""
    parts = urlsplit(value)
    if value == "*" or parts.scheme not in ("http", "https") or not parts.netloc or \
            parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an exact origin such as http://localhost:4173 (no wildcard, no path)")
    return f"{parts.scheme}://{parts.netloc}"


def model_pair(value: str, need_path: bool) -> tuple:
    model_id, sep, path = value.partition("=")
    if not model_id or (need_path and not path):
        raise argparse.ArgumentTypeError(f"expected ID=PATH, got {value!r}")
    return model_id, (os.path.abspath(path) if path and os.path.exists(path) else path or None)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python3 -m trainer",
        description="The IWSI reference trainer: LoRA fine-tuning and greedy evaluation behind an "
                    "OpenAI-style fine-tuning API (docs/trainer-protocol.md).")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    p.add_argument("--token", default=os.environ.get("IWSI_TRAINER_TOKEN"),
                   help="bearer token clients must send (default: $IWSI_TRAINER_TOKEN, else a "
                        "random one that is printed)")
    p.add_argument("--allow-origin", action="append", default=[], type=origin, metavar="ORIGIN",
                   help="a web page origin allowed to call the trainer (repeat for several)")
    p.add_argument("--data-dir", default="./trainer-data", help="where files and jobs are kept")
    p.add_argument("--toy-model", action="append", default=[], metavar="ID=DIR",
                   type=lambda v: model_pair(v, True),
                   help="serve a toy-model folder (default: the embedded toy-arith and "
                        "toy-arith-misconception in public/models)")
    p.add_argument("--hf-model", action="append", default=[], metavar="ID[=PATH]",
                   type=lambda v: model_pair(v, False),
                   help="serve a Hugging Face causal LM (hub id or local folder); needs "
                        "transformers and peft")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default auto)")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--max-upload-mb", type=float, default=512, help="largest upload (MiB)")
    p.add_argument("--max-json-mb", type=float, default=64, help="largest JSON request (MiB)")
    p.add_argument("--no-resume", action="store_true",
                   help="fail jobs a previous run left running instead of resuming them")
    p.add_argument("--verbose", action="store_true", help="log every request")
    return p


def served_toy_models(pairs: list) -> dict:
    """The toy models to serve, by id: those given with --toy-model, else the embedded ones."""
    if pairs:
        return dict(pairs)
    return {model_id: folder for model_id, folder in DEFAULT_TOY_MODELS.items()
            if os.path.isdir(folder)}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    token = args.token
    generated = False
    if not token:
        token = secrets.token_urlsafe(24)
        generated = True
    registry = Registry(served_toy_models(args.toy_model), dict(args.hf_model))
    if args.device != "auto" and args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"--device {args.device}: no CUDA device is available here.", file=sys.stderr)
        return 2
    store = Store(args.data_dir)
    runner = Runner(store, registry, args.device, resume=not args.no_resume)
    config = TrainerConfig(token, args.allow_origin, int(args.max_upload_mb * 1024 * 1024),
                           int(args.max_json_mb * 1024 * 1024), args.device, args.verbose)
    server = TrainerServer((args.host, args.port), config, store, registry, runner)
    runner.start()
    host, port = server.server_address[:2]
    print(f"iwsi-trainer {TRAINER_VERSION} (protocol {PROTOCOL_VERSION}) listening on "
          f"http://{host}:{port}", flush=True)
    print(f"  models: {', '.join(registry.base_ids()) or 'none'}; data: "
          f"{os.path.abspath(args.data_dir)}; allowed origins: "
          f"{', '.join(sorted(args.allow_origin)) or 'none (non-browser clients only)'}",
          flush=True)
    if generated:
        print(f"  token (generated): {token}", flush=True)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
