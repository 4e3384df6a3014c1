"""One reporter per output format; each reads a GradeReport and never changes it."""
