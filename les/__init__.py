"""Plumbing shared by every layer above the domain: settings and paths, logging and telemetry,
the Temporal client and search attributes, the payload codec and keyring, seal keys, the OIDC
token verifier, failure vocabulary, the worker sandbox, X1 TLS. Nothing here imports recordstore,
mediation, activities, workflows or console (tests/unit/test_layers.py checks it)."""
