"""Training data, synthetic masks, training loops and metrics. Never imported by the serving path."""
