"""The trainer's command line: which toy models it serves."""

import os
import unittest

from trainer.cli import build_parser, served_toy_models


class ServedToyModelsTest(unittest.TestCase):
    def test_serves_both_embedded_models_by_default(self):
        models = served_toy_models(build_parser().parse_args([]).toy_model)
        self.assertEqual(sorted(models), ["toy-arith", "toy-arith-misconception"])
        for model_id, folder in models.items():
            self.assertEqual(os.path.basename(folder), model_id)
            self.assertTrue(os.path.isfile(os.path.join(folder, "model.safetensors")), folder)

    def test_given_models_replace_the_embedded_ones(self):
        args = build_parser().parse_args(["--toy-model", "mine=public/models/toy-arith"])
        self.assertEqual(list(served_toy_models(args.toy_model)), ["mine"])


if __name__ == "__main__":
    unittest.main()
