#!/usr/bin/env python3
"""Validates raw Rekognition JSON answers against botocore's own model.

Used by conformance_scenario.py. The model is botocore's
`data/rekognition/2016-06-27/service-2.json.gz`, read directly (gzip + json)
so that nothing merged through AWS_DATA_PATH (Candor's sdk-extras) is in it:
this is what Amazon publishes, nothing else.

RekognitionModel.validate(operation, http_status, body) returns a list of
violations ("path: why"), empty when the answer conforms:

* 200: the body is the operation's output shape, recursively. Structures:
  required members present (a JSON null counts as absent), unmodelled
  members allowed only when named Candor* (Candor's documented extensions;
  their contents are not checked). Types as the JSON protocol carries them:
  string; integer/long an int (not a bool); float/double a number; boolean;
  list; map; timestamp epoch seconds (a number); blob a base64 string. Enum
  values; min/max (string length, list/map size, number value); patterns
  (see below).
* 4xx/5xx: the body has `__type` (the name after any `namespace#`) and
  `message` or `Message`; the name is one of the operation's modelled
  errors or one of PROTOCOL_ERRORS; a modelled (non-fault) error comes with
  a 4xx status; the error shape's members are validated as above.

Patterns are Java regular expressions. They are compiled for Python's `re`
with re.ASCII (Java's \\d, \\w and \\s are ASCII) and matched whole (as
Java's String.matches). \\p{X} (a Unicode general category) has no `re`
equivalent: it is replaced by the explicit code-point ranges of that
category from Python's unicodedata, which is exact up to the difference
between Python's and Java's Unicode versions. A pattern that still does not
compile is skipped and reported by `patterns_skipped`.
"""

import base64
import binascii
import functools
import gzip
import json
import os
import re
import sys
import unicodedata

# Errors that Rekognition does not model per operation because the JSON
# protocol layer (authentication, routing, parsing) answers them before any
# operation runs. Each is what AWS's JSON services send on the wire:
PROTOCOL_ERRORS = {
    # The access key id is not known (AWS: "The security token included in
    # the request is invalid").
    "UnrecognizedClientException",
    # The signature does not match.
    "InvalidSignatureException",
    # The Authorization header is malformed (AWS spells it both ways).
    "IncompleteSignatureException",
    "IncompleteSignature",
    # No Authorization header at all.
    "MissingAuthenticationTokenException",
    "MissingAuthenticationToken",
    # The principal may not call this operation; modelled for most
    # Rekognition operations, listed for those where it is not.
    "AccessDeniedException",
    # The body is not JSON, or a member has the wrong JSON type.
    "SerializationException",
    # X-Amz-Target names no operation of the service.
    "UnknownOperationException",
}
# A request body over the transport's limit is refused before the operation
# is known; AWS answers HTTP 413. Accepted for any operation with status 413.
TOO_LARGE_ERRORS = {"RequestEntityTooLarge", "RequestEntityTooLargeException",
                    "ImageTooLargeException"}


def botocore_model_path():
    import botocore  # noqa: PLC0415  (the installed botocore's data, not a copy)
    return os.path.join(os.path.dirname(botocore.__file__), "data", "rekognition",
                        "2016-06-27", "service-2.json.gz")


@functools.lru_cache(maxsize=None)
def _category_ranges(category):
    """Code-point ranges of a Unicode general category (L, N, Z, Lu, ...) as
    the inside of a character class."""
    out, start, prev = [], None, None
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp)).startswith(category):
            if start is None:
                start = cp
            prev = cp
        elif start is not None:
            out.append((start, prev))
            start = None
    if start is not None:
        out.append((start, prev))

    def esc(cp):
        return f"\\U{cp:08x}"
    return "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in out)


