"""Build data/kla_clusters.yaml from the transcribed KLA 2024 instrument.

This is a ONE-OFF IMPORTER, kept in the repository for provenance: it shows
how every entry of the catalogue was derived from the third-party copy of the
"Rekap Penilaian Mandiri KLA 2024" (shared/reference/kla-2024-instrument.yaml).
Once the YAML has been edited by hand, the YAML is the source of truth, not
this script; re-running it would overwrite those edits.

What it does, in order:
  1. reads the copy (7 parts, 31 scored indicators, 274 questions);
  2. cleans obvious transcription junk from the question texts (TEXT_FIXES);
  3. maps each "Sumber Data" spelling onto a generic agency role (AGENCIES);
  4. picks a provisional answer scale per question with keyword rules
     (SCALE_RULES), and the evidence asked for from the "(lampirkan ...)" hints;
  5. writes the catalogue as hand-formatted YAML with explanatory comments,
     checks the sums and references, reads the text back to make sure every
     string survives the round trip, and prints a summary.

Usage (from the repository root):
    .venv/bin/python scripts/build_catalogue.py [--source PATH] [--out PATH]

Standard library and PyYAML only. The output is deterministic: two runs on the
same source produce byte-identical files.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "reference" / "kla-2024-instrument.yaml"
DEFAULT_OUT = REPO / "data" / "kla_clusters.yaml"

WIDTH = 100  # wrap long texts at this column

# ---------------------------------------------------------------------------
# Fixed content: instrument, categories, review reasons
# ---------------------------------------------------------------------------

HEADER = """\
KLA 2024 instrument catalogue (Kabupaten/Kota Layak Anak), read by indicators/loader.py.

WHAT THIS FILE IS
  The whole 2024 KLA self-assessment instrument as data: categories on the total
  score, review reasons, agency roles, evidence types, answer scales, and the
  7 parts / 31 scored indicators / 274 questions with their maximum points.

PROVENANCE
  Transcribed from the "Rekap Penilaian Mandiri KLA 2024" as one regency
  (Ogan Ilir) imported it into its own system: a third-party copy, not an
  official ministry publication. Treat it as the best available copy. It was
  converted once by scripts/build_catalogue.py (kept for provenance); from now
  on THIS FILE is the source of truth: edit it by hand, not the script.
  Question texts are the copy's, cleaned only of transcription junk (each fix is
  noted in a comment above the question); `source_code` keeps the copy's code.

ANSWER SCALES ARE PROVISIONAL
  The official per-question rubric is not public. Every scale below is a
  reasoned guess (marked `provisional: true`) based on the one real scored copy,
  whose fractions cluster at 0, 1/4, 1/3, 1/2, 2/3, 3/4 and 1.

