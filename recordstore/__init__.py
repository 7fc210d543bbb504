"""The carrier's systems of record and the case store, behind one SQLAlchemy URL.

`db` opens the store, `models` maps its tables, `export` streams one record category for
a set of targets into a CSV file, and `generator` fills the store with synthetic records.
"""
