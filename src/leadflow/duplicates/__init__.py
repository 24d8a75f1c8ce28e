"""Duplicates: hand-made contacts and leads claim the match keys capture claims; candidate
pairs found by the matching keys; a merge that keeps one record and redirects the other."""
