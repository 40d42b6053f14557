"""Batch jobs as reader -> mapper -> writer per partition; runners decide where they run."""