def translate_java_pattern(pattern):
    """A Java regex as a Python one: \\p{X} replaced by explicit ranges."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            m = re.match(r"\\p\{(\w+)\}", pattern[i:])
            if m:
                ranges = _category_ranges(m.group(1))
                out.append(ranges if in_class else f"[{ranges}]")
                i += len(m.group(0))
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class:
            in_class = False
        out.append(c)
        i += 1
    return "".join(out)


# Candor's documented differences from the model (README, "Where Candor
# differs from Rekognition"), waived here and nowhere else:
# - a stream processor's Input.KinesisVideoStream.Arn and
#   Output.KinesisDataStream.Arn are the URLs of a camera and of a sink, which
#   Candor reads and writes instead of Kinesis streams; DescribeStreamProcessor
#   echoes them, so they cannot match the Kinesis ARN patterns.
WAIVED_PATTERNS = {
    "KinesisVideoArn": "Candor reads a camera URL (rtsp://, http://...) instead of Kinesis",
    "KinesisDataArn": "Candor writes to a URL (file://, http://) instead of Kinesis",
}
# The model's minimum sizes of lists describe requests: a shape such as
# FaceIdList (min 1) is also the type of DeleteFaces' DeletedFaces, which
# is empty when no face was deleted. An empty list in an answer is not
# held to it; a non-empty one is.


class RekognitionModel:
    def __init__(self, path=None):
        self.path = path or botocore_model_path()
        with gzip.open(self.path, "rt", encoding="utf-8") as f:
            self.model = json.load(f)
        self.shapes = self.model["shapes"]
        self.operations = self.model["operations"]
        self._patterns = {}
        self.patterns_checked = {}  # pattern -> number of values matched against it
        self.patterns_skipped = {}  # pattern -> why

    # --- patterns ---

    def _compiled(self, pattern):
        if pattern not in self._patterns:
            try:
                self._patterns[pattern] = re.compile(translate_java_pattern(pattern), re.ASCII)
            except re.error as e:
                self._patterns[pattern] = None
                self.patterns_skipped[pattern] = f"does not compile for Python re: {e}"
        return self._patterns[pattern]

    def _pattern_problem(self, value, pattern, path):
        compiled = self._compiled(pattern)
        if compiled is None:
            return []
        self.patterns_checked[pattern] = self.patterns_checked.get(pattern, 0) + 1
        if compiled.fullmatch(value):
            return []
        return [f"{path}: {value!r:.120} does not match the pattern {pattern!r}"]

    # --- values ---

    def check_value(self, value, shape_name, path):
        """Violations of `value` (decoded JSON) against shape `shape_name`."""
        shape = self.shapes[shape_name]
        kind = shape["type"]
        if kind == "structure":
            return self._check_structure(value, shape, path)
        if kind == "list":
            if not isinstance(value, list):
                return [f"{path}: {type(value).__name__}, expected a list"]
            problems = self._size_problems(len(value), shape, path, "items") if value else []
            for i, item in enumerate(value):
                problems += self.check_value(item, shape["member"]["shape"], f"{path}[{i}]")
            return problems
        if kind == "map":
            if not isinstance(value, dict):
                return [f"{path}: {type(value).__name__}, expected a map (JSON object)"]
            problems = self._size_problems(len(value), shape, path, "entries")
            for k, item in value.items():
                problems += self.check_value(k, shape["key"]["shape"], f"{path} key {k!r}")
                problems += self.check_value(item, shape["value"]["shape"], f"{path}[{k!r}]")
            return problems
        if kind == "string":
            if not isinstance(value, str):
                return [f"{path}: {value!r:.80} is not a string"]
            if "enum" in shape and value not in shape["enum"]:
                return [f"{path}: {value!r} is not one of {shape['enum']}"]
            problems = self._size_problems(len(value), shape, path, "characters")
            if "pattern" in shape and shape_name not in WAIVED_PATTERNS:
                problems += self._pattern_problem(value, shape["pattern"], path)
            return problems
        if kind in ("integer", "long"):
            if not isinstance(value, int) or isinstance(value, bool):
                return [f"{path}: {value!r:.80} is not an integer ({kind})"]
            return self._range_problems(value, shape, path)
        if kind in ("float", "double"):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return [f"{path}: {value!r:.80} is not a number ({kind})"]
            return self._range_problems(value, shape, path)
        if kind == "boolean":
            return [] if isinstance(value, bool) else [f"{path}: {value!r:.80} is not a boolean"]
        if kind == "timestamp":
            # JSON protocol: epoch seconds, a number (no timestampFormat here).
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                return [f"{path}: {value!r:.80} is not a timestamp (epoch seconds)"]
            return []
        if kind == "blob":
            if not isinstance(value, str):
                return [f"{path}: {value!r:.80} is not a base64 string (blob)"]
            try:
                base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                return [f"{path}: not valid base64 (blob)"]
            return []
        return [f"{path}: the model's type {kind!r} is not known to this validator"]

    def _check_structure(self, value, shape, path):
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, expected an object"]
        if shape.get("document"):
            return []
        members = shape.get("members", {})
        problems = []
        for name in shape.get("required", []):
            if value.get(name) is None:
                problems.append(f"{path}.{name}: required by the model, missing")
        for key, item in value.items():
            if key in members:
                if item is not None:  # JSON null: the member is absent
                    problems += self.check_value(item, members[key]["shape"], f"{path}.{key}")
            elif not key.startswith("Candor"):
                problems.append(f"{path}.{key}: not in the model")
        return problems

    @staticmethod
    def _size_problems(size, shape, path, unit):
        problems = []
        if "min" in shape and size < shape["min"]:
            problems.append(f"{path}: {size} {unit}, the model's min is {shape['min']}")
        if "max" in shape and size > shape["max"]:
            problems.append(f"{path}: {size} {unit}, the model's max is {shape['max']}")
        return problems

    @staticmethod
    def _range_problems(value, shape, path):
        problems = []
        if "min" in shape and value < shape["min"]:
            problems.append(f"{path}: {value} is below the model's min {shape['min']}")
        if "max" in shape and value > shape["max"]:
            problems.append(f"{path}: {value} is above the model's max {shape['max']}")
        return problems

    # --- answers ---

    def error_names(self, operation):
        return [e["shape"] for e in self.operations[operation].get("errors", [])]

    def validate(self, operation, http_status, body, headers=None):
        """Violations of one answer. `body` is the raw bytes (or str) of the
        HTTP body; `headers`, when given, a {lower-case name: value} dict."""
        problems = []
        if operation not in self.operations:
            # Not an operation of Rekognition: only an error can conform.
            if http_status == 200:
                return [f"{operation}: not an operation of the model, yet answered 200"]
        try:
            text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body
            data = json.loads(text) if text.strip() else {}
        except (UnicodeDecodeError, ValueError) as e:
            return [f"body: not JSON ({e}): {body[:80]!r}"]
        if headers is not None:
            ctype = headers.get("content-type", "")
            if not ctype.startswith("application/x-amz-json-1.1"):
                problems.append(f"Content-Type {ctype!r}, expected application/x-amz-json-1.1")
            if not headers.get("x-amzn-requestid"):
                problems.append("no x-amzn-RequestId header")
        if http_status == 200:
            output = self.operations[operation].get("output")
            if output is None:
                return problems + ([] if data == {} else ["body: the operation has no output"])
            return problems + self.check_value(data, output["shape"], output["shape"])
        if not 400 <= http_status <= 599:
            return problems + [f"HTTP status {http_status}: neither 200 nor an error"]
        return problems + self._error_problems(operation, http_status, data)

    def _error_problems(self, operation, http_status, data):
        if not isinstance(data, dict):
            return [f"error body: {type(data).__name__}, expected an object"]
        problems = []
        raw_type = data.get("__type")
        if not isinstance(raw_type, str) or not raw_type:
            return [f"error body: no __type string ({data!r:.120})"]
        name = raw_type.rsplit("#", 1)[-1].split(":", 1)[0]
        message = data.get("message", data.get("Message"))
        if not isinstance(message, str):
            problems.append(f"{name}: no message/Message string")
        modelled = self.error_names(operation) if operation in self.operations else []
        if http_status == 413 and name in TOO_LARGE_ERRORS:
            return problems
        if name not in modelled and name not in PROTOCOL_ERRORS:
            problems.append(f"{name}: not an error of {operation} in the model "
                            f"({', '.join(modelled) or 'none'}) nor a protocol-level error")
            return problems
        shape = self.shapes.get(name)
        if shape is not None and shape.get("exception"):
            if not shape.get("fault") and not 400 <= http_status <= 499:
                problems.append(f"{name}: a client error of the model, answered HTTP {http_status}")
            members = {k: v for k, v in data.items() if k not in ("__type", "message", "Message")}
            problems += self._check_structure(members, shape, name)
        return problems
