"""Point-of-sale terminal."""
