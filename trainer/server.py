"""The HTTP server: routing, bearer-token auth, the CORS allow-list, size limits, JSON errors.

Every request from a browser carries an Origin; one that is not on the allow-list is refused
(403, no CORS headers, so the browser reports a CORS failure). Requests without an Origin (curl,
the CLI) are served. Every endpoint except the CORS preflight needs the bearer token.
"""

import copy
import hmac
import json
import os
import re
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import torch

from . import PROTOCOL_VERSION, TRAINER_VERSION, datafiles
from .backends import hf_available
from .errors import ApiError, bad_request, not_found
from .jobspec import DPO_DEFAULTS, SUPERVISED_DEFAULTS, parse_evaluation_body, \
    parse_fine_tuning_body
from .multipart import parse_multipart
from .registry import fine_tuned_name
from .runner import read_outputs
from .store import new_id, now, write_json_atomic

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = {"authorization", "content-type"}
JSONL_TYPES = ("application/jsonl", "application/x-ndjson", "application/json-lines",
               "application/octet-stream", "text/plain")


class TrainerConfig:
    def __init__(self, token: str, allow_origins: list, max_upload_bytes: int,
                 max_json_bytes: int, device: str, verbose: bool = False):
        self.token = token
        self.allow_origins = set(allow_origins)
        self.max_upload_bytes = max_upload_bytes
        self.max_json_bytes = max_json_bytes
        self.device = device
        self.verbose = verbose


class TrainerServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, config: TrainerConfig, store, registry, runner):
        self.config = config
        self.store = store
        self.registry = registry
        self.runner = runner
        super().__init__(address, Handler)


def _id_route(pattern: str):
    return re.compile("^" + pattern.replace("{id}", r"([A-Za-z0-9_.:-]+)") + "$")


