"""Faults found in a catalogue file, worded for the DP3A administrator who edits it.

Each fault carries a code, its place in the file and the values it speaks of;
the sentence is chosen at display time, Indonesian first, English on request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from indicators.yaml_source import Path, format_path

MESSAGES: dict[str, dict[str, str]] = {
    "file_unreadable": {
        "id": "Berkas tidak dapat dibuka: {problem}",
        "en": "The file cannot be opened: {problem}",
    },
    "yaml_syntax": {
        "id": "Penulisan YAML salah (kolom {column}): {problem}. Periksa indentasi, titik dua dan tanda kutip.",
        "en": "The YAML is malformed (column {column}): {problem}. Check indentation, colons and quotes.",
    },
    "not_a_mapping": {
        "id": "Isi berkas harus berupa daftar bagian (instrument, categories, parts, ...), bukan {found}.",
        "en": "The file must hold sections (instrument, categories, parts, ...), not {found}.",
    },
    "missing": {
        "id": "Isian '{field}' wajib ada tetapi tidak ditemukan.",
        "en": "The entry '{field}' is required but missing.",
    },
    "unexpected": {
        "id": "Isian '{field}' tidak dikenal. Periksa ejaannya.",
        "en": "The entry '{field}' is not recognised. Check its spelling.",
    },
    "invalid_value": {
        "id": "Nilai '{value}' tidak sah: {problem}.",
        "en": "The value '{value}' is not valid: {problem}.",
    },
    "duplicate_code": {
        "id": "Kode {kind} '{code}' dipakai lebih dari sekali (pertama kali di baris {first_line}). Setiap kode harus unik.",
        "en": "The {kind} code '{code}' is used more than once (first at line {first_line}). Every code must be unique.",
    },
    "too_precise": {
        "id": "Nilai {value} memiliki lebih dari dua angka desimal; tulis paling banyak dua (mis. 1.25).",
        "en": "The value {value} has more than two decimals; write at most two (e.g. 1.25).",
    },
    "negative_points": {
        "id": "Nilai maksimum {value} tidak sah: harus lebih dari 0 (hanya pertanyaan yang tidak dinilai boleh 0).",
        "en": "The maximum {value} is not valid: it must be above 0 (only an unscored question may be 0).",
    },
    "question_sum": {
        "id": "Indikator {indicator}: jumlah nilai maksimum pertanyaannya {total} tidak sama dengan nilai maksimum indikator {max}.",
        "en": "Indicator {indicator}: its questions' maxima add up to {total}, not to the indicator maximum {max}.",
    },
    "capped_below": {
        "id": "Indikator {indicator} ditandai 'capped', tetapi jumlah pertanyaannya {total} kurang dari nilai maksimum {max}; nilai penuh tidak akan tercapai.",
        "en": "Indicator {indicator} is marked 'capped' but its questions add up to {total}, less than its maximum {max}; full marks could never be reached.",
    },
    "indicator_sum": {
        "id": "Bagian {part}: jumlah nilai maksimum indikatornya {total} tidak sama dengan nilai maksimum bagian {max}.",
        "en": "Part {part}: its indicators' maxima add up to {total}, not to the part maximum {max}.",
    },
    "part_sum": {
        "id": "Jumlah nilai maksimum semua bagian {total} tidak sama dengan nilai total instrumen {max}.",
        "en": "The parts' maxima add up to {total}, not to the instrument total {max}.",
    },
    "unknown_agency": {
        "id": "Pertanyaan {question}: OPD '{code}' tidak ada dalam daftar 'agencies'.",
        "en": "Question {question}: agency '{code}' is not in the 'agencies' list.",
    },
    "unknown_scale": {
        "id": "Pertanyaan {question}: skala jawaban '{code}' tidak ada dalam daftar 'scales'.",
        "en": "Question {question}: answer scale '{code}' is not in the 'scales' list.",
    },
    "unknown_evidence_type": {
        "id": "Pertanyaan {question}: jenis bukti dukung '{code}' tidak ada dalam daftar 'evidence_types'.",
        "en": "Question {question}: evidence type '{code}' is not in the 'evidence_types' list.",
    },
    "fraction_range": {
        "id": "Skala '{scale}': bobot {fraction} harus antara 0 dan 1.",
        "en": "Scale '{scale}': the weight {fraction} must be between 0 and 1.",
    },
    "scale_without_full": {
        "id": "Skala '{scale}' tidak punya pilihan bernilai penuh (1); nilai maksimum tidak akan tercapai.",
        "en": "Scale '{scale}' has no option worth the full mark (1); the maximum could never be reached.",
    },
    "scale_without_zero": {
        "id": "Skala '{scale}' tidak punya pilihan bernilai 0 untuk jawaban 'tidak ada'.",
        "en": "Scale '{scale}' has no option worth 0 for a 'none' answer.",
    },
    "thresholds_order": {
        "id": "Skala '{scale}': ambang harus dimulai dari 0, naik berurutan, dan bobotnya tidak boleh turun.",
        "en": "Scale '{scale}': thresholds must start at 0, rise in order, and their weights must not fall.",
    },
    "band_start": {
        "id": "Kategori pertama harus dimulai dari 0 (termasuk 0), bukan dari {min}.",
        "en": "The first category must start at 0 (inclusive), not at {min}.",
    },
    "band_end": {
        "id": "Kategori terakhir harus berakhir di {max_total} (termasuk), bukan di {max}.",
        "en": "The last category must end at {max_total} (inclusive), not at {max}.",
    },
    "band_empty": {
        "id": "Kategori '{band}': batas bawah {min} lebih besar dari batas atas {max}.",
        "en": "Category '{band}': its lower bound {min} is above its upper bound {max}.",
    },
    "band_gap": {
        "id": "Ada celah antara kategori '{lower}' (sampai {upper_max}) dan '{upper}' (mulai {lower_min}): nilai di antaranya tidak punya kategori.",
        "en": "There is a gap between category '{lower}' (up to {upper_max}) and '{upper}' (from {lower_min}): scores in between have no category.",
    },
    "band_overlap": {
        "id": "Kategori '{lower}' dan '{upper}' tumpang tindih di {value}: satu nilai hanya boleh masuk satu kategori.",
        "en": "Categories '{lower}' and '{upper}' overlap at {value}: a score may fall in one category only.",
    },
    "gate_unknown": {
        "id": "Aturan gerbang: {kind} '{code}' tidak dikenal.",
        "en": "Gating rule: unknown {kind} '{code}'.",
    },
    "area_question_without_criterion": {
        "id": "Pertanyaan {question} dijawab per {level}: isi 'criterion' dan 'criterion_en' (nama singkat kriteria "
              "yang dicentang per {level}).",
        "en": "Question {question} is answered per {level}: give it a 'criterion' and 'criterion_en' (the short name "
              "of what is ticked per {level}).",
    },
    "area_question_not_percent": {
        "id": "Pertanyaan {question} dijawab per {level}: skalanya '{scale}' harus skala persentase (kind: percent).",
        "en": "Question {question} is answered per {level}: its scale '{scale}' must be a percentage scale "
              "(kind: percent).",
    },
    "figures_share_without_denominator": {
        "id": "Pertanyaan {question}: data berupa persentase (share) harus punya penyebut (denominator dan denominator_en).",
        "en": "Question {question}: a share needs its denominator labels (denominator and denominator_en).",
    },
    "figures_count_with_denominator": {
        "id": "Pertanyaan {question}: data berupa jumlah (count) tidak punya penyebut; hapus denominator.",
        "en": "Question {question}: a count has no denominator; remove the denominator labels.",
    },
    "figures_not_kabkota": {
        "id": "Pertanyaan {question}: data per tahun (figures) hanya untuk pertanyaan tingkat kabupaten/kota, bukan {level}.",
        "en": "Question {question}: yearly figures are for questions of the kab/kota itself only, not {level}.",
    },
}

KIND_WORDS = {
    "id": {
        "part": "bagian",
        "indicator": "indikator",
        "question": "pertanyaan",
        "agency": "OPD",
        "scale": "skala",
        "option": "pilihan",
        "category": "kategori",
        "reason": "alasan",
        "evidence type": "jenis bukti",
    },
    "en": {},
}


@dataclass(frozen=True)
class Fault:
    code: str
    path: Path = ()
    line: int | None = None
    params: dict[str, object] = field(default_factory=dict)

    def message(self, lang: str = "id") -> str:
        lang = lang if lang in ("id", "en") else "id"
        params = dict(self.params)
        if "kind" in params:
            kind = str(params["kind"])
            params["kind"] = KIND_WORDS[lang].get(kind, kind)
        return MESSAGES[self.code][lang].format(**params)

    def location(self, lang: str = "id") -> str:
        where = format_path(self.path)
        if self.line is None:
            return where
        line_word = "baris" if lang != "en" else "line"
        return f"{line_word} {self.line}" + (f" ({where})" if where else "")

    def render(self, lang: str = "id") -> str:
        location = self.location(lang)
        return f"{location}: {self.message(lang)}" if location else self.message(lang)


class CatalogueError(Exception):
    """The catalogue cannot be used; `faults` says every reason found."""

    def __init__(self, faults: list[Fault], source: str = "") -> None:
        self.faults = faults
        self.source = source
        super().__init__(self.render("en"))

    def render(self, lang: str = "id") -> str:
        return "\n".join(fault.render(lang) for fault in self.faults)
