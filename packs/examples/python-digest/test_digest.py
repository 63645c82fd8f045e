"""Native unit tests for digest.py: `python3 -m unittest` in this directory.

They need no WebAssembly toolchain; `weir pack test` runs the fixtures
through the built component.
"""

import json
import pathlib
import unittest

import digest
from digest import Config, DigestError, make_digest, parse_config

PUSH = pathlib.Path(__file__).parent.joinpath("../../github/fixtures/push.json").read_text()


def kind_of(call) -> tuple:
    """(kind, message) of the DigestError `call` raises."""
    try:
        call()
    except DigestError as error:
        return error.kind, error.message
    raise AssertionError("no DigestError raised")


class ConfigTests(unittest.TestCase):
    def test_defaults_for_empty_object_or_empty_text(self):
        self.assertEqual(parse_config("{}"), Config(10, ""))
        self.assertEqual(parse_config(""), Config(10, ""))

    def test_values_are_read(self):
        self.assertEqual(
            parse_config('{"max_fields": 0, "title_prefix": "[ci] "}'), Config(0, "[ci] ")
        )

    def test_unknown_key_is_named(self):
        kind, message = kind_of(lambda: parse_config('{"max_feilds": 3}'))
        self.assertEqual(kind, "invalid-config")
        self.assertIn("max_feilds", message)

    def test_bad_values_name_the_field(self):
        for text, field in [
            ('{"max_fields": "ten"}', "max_fields"),
            ('{"max_fields": true}', "max_fields"),
            ('{"max_fields": -1}', "max_fields"),
            ('{"max_fields": 101}', "max_fields"),
            ('{"title_prefix": 7}', "title_prefix"),
            ('{"title_prefix": "' + "x" * 65 + '"}', "title_prefix"),
        ]:
            kind, message = kind_of(lambda: parse_config(text))
            self.assertEqual(kind, "invalid-config", text)
            self.assertIn(field, message, text)

    def test_not_an_object_or_not_json(self):
        self.assertEqual(kind_of(lambda: parse_config("[]"))[0], "invalid-config")
        self.assertEqual(kind_of(lambda: parse_config("{")) [0], "invalid-config")


class DigestTests(unittest.TestCase):
    def test_push(self):
        result = make_digest("github.push", None, "t", PUSH, Config())
        self.assertEqual(result["title"], "github.push refs/heads/main")
        self.assertEqual(
            result["summary"], "octocat pushed 3 commits to refs/heads/main on octo-org/hello-world"
        )
        self.assertEqual(result["fields"]["7638417"], "Fix crash when the config file is empty")
        self.assertEqual(result["fields"]["commits"], 3)
        self.assertTrue(result["link"].startswith("https://github.com/octo-org/hello-world/compare/"))

    def test_deleted_and_forced_pushes(self):
        data = json.loads(PUSH)
        data.update(deleted=True, commits=[])
        result = make_digest("github.push", None, "t", json.dumps(data), Config())
        self.assertEqual(result["summary"], "octocat deleted refs/heads/main on octo-org/hello-world")
        data.update(deleted=False, forced=True)
        result = make_digest("github.push", None, "t", json.dumps(data), Config())
        self.assertIn("force-pushed 0 commits", result["summary"])

    def test_push_without_ref_is_unsupported(self):
        kind, message = kind_of(lambda: make_digest("github.push", None, "t", '{"a": 1}', Config()))
        self.assertEqual(kind, "unsupported-event")
        self.assertIn("ref", message)

    def test_merged_pull_request(self):
        data = {
            "action": "closed",
            "number": 7,
            "pull_request": {"title": "Fix it\n\nbody", "merged": True, "user": {"login": "a"}},
            "repository": {"full_name": "o/r"},
        }
        result = make_digest("github.pull_request", None, "t", json.dumps(data), Config())
        self.assertEqual(result["title"], "github.pull_request o/r#7")
        self.assertEqual(result["summary"], "a merged pull request #7 \u201cFix it\u201d on o/r")
        self.assertIsNone(result["link"])

    def test_max_fields_and_prefix(self):
        result = make_digest("github.push", "x", "t", PUSH, Config(2, "[p] "))
        self.assertEqual(result["title"], "[p] github.push x")
        self.assertEqual(list(result["fields"]), ["repository", "ref"])

    def test_generic_flattens_and_summarises(self):
        data = {"id": "1", "customer": {"email": "a@b", "address": {"city": "X", "geo": {"lat": 1}}},
                "lines": [1, 2], "note": None, "description": "\nPaid\nmore", "url": "https://x"}
        result = make_digest("acme.paid", None, "T", json.dumps(data), Config())
        self.assertEqual(result["summary"], "Paid")
        self.assertEqual(result["link"], "https://x")
        self.assertEqual(
            result["fields"],
            {"id": "1", "customer.email": "a@b", "customer.address.city": "X",
             "lines": "2 items", "description": "\nPaid\nmore", "url": "https://x"},
        )

    def test_flatten_stops_at_the_limit_even_inside_nested_objects(self):
        data = {"a": {"b": 1, "c": 2, "d": 3}, "e": 4}
        self.assertEqual(digest.flatten(data, 2), {"a.b": 1, "a.c": 2})
        self.assertEqual(digest.flatten(data, 0), {})

    def test_push_lists_at_most_the_field_limit_of_commits(self):
        data = json.loads(PUSH)
        data["commits"] = [{"id": f"{i:07x}" + "0" * 33, "message": f"c{i}"} for i in range(500)]
        result = make_digest("github.push", None, "t", json.dumps(data), Config(100, ""))
        self.assertEqual(len(result["fields"]), 100)
        self.assertIn("500 commits", result["summary"])

    def test_generic_without_summary_uses_type_and_time(self):
        result = make_digest("acme.ping", None, "T", "[1, 2]", Config())
        self.assertEqual((result["summary"], result["fields"], result["link"]), ("acme.ping at T", {}, None))

    def test_long_text_is_clipped(self):
        result = make_digest("acme.x", None, "T", json.dumps({"text": "y" * 500}), Config())
        self.assertEqual(len(result["summary"]), digest.MAX_TEXT_CHARS)
        self.assertTrue(result["summary"].endswith("\u2026"))

    def test_internal_events_and_bad_json_are_unsupported(self):
        kind, message = kind_of(lambda: make_digest("internal.tick", None, "t", "{}", Config()))
        self.assertEqual(kind, "unsupported-event")
        self.assertIn("internal.tick", message)
        self.assertEqual(kind_of(lambda: make_digest("a.b", None, "t", "{", Config()))[0], "unsupported-event")

    def test_body_is_compact_utf8(self):
        self.assertEqual(digest.to_json_bytes({"a": "\u201c"}), '{"a":"\u201c"}'.encode())


if __name__ == "__main__":
    unittest.main()