def devices() -> list:
    out = ["cpu"]
    if torch.cuda.is_available():
        out += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: TrainerServer
    server_version = f"iwsi-trainer/{TRAINER_VERSION}"

    # -- plumbing -------------------------------------------------------------------------------

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        if self.server.config.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")

    def _origin(self):
        return self.headers.get("Origin")

    def _cors_headers(self) -> dict:
        # Every reply, a refusal included, may be fetched as an opaque no-cors response: that is
        # how a cross-origin-isolated page (COEP require-corp) tells a trainer that refuses its
        # origin from one that is not running. The page cannot read such a reply.
        headers = {"Cross-Origin-Resource-Policy": "cross-origin"}
        origin = self._origin()
        if origin and origin in self.server.config.allow_origins:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Vary"] = "Origin"
            headers["Access-Control-Expose-Headers"] = "Content-Length, Content-Disposition"
        return headers

    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None,
              close: bool = False) -> None:
        self.send_response(status)
        headers = {"Content-Type": content_type, "Content-Length": str(len(body)),
                   "Cache-Control": "no-store", **self._cors_headers(), **(extra or {})}
        if close:
            headers["Connection"] = "close"
            self.close_connection = True
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, value, extra: dict | None = None, close: bool = False) -> None:
        body = json.dumps(value, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json", extra, close)

    def _error(self, err: ApiError, close: bool = False) -> None:
        extra = {"WWW-Authenticate": "Bearer"} if err.status == 401 else None
        self._json(err.status, err.body(), extra, close)

    def _read_body(self, limit: int, what: str) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise ApiError(411, "Send a Content-Length (chunked uploads are not supported).",
                           "length_required")
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            size = int(length)
        except ValueError:
            raise bad_request("Content-Length is not a number.") from None
        if size < 0:
            raise bad_request("Content-Length is negative.")
        if size > limit:
            raise ApiError(413, f"The {what} is {size} bytes; this trainer accepts at most "
                                f"{limit} bytes (see --max-upload-mb / --max-json-mb).",
                           "payload_too_large")
        data = b""
        while len(data) < size:
            chunk = self.rfile.read(size - len(data))
            if not chunk:
                raise bad_request("The request body ended early.")
            data += chunk
        return data

    def _json_body(self) -> dict:
        data = self._read_body(self.server.config.max_json_bytes, "request body")
        try:
            value = json.loads(data.decode("utf-8") or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise bad_request(f"The request body is not valid JSON: {err}.", "invalid_json") \
                from None
        if not isinstance(value, dict):
            raise bad_request("The request body must be a JSON object.", "invalid_json")
        return value

    def _query(self) -> dict:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}

    # -- entry points ---------------------------------------------------------------------------

    def do_OPTIONS(self):  # noqa: N802
        origin = self._origin()
        allowed = self.server.config.allow_origins
        if origin is None:
            self._send(204, b"", "text/plain", {"Allow": ALLOWED_METHODS})
            return
        method = self.headers.get("Access-Control-Request-Method", "")
        asked = {h.strip().lower() for h in
                 self.headers.get("Access-Control-Request-Headers", "").split(",") if h.strip()}
        if origin not in allowed:
            self._error(ApiError(403, f"The origin {origin} is not allowed; start the trainer "
                                      f"with --allow-origin {origin}.", "origin_not_allowed",
                                 "permission_error"))
            return
        if method not in ("GET", "POST") or not asked <= ALLOWED_HEADERS:
            self._error(ApiError(403, "Only GET and POST with the Authorization and Content-Type "
                                      "headers are allowed.", "preflight_refused",
                                 "permission_error"))
            return
        extra = {"Access-Control-Allow-Methods": ALLOWED_METHODS,
                 "Access-Control-Allow-Headers": "Authorization, Content-Type",
                 "Access-Control-Max-Age": "600"}
        if self.headers.get("Access-Control-Request-Private-Network", "").lower() == "true":
            extra["Access-Control-Allow-Private-Network"] = "true"
        self._send(204, b"", "text/plain", extra)

    def do_GET(self):  # noqa: N802
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")

    def do_DELETE(self):  # noqa: N802
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        consumed = method == "GET"
        try:
            origin = self._origin()
            if origin is not None and origin not in self.server.config.allow_origins:
                raise ApiError(403, f"The origin {origin} is not allowed; start the trainer with "
                                    f"--allow-origin {origin}.", "origin_not_allowed",
                               "permission_error")
            self._authenticate()
            path = urlsplit(self.path).path.rstrip("/")
            path_known = False
            for verb, pattern, handler in ROUTES:
                match = pattern.match(path)
                if match and verb == method:
                    consumed = True
                    handler(self, *match.groups())
                    return
                path_known = path_known or match is not None
            if path_known:
                raise ApiError(405, f"{method} is not allowed on {path}.", "method_not_allowed")
            raise not_found(f"Unknown endpoint {method} {path}.", "unknown_endpoint")
        except ApiError as err:
            # A refused request may leave an unread body behind: close rather than misparse it.
            self._error(err, close=not consumed or err.status in (411, 413))
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as err:  # noqa: BLE001 - the client gets a JSON 500, the log the trace
            traceback.print_exc(file=sys.stderr)
            self._error(ApiError(500, f"Internal error: {type(err).__name__}: {err}",
                                 "internal_error", "server_error"), close=True)

    def _authenticate(self) -> None:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "Missing bearer token: send 'Authorization: Bearer <token>'.",
                           "missing_api_key", "authentication_error")
        if not hmac.compare_digest(token.strip().encode(), self.server.config.token.encode()):
            raise ApiError(401, "The bearer token is wrong.", "invalid_api_key",
                           "authentication_error")

    # -- handlers -------------------------------------------------------------------------------

    def version(self):
        ok, why = hf_available()
        registry = self.server.registry
        self._json(200, {
            "object": "iwsi.version",
            "protocol": "iwsi-trainer",
            "protocol_version": PROTOCOL_VERSION,
            "trainer_version": TRAINER_VERSION,
            "capabilities": {
                "models": [{"id": m, "backend": registry.models[m]["backend"]}
                           for m in registry.base_ids()],
                "methods": ["supervised", "dpo"],
                "loss_modes": ["faithful", "clean"],
                "optimizers": ["adamw", "rmsprop"],
                "schedules": ["cosine", "linear", "constant"],
                "artifacts": ["adapter", "merged-onnx", "merged"],
                "evaluation": True,
                "devices": devices(),
                "device": self.server.config.device,
                "backends": {"toy": True, "hf": ok},
                "hf_unavailable_reason": None if ok else why,
                "torch_version": torch.__version__,
                "defaults": {"supervised": SUPERVISED_DEFAULTS, "dpo": DPO_DEFAULTS},
                "limits": {"max_upload_bytes": self.server.config.max_upload_bytes,
                           "max_json_bytes": self.server.config.max_json_bytes},
            },
        })

    def list_models(self):
        store = self.server.store
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "iwsi-trainer"}
                for m in self.server.registry.base_ids()]
        for job in store.list_jobs("fine_tuning.job"):
            if job["status"] == "succeeded":
                data.append({"id": job["fine_tuned_model"], "object": "model",
                             "created": job["finished_at"], "owned_by": "iwsi-trainer"})
        self._json(200, {"object": "list", "data": data})

    def upload_file(self):
        config = self.server.config
        content_type = self.headers.get("Content-Type", "")
        data = self._read_body(config.max_upload_bytes, "upload")
        if content_type.lower().startswith("multipart/form-data"):
            parts = parse_multipart(data, content_type)
            purpose = parts["purpose"].data.decode("utf-8").strip() if "purpose" in parts \
                else None
            if "file" not in parts:
                raise bad_request("The multipart body has no 'file' field.", "missing_file",
                                  "file")
            filename = parts["file"].filename or "upload.jsonl"
            content = parts["file"].data
        elif content_type.split(";")[0].strip().lower() in JSONL_TYPES:
            query = self._query()
            purpose = query.get("purpose")
            filename = query.get("filename", "upload.jsonl")
            content = data
        else:
            raise ApiError(415, "Upload the file as multipart/form-data (fields 'purpose' and "
                                "'file') or as raw JSONL (Content-Type application/jsonl, "
                                "?purpose=fine-tune).", "unsupported_media_type")
        if purpose != "fine-tune":
            raise bad_request(f"'purpose' must be 'fine-tune', got {json.dumps(purpose)}.",
                              "invalid_purpose", "purpose")
        fmt, rows = datafiles.parse_jsonl(content)
        meta = self.server.store.add_file(content, os.path.basename(filename)[:200], purpose,
                                          datafiles.describe(fmt, rows))
        self._json(200, self.server.store.public_file(meta))

    def list_files(self):
        store = self.server.store
        files = [store.public_file(f) for f in store.list_files(self._query().get("purpose"))]
        self._json(200, {"object": "list", "data": files, "has_more": False})

    def get_file(self, file_id):
        store = self.server.store
        self._json(200, store.public_file(store.get_file(file_id)))

    def file_content(self, file_id):
        store = self.server.store
        meta = store.get_file(file_id)
        path = store.file_path(file_id)
        if not os.path.exists(path):
            raise not_found(f"The content of file '{file_id}' is gone from the data directory.",
                            "file_content_missing")
        size = os.path.getsize(path)
        self.send_response(200)
        name = os.path.basename(meta["filename"]).replace('"', "")
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size),
                   "Content-Disposition": f'attachment; filename="{name}"',
                   "Cache-Control": "no-store", **self._cors_headers()}
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        with open(path, "rb") as f:
            while True:
                block = f.read(1 << 20)
                if not block:
                    break
                self.wfile.write(block)

    def _training_file(self, file_id: str, param: str) -> dict:
        try:
            meta = self.server.store.get_file(file_id)
        except ApiError:
            raise bad_request(f"No uploaded file with id '{file_id}'.", "invalid_file",
                              param) from None
        if meta["purpose"] != "fine-tune":
            raise bad_request(f"File '{file_id}' was not uploaded for fine-tuning.",
                              "invalid_file", param)
        return meta

    def _resolve_model(self, model_id: str) -> dict:
        resolved = self.server.registry.resolve(model_id, self.server.store)
        if resolved["backend"] == "hf":
            ok, why = hf_available()
            if not ok:
                raise bad_request(f"The model '{model_id}' needs transformers and peft, which do "
                                  f"not import on this trainer ({why}).", "backend_unavailable",
                                  "model")
        return resolved

    def create_fine_tuning_job(self):
        store = self.server.store
        spec = parse_fine_tuning_body(self._json_body())
        files = [("training_file", self._training_file(spec["training_file"], "training_file"))]
        if spec["validation_file"]:
            files.append(("validation_file",
                          self._training_file(spec["validation_file"], "validation_file")))
        wanted = "preference" if spec["method"] == "dpo" else "supervised"
        for param, meta in files:
            details = meta["iwsi"]
            if details["kind"] != wanted:
                raise bad_request(
                    f"The {param.replace('_', ' ')} holds {datafiles.FORMAT_NAMES[details['format']]}"
                    f"; method '{spec['method']}' needs "
                    f"{'prompt/chosen/rejected pairs' if wanted == 'preference' else 'prompt/completion rows'}.",
                    "invalid_file", param)
        resolved = self._resolve_model(spec["model"])
        if resolved["backend"] == "toy":
            for param, meta in files:
                if meta["iwsi"]["format"] in datafiles.CHAT_FORMATS:
                    raise bad_request(
                        f"The {param.replace('_', ' ')} holds "
                        f"{datafiles.FORMAT_NAMES[meta['iwsi']['format']]}, but the toy model has "
                        "no chat template; upload prompt/completion rows or prompt/chosen/rejected "
                        "pairs.", "no_chat_template", param)
        job_id = new_id("ftjob")
        recipe = spec.pop("recipe")
        method_hp = {"n_epochs": spec["n_epochs"], "batch_size": spec["batch_size"],
                     "learning_rate_multiplier": 1.0}
        if spec["method"] == "dpo":
            method_hp["beta"] = spec["beta"]
        job = {
            "object": "fine_tuning.job",
            "id": job_id,
            "created_at": now(),
            "error": None,
            "fine_tuned_model": None,
            "finished_at": None,
            "hyperparameters": dict(method_hp),
            "method": {"type": spec["method"], spec["method"]: {"hyperparameters": method_hp}},
            "model": spec["model"],
            "organization_id": "iwsi-trainer",
            "result_files": [],
            "seed": spec["seed"],
            "status": "queued",
            "trained_tokens": None,
            "training_file": spec["training_file"],
            "validation_file": spec["validation_file"],
            "integrations": [],
            "metadata": spec["metadata"] or None,
            "user_provided_suffix": spec["suffix"],
            "estimated_finish": None,
            "iwsi": {
                "settings": spec,
                "recipe": recipe,
                "resolved_model": {k: resolved[k] for k in ("base", "backend", "adapters",
                                                            "adapter_dirs")},
                "fine_tuned_model_name": fine_tuned_name(resolved["base"], spec["suffix"],
                                                         job_id),
                "progress": {},
                "artifacts": [],
            },
        }
        store.create_job(job)
        store.add_event(job_id, "Validated the training file; the job is queued.",
                        data={"rows": files[0][1]["iwsi"]["rows"]})
        self.server.runner.submit(job_id)
        self._json(200, self._snapshot(job))

    def _snapshot(self, job: dict) -> dict:
        with self.server.store.lock:
            return copy.deepcopy(job)

    def _page(self, items: list) -> dict:
        query = self._query()
        try:
            limit = max(1, min(1000, int(query.get("limit", 20))))
        except ValueError:
            raise bad_request("'limit' must be a whole number.", "invalid_value", "limit") \
                from None
        start = 0
        if query.get("after"):
            ids = [i["id"] for i in items]
            if query["after"] not in ids:
                raise bad_request(f"'after' is not a known id: '{query['after']}'.",
                                  "invalid_cursor", "after")
            start = ids.index(query["after"]) + 1
        page = items[start:start + limit]
        return {"object": "list", "data": [self._snapshot(j) for j in page],
                "has_more": start + limit < len(items)}

    def list_fine_tuning_jobs(self):
        self._json(200, self._page(self.server.store.list_jobs("fine_tuning.job")))

    def get_fine_tuning_job(self, job_id):
        self._json(200, self._snapshot(self.server.store.get_job(job_id, "fine_tuning.job")))

    def cancel_job(self, job_id, kind="fine_tuning.job"):
        self._read_body(1 << 16, "request body")  # ignored, but read so the connection stays usable
        self.server.store.get_job(job_id, kind)
        self._json(200, self._snapshot(self.server.runner.cancel(job_id)))

    def job_events(self, job_id, kind="fine_tuning.job"):
        self.server.store.get_job(job_id, kind)
        query = self._query()
        try:
            limit = max(1, min(10000, int(query.get("limit", 100))))
        except ValueError:
            raise bad_request("'limit' must be a whole number.", "invalid_value", "limit") \
                from None
        events, more = self.server.store.list_events(job_id, query.get("after"), limit)
        self._json(200, {"object": "list", "data": events, "has_more": more})

    def job_checkpoints(self, job_id):
        store = self.server.store
        store.get_job(job_id, "fine_tuning.job")
        path = os.path.join(store.job_dir(job_id), "checkpoints.json")
        with store.lock:
            data = json.load(open(path, encoding="utf-8")) if os.path.exists(path) else []
        self._json(200, {"object": "list", "data": data, "has_more": False,
                         "first_id": data[0]["id"] if data else None,
                         "last_id": data[-1]["id"] if data else None})

    def create_evaluation(self):
        store = self.server.store
        spec = parse_evaluation_body(self._json_body())
        resolved = self._resolve_model(spec["model"])
        job_id = new_id("evaljob")
        prompts = spec.pop("prompts")
        spec["prompt_count"] = len(prompts)
        job = {
            "object": "iwsi.evaluation",
            "id": job_id,
            "created_at": now(),
            "finished_at": None,
            "model": spec["model"],
            "status": "queued",
            "error": None,
            "metadata": spec["metadata"] or None,
            "iwsi": {"settings": spec,
                     "resolved_model": {k: resolved[k] for k in ("base", "backend", "adapters",
                                                                 "adapter_dirs")},
                     "progress": {"done": 0, "total": len(prompts)}},
        }
        store.create_job(job)
        write_json_atomic(os.path.join(store.job_dir(job_id), "prompts.json"), prompts)
        store.add_event(job_id, f"Evaluation queued: {len(prompts)} prompt(s).")
        self.server.runner.submit(job_id)
        self._json(200, self._snapshot(job))

    def list_evaluations(self):
        self._json(200, self._page(self.server.store.list_jobs("iwsi.evaluation")))

    def get_evaluation(self, job_id):
        self._json(200, self._snapshot(self.server.store.get_job(job_id, "iwsi.evaluation")))

    def evaluation_outputs(self, job_id):
        job = self.server.store.get_job(job_id, "iwsi.evaluation")
        outputs = read_outputs(self.server.store, job_id)
        self._json(200, {"object": "list", "data": outputs, "status": job["status"],
                         "complete": job["status"] == "succeeded"})