HOW TO CHANGE A SCALE
  - to change how every question using a scale is scored: edit its entry under
    `scales:` (option labels, fractions, thresholds); write fractions as strings
    such as "1/3" so they stay exact; keep an option worth 0 and one worth 1;
  - to change one question: set its `scale:` to the code of another scale
    (or add a new scale under `scales:` and point the question at it);
  - when the official rubric becomes known, set `provisional: false`.
  Check the file afterwards with:  .venv/bin/kla catalogue check data/kla_clusters.yaml"""

INSTRUMENT = {
    "code": "kla-2024",
    "year": 2024,
    "version": "2024.1",
    "title": "Rekap Penilaian Mandiri KLA 2024",
    "title_en": "KLA 2024 Self-Assessment Summary (Child-Friendly Regency/City)",
    "max_total": Decimal(1000),
    "source": (
        "Rekap Penilaian Mandiri KLA 2024 as imported by Kabupaten Ogan Ilir "
        "(third-party transcription: shared/reference/kla-2024-instrument.yaml)"
    ),
}

# code, name, name_en, min, max, includes_min, includes_max, award
CATEGORIES = [
    ("inisiasi", "Belum berkategori (inisiasi)", "No category yet (initiation)", 0, 500, True, False, False),
    ("pratama", "Pratama", "Pratama (first level)", 500, 600, True, True, True),
    ("madya", "Madya", "Madya (second level)", 600, 700, False, True, True),
    ("nindya", "Nindya", "Nindya (third level)", 700, 800, False, True, True),
    ("utama", "Utama", "Utama (fourth level)", 800, 900, False, True, True),
    ("kla", "KLA", "KLA (Child-Friendly Regency/City)", 900, 1000, False, True, True),
]

REVIEW_REASONS = [
    ("bukan_tahun_berjalan", "Bukan tahun berjalan", "Not from the current year"),
    ("belum_ditandatangani", "Belum ditandatangani/distempel", "Not signed or stamped"),
    ("tidak_relevan", "Tidak relevan dengan pertanyaan", "Not relevant to the question"),
    ("tidak_lengkap", "Tidak lengkap", "Incomplete"),
    ("tidak_terbaca", "Tidak terbaca atau berkas rusak", "Unreadable or damaged file"),
    ("data_tidak_terpilah", "Data tidak terpilah (umur/jenis kelamin)", "Data not disaggregated (age/sex)"),
    ("bukan_dokumen_asli", "Bukan dokumen asli/sah", "Not an original or authentic document"),
    (
        "salah_unggah",
        "Salah unggah (berkas untuk pertanyaan lain)",
        "Wrong upload (file belongs to another question)",
    ),
    ("lainnya", "Lainnya (jelaskan di catatan)", "Other (explain in the note)"),
]

# ---------------------------------------------------------------------------
# Agencies: generic roles, with the spellings that map onto them
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    name_en: str
    aliases: tuple[str, ...]
    local_government: bool = True
    comment: str = ""


# fmt: off
AGENCIES = [
    Agency("HUKUM", "Bagian Hukum Sekretariat Daerah / JDIH",
           "Legal Division of the Regional Secretariat / legal documentation network (JDIH)",
           ("JDIH", "Bagian Hukum", "Biro Hukum")),
    Agency("DP3A", "Dinas Pemberdayaan Perempuan dan Perlindungan Anak",
           "Women's Empowerment and Child Protection Agency",
           ("DPPPAPPKB", "DP3APPKB", "DP3AP2KB", "DPPKBPA3PM", "DP3A", "DPPPA"),
           comment="KLA coordinator (Gugus Tugas secretariat); the copy spells it DPPPAPPKB"),
    Agency("BAPPEDA", "Badan Perencanaan Pembangunan Daerah", "Regional Development Planning Agency",
           ("BAPPEDA", "Bappeda", "Bappelitbangda", "Bapperida")),
    Agency("DUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil", "Population and Civil Registration Agency",
           ("Disdukcapil", "Dukcapil", "Capil")),
    Agency("KOMINFO", "Dinas Komunikasi dan Informatika", "Communication and Informatics Agency",
           ("Kominfo", "Diskominfo")),
    Agency("PERPUSTAKAAN", "Dinas Perpustakaan dan Kearsipan", "Library and Archives Agency",
           ("Perpustakaan", "Dinas Perpustakaan", "Dispusip")),
    Agency("KEMENAG", "Kantor Kementerian Agama Kabupaten/Kota",
           "Regency/City Office of the Ministry of Religious Affairs",
           ("Kemenag", "Kankemenag"), local_government=False),
    Agency("DINSOS", "Dinas Sosial", "Social Affairs Agency", ("Dinsos",)),
    Agency("DISDIK", "Dinas Pendidikan dan Kebudayaan", "Education and Culture Agency",
           ("Disdikbud", "Disdik", "Dinas Pendidikan")),
    Agency("DINKES", "Dinas Kesehatan", "Health Agency", ("Dinkes",)),
    Agency("PUPR", "Dinas Pekerjaan Umum dan Penataan Ruang", "Public Works and Spatial Planning Agency",
           ("Dinas PU", "Dinas PU Perkim", "Dinas PUPR", "PUPR")),
    Agency("DISHUB", "Dinas Perhubungan", "Transport Agency", ("Dishub",)),
    Agency("DLH", "Dinas Lingkungan Hidup", "Environment Agency", ("DLH",)),
    Agency("PARIWISATA", "Dinas Pariwisata (Pemuda dan Olahraga)", "Tourism (Youth and Sports) Agency",
           ("Dinas Pariwisata", "Disparpor")),
    Agency("DISPORA", "Dinas Pemuda dan Olahraga", "Youth and Sports Agency", ("Dispora",)),
    Agency("SATPOLPP", "Satuan Polisi Pamong Praja", "Civil Service Police Unit", ("Satpol PP",)),
    Agency("BAPENDA", "Badan Pendapatan Daerah", "Regional Revenue Agency", ("Bapenda",)),
    Agency("DISNAKER", "Dinas Tenaga Kerja", "Manpower Agency", ("Disnaker",)),
    Agency("BPBD", "Badan Penanggulangan Bencana Daerah", "Regional Disaster Management Agency", ("BPBD",)),
    Agency("BNN", "Badan Narkotika Nasional Kabupaten/Kota", "National Narcotics Board (regency/city office)",
           ("BNN", "BNNK"), local_government=False),
    Agency("KESBANGPOL", "Badan Kesatuan Bangsa dan Politik", "National Unity and Politics Agency",
           ("Kesbangpol",)),
    Agency("UPTD_PPA", "Unit Pelaksana Teknis Daerah Perlindungan Perempuan dan Anak",
           "Regional Technical Unit for the Protection of Women and Children",
           ("UPTD PPA",)),
    Agency("POLRES", "Kepolisian Resor (Unit Pelayanan Perempuan dan Anak)",
           "District Police (Women and Children Service Unit)",
           ("Polres", "UPPA Polres"), local_government=False),
    Agency("KEJAKSAAN", "Kejaksaan Negeri", "District Prosecutor's Office",
           ("Kejaksaan", "Kejari"), local_government=False),
    Agency("PENGADILAN", "Pengadilan Agama / Pengadilan Negeri", "Religious Court / District Court",
           ("PAN", "Pengadilan Agama", "Pengadilan Negeri"),
           local_government=False,
           comment="'PAN' in the copy (child-marriage dispensation data, question 7.2)"),
    Agency("FORUM_ANAK", "Forum Anak Daerah", "Regional Children's Forum",
           ("Forum Anak Daerah (FAD)", "FAD", "Forum Anak"), local_government=False),
    Agency("DUNIA_USAHA", "Dunia Usaha", "Business sector", ("Dunia Usaha",), local_government=False),
    Agency("KECAMATAN", "Kecamatan (camat dan staf kecamatan)", "Sub-district office (camat and staff)", (),
           comment="A kecamatan's own office: the DP3A creates one per kecamatan (Kelana/Dekela records)"),
]
# fmt: on

COORDINATOR = "DP3A"  # answers for questions whose copy names no source

# ---------------------------------------------------------------------------
# Evidence types
# ---------------------------------------------------------------------------

EVIDENCE_TYPES = [
    (
        "regulasi",
        "Regulasi: Perda, Perbup/Perwal, SK, Surat Edaran, SOP",
        "Regulation or decree: bylaw, regent/mayor regulation, decree, circular, SOP",
    ),
    (
        "sk_gugus_tugas",
        "SK Gugus Tugas KLA beserta susunan keanggotaannya",
        "Decree establishing the KLA task force, with its members",
    ),
    ("rad_kla", "Rencana Aksi Daerah (RAD) KLA", "KLA regional action plan (RAD)"),
    ("profil_anak", "Profil KLA / profil anak", "KLA profile / child profile"),
    (
        "sertifikat_kha",
        "Sertifikat pelatihan (KHA, konselor, dll.)",
        "Training certificate (Convention on the Rights of the Child, counsellors, etc.)",
    ),
    ("data_dua_tahun", "Data dua tahun terakhir beserta catatan", "Data for the last two years, with notes"),
    (
        "anggaran",
        "Potongan DPA yang ditandatangani dan distempel kepala PD",
        "Budget extract (DPA) signed and stamped by the head of the agency",
    ),
    ("foto", "Foto kegiatan atau lokasi", "Photos of activities or sites"),
    ("berita", "Kliping berita / publikasi", "News clippings / publications"),
    ("mou", "MoU / perjanjian kerja sama", "MoU / cooperation agreement"),
    ("inovasi", "Uraian inovasi", "Innovation write-up"),
    ("matriks", "Matriks data dukung / kemitraan KLA", "KLA evidence / partnership matrix"),
    ("laporan", "Laporan kegiatan atau pemantauan", "Activity or monitoring report"),
    ("dokumen_pendukung", "Dokumen pendukung lainnya", "Other supporting documents"),
]

# ---------------------------------------------------------------------------
# Answer scales (all provisional)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    kind: str  # options | percent | number
    code: str
    name: str
    name_en: str
    comment: str
    options: tuple[tuple[str, str, str, str], ...] = ()  # code, label, label_en, fraction
    lower_is_better: bool = False
    unit: str = ""
    unit_en: str = ""
    thresholds: tuple[tuple[int, str], ...] = ()  # min, fraction


def options(code, name, name_en, comment, *opts):
    return Scale("options", code, name, name_en, comment, options=tuple(opts))


# fmt: off
SCALES = [
    options(
        "ya_tidak", "Ya/Tidak", "Yes/No",
        "Only where the answer is truly binary.",
        ("tidak", "Tidak", "No", "0"),
        ("ya", "Ya", "Yes", "1"),
    ),
    options(
        "tidak_ya_terbalik", "Tidak/Ya (terbalik: 'Tidak' bernilai penuh)",
        "No/Yes (inverted: 'No' earns full marks)",
        "Inverted: for questions where a YES is bad (tobacco sponsorship, children\n"
        "handled together with adults).",
        ("tidak", "Tidak, sama sekali tidak ada", "No, none at all", "1"),
        ("berkurang", "Masih ada, tetapi berkurang dan sedang dihentikan",
         "Still happens, but less and being phased out", "1/2"),
        ("ya", "Ya, masih ada", "Yes, it still happens", "0"),
    ),
    options(
        "regulasi", "Peraturan/kebijakan", "Regulation or policy",
        "A regulation or policy on a topic (other than the Perda KLA).",
        ("tidak_ada", "Tidak ada", "None", "0"),
        ("rancangan", "Masih rancangan/draf", "Only a draft", "1/4"),
        ("se_sk", "Ada dalam bentuk Surat Edaran atau SK kepala daerah/kepala PD",
         "Exists as a circular or a decree of the regional head / agency head", "1/2"),
        ("ditetapkan", "Ditetapkan dalam Perda atau Perbup/Perwal",
         "Enacted as a bylaw or regent/mayor regulation", "3/4"),
        ("dilaksanakan", "Ditetapkan dan dilaksanakan, dengan bukti pelaksanaan",
         "Enacted and implemented, with evidence of implementation", "1"),
    ),
    options(
        "perda_kla", "Perda KLA", "KLA bylaw (Perda KLA)",
        "The regional bylaw on KLA itself (question 1.1).",
        ("tidak_ada", "Tidak ada Perda KLA", "No KLA bylaw", "0"),
        ("rancangan", "Masih Raperda / masuk Propemperda",
         "Only a draft bylaw / on the legislative programme", "1/4"),
        ("perbup", "Belum ada Perda; diatur dengan Perbup/Perwal tentang KLA",
         "No bylaw yet; covered by a regent/mayor regulation on KLA", "1/2"),
        ("perda", "Perda KLA telah ditetapkan", "KLA bylaw enacted", "3/4"),
        ("perda_dilaksanakan", "Perda KLA ditetapkan dan dilaksanakan, dengan peraturan pelaksanaannya",
         "KLA bylaw enacted and implemented, with implementing regulations", "1"),
    ),
    options(
        "anggaran", "Anggaran", "Budget",
        "Budget from the regional government (APBD) and other sources.",
        ("tidak_ada", "Tidak ada anggaran", "No budget", "0"),
        ("satu_sumber", "Ada, dari satu sumber saja (APBD atau sumber lain)",
         "Yes, from one source only (regional budget or another source)", "1/2"),
        ("apbd_dan_lain", "Ada, dari APBD dan sumber lain (APBN/DAK, dunia usaha, lembaga masyarakat)",
         "Yes, from the regional budget and other sources (national funds, business, NGOs)", "1"),
    ),
    options(
        "data_dua_tahun", "Data dua tahun terakhir", "Data for the last two years",
        "Asks whether data exist (usually for the last two years); the figures go in the note.",
        ("tidak_ada", "Tidak ada data", "No data", "0"),
        ("satu_tahun", "Ada data, tetapi hanya satu tahun", "Data for one year only", "1/2"),
        ("dua_tahun", "Ada data dua tahun terakhir, belum terpilah",
         "Data for the last two years, not disaggregated", "3/4"),
        ("dua_tahun_terpilah", "Ada data dua tahun terakhir, terpilah (umur/jenis kelamin) dan dianalisis",
         "Data for the last two years, disaggregated (age/sex) and analysed", "1"),
    ),
    options(
        "tren_naik", "Perkembangan cakupan (naik lebih baik)", "Coverage trend (higher is better)",
        "Compares the evaluated year with the year before; an increase is good.",
        ("tidak_ada_data", "Tidak ada data pembanding", "No comparable data", "0"),
        ("turun", "Ada data, cakupan menurun", "Data show coverage falling", "1/3"),
        ("tetap", "Ada data, cakupan tetap", "Data show coverage unchanged", "2/3"),
        ("naik", "Ada data, cakupan meningkat atau sudah 100%",
         "Data show coverage rising, or already 100%", "1"),
    ),
    options(
        "tren_turun", "Perkembangan jumlah kasus (turun lebih baik)", "Case trend (lower is better)",
        "Compares the evaluated year with the year before; a decrease is good\n"
        "(infant and maternal deaths).",
        ("tidak_ada_data", "Tidak ada data pembanding", "No comparable data", "0"),
        ("naik", "Ada data, jumlahnya naik", "Data show the number rising", "1/3"),
        ("tetap", "Ada data, jumlahnya tetap", "Data show the number unchanged", "2/3"),
        ("turun", "Ada data, jumlahnya turun atau nol", "Data show the number falling, or zero", "1"),
    ),
    options(
        "pelatihan_kha", "SDM terlatih KHA", "Staff trained on the CRC",
        "Share of the staff concerned trained on the Convention on the Rights of the Child (KHA)\n"
        "or certified.",
        ("belum", "Belum ada yang dilatih", "Nobody trained yet", "0"),
        ("sebagian_kecil", "Sebagian kecil (kurang dari separuh) sudah dilatih",
         "A few (less than half) trained", "1/3"),
        ("sebagian_besar", "Sebagian besar (separuh atau lebih) sudah dilatih",
         "Most (half or more) trained", "2/3"),
        ("semua", "Semua sudah dilatih, dengan sertifikat/daftar hadir",
         "All trained, with certificates or attendance lists", "1"),
    ),
    options(
        "kemitraan", "Kemitraan antar-PD", "Partnership between agencies",
        "Partnerships between regional agencies (PD) or institutions.",
        ("tidak_ada", "Tidak ada kemitraan", "No partnership", "0"),
        ("satu_pd", "Bermitra dengan 1 PD/lembaga", "Partnership with 1 agency/institution", "1/3"),
        ("dua_pd", "Bermitra dengan 2 PD/lembaga", "Partnership with 2 agencies/institutions", "2/3"),
        ("tiga_pd", "Bermitra dengan 3 PD/lembaga atau lebih, tertuang dalam MoU/matriks kemitraan",
         "Partnership with 3 or more, set down in an MoU or the partnership matrix", "1"),
    ),
    options(
        "kemitraan_masyarakat", "Kemitraan dengan lembaga masyarakat, media dan dunia usaha",
        "Partnership with community organisations, media and business",
        "Indicator 3: involvement of community organisations, mass media and business\n"
        "as partners (not mere charity).",
        ("tidak_ada", "Tidak ada keterlibatan", "No involvement", "0"),
        ("charity", "Hanya bantuan sesaat (charity), belum kemitraan",
         "One-off charity only, no partnership", "1/4"),
        ("satu_unsur", "Kemitraan dengan satu unsur (lembaga masyarakat, media massa, atau dunia usaha)",
         "Partnership with one group (community organisations, mass media or business)", "1/2"),
        ("dua_unsur", "Kemitraan dengan dua unsur", "Partnership with two of the groups", "3/4"),
        ("tiga_unsur", "Kemitraan dengan ketiga unsur, tertuang dalam matriks dan dokumen kerja sama",
         "Partnership with all three groups, set down in the matrix and agreements", "1"),
    ),
    options(
        "inovasi", "Inovasi", "Innovation",
        "A programme innovation (see the juknis for what counts as one).",
        ("tidak_ada", "Tidak ada inovasi", "No innovation", "0"),
        ("gagasan", "Ada gagasan/rancangan inovasi, belum dilaksanakan",
         "An idea or design, not yet implemented", "1/3"),
        ("dilaksanakan", "Inovasi sudah dilaksanakan", "Innovation implemented", "2/3"),
        ("berkelanjutan", "Inovasi dilaksanakan, ditetapkan/dilembagakan dan ada bukti manfaatnya",
         "Implemented, formally adopted and with evidence of its benefits", "1"),
    ),
    options(
        "mekanisme", "Mekanisme/SOP", "Mechanism or SOP",
        "A mechanism, system or standard operating procedure (SOP).",
        ("tidak_ada", "Tidak ada", "None", "0"),
        ("belum_tertulis", "Ada, tetapi belum tertulis/belum ditetapkan",
         "Exists, but not written down or not adopted", "1/3"),
        ("ditetapkan", "SOP/mekanisme tertulis sudah ditetapkan, belum dijalankan",
         "Written SOP/mechanism adopted, not yet applied", "2/3"),
        ("dijalankan", "SOP/mekanisme ditetapkan dan dijalankan, dengan bukti pelaksanaan",
         "SOP/mechanism adopted and applied, with evidence", "1"),
    ),
    options(
        "monev", "Pemantauan dan evaluasi", "Monitoring and evaluation",
        "Monitoring and evaluation (of the RAD, PRAP, SRA, PKA/RIRA, special protection).",
        ("tidak", "Tidak dilakukan", "Not done", "0"),
        ("sesekali", "Dilakukan sesekali, tanpa laporan", "Done occasionally, without a report", "1/3"),
        ("berkala", "Dilakukan berkala, laporan belum lengkap", "Done regularly, reports incomplete", "2/3"),
        ("lengkap", "Dilakukan berkala, melibatkan pihak terkait, dengan laporan dan tindak lanjut",
         "Done regularly with the parties concerned, with reports and follow-up", "1"),
    ),
    options(
        "kelembagaan", "Kelembagaan (tim/forum/lembaga)", "Body (team, forum, institution)",
        "A team, forum or body that must be set up (by decree) and must work.",
        ("belum", "Belum dibentuk", "Not set up", "0"),
        ("dibentuk", "Sudah dibentuk (ada SK), belum berjalan",
         "Set up (decree issued), not yet working", "1/3"),
        ("berjalan", "Sudah dibentuk dan berjalan, kegiatan belum rutin",
         "Set up and working, activities not yet regular", "2/3"),
        ("aktif", "Sudah dibentuk, berjalan rutin, dengan bukti kegiatan/laporan",
         "Set up and working regularly, with evidence or reports", "1"),
    ),
    options(
        "layanan", "Layanan/fasilitas", "Service or facility",
        "A service or facility that must exist and function.",
        ("tidak_ada", "Tidak ada", "None", "0"),
        ("belum_berfungsi", "Ada, tetapi belum berfungsi/belum dimanfaatkan",
         "Exists, but not functioning or not used", "1/3"),
        ("terbatas", "Ada dan berfungsi, tetapi jangkauan/fasilitasnya terbatas",
         "Exists and functions, with limited reach or facilities", "2/3"),
        ("berfungsi", "Ada dan berfungsi baik, dengan bukti pemanfaatan",
         "Exists and functions well, with evidence of use", "1"),
    ),
    options(
        "standar", "Sesuai standar", "Meets the standard",
        "An institution or service that should meet a national standard.",
        ("tidak_ada", "Tidak ada", "None", "0"),
        ("belum_standar", "Ada, belum sesuai standar", "Exists, does not meet the standard", "1/3"),
        ("proses", "Ada, sebagian sesuai standar atau sedang distandardisasi",
         "Exists, partly meets the standard or is being standardised", "2/3"),
        ("standar", "Ada dan sesuai standar (terstandardisasi/terakreditasi)",
         "Exists and meets the standard (standardised/accredited)", "1"),
    ),
    options(
        "cakupan_layanan", "Cakupan layanan bagi anak", "Share of children served",
        "Whether the children concerned (victims, child workers) receive services.\n"
        "A region with no such children answers 'not applicable' rather than 0.",
        ("tidak_ada", "Tidak ada yang mendapat layanan", "None received services", "0"),
        ("sebagian_kecil", "Sebagian kecil mendapat layanan", "A few received services", "1/3"),
        ("sebagian_besar", "Sebagian besar mendapat layanan", "Most received services", "2/3"),
        ("semua", "Semua anak yang teridentifikasi mendapat layanan",
         "All identified children received services", "1"),
    ),
    options(
        "kegiatan", "Program/kegiatan", "Programme or activity",
        "A programme, activity, campaign or effort.",
        ("tidak_ada", "Tidak ada", "None", "0"),
        ("insidental", "Ada, dilaksanakan sekali/insidental", "Yes, once or occasionally", "1/3"),
        ("berkala", "Dilaksanakan berkala, dokumentasi belum lengkap",
         "Carried out regularly, documentation incomplete", "2/3"),
        ("terdokumentasi", "Dilaksanakan berkala, dengan laporan dan dokumentasi lengkap",
         "Carried out regularly, with full reports and documentation", "1"),
    ),
    options(
        "pelibatan_anak", "Pelibatan anak/Forum Anak", "Involvement of children / Children's Forum",
        "Children's views heard in planning and regulation; Forum Anak as Pelopor dan Pelapor (2P).",
        ("tidak", "Tidak dilibatkan/tidak berperan", "Not involved / no role", "0"),
        ("sesekali", "Dilibatkan/berperan sesekali, belum terdokumentasi",
         "Occasionally involved, not documented", "1/3"),
        ("rutin", "Dilibatkan/berperan secara rutin dan terdokumentasi",
         "Regularly involved and documented", "2/3"),
        ("ditindaklanjuti", "Rutin, terdokumentasi, dan usulan/laporan anak ditindaklanjuti",
         "Regular, documented, and children's proposals or reports acted upon", "1"),
    ),
    options(
        "lima_klaster", "Cakupan kelembagaan dan 5 klaster", "Coverage of institutions and 5 clusters",
        "Task force work, RAD KLA and KLA profile: how many of the six areas\n"
        "(kelembagaan and clusters I-V) are covered.",
        ("tidak_ada", "Tidak ada/belum", "None yet", "0"),
        ("sebagian_kecil", "Ada, mencakup 1-2 dari 6 bidang (kelembagaan dan 5 klaster)",
         "Exists, covering 1-2 of the 6 areas (institutions and 5 clusters)", "1/3"),
        ("sebagian_besar", "Ada, mencakup 3-5 dari 6 bidang", "Exists, covering 3-5 of the 6 areas", "2/3"),
        ("lengkap", "Ada, mencakup kelembagaan dan kelima klaster",
         "Exists, covering institutions and all five clusters", "1"),
    ),
    options(
        "bertingkat", "Bertingkat (umum)", "Graded (generic)",
        "Generic fallback when no other scale fits.",
        ("tidak_ada", "Tidak ada", "None", "0"),
        ("sebagian", "Ada sebagian/belum lengkap", "Partly / incomplete", "1/2"),
        ("lengkap", "Ada lengkap dan berfungsi", "Complete and functioning", "1"),
    ),
    Scale(
        "percent", "persen", "Persentase", "Percentage",
        "A percentage 0-100 earns that share of the maximum (coverage, share of kecamatan/desa).",
    ),
    Scale(
        "percent", "persen_terbalik", "Persentase (makin kecil makin baik)", "Percentage (lower is better)",
        "Lower is better: malnutrition, stunting, early complementary feeding, kecamatan/desa\n"
        "with cases or with working children. 0 % earns the full maximum.",
        lower_is_better=True,
    ),
    Scale(
        "number", "jumlah_lembaga", "Jumlah lembaga", "Number of institutions",
        "Counts of institutions (PUSPAGA/LK3, LKSA, PRAP, SRA, PKA, RIRA ...).",
        unit="lembaga", unit_en="institutions",
        thresholds=((0, "0"), (1, "1/4"), (3, "1/2"), (5, "3/4"), (10, "1")),
    ),
    Scale(
        "number", "jumlah_layanan", "Jumlah jenis layanan", "Number of kinds of service",
        "Kinds of service offered by the family-consultation institutions (question 8.2).",
        unit="jenis layanan", unit_en="kinds of service",
        thresholds=((0, "0"), (1, "1/3"), (3, "2/3"), (5, "1")),
    ),
    Scale(
        "number", "jumlah_sdm", "Jumlah SDM", "Number of staff",
        "Counts of trained people (breastfeeding / PMBA counsellors).",
        unit="orang", unit_en="people",
        thresholds=((0, "0"), (1, "1/4"), (5, "1/2"), (10, "3/4"), (20, "1")),
    ),
    Scale(
        "number", "jumlah_kasus_diversi", "Jumlah kasus ABH", "Number of ABH cases",
        "Cases of children in conflict with the law resolved by diversion (or receiving the\n"
        "service asked about). A region with no ABH cases answers 'not applicable' rather than 0.",
        unit="kasus", unit_en="cases",
        thresholds=((0, "0"), (1, "1/2"), (3, "3/4"), (5, "1")),
    ),
]
# fmt: on

# ---------------------------------------------------------------------------
# Scale rules: the first matching rule picks the scale
# ---------------------------------------------------------------------------

# Applied, in order, to the lower-cased question text without its attachment
# instructions. Parts KD (Kelana/Dekela) always take a percentage scale.
SCALE_RULES = [
    ("tidak_ya_terbalik", r"\bmasih (menerima|ada)\b|perusahaan rokok"),
    ("perda_kla", r"peraturan daerah terkait penyelenggaraan kabupaten/kota layak anak"),
    ("anggaran", r"\banggaran\b"),
    ("pelatihan_kha", r"dilatih|terlatih|pelatihan konvensi|tersertifikasi"),
    (
        "pelibatan_anak",
        r"pandangan/pendapat|dilibatkan dalam proses perencanaan"
        r"|berperan sebagai pelopor",
    ),
    ("kemitraan_masyarakat", r"keterlibatan lembaga masyarakat"),
    ("kemitraan", r"kemitraan|\bpd yang bermitra|\bpd lain yang berperan"),
    ("inovasi", r"inovasi"),
    ("regulasi", r"^apakah tersedia peraturan"),
    ("ya_tidak", r"mengatur terkait sanksi"),
    ("kegiatan", r"promosi|kampanye|\bkie\b|disosialisasikan"),
    ("persen_terbalik", r"^berapa .*(masalah gizi|prevalensi stunting|mp-asi dini)"),
    ("tren_turun", r"^berapa jumlah kematian"),
    ("persen", r"^berapa (persentase|cakupan)"),
    ("data_dua_tahun", r"\b(2|dua) tahun terakhir|pencatatan data|data persentase"),
    ("tren_naik", r"perluasan cakupan"),
    ("jumlah_kasus_diversi", r"^berapa jumlah (kasus )?abh"),
    ("jumlah_sdm", r"konselor"),
    ("jumlah_layanan", r"^berapa jumlah layanan"),
    ("jumlah_lembaga", r"^berapa jumlah"),
    ("cakupan_layanan", r"mendapatkan layanan\?"),
    ("standar", r"terstandar|sesuai standar"),
    ("lima_klaster", r"\b5 klaster"),
    (
        "layanan",
        r"lembaga (penyedia )?layanan|layanan pendidikan|lembaga konsultasi|fasilitas\b"
        r"|menyediakan akses|memfasilitasi|ruang bermain anak",
    ),
    ("monev", r"monitoring dan evaluasi|pemantauan dan evaluasi|evaluasi dan pemantauan"),
    ("mekanisme", r"\bsop\b|mekanisme|sistem|system"),
    (
        "kelembagaan",
        r"terbentuk|membentuk|gugus tugas|\bada tim\b|lembaga pengawas"
        r"|lembaga yang melakukan pengawasan|sk forum anak",
    ),
    ("kegiatan", r"program|kegiatan|upaya|kesempatan"),
]
FALLBACK_SCALE = "bertingkat"
KD_LOWER_IS_BETTER = re.compile(r"memiliki kasus|anak yang bekerja")

# ---------------------------------------------------------------------------
# Text cleaning
# ---------------------------------------------------------------------------

# Obvious transcription junk in the copy: (wrong, right). Anything else is kept
# as transcribed, spelling slips of the original included.
TEXT_FIXES = [
    ("ApakaKLASh", "Apakah"),
    ("pakah ada anggaran", "Apakah ada anggaran"),
    ("anggaran\\lainnya", "anggaran lainnya"),
    ("Perda ( KLA)", "Perda KLA)"),
    ("terlembaga- nya", "terlembaganya"),
    ("Pengembanga n", "Pengembangan"),
    ("program/kegi atan", "program/kegiatan"),
    ("pelaksanaankebijakan", "pelaksanaan kebijakan"),
    ("sekunder(lampirkan", "sekunder) (lampirkan"),
    ("(Lampirkan,MATRIKS", "(Lampirkan MATRIKS"),
    ("Bentuk- bentuk", "Bentuk-bentuk"),
    ("di-SK- kan", "di-SK-kan"),
    ("di- SK-kan", "di-SK-kan"),
    ("layanannya..", "layanannya."),
    ("catatan.(Lampirkan", "catatan. (Lampirkan"),
    ("SRA (Satuan Pendidikan Ramah Anak)?(lampirkan", "SRA (Satuan Pendidikan Ramah Anak)? (lampirkan"),
    ("kabupaten/kota?(Lampirkan", "kabupaten/kota? (Lampirkan"),
    ("putus sekolah?Jelaskan", "putus sekolah? Jelaskan"),
]
# Texts that stay as transcribed but deserve a word in the file.
QUESTION_COMMENTS = {
    "7.2": "The copy repeats the text of 7.1 here (22 points vs 10); kept until the official\n"
    "wording is known (7.2 is probably about prevention and handling, with PAN data).",
    "21B.2": "'Ya. Jika ya, ...' as in the copy: the question follows on from 21B.1.",
    "26.17": "Worth 0 points in the copy: an unscored screening question (26.18 is the scored one),\n"
    "kept so that the instrument is complete.",
}


def clean_text(raw: str) -> tuple[str, list[str]]:
    """The question text with junk fixed, line breaks as spaces, single spaces."""
    text, applied = raw, []
    for wrong, right in TEXT_FIXES:
        # not inside a word: "pakah" must not match the "pakah" of "Apakah"
        pattern = re.compile(r"(?<![A-Za-z])" + re.escape(wrong))
        text, count = pattern.subn(right.replace("\\", r"\\"), text)
        if count:
            applied.append(f'"{wrong}" -> "{right}"')
    text = re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()
    assert "\\" not in text and "  " not in text, text
    return text, applied


def normalise_code(raw: str) -> str:
    """'7 a' -> '7a', '4 ' -> '4', '4 A' -> '4a'."""
    return re.sub(r"\s+", "", raw).lower()


# ---------------------------------------------------------------------------
# Evidence: "(lampirkan ...)" hints and evidence types
# ---------------------------------------------------------------------------

ATTACH = re.compile(r"lampirkan|tunjukkan data dukung", re.IGNORECASE)


def attachment_spans(text: str) -> list[tuple[int, int]]:
    """Where the text asks for attachments: from 'lampirkan' to the end of its
    parenthesis or sentence (nested parentheses allowed)."""
    spans = []
    for match in ATTACH.finditer(text):
        start, depth, end = match.start(), 0, len(text)
        for i in range(match.end(), len(text)):
            ch = text[i]
            if ch == "(":
                depth += 1
            elif ch == ")":
                if depth == 0:
                    end = i
                    break
                depth -= 1
            elif ch in ".!?" and depth == 0 and text[i + 1 : i + 2] in ("", " "):
                end = i  # a full stop ends the hint; "No.29" does not
                break
        if spans and start < spans[-1][1]:
            continue
        spans.append((start, end))
    return spans


def hint_of(text: str) -> str:
    parts = []
    for start, end in attachment_spans(text):
        piece = text[start:end].strip(" ,;")
        if piece.isupper():
            piece = piece.lower().replace("matriks", "MATRIKS")
        piece = piece[0].upper() + piece[1:]
        piece = piece.replace("APBD anggaran lainnya", "APBD/anggaran lainnya")
        piece = piece.replace("yang tandatangani", "yang ditandatangani")
        if piece not in parts:
            parts.append(piece)
    return ". ".join(parts)


def core_of(text: str) -> str:
    """The question without its attachment instructions, lower-cased."""
    out, last = [], 0
    for start, end in attachment_spans(text):
        out.append(text[last:start])
        last = end
    out.append(text[last:])
    return re.sub(r"\s+", " ", "".join(out)).strip().lower()


DEFAULT_HINTS = {
    "regulasi": "Unggah salinan peraturan/kebijakan yang telah ditetapkan (bernomor dan ditandatangani)",
    "perda_kla": "Unggah salinan Perda KLA (atau Raperda/Perbup) yang bernomor dan ditandatangani",
    "anggaran": "Unggah potongan DPA yang ditandatangani dan distempel kepala PD",
    "tidak_ya_terbalik": "Unggah data atau surat keterangan pendukung (tanpa identitas anak)",
    "kemitraan": "Unggah matriks kemitraan (nama PD dan perannya) dan MoU/perjanjian kerja sama",
    "kelembagaan": "Unggah SK pembentukan beserta susunan keanggotaan dan bukti kegiatannya",
    "layanan": "Unggah dasar hukum, foto fasilitas dan data pemanfaatan layanan",
    "standar": "Unggah dasar hukum, bukti standardisasi/akreditasi dan foto fasilitas",
}
KD_HINTS = {
    "kecamatan": "Unggah rekap per kecamatan: daftar kecamatan yang dimaksud pertanyaan dan jumlah "
    "seluruh kecamatan",
    "desa": "Unggah rekap per desa/kelurahan: daftar desa/kelurahan yang dimaksud pertanyaan dan "
    "jumlah seluruh desa/kelurahan",
}
GENERIC_HINT = "Unggah dokumen pendukung (laporan, SK, data, foto kegiatan atau berita)"

# evidence type -> pattern on the whole lower-cased text
EVIDENCE_RULES = {
    "regulasi": r"peraturan desa|peraturan daerah|dasar hukum|\bsop\b|kebijakan/peraturan|\bsk\b",
    "sk_gugus_tugas": r"\bsk\b.*\bgt kla\b",
    "rad_kla": r"\brad\b",
    "profil_anak": r"\bprofil\b",
    "sertifikat_kha": r"sertifikat",
    "data_dua_tahun": r"\b(2|dua) tahun terakhir|tahun sebelum",
    "anggaran": r"\banggaran\b",
    "foto": r"\bfoto\b",
    "berita": r"berita|publikasi|media sosial|\bkie\b",
    "mou": r"\bmou\b",
    "matriks": r"matriks",
    "laporan": r"laporan|notul|daftar hadir|hasil monev|hasil evaluasi",
    "dokumen_pendukung": r"dokumen|data pendukung|data dukung",
}
# evidence types implied by the scale
SCALE_EVIDENCE = {
    "regulasi": ("regulasi",),
    "perda_kla": ("regulasi",),
    "ya_tidak": ("regulasi",),
    "anggaran": ("anggaran",),
    "data_dua_tahun": ("data_dua_tahun",),
    "tren_naik": ("data_dua_tahun",),
    "tren_turun": ("data_dua_tahun",),
    "pelatihan_kha": ("sertifikat_kha",),
    "kemitraan": ("matriks", "mou"),
    "kemitraan_masyarakat": ("matriks", "mou"),
    "inovasi": ("inovasi",),
    "mekanisme": ("regulasi",),
    "monev": ("laporan",),
}


def evidence_types(text: str, scale: str) -> list[str]:
    lower = text.lower()
    found = set(SCALE_EVIDENCE.get(scale, ()))
    for code, pattern in EVIDENCE_RULES.items():
        if re.search(pattern, lower):
            found.add(code)
    if "sk_gugus_tugas" in found:
        found.discard("regulasi")
    if not found:
        found.add("dokumen_pendukung")
    return [code for code, _, _ in EVIDENCE_TYPES if code in found]


# ---------------------------------------------------------------------------
# Parts and indicators: English names, levels, sensitivity, known quirks
# ---------------------------------------------------------------------------

PARTS = {  # code: (name_en, short_name)
    "KL": ("Institutional strengthening", "Kelembagaan"),
    "K1": ("Cluster I: Civil rights and freedoms", "Klaster I"),
    "K2": ("Cluster II: Family environment and alternative care", "Klaster II"),
    "K3": ("Cluster III: Basic health and welfare", "Klaster III"),
    "K4": ("Cluster IV: Education, use of leisure time and cultural activities", "Klaster IV"),
    "K5": ("Cluster V: Special protection", "Klaster V"),
    "KD": ("Child-friendly sub-districts and villages (Kelana/Dekela)", "Kelana/Dekela"),
}

INDICATORS_EN = {
    "1": "Regional regulations and policies on child-friendly regencies/cities",
    "2": "Strengthening KLA institutions",
    "3": "Role of community organisations, business and mass media in fulfilling children's "
    "rights and special protection",
    "4": "Children registered and holding a birth certificate extract",
    "5": "Availability of child-friendly information facilities (ILA)",
    "6": "Institutionalising children's participation",
    "7": "Prevention of child marriage",
    "8": "Capacity of family consultation institutions offering parenting services to parents and families",
    "9": "Holistic and integrative early childhood development (PAUD-HI)",
    "10": "Standardisation of alternative care and temporary care institutions",
    "11": "Child-friendly infrastructure (facilities) in public spaces",
    "12": "Births at health facilities",
    "13": "Nutritional status of children under five",
    "14": "Infant and young child feeding (PMBA) under two years",
    "15": "Health facilities with child-friendly services",
    "16": "Healthy environment (access to safe drinking water and adequate sanitation)",
    "17": "Smoke-free areas (KTR) and ban on tobacco advertising, promotion and sponsorship",
    "18": "Twelve-year compulsory education",
    "19": "Child-friendly schools (education units) (SRA)",
    "20": "Child-friendly facilities for cultural, creative and recreational activities",
    "21A": "Prevention in special protection",
    "21B": "Services for child victims of violence and exploitation",
    "21C": "Children freed from child labour and the worst forms of child labour",
    "22A": "Services for child victims of pornography and drugs (NAPZA), and children living with HIV/AIDS",
    "22B": "Services for child victims of disasters and conflict",
    "23A": "Services for children with disabilities, minority and isolated children",
    "23B": "Services for children with deviant social behaviour (PSM)",
    "24A": "Resolving cases of children in conflict with the law (ABH) through diversion (offenders only)",
    "24B": "Services for child victims of terrorist networks and of stigma from labelling "
    "linked to their parents",
    "25": "KLA at sub-district (kecamatan) level",
    "26": "KLA at village (desa/kelurahan) level",
}

INDICATOR_LEVEL = {"25": "kecamatan", "26": "desa"}  # every other indicator: kabkota
LEVEL_COMMENTS = {
    "25": "Level: every question is answered per kecamatan. The copy tags only {tagged} of {total}\n"
    "with `respondent: kecamatan`, but all of them ask for a 'persentase kecamatan'.",
    "26": "Level: every question is answered per desa/kelurahan. The copy tags only {tagged} of\n"
    "{total} with `respondent: desa`, but all of them ask about desa/kelurahan (26.17-26.18\n"
    "are yes/no per desa, counted here as the share of desa).",
}

# Klaster V questions whose evidence could name child victims.
SENSITIVE_INDICATORS = {"21B", "22A", "24A", "24B"}
SENSITIVE_TEXT = re.compile(r"mendapatkan layanan\?|pencatatan dan pelaporan")

CAPPED = {  # indicator: official maximum, as opposed to the sum of the copy's questions
    "19": 51,
    "21B": 17,
}
CAPPED_NOTE = (
    "Nilai maksimum pertanyaan dalam salinan berjumlah {total}, sedangkan nilai maksimum "
    "resmi indikator {max}. Nilai indikator = min(jumlah nilai pertanyaan, {max}); nilai "
    "maksimum pertanyaan dibiarkan sesuai salinan sampai rubrik resmi diketahui."
)
CAPPED_COMMENT = (
    "Known quirk of the copy: the question maxima add up to {total} against the official\n"
    "indicator maximum {max}. The indicator maximum is the official figure, so the indicator\n"
    "scores min(sum of its questions, {max}); the question values are kept as transcribed\n"
    "until the official rubric is known."
)

GATE = {
    "category": "nindya",
    "question": "17.5",
    "min_fraction": "1",
    "active": False,
    "note": (
        "Contoh saja: aturan gerbang kategori (mis. larangan iklan, promosi dan sponsor rokok "
        "untuk masuk Nindya) hanya kabar, tidak pernah dipublikasikan; nonaktif secara bawaan."
    ),
}

# ---------------------------------------------------------------------------
# Building the catalogue from the copy
# ---------------------------------------------------------------------------


@dataclass
class Question:
    code: str
    source_code: str
    text: str
    max: Decimal
    level: str
    agencies: list[str]
    scale: str
    evidence_types: list[str]
    hint: str
    required: bool
    sensitive: bool
    comments: list[str] = field(default_factory=list)
    agencies_comment: str = ""


@dataclass
class Indicator:
    code: str
    name: str
    name_en: str
    max: Decimal
    questions: list[Question]
    capped: bool = False
    note: str = ""
    comments: list[str] = field(default_factory=list)


@dataclass
class Part:
    code: str
    name: str
    name_en: str
    short_name: str
    max: Decimal
    indicators: list[Indicator]


def points(value) -> Decimal:
    return Decimal(str(value))


def alias_map() -> dict[str, str]:
    mapping: dict[str, str] = {}
    for agency in AGENCIES:
        for alias in agency.aliases:
            assert mapping.get(alias, agency.code) == agency.code, f"alias {alias} used twice"
            mapping[alias] = agency.code
    return mapping


def agencies_of(sources: list[str] | None, aliases: dict[str, str]) -> tuple[list[str], str]:
    if not sources:
        return [COORDINATOR], "the copy names no source; the DP3A (coordinator) answers"
    codes: list[str] = []
    for source in sources:
        if source not in aliases:
            raise SystemExit(f"unknown source agency {source!r}: add it to AGENCIES")
        if aliases[source] not in codes:
            codes.append(aliases[source])
    return codes, ""


def choose_scale(part_code: str, core: str) -> str:
    if part_code == "KD":
        return "persen_terbalik" if KD_LOWER_IS_BETTER.search(core) else "persen"
    for scale, pattern in SCALE_RULES:
        if re.search(pattern, core):
            return scale
    return FALLBACK_SCALE


def default_hint(scale: str, level: str) -> str:
    if level in KD_HINTS:
        return KD_HINTS[level]
    return DEFAULT_HINTS.get(scale, GENERIC_HINT)


def build_question(part_code: str, indicator_code: str, raw: dict, aliases) -> Question:
    code = f"{indicator_code}.{normalise_code(raw['code'])}"
    text, fixes = clean_text(raw["text"])
    level = INDICATOR_LEVEL.get(indicator_code, "kabkota")
    agencies, agencies_comment = agencies_of(raw.get("sources"), aliases)
    scale = choose_scale(part_code, core_of(text))
    hint = hint_of(text)
    comments = [f"Text cleaned from the copy: {fix}" for fix in fixes]
    if code in QUESTION_COMMENTS:
        comments.extend(QUESTION_COMMENTS[code].split("\n"))
    sensitive = part_code == "K5" and (
        indicator_code in SENSITIVE_INDICATORS or bool(SENSITIVE_TEXT.search(text.lower()))
    )
    return Question(
        code=code,
        source_code=str(raw["code"]),
        text=text,
        max=points(raw["max"]),
        level=level,
        agencies=agencies,
        scale=scale,
        evidence_types=evidence_types(text, scale),
        hint=hint or default_hint(scale, level),
        required=bool(ATTACH.search(text)),
        sensitive=sensitive,
        comments=comments,
        agencies_comment=agencies_comment,
    )


def build_indicator(part_code: str, raw: dict, aliases) -> Indicator:
    code = str(raw["number"])
    questions = [build_question(part_code, code, q, aliases) for q in raw["questions"]]
    indicator = Indicator(
        code=code,
        name=clean_text(raw["name"])[0],
        name_en=INDICATORS_EN[code],
        max=points(raw["max"]),
        questions=questions,
    )
    total = sum((q.max for q in questions), Decimal(0))
    if code in CAPPED:
        official = CAPPED[code]
        assert indicator.max == official, (code, indicator.max, official)
        assert total > indicator.max, (code, total)
        values = {"total": _num(total), "max": _num(indicator.max)}
        indicator.capped = True
        indicator.note = CAPPED_NOTE.format(**values)
        indicator.comments += CAPPED_COMMENT.format(**values).split("\n")
    else:
        assert total == indicator.max, f"indicator {code}: questions add up to {total}, not {indicator.max}"
    first = normalise_code(str(raw["questions"][0]["code"]))
    if not first.startswith("1"):
        indicator.comments.append(
            f"The copy's numbering starts at {first}: there is no question {code}.1 (as transcribed)."
        )
    if code in LEVEL_COMMENTS:
        tagged = sum(1 for q in raw["questions"] if q.get("respondent"))
        text = LEVEL_COMMENTS[code].format(tagged=tagged, total=len(questions))
        indicator.comments += text.split("\n")
    return indicator


def build_parts(source: dict) -> list[Part]:
    aliases = alias_map()
    parts = []
    for raw in source["parts"]:
        name_en, short_name = PARTS[raw["code"]]
        indicators = [build_indicator(raw["code"], i, aliases) for i in raw["indicators"]]
        part = Part(
            raw["code"], clean_text(raw["name"])[0], name_en, short_name, points(raw["max"]), indicators
        )
        total = sum((i.max for i in indicators), Decimal(0))
        assert total == part.max, f"part {part.code}: indicators add up to {total}, not {part.max}"
        parts.append(part)
    texts = [q["text"] for p in source["parts"] for i in p["indicators"] for q in i["questions"]]
    unused = [wrong for wrong, _ in TEXT_FIXES if not any(wrong in t for t in texts)]
    assert not unused, f"text fixes that no longer apply: {unused}"
    total = sum((p.max for p in parts), Decimal(0))
    assert total == INSTRUMENT["max_total"] == points(source["max_total"]), total
    return parts


# ---------------------------------------------------------------------------
# Checks on the whole catalogue
# ---------------------------------------------------------------------------


def check_catalogue(parts: list[Part]) -> None:
    codes = [q.code for p in parts for i in p.indicators for q in i.questions]
    duplicates = [c for c, n in Counter(codes).items() if n > 1]
    assert not duplicates, f"duplicate question codes: {duplicates}"
    indicator_codes = [i.code for p in parts for i in p.indicators]
    assert len(set(indicator_codes)) == len(indicator_codes)
    scales = {s.code for s in SCALES}
    agencies = {a.code for a in AGENCIES}
    types = {code for code, _, _ in EVIDENCE_TYPES}
    for part in parts:
        for indicator in part.indicators:
            for q in indicator.questions:
                assert q.scale in scales, (q.code, q.scale)
                assert set(q.agencies) <= agencies, (q.code, q.agencies)
                assert set(q.evidence_types) <= types, (q.code, q.evidence_types)
                if part.code == "KD":
                    assert q.scale in ("persen", "persen_terbalik"), q.code
    assert GATE["question"] in codes
    for scale in SCALES:
        check_scale(scale)


def check_scale(scale: Scale) -> None:
    if scale.kind == "options":
        fractions = [Fraction(f) for _, _, _, f in scale.options]
        assert all(0 <= f <= 1 for f in fractions), scale.code
        assert 0 in fractions and 1 in fractions, scale.code
        option_codes = [o[0] for o in scale.options]
        assert len(set(option_codes)) == len(option_codes), scale.code
    elif scale.kind == "number":
        steps = [(m, Fraction(f)) for m, f in scale.thresholds]
        assert steps[0][0] == 0 and steps[-1][1] == 1, scale.code
        for (m1, f1), (m2, f2) in zip(steps, steps[1:], strict=False):
            assert m1 < m2 and f1 <= f2, scale.code


# ---------------------------------------------------------------------------
# Writing YAML by hand
# ---------------------------------------------------------------------------

FLOW_UNSAFE = re.compile(r"[,\[\]{}]")


def quoted(text: str) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif not ch.isprintable():
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def scalar(value, flow: bool = False) -> str:
    """A value as YAML: plain where that reads back unchanged, else double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return _num(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    plain_ok = (
        text
        and text == text.strip()
        and "\n" not in text
        and not (flow and FLOW_UNSAFE.search(text))
        and _reads_back(text)
    )
    return text if plain_ok else quoted(text)


def _reads_back(text: str) -> bool:
    try:
        return yaml.safe_load(text) == text
    except yaml.YAMLError:
        return False


def fraction(value: str) -> str:
    """0 and 1 as numbers; anything in between as a quoted "1/3" so it stays exact."""
    return value if value in ("0", "1") else f'"{value}"'


def flow_list(values) -> str:
    return "[" + ", ".join(scalar(v, flow=True) for v in values) + "]"


def _num(value: Decimal) -> str:
    """12.0 -> "12", 1.25 -> "1.25"."""
    return format(Decimal(value).normalize(), "f")


def wrapped(key: str, text: str, indent: int) -> list[str]:
    """`key: "long text"` folded over several lines at single spaces.

    Inside a double-quoted YAML scalar a line break between words reads back
    as one space, so the text survives exactly (it holds no double spaces).
    """
    pad = " " * indent
    words = quoted(text).split(" ")
    lines, current = [], f"{pad}{key}: {words[0]}"
    for word in words[1:]:
        if len(current) + 1 + len(word) > WIDTH:
            lines.append(current)
            current = f"{pad}  {word}"
        else:
            current += f" {word}"
    lines.append(current)
    return lines


def comment_lines(lines: list[str], indent: int) -> list[str]:
    pad = " " * indent
    return [f"{pad}# {line}".rstrip() for line in lines]


def section(title: str, *explanation: str) -> list[str]:
    rule = "# " + "-" * (WIDTH - 2)
    return ["", rule, f"# {title}", *[f"# {line}".rstrip() for line in explanation], rule]


def render_instrument() -> list[str]:
    lines = section("Instrument")
    lines.append("instrument:")
    for key, value in INSTRUMENT.items():
        if key == "source":
            lines += wrapped(key, value, 2)
        else:
            lines.append(f"  {key}: {scalar(value)}")
    return lines


def render_categories() -> list[str]:
    lines = section(
        "Categories on the total score (out of 1000)",
        "Published bands are whole numbers; scores carry decimals (588.40, 737.70), so each",
        "boundary belongs to exactly one band: Pratama 500-600, Madya over 600 up to 700, ...",
    )
    lines.append("categories:")
    for code, name, name_en, lo, hi, inc_min, inc_max, award in CATEGORIES:
        lines += [
            f"  - code: {code}",
            f"    name: {scalar(name)}",
            f"    name_en: {scalar(name_en)}",
            f"    min: {lo}",
            f"    max: {hi}",
            f"    includes_min: {scalar(inc_min)}",
            f"    includes_max: {scalar(inc_max)}",
            f"    award: {scalar(award)}",
        ]
    return lines


def render_review_reasons() -> list[str]:
    lines = section("Reasons a reviewer can give when returning an answer")
    lines.append("review_reasons:")
    for code, name, name_en in REVIEW_REASONS:
        lines += [f"  - code: {code}", f"    name: {scalar(name)}", f"    name_en: {scalar(name_en)}"]
    return lines


def render_agencies() -> list[str]:
    lines = section(
        "Agency roles",
        "Generic roles: each kabupaten/kota maps its own OPD names onto them. `aliases` lists",
        "spellings met in the field, including the copy's own (its 'Sumber Data' column).",
        "local_government: false marks vertical or outside bodies (police, courts, Kemenag ...):",
        "they get accounts, or the DP3A enters their data.",
    )
    lines.append("agencies:")
    for agency in AGENCIES:
        if agency.comment:
            lines += comment_lines([agency.comment], 2)
        lines += [
            f"  - code: {agency.code}",
            f"    name: {scalar(agency.name)}",
            f"    name_en: {scalar(agency.name_en)}",
            f"    aliases: {flow_list(agency.aliases)}",
        ]
        if not agency.local_government:
            lines.append("    local_government: false")
    return lines


def render_evidence_types() -> list[str]:
    lines = section("Evidence types (data dukung)")
    lines.append("evidence_types:")
    for code, name, name_en in EVIDENCE_TYPES:
        lines += [f"  - code: {code}", f"    name: {scalar(name)}", f"    name_en: {scalar(name_en)}"]
    return lines


def render_scales(usage: dict[str, list[str]]) -> list[str]:
    lines = section(
        "Answer scales -- ALL PROVISIONAL (the official per-question rubric is not public)",
        "kind: options   the answer is one option; it earns `fraction` of the question's maximum",
        "kind: percent   a percentage 0-100 earns that share (or its complement if lower_is_better)",
        "kind: number    a count earns the fraction of the highest threshold it reaches",
        'Fractions are written as strings ("1/3") so that they stay exact.',
    )
    lines.append("scales:")
    for scale in SCALES:
        lines.append("")
        note = scale.comment.split("\n") + [used_by(usage[scale.code])]
        lines += comment_lines(note, 2)
        lines += [
            f"  - kind: {scale.kind}",
            f"    code: {scale.code}",
            f"    name: {scalar(scale.name)}",
            f"    name_en: {scalar(scale.name_en)}",
            "    provisional: true",
        ]
        if scale.kind == "options":
            lines.append("    options:")
            for code, label, label_en, frac in scale.options:
                lines += [
                    f"      - code: {code}",
                    f"        label: {scalar(label)}",
                    f"        label_en: {scalar(label_en)}",
                    f"        fraction: {fraction(frac)}",
                ]
        elif scale.kind == "percent":
            lines.append(f"    lower_is_better: {scalar(scale.lower_is_better)}")
        else:
            lines += [f"    unit: {scalar(scale.unit)}", f"    unit_en: {scalar(scale.unit_en)}"]
            lines.append("    thresholds:")
            for minimum, frac in scale.thresholds:
                lines.append(f"      - {{min: {minimum}, fraction: {fraction(frac)}}}")
    return lines


def used_by(codes: list[str]) -> str:
    if len(codes) == 1:
        return f"At import, used by 1 question: {codes[0]}."
    if len(codes) <= 8:
        return f"At import, used by {len(codes)} questions: {', '.join(codes)}."
    return f"At import, used by {len(codes)} questions."


def render_gates() -> list[str]:
    lines = section(
        "Gates (EXAMPLE, inactive)",
        "A gate says: to enter `category`, `question` must score at least `min_fraction` of its",
        "maximum. Gating rules are rumoured, not published; this one is off by default.",
    )
    lines += [
        "gates:",
        f"  - category: {GATE['category']}",
        f"    question: {scalar(GATE['question'])}  # tobacco advertising, promotion and sponsorship",
        f"    min_fraction: {fraction(GATE['min_fraction'])}",
        f"    active: {scalar(GATE['active'])}",
    ]
    lines += wrapped("note", GATE["note"], 4)
    return lines


def render_question(q: Question) -> list[str]:
    lines = [""] + comment_lines(q.comments, 10)
    lines += [
        f"          - code: {quoted(q.code)}",
        f"            source_code: {quoted(q.source_code)}",
    ]
    lines += wrapped("text", q.text, 12)
    agencies = f"            agencies: {flow_list(q.agencies)}"
    if q.agencies_comment:
        agencies += f"  # {q.agencies_comment}"
    lines += [
        f"            max: {_num(q.max)}",
        f"            level: {q.level}",
        agencies,
        f"            scale: {q.scale}",
        "            evidence:",
        f"              types: {flow_list(q.evidence_types)}",
    ]
    lines += wrapped("hint", q.hint, 14)
    lines.append(f"              required: {scalar(q.required)}")
    if q.sensitive:
        lines.append("            sensitive: true  # evidence may identify child victims")
    return lines


def render_indicator(indicator: Indicator) -> list[str]:
    lines = [""] + comment_lines(indicator.comments, 6)
    lines += [
        f"      - code: {quoted(indicator.code)}",
        *wrapped("name", indicator.name, 8),
        *wrapped("name_en", indicator.name_en, 8),
        f"        max: {_num(indicator.max)}",
    ]
    if indicator.capped:
        lines.append("        capped: true")
        lines += wrapped("note", indicator.note, 8)
    lines.append("        questions:")
    for question in indicator.questions:
        lines += render_question(question)
    return lines


def render_parts(parts: list[Part]) -> list[str]:
    lines = section(
        "Parts, indicators and questions",
        "Question code = <indicator>.<copy's code without spaces, lower-cased>; `source_code`",
        "keeps the copy's code as written. `max` are the copy's points. An indicator scores the",
        "sum of its questions (capped at its maximum where `capped: true`).",
    )
    lines.append("parts:")
    for part in parts:
        lines += [
            "",
            "  # " + "=" * (WIDTH - 4),
            f"  # {part.code}: {part.name} ({_num(part.max)} points)",
            "  # " + "=" * (WIDTH - 4),
            f"  - code: {part.code}",
            f"    name: {scalar(part.name)}",
            f"    name_en: {scalar(part.name_en)}",
            f"    short_name: {scalar(part.short_name)}",
            f"    max: {_num(part.max)}",
            "    indicators:",
        ]
        for indicator in part.indicators:
            lines += render_indicator(indicator)
    return lines


def render(parts: list[Part]) -> str:
    usage: dict[str, list[str]] = {s.code: [] for s in SCALES}
    for q in (q for p in parts for i in p.indicators for q in i.questions):
        usage[q.scale].append(q.code)
    lines = comment_lines(HEADER.split("\n"), 0)
    lines += render_instrument()
    lines += render_categories()
    lines += render_review_reasons()
    lines += render_agencies()
    lines += render_evidence_types()
    lines += render_scales(usage)
    lines += render_gates()
    lines += render_parts(parts)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Reading the result back
# ---------------------------------------------------------------------------


def check_round_trip(text: str, parts: list[Part]) -> None:
    """The written file must read back to exactly the data we meant to write."""
    data = yaml.safe_load(text)
    read = [q for p in data["parts"] for i in p["indicators"] for q in i["questions"]]
    meant = [q for p in parts for i in p.indicators for q in i.questions]
    assert len(read) == len(meant)
    for got, want in zip(read, meant, strict=True):
        assert got["code"] == want.code and got["source_code"] == want.source_code, want.code
        assert got["text"] == want.text, want.code
        assert got["evidence"]["hint"] == want.hint, want.code
        assert got["agencies"] == want.agencies and got["scale"] == want.scale, want.code
        assert points(got["max"]) == want.max, want.code
    for got, want in zip(data["agencies"], AGENCIES, strict=True):
        assert tuple(got["aliases"]) == want.aliases and got["name"] == want.name, want.code
    for got, want in zip(data["scales"], SCALES, strict=True):
        assert got["code"] == want.code and got["name"] == want.name, want.code
        for got_o, want_o in zip(got.get("options", ()), want.options, strict=True):
            assert (got_o["code"], got_o["label"], got_o["label_en"]) == want_o[:3], want.code
            assert Fraction(str(got_o["fraction"])) == Fraction(want_o[3]), want.code
    assert data["gates"][0]["question"] == GATE["question"]
    assert data["instrument"]["source"] == INSTRUMENT["source"]


def summary(parts: list[Part]) -> str:
    questions = [q for p in parts for i in p.indicators for q in i.questions]
    lines = [
        f"{len(parts)} parts, {sum(len(p.indicators) for p in parts)} indicators, "
        f"{len(questions)} questions, {_num(sum((p.max for p in parts), Decimal(0)))} points",
    ]
    for part in parts:
        count = sum(len(i.questions) for i in part.indicators)
        lines.append(
            f"  {part.code:<3} {part.short_name:<14} {len(part.indicators):>2} indicators "
            f"{count:>4} questions {_num(part.max):>5} points"
        )
    lines.append("scales used:")
    for scale, count in sorted(Counter(q.scale for q in questions).items(), key=lambda x: (-x[1], x[0])):
        lines.append(f"  {scale:<22} {count:>4}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the transcribed instrument")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the catalogue to write")
    args = parser.parse_args(argv)

    source = yaml.safe_load(args.source.read_text(encoding="utf-8"))
    parts = build_parts(source)
    check_catalogue(parts)
    text = render(parts)
    check_round_trip(text, parts)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    print(summary(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
