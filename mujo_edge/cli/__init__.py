"""The ``mujo-edge`` command line (Typer). Only this package prints; the library logs."""
