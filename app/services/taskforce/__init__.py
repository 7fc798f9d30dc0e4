"""The Gugus Tugas KLA of a kab/kota for a cycle: its members and SK (`team`), the cluster coordinators'
review before the DP3A's (`coordination`). Meetings and the RAD KLA have their own modules here.

Nothing here commits: the route commits its one unit of work."""
