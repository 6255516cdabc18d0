"""The HTTP protocol against a real trainer process: auth, CORS, uploads, errors, limits."""

import os
import socket
import tempfile
import unittest

from trainer.tests.fixtures import ORIGIN, TrainerProcess, jsonl, make_tiny_toy_model, multipart, \
    request, training_rows


class ServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        model = make_tiny_toy_model(os.path.join(cls.tmp.name, "model"))
        cls.trainer = TrainerProcess(os.path.join(cls.tmp.name, "data"), model,
                                     ["--max-upload-mb", "0.01"]).start()
        cls.url = cls.trainer.url

    @classmethod
    def tearDownClass(cls):
        cls.trainer.stop()
        cls.tmp.cleanup()

    def assert_error(self, reply, status: int, code: str):
        got_status, headers, body = reply
        self.assertEqual(got_status, status, body)
        self.assertTrue(headers["Content-Type"].startswith("application/json"))
        self.assertEqual(set(body["error"]), {"message", "type", "code", "param"})
        self.assertEqual(body["error"]["code"], code)
        self.assertTrue(body["error"]["message"])
        return body["error"]

    def upload(self, rows, **kwargs):
        body, content_type = multipart({"purpose": "fine-tune"}, "train.jsonl", jsonl(rows))
        return request(self.url + "/v1/files", "POST", raw=body, content_type=content_type,
                       **kwargs)

    # -- version and auth -----------------------------------------------------------------------

    def test_version_reports_protocol_and_capabilities(self):
        status, _, body = request(self.url + "/v1/version")
        self.assertEqual(status, 200)
        self.assertEqual(body["protocol"], "iwsi-trainer")
        self.assertEqual(body["protocol_version"].split(".")[0], "1")
        caps = body["capabilities"]
        self.assertEqual(caps["models"], [{"id": "toy-tiny", "backend": "toy"}])
        self.assertEqual(caps["methods"], ["supervised", "dpo"])
        self.assertIn("cpu", caps["devices"])
        self.assertEqual(caps["defaults"]["supervised"]["learning_rate"], 3e-4)

    def test_requests_without_or_with_a_wrong_token_are_refused(self):
        error = self.assert_error(request(self.url + "/v1/version", token=None), 401,
                                  "missing_api_key")
        self.assertEqual(error["type"], "authentication_error")
        self.assert_error(request(self.url + "/v1/fine_tuning/jobs", token="nope"), 401,
                          "invalid_api_key")
        _, headers, _ = request(self.url + "/v1/version", token="nope")
        self.assertEqual(headers.get("WWW-Authenticate"), "Bearer")

    # -- CORS -----------------------------------------------------------------------------------

    def preflight(self, origin, method="POST", headers="authorization, content-type"):
        return request(self.url + "/v1/files", "OPTIONS", token=None, headers={
            "Origin": origin, "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers})

    def test_preflight_from_an_allowed_origin_is_answered(self):
        status, headers, _ = self.preflight(ORIGIN)
        self.assertEqual(status, 204)
        self.assertEqual(headers["Access-Control-Allow-Origin"], ORIGIN)
        self.assertIn("POST", headers["Access-Control-Allow-Methods"])
        self.assertIn("Authorization", headers["Access-Control-Allow-Headers"])

    def test_preflight_from_another_origin_or_for_other_headers_is_refused(self):
        status, headers, body = self.preflight("http://evil.example")
        self.assertEqual(status, 403)
        self.assertNotIn("Access-Control-Allow-Origin", headers)
        self.assertEqual(body["error"]["code"], "origin_not_allowed")
        status, headers, _ = self.preflight(ORIGIN, headers="authorization, x-secret")
        self.assertEqual(status, 403)
        status, _, _ = self.preflight(ORIGIN, method="PUT")
        self.assertEqual(status, 403)

    def test_allowed_origins_get_cors_headers_and_others_are_refused(self):
        status, headers, _ = request(self.url + "/v1/version", headers={"Origin": ORIGIN})
        self.assertEqual(status, 200)
        self.assertEqual(headers["Access-Control-Allow-Origin"], ORIGIN)
        # Even a wrong-token reply carries CORS headers, so a page can tell it from a CORS error.
        _, headers, _ = request(self.url + "/v1/version", headers={"Origin": ORIGIN},
                                token="nope")
        self.assertEqual(headers["Access-Control-Allow-Origin"], ORIGIN)
        reply = request(self.url + "/v1/version", headers={"Origin": "http://evil.example"})
        self.assert_error(reply, 403, "origin_not_allowed")
        self.assertNotIn("Access-Control-Allow-Origin", reply[1])
        # The refusal still passes a cross-origin-isolated page's no-cors probe (see
        # _cors_headers), which is how the page tells "refused" from "not running".
        self.assertEqual(reply[1]["Cross-Origin-Resource-Policy"], "cross-origin")

    # -- files ----------------------------------------------------------------------------------

    def test_multipart_and_raw_uploads_round_trip(self):
        status, _, meta = self.upload(training_rows(3))
        self.assertEqual(status, 200, meta)
        self.assertEqual((meta["object"], meta["purpose"], meta["status"]),
                         ("file", "fine-tune", "processed"))
        self.assertEqual(meta["iwsi"]["rows"], 3)
        self.assertEqual(meta["bytes"], len(jsonl(training_rows(3))))
        status, _, got = request(f"{self.url}/v1/files/{meta['id']}")
        self.assertEqual(got["id"], meta["id"])
        status, _, content = request(f"{self.url}/v1/files/{meta['id']}/content")
        self.assertEqual(content, jsonl(training_rows(3)))

        status, _, raw = request(self.url + "/v1/files?purpose=fine-tune&filename=r.jsonl",
                                 "POST", raw=jsonl(training_rows(2)),
                                 content_type="application/jsonl")
        self.assertEqual((status, raw["filename"], raw["iwsi"]["rows"]), (200, "r.jsonl", 2))
        _, _, listing = request(self.url + "/v1/files")
        ids = [f["id"] for f in listing["data"]]
        self.assertIn(meta["id"], ids)
        self.assertIn(raw["id"], ids)

    def test_a_malformed_upload_names_the_line(self):
        body = jsonl(training_rows(2)) + b'{"prompt": "x", "completion": 3}\n'
        reply = request(self.url + "/v1/files?purpose=fine-tune", "POST", raw=body,
                        content_type="application/jsonl")
        error = self.assert_error(reply, 400, "invalid_file")
        self.assertIn("line 3", error["message"])
        self.assertIn('"completion"', error["message"])

    def test_a_wrong_purpose_is_refused(self):
        body, content_type = multipart({"purpose": "batch"}, "a.jsonl", jsonl(training_rows(1)))
        reply = request(self.url + "/v1/files", "POST", raw=body, content_type=content_type)
        self.assert_error(reply, 400, "invalid_purpose")

    def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(self):
        rows = training_rows(1) * 200  # about 25 kB, over the 10 kB limit of this server
        error = self.assert_error(self.upload(rows), 413, "payload_too_large")
        self.assertIn("at most", error["message"])
        self.assertEqual(request(self.url + "/v1/version")[0], 200)  # the server is fine

    def test_a_request_without_a_content_length_is_refused(self):
        host, port = self.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(b"POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                         b"test-token\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            reply = conn.recv(65536).decode()
        self.assertTrue(reply.startswith("HTTP/1.1 411"), reply[:40])

    # -- jobs: validation -----------------------------------------------------------------------

    def test_job_bodies_are_validated(self):
        _, _, meta = self.upload(training_rows(2))
        jobs = self.url + "/v1/fine_tuning/jobs"
        error = self.assert_error(request(jobs, "POST", body={"model": "gpt-9",
                                                              "training_file": meta["id"]}),
                                  404, "model_not_found")
        self.assertIn("toy-tiny", error["message"])
        self.assert_error(request(jobs, "POST", body={"model": "toy-tiny",
                                                      "training_file": "file-missing"}),
                          400, "invalid_file")
        self.assert_error(request(jobs, "POST", body={"model": "toy-tiny",
                                                      "training_file": meta["id"],
                                                      "method": {"type": "dpo"}}),
                          400, "invalid_file")
        error = self.assert_error(request(jobs, "POST", body={
            "model": "toy-tiny", "training_file": meta["id"], "iwsi": {"lora": {"r": 0}}}),
            400, "invalid_value")
        self.assertEqual(error["param"], "iwsi.lora.r")
        error = self.assert_error(request(jobs, "POST", body={
            "model": "toy-tiny", "training_file": meta["id"], "iwsi": {"apiKey": "x"}}),
            400, "unknown_field")
        self.assertEqual(error["param"], "iwsi.apiKey")
        self.assert_error(request(jobs, "POST", raw=b"{not json",
                                  content_type="application/json"), 400, "invalid_json")

    def test_chat_rows_are_refused_for_a_model_without_a_chat_template(self):
        rows = [{"messages": [{"role": "user", "content": "q"},
                              {"role": "assistant", "content": "a"}]}]
        _, _, meta = self.upload(rows)
        error = self.assert_error(request(self.url + "/v1/fine_tuning/jobs", "POST", body={
            "model": "toy-tiny", "training_file": meta["id"]}), 400, "no_chat_template")
        self.assertIn("prompt/completion", error["message"])

    def test_unknown_ids_and_endpoints_are_json_404s(self):
        self.assert_error(request(self.url + "/v1/fine_tuning/jobs/ftjob-none"), 404,
                          "job_not_found")
        self.assert_error(request(self.url + "/v1/files/file-none"), 404, "file_not_found")
        self.assert_error(request(self.url + "/v1/nothing"), 404, "unknown_endpoint")
        self.assert_error(request(self.url + "/v1/version", "POST", body={}), 405,
                          "method_not_allowed")

    def test_models_lists_the_base_models(self):
        _, _, body = request(self.url + "/v1/models")
        self.assertIn("toy-tiny", [m["id"] for m in body["data"]])


if __name__ == "__main__":
    unittest.main()
