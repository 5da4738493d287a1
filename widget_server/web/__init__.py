"""What every HTML page and JSON endpoint shares: headers, error rendering, the user."""
