"""Load `kla_clusters.yaml`, validate it whole, and report every fault with its line."""

from __future__ import annotations

from pathlib import Path as FilePath

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from indicators.catalogue import Catalogue
from indicators.checks import check_catalogue
from indicators.faults import CatalogueError, Fault
from indicators.models import CatalogueData
from indicators.yaml_source import Path, YamlDocument, YamlSyntaxError, parse_yaml

DEFAULT_CATALOGUE = FilePath(__file__).resolve().parent.parent / "data" / "kla_clusters.yaml"

# Pydantic's own wording is English and technical; these read better to an administrator.
_PROBLEMS_ID = {
    "string_type": "harus berupa teks",
    "int_type": "harus berupa bilangan bulat",
    "int_parsing": "harus berupa bilangan bulat",
    "bool_type": "harus 'true' atau 'false'",
    "bool_parsing": "harus 'true' atau 'false'",
    "too_short": "daftar ini tidak boleh kosong",
    "string_too_short": "teks ini tidak boleh kosong",
    "string_too_long": "teks ini terlalu panjang",
    "string_pattern_mismatch": "kode hanya boleh berisi huruf, angka, titik, garis bawah dan tanda hubung",
    "greater_than_equal": "nilainya terlalu kecil",
    "less_than_equal": "nilainya terlalu besar",
    "enum": "pilihan yang sah: kabkota, kecamatan, desa",
    "literal_error": "jenis skala yang sah: options, percent, number",
    "union_tag_invalid": "jenis skala (kind) yang sah: options, percent, number",
    "union_tag_not_found": "setiap skala perlu 'kind': options, percent atau number",
    "model_type": "harus berupa kumpulan isian (nama: nilai)",
    "tuple_type": "harus berupa daftar (baris diawali '- ')",
    "value_error": "harus berupa angka, misalnya 0.5 atau 1/3",
}


def load_catalogue(path: FilePath | str = DEFAULT_CATALOGUE) -> Catalogue:
    """Read and validate a catalogue file; raise `CatalogueError` listing every fault."""
    path = FilePath(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError([Fault("file_unreadable", params={"problem": str(exc)})], str(path)) from None
    return parse_catalogue(text, source=str(path))


def parse_catalogue(text: str, source: str = "<text>") -> Catalogue:
    try:
        document = parse_yaml(text)
    except YamlSyntaxError as exc:
        fault = Fault(
            "yaml_syntax",
            line=exc.line or None,
            params={"problem": exc.problem, "column": exc.column},
        )
        raise CatalogueError([fault], source) from None
    if not isinstance(document.data, dict):
        found = type(document.data).__name__ if document.data is not None else "berkas kosong"
        raise CatalogueError([Fault("not_a_mapping", line=1, params={"found": found})], source)
    try:
        data = CatalogueData.model_validate(document.data)
    except ValidationError as exc:
        faults = [_shape_fault(error, document) for error in exc.errors()]
        raise CatalogueError(faults, source) from None
    faults = [_with_line(fault, document) for fault in check_catalogue(data)]
    if faults:
        raise CatalogueError(faults, source)
    return Catalogue(data)


def _with_line(fault: Fault, document: YamlDocument) -> Fault:
    params = dict(fault.params)
    first_path = params.pop("first_path", None)
    if isinstance(first_path, tuple):  # set by the uniqueness check: where the first of a duplicate is
        params["first_line"] = document.line_of((*first_path, "code")) or "?"
    return Fault(fault.code, fault.path, document.line_of(fault.path), params)


def _shape_fault(error: ErrorDetails, document: YamlDocument) -> Fault:
    path = _data_path(document.data, error["loc"])
    kind = error["type"]
    if kind == "missing":
        return Fault("missing", path, document.line_of(path), {"field": path[-1] if path else "?"})
    if kind == "extra_forbidden":
        return Fault("unexpected", path, document.line_of(path), {"field": path[-1] if path else "?"})
    problem = _PROBLEMS_ID.get(kind, error["msg"])
    value = error.get("input")
    shown = value if isinstance(value, (str, int, float)) else "…"
    return Fault("invalid_value", path, document.line_of(path), {"value": shown, "problem": problem})


def _data_path(data: object, loc: tuple[int | str, ...]) -> Path:
    """Drop the parts of a Pydantic location that are not in the file.

    A discriminated union adds its tag after the list index, e.g.
    ('scales', 3, 'options', 'options', 0): the first 'options' names the
    scale kind, the second is the key in the file.
    """
    path: list[str | int] = []
    node = data
    after_index = False
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node):
            path.append(step)
            node = node[step]
            after_index = True
            continue
        if after_index and isinstance(node, dict) and node.get("kind") == step:
            after_index = False
            continue
        after_index = False
        path.append(step)
        node = node.get(step) if isinstance(node, dict) else None
    return tuple(path)
