"""The generic line classifier: features of a line and its neighbours, a small model, thresholds."""
