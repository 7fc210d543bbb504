"""The domain model and legal policy of LES Orchestrator: pure data and functions, no I/O."""
