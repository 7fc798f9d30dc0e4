"""Rules of the Gugus Tugas (the kab/kota's KLA task force) and the year between evaluations."""
