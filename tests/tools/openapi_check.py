#!/usr/bin/env python3
"""Validate JSON documents against a component schema of schema/openapi.yaml.

    openapi_check.py --doc                  check the OpenAPI document itself
    openapi_check.py COMPONENT FILE...      validate each FILE (JSON) against
                                            #/components/schemas/COMPONENT

The component schemas are JSON Schema 2020-12 (OpenAPI 3.1); external refs to
schema/alert_event.schema.json are resolved from the repository.  Debian has
no openapi-spec-validator, so the document check is structural: version 3.1,
every operation's responses, every $ref resolvable, every component schema a
valid 2020-12 schema.  Exit 0 when all is valid, 1 with the first error.
"""
import json
import os
import sys

import warnings

warnings.simplefilter("ignore", DeprecationWarning)
import jsonschema  # noqa: E402
import yaml  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DOC_URL = "https://floodwatch.invalid/schema/openapi.yaml"


def load():
    with open(os.path.join(ROOT, "schema", "openapi.yaml")) as f:
        doc = yaml.safe_load(f)
    with open(os.path.join(ROOT, "schema", "alert_event.schema.json")) as f:
        event = json.load(f)
    store = {DOC_URL: doc, event["$id"]: event}
    return doc, store


def resolver(store):
    return jsonschema.RefResolver(base_uri=DOC_URL, referrer=store[DOC_URL], store=store)


def refs(node, out):
    if isinstance(node, dict):
        if "$ref" in node and isinstance(node["$ref"], str):
            out.append(node["$ref"])
        for v in node.values():
            refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)


def check_doc(doc, store):
    assert str(doc.get("openapi", "")).startswith("3.1"), "openapi must be 3.1.x"
    for key in ("info", "paths", "components"):
        assert key in doc, "missing " + key
    for path, item in doc["paths"].items():
        assert path.startswith("/"), path
        for method, op in item.items():
            assert method in ("get", "head"), "%s %s: read-only API" % (method, path)
            assert op.get("responses"), "%s %s: no responses" % (method, path)
    res = resolver(store)
    found = []
    refs(doc, found)
    for r in found:
        res.resolve(r)  # raises RefResolutionError when dangling
    for name, schema in doc["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator.check_schema(store[[k for k in store if k != DOC_URL][0]])
    return len(found)


def validate(store, component, instance):
    schema = {"$ref": "#/components/schemas/" + component}
    v = jsonschema.Draft202012Validator(schema, resolver=resolver(store))
    v.validate(instance)


def main(argv):
    doc, store = load()
    if argv[1:] == ["--doc"]:
        n = check_doc(doc, store)
        print("openapi.yaml: valid (%d refs resolved, %d component schemas)" % (n, len(doc["components"]["schemas"])))
        return 0
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] not in doc["components"]["schemas"]:
        print("no component schema " + argv[1], file=sys.stderr)
        return 2
    for path in argv[2:]:
        with open(path) as f:
            inst = json.load(f)
        try:
            validate(store, argv[1], inst)
        except jsonschema.ValidationError as e:
            print("%s: not a valid %s: %s at %s" % (path, argv[1], e.message, list(e.absolute_path)), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
