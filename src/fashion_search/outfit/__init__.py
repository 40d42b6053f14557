"""outfit."""
