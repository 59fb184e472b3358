"""``python -m mujo_edge.cli ...`` (also what ``torchrun -m mujo_edge.cli pretrain ...`` runs)."""

from mujo_edge.cli.main import main

if __name__ == "__main__":
    main()
