"""Values on the wire: addresses (canonical text, families, prefixes) and frozen packets."""
