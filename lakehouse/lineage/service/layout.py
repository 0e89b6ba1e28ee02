"""Place a lineage graph for drawing: layered top to bottom, data flowing down.

A pipeline's graph is long (file -> Bronze -> Silver -> Gold is ~17 layers) and narrow, so
layers are rows: the page grows downwards and a full-page screenshot stays readable.
Layers are longest paths from the sources, with source jobs (DDL) pulled down next to what
they write; a few barycentre sweeps reduce edge crossings. Cycles cannot hang the layering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BOX_H = 46
ROW_GAP = 54
COL_GAP = 26
MARGIN = 24
CHAR_W = 7.2  # ~13 px sans-serif
MIN_W = 120


@dataclass
class Box:
    id: str
    kind: str  # JOB | DATASET
    title: str
    subtitle: str
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = BOX_H
    layer: int = 0
    selected: bool = False
    upstream: bool = False  # on the way from a source to the selected node
    downstream: bool = False  # fed by the selected node


@dataclass
class Wire:
    origin: str
    destination: str
    path: str
    upstream: bool
    downstream: bool = False


@dataclass
class Layout:
    width: float
    height: float
    boxes: list[Box] = field(default_factory=list)
    wires: list[Wire] = field(default_factory=list)


def _labels(node: dict[str, Any], note: str | None) -> tuple[str, str]:
    data = node.get("data") or {}
    ns, name = data.get("namespace", ""), data.get("name", "")
    if node["type"] == "JOB":
        return name, f"job · {ns}" + (f" · {note}" if note else "")
    if ns.startswith("awsathena://"):
        return name.split(".", 1)[-1], ns
    if ns.startswith("s3://"):
        return f"{ns[len('s3://') :]}/{name}", "s3"
    if ns == "file":
        return name.rsplit("/", 1)[-1], f"file · {name}"
    return name, ns


def _layers(ids: list[str], preds: dict[str, list[str]], succs: dict[str, list[str]]) -> dict[str, int]:
    layer: dict[str, int] = {}
    state: dict[str, int] = {}  # 1 visiting, 2 done: a back edge (cycle) is ignored

    def visit(n: str) -> int:
        if state.get(n) == 2:
            return layer[n]
        if state.get(n) == 1:
            return -1
        state[n] = 1
        layer[n] = max((visit(p) + 1 for p in preds[n]), default=0)
        state[n] = 2
        return layer[n]

    for n in ids:
        visit(n)
    for n in ids:  # sources sit right above the first thing they feed
        if not preds[n] and succs[n]:
            layer[n] = max(layer[n], min(layer[s] for s in succs[n]) - 1)
    return layer


def _upstream(selected: str | None, preds: dict[str, list[str]]) -> set[str]:
    seen: set[str] = set()
    todo = [selected] if selected else []
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        todo += preds.get(n, [])
    return seen


def layout(graph: list[dict[str, Any]], selected: str | None = None, notes: dict[str, str] | None = None) -> Layout:
    """Positions of every node of a Marquez lineage graph, and the wires between them.

    ``notes`` adds a word to a job's subtitle (the SQL verb: MERGE, INSERT, ...).
    """
    ids = [n["id"] for n in graph]
    known = set(ids)
    preds: dict[str, list[str]] = {i: [] for i in ids}
    succs: dict[str, list[str]] = {i: [] for i in ids}
    edges = sorted(
        {(e["origin"], e["destination"]) for n in graph for e in n.get("outEdges", []) + n.get("inEdges", [])}
    )
    for a, b in edges:
        if a in known and b in known and a != b:
            preds[b].append(a)
            succs[a].append(b)
    layer = _layers(ids, preds, succs)
    up = _upstream(selected, preds)
    down = _upstream(selected, succs)
    boxes = {}
    for node in graph:
        title, subtitle = _labels(node, (notes or {}).get(node["id"]))
        width = max(MIN_W, CHAR_W * max(len(title) + 2, 0.85 * len(subtitle) + 2))
        boxes[node["id"]] = Box(
            node["id"],
            node["type"],
            title,
            subtitle,
            w=width,
            layer=layer[node["id"]],
            selected=node["id"] == selected,
            upstream=node["id"] in up,
            downstream=node["id"] in down and node["id"] != selected,
        )
    rows: dict[int, list[str]] = {}
    for i in ids:
        rows.setdefault(layer[i], []).append(i)
    order = {i: k for row in rows.values() for k, i in enumerate(sorted(row))}
    for sweep in range(6):  # barycentre ordering, alternating down and up
        downward = sweep % 2 == 0
        for lay in sorted(rows, reverse=not downward):
            neigh = preds if downward else succs

            def centre(n: str, neigh: dict[str, list[str]] = neigh) -> float:
                near = [order[m] for m in neigh[n]]
                return sum(near) / len(near) if near else order[n]

            rows[lay].sort(key=lambda n: (centre(n), n))
            for k, n in enumerate(rows[lay]):
                order[n] = k
    row_w = {lay: sum(boxes[n].w for n in row) + COL_GAP * (len(row) - 1) for lay, row in rows.items()}
    width = max(row_w.values(), default=0) + 2 * MARGIN
    for lay, row in rows.items():
        x = MARGIN + (width - 2 * MARGIN - row_w[lay]) / 2
        for n in row:
            box = boxes[n]
            box.x, box.y = x, MARGIN + lay * (BOX_H + ROW_GAP)
            x += box.w + COL_GAP
    height = MARGIN * 2 + (max(rows, default=0) + 1) * (BOX_H + ROW_GAP) - ROW_GAP
    wires = []
    for a, b in edges:
        if a not in boxes or b not in boxes:
            continue
        s, d = boxes[a], boxes[b]
        x1, y1 = s.x + s.w / 2, s.y + s.h
        x2, y2 = d.x + d.w / 2, d.y
        bend = max(ROW_GAP * 0.6, (y2 - y1) / 2)
        path = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f} {x2:.1f},{y2 - 6:.1f}"
        wires.append(Wire(a, b, path, upstream=a in up and b in up, downstream=a in down and b in down))
    return Layout(width, height, list(boxes.values()), wires)


# -- a field's column flow: datasets left to right, their flowing columns as rows --------------------

HEAD_H = 44  # a dataset box's title and subtitle
FIELD_H = 24
FIELD_PAD = 8
BOX_GAP = 22  # between boxes of one layer (vertically)
LAYER_GAP = 96  # between layers (horizontally): room for the field-to-field edges


@dataclass
class FieldRow:
    id: str  # datasetField:<ns>:<name>:<field>
    name: str
    y: float = 0.0  # centre line
    source: bool = False


@dataclass
class DatasetBox:
    id: str  # dataset:<ns>:<name>
    title: str
    subtitle: str
    fields: list[FieldRow]
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    layer: int = 0
    source: bool = False


@dataclass
class FieldWire:
    origin: str
    destination: str
    path: str
    from_source: bool


@dataclass
class ColumnLayout:
    width: float
    height: float
    boxes: list[DatasetBox] = field(default_factory=list)
    wires: list[FieldWire] = field(default_factory=list)


def dataset_title(namespace: str, name: str) -> str:
    """The label a dataset gets on the pages (``db.table`` for an Athena table): what a reader looks for."""
    return _labels({"type": "DATASET", "data": {"namespace": namespace, "name": name}}, None)[0]


def column_layout(graph: list[dict[str, Any]], source: str) -> ColumnLayout:
    """Positions for the ``DATASET_FIELD`` nodes of a Marquez column-lineage graph, grouped by dataset.

    Datasets are layered left to right by longest path (as Marquez web draws column lineage, edges
    leaving a column row on the right and entering one on the left); ``source`` is the field to mark.
    """
    data = {n["id"]: n.get("data") or {} for n in graph}
    owner = {i: f"dataset:{d.get('namespace', '')}:{d.get('dataset', '')}" for i, d in data.items()}
    boxes: dict[str, DatasetBox] = {}
    for node_id in sorted(data, key=lambda i: (owner[i], str(data[i].get("field")))):
        d, ds = data[node_id], owner[node_id]
        if ds not in boxes:
            ns, name = str(d.get("namespace", "")), str(d.get("dataset", ""))
            title = dataset_title(ns, name)
            boxes[ds] = DatasetBox(ds, title, ns.split("://", 1)[-1], [])  # the page's header names the scheme
        boxes[ds].fields.append(FieldRow(node_id, str(d.get("field", "")), source=node_id == source))
    edges = sorted(
        {(e["origin"], e["destination"]) for n in graph for e in n.get("outEdges", []) if e["destination"] in data}
    )
    ids = list(boxes)
    preds: dict[str, list[str]] = {i: [] for i in ids}
    succs: dict[str, list[str]] = {i: [] for i in ids}
    for a, b in {(owner[a], owner[b]) for a, b in edges if a in owner}:
        if a != b:
            preds[b].append(a)
            succs[a].append(b)
    layer = _layers(ids, preds, succs)
    columns: dict[int, list[str]] = {}
    for i in ids:
        boxes[i].layer = layer[i]
        boxes[i].source = any(f.source for f in boxes[i].fields)
        columns.setdefault(layer[i], []).append(i)
    order: dict[str, float] = {}
    for lay in sorted(columns):  # one barycentre pass: a box sits near what feeds it
        columns[lay].sort(key=lambda n: (sum(order[p] for p in preds[n]) / len(preds[n]) if preds[n] else 0, n))
        order.update({n: k for k, n in enumerate(columns[lay])})
    for box in boxes.values():
        longest = max([1.1 * len(box.title) + 4, 0.85 * len(box.subtitle) + 3, *(len(f.name) + 6 for f in box.fields)])
        box.w = max(MIN_W + 40, CHAR_W * longest)
        box.h = HEAD_H + FIELD_PAD + FIELD_H * len(box.fields)
    col_h = {lay: sum(boxes[n].h for n in col) + BOX_GAP * (len(col) - 1) for lay, col in columns.items()}
    col_w = {lay: max(boxes[n].w for n in col) for lay, col in columns.items()}
    height = max(col_h.values(), default=0) + 2 * MARGIN
    x: float = MARGIN
    for lay in sorted(columns):
        y = MARGIN + (height - 2 * MARGIN - col_h[lay]) / 2
        for n in columns[lay]:
            box = boxes[n]
            box.x, box.y = x + (col_w[lay] - box.w) / 2, y
            for k, row in enumerate(box.fields):
                row.y = y + HEAD_H + FIELD_PAD / 2 + FIELD_H * k + FIELD_H / 2
            y += box.h + BOX_GAP
        x += col_w[lay] + LAYER_GAP
    width = x - LAYER_GAP + MARGIN
    where = {row.id: (box, row) for box in boxes.values() for row in box.fields}
    wires = []
    for a, b in edges:
        (sb, sr), (db, dr) = where[a], where[b]
        x1, x2 = sb.x + sb.w, db.x
        bend = max(LAYER_GAP * 0.45, (x2 - x1) / 2)
        path = f"M{x1:.1f},{sr.y:.1f} C{x1 + bend:.1f},{sr.y:.1f} {x2 - bend:.1f},{dr.y:.1f} {x2 - 6:.1f},{dr.y:.1f}"
        wires.append(FieldWire(a, b, path, from_source=a == source))
    return ColumnLayout(width, height, list(boxes.values()), wires)
