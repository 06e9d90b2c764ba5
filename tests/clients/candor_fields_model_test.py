#!/usr/bin/env python3
"""Every Candor* response member the server emits is modelled for botocore.

botocore drops response members its service model does not define, so a
Candor member that clients/botocore/.../service-2.sdk-extras.json lacks never
reaches boto3 or AWS CLI users. This static test needs no server:

* it collects every quoted "Candor<Name>" in the server's C++ sources and
  fails when one is not a member of some shape in the extras file;
* it checks the extras file against the installed botocore's Rekognition
  model: a shape it extends must exist there (a misspelt name would add an
  unused shape and model nothing), a shape it adds must not (it would replace
  AWS's), and every member must name a shape that exists.

Usage: tests/clients/candor_fields_model_test.py [REPO_ROOT]
"""

import json
import os
import re
import sys

import botocore
import botocore.loaders

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                       else os.path.join(os.path.dirname(__file__), "..", ".."))
EXTRAS = os.path.join(ROOT, "clients", "botocore", "rekognition", "2016-06-27",
                      "service-2.sdk-extras.json")

# A whole JSON member name in quotes. "Candor.GetCollectionPolicy" (an
# operation name) and "X-Candor-Reason" (a header) do not match.
MEMBER = re.compile(r'"(Candor[A-Za-z0-9]+)"')

# Sources under src/ whose Candor names are not Rekognition API responses:
# the `candor` command line's own output, and the records a stream processor
# writes to its output stream (Kinesis's shape, which no SDK parses).
NOT_RESPONSES = ("src/cli/", "src/video/stream_processor_session.")


def emitted_members():
    """{name: [file, ...]} for every Candor member named in the server's sources.

    All of src/ is read (beyond src/protocol/*.cc and src/server/operations.cc,
    where most are), so that a member added in a new file is not missed.
    """
    found = {}
    for folder, _, files in os.walk(os.path.join(ROOT, "src")):
        for name in sorted(files):
            path = os.path.relpath(os.path.join(folder, name), ROOT)
            if not name.endswith(".cc") or path.startswith(NOT_RESPONSES):
                continue
            with open(os.path.join(ROOT, path), encoding="utf-8") as f:
                for member in MEMBER.findall(f.read()):
                    found.setdefault(member, []).append(path)
    return found


def main():
    with open(EXTRAS, encoding="utf-8") as f:
        extras = json.load(f)
    shapes = extras["merge"]["shapes"]
    modelled = {m for shape in shapes.values() for m in shape.get("members", {})}

    problems = []
    emitted = emitted_members()
    if not emitted:
        problems.append(f"no Candor members found under {ROOT}/src: is this the repository root?")
    for member, files in sorted(emitted.items()):
        if member not in modelled:
            problems.append(f"{member} (emitted in {', '.join(sorted(set(files)))}) "
                            "is not a member of any shape in the sdk-extras file")

    # The stock model: botocore's own data only, whatever AWS_DATA_PATH says.
    aws = botocore.loaders.Loader(include_default_search_paths=False,
                                  extra_search_paths=[botocore.loaders.Loader.BUILTIN_DATA_PATH]
                                  ).load_service_model("rekognition", "service-2", "2016-06-27")
    aws_shapes = aws["shapes"]
    for name, shape in sorted(shapes.items()):
        # A shape with a type is new; one without extends AWS's of that name.
        if "type" in shape and name in aws_shapes:
            problems.append(f"{name}: added by the extras but already in botocore's model")
        if "type" not in shape and name not in aws_shapes:
            problems.append(f"{name}: extended by the extras but not in botocore's model")
        refs = [(m, ref["shape"]) for m, ref in shape.get("members", {}).items()]
        if "member" in shape:
            refs.append(("member", shape["member"]["shape"]))
        for member, target in refs:
            if target not in shapes and target not in aws_shapes:
                problems.append(f"{name}.{member}: shape {target} does not exist")

    for p in problems:
        print(f"FAILED: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"candor_fields_model_test: all {len(emitted)} Candor members the server emits are "
          f"modelled ({len(shapes)} shapes of the extras checked against "
          f"botocore {botocore.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
