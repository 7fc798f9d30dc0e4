"""Database writes in small modules; the pure engines (`scoring`) do the thinking."""
