"""The programs people and operators run, above the workflows: the starter's commands (`cli`,
`render`), the auditors' commands (`audit`, `histories`), the codec server and sign-in
(`codec_server`, `login`, `session_cli`, `person`, `oidc_provider`), the local stack and its
supervisor (`stack`, `supervisor`), health and metrics endpoints, the transparency report and
the Web UI queues. Nothing below imports this package (tests/unit/test_layers.py checks it)."""
