"""Placeholder until the family lands: registers no checks yet."""

CHECKS = ()
