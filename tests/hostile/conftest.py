from ..screening.test_antigen import ag  # noqa: F401  (a running antigen round, for the photos)
