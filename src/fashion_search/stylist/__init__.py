"""stylist."""