ROUTES = [
    ("GET", _id_route("/v1/version"), Handler.version),
    ("GET", _id_route("/v1/models"), Handler.list_models),
    ("POST", _id_route("/v1/files"), Handler.upload_file),
    ("GET", _id_route("/v1/files"), Handler.list_files),
    ("GET", _id_route("/v1/files/{id}"), Handler.get_file),
    ("GET", _id_route("/v1/files/{id}/content"), Handler.file_content),
    ("POST", _id_route("/v1/fine_tuning/jobs"), Handler.create_fine_tuning_job),
    ("GET", _id_route("/v1/fine_tuning/jobs"), Handler.list_fine_tuning_jobs),
    ("GET", _id_route("/v1/fine_tuning/jobs/{id}"), Handler.get_fine_tuning_job),
    ("POST", _id_route("/v1/fine_tuning/jobs/{id}/cancel"), Handler.cancel_job),
    ("GET", _id_route("/v1/fine_tuning/jobs/{id}/events"), Handler.job_events),
    ("GET", _id_route("/v1/fine_tuning/jobs/{id}/checkpoints"), Handler.job_checkpoints),
    ("POST", _id_route("/v1/iwsi/evaluations"), Handler.create_evaluation),
    ("GET", _id_route("/v1/iwsi/evaluations"), Handler.list_evaluations),
    ("GET", _id_route("/v1/iwsi/evaluations/{id}"), Handler.get_evaluation),
    ("POST", _id_route("/v1/iwsi/evaluations/{id}/cancel"),
     lambda h, i: Handler.cancel_job(h, i, "iwsi.evaluation")),
    ("GET", _id_route("/v1/iwsi/evaluations/{id}/events"),
     lambda h, i: Handler.job_events(h, i, "iwsi.evaluation")),
    ("GET", _id_route("/v1/iwsi/evaluations/{id}/outputs"), Handler.evaluation_outputs),
]
