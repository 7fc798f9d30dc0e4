"""Excel workbooks: the kab/kota "Rekap Penilaian Mandiri", the province comparison,
the national table (streamed), and the import of a kab/kota rekap filled offline.

Written with XlsxWriter, every formula with its computed value; read back with openpyxl
(why: `common`).

- `rekap.build_regency_workbook`: one sheet per part in the ministry's 11-column layout,
  a `Ringkasan` sheet whose totals and categories are live formulas, and a very hidden
  `_data` sheet with what the import needs (answer, version, exported points and note);
- `province.build_province_workbook`: the kab/kota of one province side by side;
- `national.write_national_workbook`: a summary per kab/kota (totals and categories) and one
  row per kab/kota x question, written in streaming mode, one assessment at a time;
- `importer.plan_import` / `importer.apply_import`: read a rekap back (`import_file`), say
  exactly what would change (or what is wrong, cell by cell: `import_report`), turning points
  into answers (`scale_points`), and save it through the usual answer service (optimistic
  locking and audit log) once confirmed.
"""

from app.exports.common import XLSX_MEDIA_TYPE, workbook_bytes

__all__ = ["XLSX_MEDIA_TYPE", "workbook_bytes"]
