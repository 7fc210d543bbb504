"""The carrier's intercept mediation system as LES sees it: an X1 adapter and a simulator of the far end."""
