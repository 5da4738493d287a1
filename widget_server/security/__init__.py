"""Security primitives shared by every concern: secrets, passwords, CSRF, headers, limits."""
