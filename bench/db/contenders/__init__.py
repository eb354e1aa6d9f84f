"""The contenders: the raw drivers (the ceiling), vivace, Django's ORM and SQLAlchemy's ORM.

Each is a class with the same operations, ``get``, ``filter``, ``bulk``,
``join`` and ``lazy`` for sync code and the same names prefixed with ``a``
for async code, all over the tables of ``data.py``; ``cases.py`` times them.
"""
