"""Imports the embedded toy model's own Python code (scripts/toy-model: model, tokenizer, export)
instead of copying it. Those files import each other by plain module name, so their folder goes
on sys.path. IWSI_TOY_MODEL_CODE overrides the folder."""

import importlib
import os
import sys
from types import SimpleNamespace

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DEFAULT_CODE_DIR = os.path.join(REPO_ROOT, "scripts", "toy-model")
MODELS_DIR = os.path.join(REPO_ROOT, "public", "models")
# The embedded models the trainer serves when no --toy-model is given, by id.
DEFAULT_TOY_MODELS = {model_id: os.path.join(MODELS_DIR, model_id)
                      for model_id in ("toy-arith", "toy-arith-misconception")}

_modules = None


def code_dir() -> str:
    return os.environ.get("IWSI_TOY_MODEL_CODE", DEFAULT_CODE_DIR)


def modules() -> SimpleNamespace:
    """The toy model's `model`, `tokenizer` and `export` modules."""
    global _modules
    if _modules is None:
        folder = code_dir()
        if not os.path.exists(os.path.join(folder, "model.py")):
            raise RuntimeError(f"The toy model's code is missing: no model.py in {folder}.")
        if folder not in sys.path:
            sys.path.append(folder)
        _modules = SimpleNamespace(
            model=importlib.import_module("model"),
            tokenizer=importlib.import_module("tokenizer"),
            export=importlib.import_module("export"),
        )
    return _modules
