"""A real WordPress for the plugin's browser tests (Debian's package, MariaDB, ``php -S``)."""
