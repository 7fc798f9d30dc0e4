"""The Gugus Tugas KLA of a kab/kota: its task force, meetings and action plan (RAD KLA)."""
